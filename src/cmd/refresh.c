/* refresh.c - tbx refresh: check digests, pull what changed, recreate
 * only what needs it, never leave a backend without a container. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "imagelock.h"
#include "json.h"
#include "lifecycle.h"
#include "lock.h"
#include "prune.h"
#include "regcheck.h"
#include "upstream.h"

struct refresh_opts {
	bool include_optional, include_experimental, prune, check, no_wait, adopt;
};

static bool stderr_tty(void)
{
	return isatty(STDERR_FILENO) && g_verbosity >= 0;
}

static void progress(const struct pull_progress *pp, void *ctx)
{
	const struct backend *b = ctx;
	fprintf(stderr, "  %s: %s\n", b->id, pp->status);
}

/* pulls are shown on a terminal only, as progress; the rest as notes */
static void event(const struct backend *b, enum converge_event ev, const char *detail, void *ctx)
{
	if (ev != EVENT_PULLING)
		print_converge_event(b, ev, detail, ctx);
	else if (stderr_tty())
		fprintf(stderr, "%s: pulling %s\n", b->id, detail);
}

/* The line printed per backend: timestamped when not on a terminal
 * (cron and the journal keep it as a log). */
static void report_line(const struct backend *b, const struct converge_outcome *o)
{
	char sd1[24], sd2[24], ts[32];
	if (g_verbosity < 0 && o->action != CONVERGE_FAILED)
		return;
	if (!isatty(STDOUT_FILENO)) {
		format_time(now_unix(), ts);
		printf("%s ", ts);
	}
	switch (o->action) {
	case CONVERGE_FAILED:
		printf("%s: FAILED: %s\n", b->id, o->why);
		break;
	case CONVERGE_UNCHANGED:
		printf("%s: unchanged %s%s%s\n", b->id, short_digest(o->new_digest, sd1),
		       o->why[0] ? ", " : "", o->why);
		break;
	default:
		if (o->old_digest && !str_eq(o->old_digest, o->new_digest))
			printf("%s: %s %s -> %s (%s)\n", b->id, converge_action_name(o->action),
			       short_digest(o->old_digest, sd1), short_digest(o->new_digest, sd2),
			       o->why);
		else
			printf("%s: %s %s (%s)\n", b->id, converge_action_name(o->action),
			       short_digest(o->new_digest, sd1), o->why);
	}
	fflush(stdout);
}

static json_object *outcome_json(const struct backend *b, const struct converge_outcome *o,
				 const struct upstream_info *up)
{
	json_object *j = json_object_new_object();
	json_add_str(j, "backend", b->id);
	json_add_str(j, "container", b->container);
	json_add_str(j, "action", converge_action_name(o->action));
	json_add_str(j, "old_digest", o->old_digest);
	json_add_str(j, "new_digest", o->new_digest);
	json_add_str(j, "platform_digest", o->platform_digest ? o->platform_digest : o->new_digest);
	json_add_bool(j, "pull", o->pulled);
	json_add_bool(j, "recreate", o->recreated);
	json_add_bool(j, "adopted", o->adopted);
	json_add_str(j, "origin", origin_name(o->origin));
	json_add_str(j, o->action == CONVERGE_FAILED ? "error" : "detail", o->why);
	json_object_object_add(j, "upstream", upstream_info_json(up, true));
	return j;
}

/* Once per run: the channels upstream no longer rebuilds (frozen) and the
 * retired ones that were named; a tag list that could not be read is said
 * once per repository.  Returns how many non-retired default backends are
 * frozen (refresh --check fails on those). */
/* A tag list that failed for the reason the backends' own registry check
 * already gave (a bad mirror entry, say) is not said a second time. */
static int said_by_registry_check(const char *why, const struct registry_answer *ans, size_t n)
{
	for (size_t j = 0; j < n; j++)
		if (!ans[j].ok && ans[j].err.msg[0] && strstr(why, ans[j].err.msg))
			return 1;
	return 0;
}

static size_t report_upstream(struct ctx *c, const struct upstream_survey *us,
			      struct imagelock *il, const struct backend **sel,
			      const struct registry_answer *ans, struct upstream_info *up, size_t n)
{
	size_t frozen_defaults = 0;
	for (size_t i = 0; i < us->n; i++)
		if (!us->v[i].ok && us->v[i].error && !said_by_registry_check(us->v[i].error, ans, n)) {
			char *s = sanitize_line(us->v[i].error, strlen(us->v[i].error), 300);
			note("upstream state unknown for %s: %s", us->v[i].name, s);
			free(s);
		}
	for (size_t i = 0; i < n; i++) {
		char line[600];
		upstream_judge_local(us, &c->podman, il, &c->backends, sel[i], c->cfg.frozen_after_s,
				     &up[i]);
		if (up[i].state == UPSTREAM_FROZEN && backend_is_default(sel[i], false, false))
			frozen_defaults++;
		if (up[i].state != UPSTREAM_FROZEN && up[i].state != UPSTREAM_RETIRED)
			continue;
		upstream_describe(&up[i], line, sizeof(line));
		if (!c->json && g_verbosity >= 0)
			printf("%s: %s\n", sel[i]->id, line);
	}
	return frozen_defaults;
}

/* The backends to refresh: the named ones, or every container backend
 * that is not retired (optional ones only with --include-amdvlk,
 * experimental ones only with --include-experimental). */
static int select_backends(struct ctx *c, int n, char **names, const struct refresh_opts *ro,
			   const struct backend ***out, size_t *count)
{
	const struct backend **sel = xcalloc(c->backends.n + (size_t)n + 1, sizeof(*sel));
	size_t k = 0;
	if (n == 0) {
		for (size_t i = 0; i < c->backends.n; i++) {
			const struct backend *b = &c->backends.v[i];
			if (backend_is_default(b, ro->include_optional, ro->include_experimental))
				sel[k++] = b;
			else if (b->retired && !b->native)
				verbose("%s: retired upstream%s%s; not refreshed unless named", b->id,
					b->successor ? ", successor " : "",
					b->successor ? b->successor : "");
		}
	}
	for (int i = 0; i < n; i++) {
		const struct backend *b = backend_resolve(&c->backends, names[i], &c->err);
		if (!b) {
			free(sel);
			return -1;
		}
		if (b->native) {
			note("%s is a native backend: nothing to refresh", b->id);
			continue;
		}
		bool dup = false;
		for (size_t j = 0; j < k; j++)
			dup |= sel[j] == b;
		if (!dup)
			sel[k++] = b;
	}
	*out = sel;
	*count = k;
	return 0;
}

static int run_refresh(struct ctx *c, const struct cmd_args *a)
{
	struct refresh_opts ro = { .include_optional = cmd_has(a, "include-amdvlk"),
				   .include_experimental = cmd_has(a, "include-experimental"),
				   .prune = cmd_has(a, "prune-legacy"),
				   .check = cmd_has(a, "check"),
				   .no_wait = c->no_wait };
	if (ctx_load(c) < 0 || ctx_podman(c) < 0)
		return -1;
	ro.adopt = cmd_has(a, "adopt") || c->cfg.adopt;
	const struct backend **sel = NULL;
	size_t n = 0;
	if (select_backends(c, a->argc, a->argv, &ro, &sel, &n) < 0)
		return -1;

	struct run_lock lock = { .fd = -1 };
	struct imagelock il = { 0 };
	struct registry_answer *ans = xcalloc(n + 1, sizeof(*ans));
	struct converge_outcome *out = xcalloc(n + 1, sizeof(*out));
	struct prune_result pr = { 0 };
	struct upstream_survey us = { 0 };
	struct upstream_info *up = xcalloc(n + 1, sizeof(*up));
	size_t frozen_defaults = 0;
	int rc = -1;
	char *version = NULL;
	if (!ro.check && cmd_lock(c, &lock, "tbx refresh", !ro.no_wait) < 0)
		goto done;
	if (!ro.check) {
		home_remove_stale_temp_files(c->home);
	}
	if (podman_ping(&c->podman, &version, &c->err) < 0)
		goto done;
	if (imagelock_load(c->home, &il, &c->err) < 0)
		goto done;

	/* one concurrent round of HEADs, the tag lists' first pages with them;
	 * Podman is asked what converging will ask meanwhile */
	struct lifecycle_prefetch lp = { &c->podman, sel, n, true };
	registry_check_beside(&c->cfg, sel, n, ans, true, lifecycle_prefetch_run, &lp);
	/* and one tag list walk per repository: when each channel was rebuilt */
	if (upstream_check(c->home, &c->cfg, sel, n, UPSTREAM_WALK, &us, &c->err) < 0)
		goto done;

	struct registry_opts regopts;
	registry_opts_from(&c->cfg, &regopts);
	struct converge_opts co = {
		.registry = &regopts,
		.check = ro.check,
		.adopt = ro.adopt,
		.event = event,
		.progress = stderr_tty() ? progress : NULL,
	};
	size_t failed = 0, changed = 0;
	for (size_t i = 0; i < n && !g_interrupted; i++) {
		struct lock_entry *le = imagelock_entry(&il, sel[i]->id);
		struct converge_target t = { .live = &ans[i] };
		struct err e = { 0 };
		co.ctx = (void *)sel[i];
		if (lifecycle_converge(&c->podman, sel[i], c->models.root, le, &t, &co, &out[i],
				       &e) < 0 &&
		    e.exit_code >= EXIT_SIGINT)
			c->err = e;
		if (out[i].action == CONVERGE_FAILED)
			failed++;
		else if (out[i].action != CONVERGE_UNCHANGED)
			changed++;
		if (!c->json)
			report_line(sel[i], &out[i]);
		/* saved after each backend: a kill loses at most the one in flight */
		if (!ro.check && out[i].action != CONVERGE_FAILED &&
		    imagelock_save(&il, &c->err) < 0)
			goto done;
	}
	if (g_interrupted) {
		err_setx(&c->err, g_interrupted == 2 ? EXIT_SIGINT : EXIT_SIGTERM, "interrupted");
		goto done;
	}
	frozen_defaults = report_upstream(c, &us, &il, sel, ans, up, n);
	if (ro.prune) {
		int prc = prune_run(&c->podman, &c->backends, c->home, &il, ro.check, c->cfg.keep_images,
				    &pr, &c->err);
		if (!c->json)
			print_prune(&pr);
		if (prc < 0)
			goto done;
	}
	if (c->json) {
		json_object *j = json_object_new_object();
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, outcome_json(sel[i], &out[i], &up[i]));
		json_object_object_add(j, "backends", arr);
		json_add_bool(j, "check", ro.check);
		if (ro.prune)
			json_object_object_add(j, "pruned", prune_result_json(&pr));
		cmd_print_json(j);
		json_object_put(j);
	}
	if (!c->json && g_verbosity >= 0)
		printf("%s%zu backend%s: %zu %s, %zu unchanged, %zu failed\n",
		       ro.check ? "check: " : "", n, n == 1 ? "" : "s", changed,
		       ro.check ? "would change" : "changed", n - changed - failed, failed);
	rc = failed ? EXIT_FAIL : EXIT_OK;
	if (ro.check && frozen_defaults && !c->json)
		fprintf(stderr, "tbx: %zu default backend%s frozen upstream\n", frozen_defaults,
			frozen_defaults == 1 ? " is" : "s are");
	if (ro.check && frozen_defaults)
		rc = EXIT_FAIL;
	if (failed && !c->json)
		for (size_t i = 0; i < n; i++)
			if (out[i].action == CONVERGE_FAILED)
				fprintf(stderr, "tbx: %s: %s\n", sel[i]->id, out[i].why);
done:
	for (size_t i = 0; i < n; i++) {
		registry_answer_free(&ans[i]);
		converge_outcome_free(&out[i]);
	}
	prune_result_free(&pr);
	free(ans), free(out), free(sel), free(version), free(up);
	upstream_survey_free(&us);
	imagelock_free(&il);
	run_lock_release(&lock);
	return rc;
}

static const struct cmd_option refresh_options[] = {
	{ "include-amdvlk", 0, NULL, "also refresh optional backends (vulkan-amdvlk)" },
	{ "include-experimental", 0, NULL,
	  "also refresh upstream's experimental channels (therock-nightly, "
	  "vulkan-radv-performance, ...)" },
	{ "prune-legacy", 0, NULL,
	  "remove the containers named in manifests/legacy.json, this home's containers whose "
	  "definition is gone (never another home's), and unused old images (never forced; each "
	  "backend's last keep_images previous images, default 2, are kept for rollback)" },
	{ "check", 0, NULL, "say what would change, change nothing (no lock taken); exits 1 when a "
			    "default backend's channel is frozen upstream" },
	{ "adopt", 0, NULL,
	  "replace a container tbx did not make (a toolbox, a distrobox, one made by hand) with "
	  "one that keeps its own configuration (entrypoint, mounts, devices, groups, user "
	  "namespace, security options, env, labels...) and runs the new image; without it such "
	  "a backend is reported, left alone and fails (exit 1). Also 'adopt = yes' in the config "
	  "file" },
	{ "no-wait", 0, NULL, "fail at once when a bench or refresh holds the lock" },
	{ "json", 0, NULL, "print the outcome as JSON" },
	{ NULL, 0, NULL, NULL },
};

const struct command cmd_refresh = {
	.name = "refresh",
	.args = "[--include-amdvlk] [--include-experimental] [--prune-legacy] [--check] [--adopt] "
		"[--no-wait] [BACKEND...]",
	.summary = "check images against their registry, pull what changed, recreate what needs it",
	.description =
		"For each backend, asks the registry for the tag's digest with a manifest HEAD "
		"(no pull is counted), pulls only when the digest is not present locally, and "
		"recreates the container only when its image or its definition changed. A new "
		"container is created and started under a temporary name before the old one is "
		"removed, so a failure or a kill leaves a working container. Failures are per "
		"backend: the others still refresh; the exit code is 1 if any failed. Pinned "
		"backends keep their digest. A container tbx did not make (toolbox, distrobox, "
		"by hand) is replaced only with --adopt, from its own configuration (the fields "
		"carried: docs/ADOPTION.md); once adopted it stays managed and keeps its "
		"configuration. Retired backends (upstream no longer builds the tag) are "
		"refreshed only when named. Also walks the registry's tag list once "
		"per repository (not a manifest GET: no pull is counted) and says which "
		"channels upstream stopped rebuilding: a channel whose newest stamp tag "
		"(<tag>_YYYYmmddTHHMMSS) is more than frozen_after (default 14d) older than "
		"the newest of its repository is frozen. Waits while a bench runs.",
	.options = refresh_options,
	.run = run_refresh,
};
