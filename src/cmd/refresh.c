/* refresh.c - tbx refresh: check digests, pull what changed, recreate
 * only what needs it, never leave a backend without a container. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "freshness.h"
#include "imagelock.h"
#include "json.h"
#include "lifecycle.h"
#include "lock.h"
#include "prune.h"
#include "registry.h"

enum action { ACT_UNCHANGED, ACT_CREATED, ACT_UPDATED, ACT_RECREATED, ACT_FAILED };

static const char *const action_names[] = { "unchanged", "created", "updated", "recreated",
					    "failed" };

struct outcome {
	const struct backend *b;
	enum action action;
	char *old_digest, *new_digest;
	bool pulled, recreated;
	char why[1024]; /* what changed, or what failed */
};

struct refresh_opts {
	bool include_optional, prune, check, no_wait;
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

/* The line printed per backend: timestamped when not on a terminal
 * (cron and the journal keep it as a log). */
static void report_line(const struct outcome *o)
{
	char sd1[24], sd2[24], ts[32];
	if (g_verbosity < 0 && o->action != ACT_FAILED)
		return;
	if (!isatty(STDOUT_FILENO)) {
		format_time(now_unix(), ts);
		printf("%s ", ts);
	}
	switch (o->action) {
	case ACT_FAILED:
		printf("%s: FAILED: %s\n", o->b->id, o->why);
		break;
	case ACT_UNCHANGED:
		printf("%s: unchanged %s%s%s\n", o->b->id, short_digest(o->new_digest, sd1),
		       o->why[0] ? ", " : "", o->why);
		break;
	default:
		if (o->old_digest && !str_eq(o->old_digest, o->new_digest))
			printf("%s: %s %s -> %s (%s)\n", o->b->id, action_names[o->action],
			       short_digest(o->old_digest, sd1), short_digest(o->new_digest, sd2),
			       o->why);
		else
			printf("%s: %s %s (%s)\n", o->b->id, action_names[o->action],
			       short_digest(o->new_digest, sd1), o->why);
	}
	fflush(stdout);
}

static int fail(struct outcome *o, const char *msg)
{
	o->action = ACT_FAILED;
	snprintf(o->why, sizeof(o->why), "%s", msg);
	return -1;
}

/* Why the container must be (re)made, or NULL when it is right. */
static const char *needs_recreate(json_object *c, int found, const struct backend *b,
				  const char *models_root, const char *image_id)
{
	char hash[65];
	if (found == 1)
		return "no container";
	if (!str_eq(container_label(c, LABEL_BACKEND), b->id))
		return "container not made by tbx";
	if (!str_eq(json_str(c, "Image"), image_id))
		return "new image";
	backend_spec_hash(b, models_root, hash);
	if (!str_eq(container_label(c, LABEL_SPEC_HASH), hash))
		return "definition changed";
	return NULL;
}

static int refresh_one(struct ctx *c, const struct backend *b, struct lock_entry *le,
		       const struct registry_answer *ans, const struct refresh_opts *ro,
		       struct outcome *o)
{
	struct err e = { 0 };
	struct image_ref ref = { 0 };
	char *name = NULL, *image_id = NULL, *target = NULL;
	json_object *cont = NULL;
	int rc = -1;
	o->b = b;
	o->old_digest = le && le->digest ? xstrdup(le->digest) : NULL;
	if (image_ref_parse(b->image, &ref, &e) < 0) {
		fail(o, e.msg);
		goto out;
	}
	name = image_ref_name(&ref);
	/* strip ":tag" from the name: RepoDigests are "repo@digest" */
	char *colon = strrchr(name, ':');
	if (colon && !strchr(colon, '/'))
		*colon = '\0';
	if (!ro->check && lifecycle_recover(&c->podman, b, &e) < 0) {
		fail(o, e.msg);
		goto out;
	}
	bool pinned = le && le->pinned && le->digest;
	if (pinned) {
		target = xstrdup(le->digest);
	} else if (!ans->ok) {
		fail(o, ans->err.msg);
		goto out;
	} else {
		target = xstrdup(ans->digest);
	}
	int found = find_local_image(&c->podman, name, target, &image_id, &e);
	if (found < 0) {
		fail(o, e.msg);
		goto out;
	}
	if (found == 1) {
		char *pull_ref = pinned ? xasprintf("%s@%s", name, target) : xstrdup(b->image);
		if (ro->check) {
			o->pulled = true;
			snprintf(o->why, sizeof(o->why), "would pull %s", pull_ref);
			o->action = o->old_digest ? ACT_UPDATED : ACT_CREATED;
			o->new_digest = xstrdup(target);
			free(pull_ref);
			rc = 0;
			goto out;
		}
		if (stderr_tty())
			fprintf(stderr, "%s: pulling %s\n", b->id, pull_ref);
		int prc = podman_image_pull(&c->podman, pull_ref, stderr_tty() ? progress : NULL,
					    (void *)b, &image_id, &e);
		free(pull_ref);
		if (prc < 0) {
			fail(o, e.msg);
			if (e.exit_code >= EXIT_SIGINT)
				c->err = e;
			goto out;
		}
		o->pulled = true;
		/* the tag may have moved between our HEAD and the pull */
		json_object *img = NULL;
		if (podman_image_inspect(&c->podman, image_id, &img, &e) == 0 &&
		    !image_has_digest(img, target)) {
			char *actual = image_digest_for(img, name);
			if (actual) {
				free(target);
				target = actual;
			}
		}
		json_object_put(img);
	}
	o->new_digest = xstrdup(target);
	found = podman_container_inspect(&c->podman, b->container, &cont, &e);
	if (found < 0) {
		fail(o, e.msg);
		goto out;
	}
	const char *why = needs_recreate(cont, found, b, c->models.root, image_id);
	if (why) {
		o->action = found == 1 ? ACT_CREATED : ACT_RECREATED;
		snprintf(o->why, sizeof(o->why), "%s%s", ro->check ? "would recreate: " : "", why);
		if (!ro->check &&
		    lifecycle_replace(&c->podman, b, c->models.root, image_id, target, &e) < 0) {
			fail(o, e.msg);
			goto out;
		}
		o->recreated = true;
	} else if (o->pulled) {
		o->action = ACT_UPDATED;
	} else {
		o->action = ACT_UNCHANGED;
		snprintf(o->why, sizeof(o->why), "%s", pinned ? "pinned" : "container up to date");
	}
	if (!ro->check) {
		le->reference = le->reference ? le->reference : xstrdup(b->image);
		if (!str_eq(le->reference, b->image)) {
			free(le->reference);
			le->reference = xstrdup(b->image);
		}
		lock_entry_set_current(le, target, image_id, now_unix());
		if (!pinned || ans->ok)
			le->verified_at = now_unix();
		if (o->pulled)
			le->pulled_at = now_unix();
	}
	rc = 0;
out:
	json_object_put(cont);
	image_ref_free(&ref);
	free(name), free(image_id), free(target);
	return rc;
}

static json_object *outcome_json(const struct outcome *o)
{
	json_object *j = json_object_new_object();
	json_add_str(j, "backend", o->b->id);
	json_add_str(j, "container", o->b->container);
	json_add_str(j, "action", action_names[o->action]);
	json_add_str(j, "old_digest", o->old_digest);
	json_add_str(j, "new_digest", o->new_digest);
	json_add_bool(j, "pull", o->pulled);
	json_add_bool(j, "recreate", o->recreated);
	json_add_str(j, o->action == ACT_FAILED ? "error" : "detail", o->why);
	return j;
}

/* The backends to refresh: the named ones, or every container backend
 * (optional ones only with --include-amdvlk). */
static int select_backends(struct ctx *c, int n, char **names, bool include_optional,
			   const struct backend ***out, size_t *count)
{
	const struct backend **sel = xcalloc(c->backends.n + (size_t)n + 1, sizeof(*sel));
	size_t k = 0;
	if (n == 0) {
		for (size_t i = 0; i < c->backends.n; i++) {
			const struct backend *b = &c->backends.v[i];
			if (!b->native && (!b->optional || include_optional))
				sel[k++] = b;
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

static int run_refresh(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "include-amdvlk", no_argument, NULL, 'a' }, { "prune-legacy", no_argument, NULL, 'p' },
		{ "check", no_argument, NULL, 'c' },          { "no-wait", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },           { NULL, 0, NULL, 0 },
	};
	struct refresh_opts ro = { 0 };
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': ro.include_optional = true; break;
		case 'p': ro.prune = true; break;
		case 'c': ro.check = true; break;
		case 'n': ro.no_wait = true; break;
		case 'j': c->json = true; break;
		default: return cmd_usage(&cmd_refresh, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (ctx_load(c) < 0 || ctx_podman(c) < 0)
		return -1;
	const struct backend **sel = NULL;
	size_t n = 0;
	if (select_backends(c, argc - optind, argv + optind, ro.include_optional, &sel, &n) < 0)
		return -1;

	struct run_lock lock = { .fd = -1 };
	struct imagelock il = { 0 };
	struct image_ref *refs = xcalloc(n + 1, sizeof(*refs));
	struct registry_answer *ans = xcalloc(n + 1, sizeof(*ans));
	struct outcome *out = xcalloc(n + 1, sizeof(*out));
	int rc = -1;
	char *version = NULL;
	if (!ro.check && run_lock_acquire(&lock, c->connection, "tbx refresh", !ro.no_wait, &c->err) < 0)
		goto done;
	if (!ro.check) {
		char *m = path_join(c->home, "manifests"), *r = path_join(c->home, "results");
		remove_stale_temp_files(m);
		remove_stale_temp_files(r);
		free(m), free(r);
	}
	if (podman_ping(&c->podman, &version, &c->err) < 0)
		goto done;
	if (imagelock_load(c->home, &il, &c->err) < 0)
		goto done;

	/* one concurrent round of HEADs; pinned backends need none */
	struct registry_opts regopts;
	registry_opts_from(&c->cfg, &regopts);
	for (size_t i = 0; i < n; i++)
		if (image_ref_parse(sel[i]->image, &refs[i], &ans[i].err) < 0)
			refs[i].repo = NULL;
	registry_head_many(&regopts, refs, n, ans);

	size_t failed = 0, changed = 0;
	for (size_t i = 0; i < n && !g_interrupted; i++) {
		struct lock_entry *le = imagelock_entry(&il, sel[i]->id);
		refresh_one(c, sel[i], le, &ans[i], &ro, &out[i]);
		if (out[i].action == ACT_FAILED)
			failed++;
		else if (out[i].action != ACT_UNCHANGED)
			changed++;
		if (!c->json)
			report_line(&out[i]);
		/* saved after each backend: a kill loses at most the one in flight */
		if (!ro.check && out[i].action != ACT_FAILED &&
		    imagelock_save(&il, &c->err) < 0)
			goto done;
	}
	if (g_interrupted) {
		err_setx(&c->err, g_interrupted == 2 ? EXIT_SIGINT : EXIT_SIGTERM, "interrupted");
		goto done;
	}
	struct prune_result pr = { 0 };
	if (ro.prune && prune_run(&c->podman, &c->backends, c->home, &il, ro.check, &pr, &c->err) < 0)
		goto done;
	if (c->json) {
		json_object *j = json_object_new_object();
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, outcome_json(&out[i]));
		json_object_object_add(j, "backends", arr);
		json_add_bool(j, "check", ro.check);
		if (ro.prune)
			json_object_object_add(j, "pruned", prune_result_json(&pr));
		char *s = json_pretty(j);
		fputs(s, stdout);
		free(s);
		json_object_put(j);
	}
	prune_result_free(&pr);
	if (!c->json && g_verbosity >= 0)
		printf("%s%zu backend%s: %zu %s, %zu unchanged, %zu failed\n",
		       ro.check ? "check: " : "", n, n == 1 ? "" : "s", changed,
		       ro.check ? "would change" : "changed", n - changed - failed, failed);
	rc = failed ? EXIT_FAIL : EXIT_OK;
	if (failed && !c->json)
		for (size_t i = 0; i < n; i++)
			if (out[i].action == ACT_FAILED)
				fprintf(stderr, "tbx: %s: %s\n", out[i].b->id, out[i].why);
done:
	for (size_t i = 0; i < n; i++) {
		image_ref_free(&refs[i]);
		registry_answer_free(&ans[i]);
		free(out[i].old_digest), free(out[i].new_digest);
	}
	free(refs), free(ans), free(out), free(sel), free(version);
	imagelock_free(&il);
	run_lock_release(&lock);
	return rc;
}

static const struct option_help refresh_options[] = {
	{ "--include-amdvlk", "also refresh optional backends (vulkan-amdvlk)" },
	{ "--prune-legacy", "remove the containers named in manifests/legacy.json, tbx containers "
			    "whose definition is gone, and unused old images (never forced; each "
			    "backend's previous image is kept for rollback)" },
	{ "--check", "say what would change, change nothing (no lock taken)" },
	{ "--no-wait", "fail at once when a bench or refresh holds the lock" },
	{ "--json", "print the outcome as JSON" },
	{ NULL, NULL },
};

const struct command cmd_refresh = {
	.name = "refresh",
	.args = "[--include-amdvlk] [--prune-legacy] [--check] [--no-wait] [BACKEND...]",
	.summary = "check images against their registry, pull what changed, recreate what needs it",
	.description =
		"For each backend, asks the registry for the tag's digest with a manifest HEAD "
		"(no pull is counted), pulls only when the digest is not present locally, and "
		"recreates the container only when its image or its definition changed. A new "
		"container is created and started under a temporary name before the old one is "
		"removed, so a failure or a kill leaves a working container. Failures are per "
		"backend: the others still refresh; the exit code is 1 if any failed. Pinned "
		"backends keep their digest. Waits while a bench runs.",
	.options = refresh_options,
	.run = run_refresh,
};
