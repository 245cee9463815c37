/* status.c - tbx status: freshness of every backend. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "freshness.h"
#include "lifecycle.h"
#include "imagelock.h"
#include "json.h"
#include "regcheck.h"
#include "remote.h"
#include "upstream.h"

static json_object *freshness_json(const struct backend *b, const struct freshness *f,
				   const struct upstream_info *up)
{
	char ts[32];
	json_object *j = json_object_new_object();
	json_add_str(j, "backend", b->id);
	json_add_str(j, "kind", b->native ? "native" : "container");
	json_add_str(j, "container", b->container);
	json_add_str(j, "state", f->state);
	json_add_str(j, "origin", b->native ? NULL : f->origin);
	json_add_str(j, "image", b->native ? b->bench.v[0] : b->image);
	json_add_str(j, "digest", f->digest);
	json_add_str(j, "platform_digest", f->platform_digest ? f->platform_digest : f->digest);
	json_add_str(j, "image_id", f->image_id);
	json_add_bool(j, "pinned", f->pinned);
	if (f->verified_at) {
		format_time(f->verified_at, ts);
		json_add_str(j, "verified_at", ts);
	} else {
		json_add_str(j, "verified_at", NULL);
	}
	json_add_bool(j, "live", f->live);
	json_add_str(j, "registry_digest", f->live_digest);
	json_add_str(j, "registry_error", f->live_error[0] ? f->live_error : NULL);
	json_add_str(j, "verdict", verdict_name(f->verdict));
	json_add_str(j, "reason", f->reason);
	if (!b->native) {
		char line[600];
		upstream_describe(up, line, sizeof(line));
		json_object_object_add(j, "upstream", upstream_info_json(up, true));
		json_add_str(j, "upstream_note", line[0] ? line : NULL);
	} else {
		json_add_str(j, "upstream", NULL);
	}
	return j;
}

static void print_row(const struct backend *b, const struct freshness *f,
		      const struct upstream_info *up)
{
	char sd[24], age[64] = "never", line[600] = "";
	if (!b->native && up->state != UPSTREAM_UNKNOWN) /* --json says why unknown */
		upstream_describe(up, line, sizeof(line));
	if (f->verified_at)
		format_age(now_unix() - f->verified_at, age, sizeof(age)), strcat(age, " ago");
	const char *verdict = verdict_name(f->verdict);
	/* "...; fresh, frozen upstream since 2026-04-09, successor rocm-7.14" */
	printf("%-16s %-8s %-24s %-9s %-9s %-20s %-6s %-16s %s%s%s%s%s\n", b->id, verdict,
	       b->native ? "(host)" : b->container, f->state ? f->state : "-",
	       f->origin ? f->origin : "-",
	       b->native ? "-" : short_digest(f->digest, sd), f->pinned ? "yes" : "no",
	       b->native ? "-" : age, f->reason, line[0] ? "; " : "", line[0] ? verdict : "",
	       line[0] ? ", " : "", line);
}

/* Judge the given backends (all when none named).  Fills *stale_count. */
static int status_of(struct ctx *c, int n, char **names, bool offline, json_object *out_json,
		     size_t *not_fresh)
{
	const struct backend **sel = xcalloc(c->backends.n + (size_t)n + 1, sizeof(*sel));
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		sel[k] = backend_resolve(&c->backends, names[i], &c->err);
		if (!sel[k++]) {
			free(sel);
			return -1;
		}
	}
	if (n == 0)
		for (size_t i = 0; i < c->backends.n; i++)
			sel[k++] = &c->backends.v[i];

	struct imagelock il = { 0 };
	struct registry_answer *ans = xcalloc(k + 1, sizeof(*ans));
	struct upstream_survey us = { 0 };
	int rc = -1;
	char *version = NULL;
	if (podman_ping(&c->podman, &version, &c->err) < 0)
		goto out;
	free(version);
	if (imagelock_load(c->home, &il, &c->err) < 0)
		goto out;
	struct lifecycle_prefetch lp = { &c->podman, sel, k, false };
	if (!offline) /* Podman asked meanwhile */
		registry_check_beside(&c->cfg, sel, k, ans, false, lifecycle_prefetch_run, &lp);
	/* HEADs only: what refresh's tag list walk said (the cache) */
	if (upstream_check(c->home, &c->cfg, sel, k, UPSTREAM_CACHE_ONLY, &us, &c->err) < 0)
		goto out;
	if (!out_json && g_verbosity >= 0) {
		printf("%-16s %-8s %-24s %-9s %-9s %-20s %-6s %-16s %s\n", "BACKEND", "VERDICT",
		       "CONTAINER", "STATE", "ORIGIN", "DIGEST", "PINNED", "VERIFIED", "REASON");
	}
	for (size_t i = 0; i < k; i++) {
		struct freshness f;
		const struct lock_entry *le = imagelock_get(&il, sel[i]->id);
		const struct registry_answer *live = offline || sel[i]->native ? NULL : &ans[i];
		if (freshness_check(&c->podman, sel[i], c->models.root, le, live, c->cfg.max_age_s,
				    &f, &c->err) < 0)
			goto out;
		if (f.verdict == VERDICT_STALE || f.verdict == VERDICT_MISSING)
			(*not_fresh)++;
		struct upstream_info up;
		upstream_judge_local(&us, &c->podman, &il, &c->backends, sel[i],
				     c->cfg.frozen_after_s, &up);
		if (out_json)
			json_object_array_add(out_json, freshness_json(sel[i], &f, &up));
		else
			print_row(sel[i], &f, &up);
		freshness_free(&f);
	}
	if (!out_json && offline && g_verbosity >= 0)
		printf("(offline: judged from images.lock.json and the last verification only)\n");
	rc = 0;
out:
	for (size_t i = 0; i < k; i++)
		registry_answer_free(&ans[i]);
	free(ans), free(sel);
	upstream_survey_free(&us);
	imagelock_free(&il);
	return rc;
}

static int run_status(struct ctx *c, const struct cmd_args *a)
{
	bool offline = cmd_has(a, "offline"), all = cmd_has(a, "all-connections");
	if (ctx_load(c) < 0)
		return -1;
	size_t not_fresh = 0;
	json_object *arr = c->json ? json_object_new_array() : NULL;
	int rc = 0;
	if (all) {
		struct connections conns;
		if (connections_load(&conns, &c->err) < 0) {
			json_object_put(arr);
			return -1;
		}
		if (conns.n == 0) {
			connections_free(&conns);
			json_object_put(arr);
			return err_set(&c->err, "no Podman system connections are defined (see "
						"'podman system connection list')");
		}
		for (size_t i = 0; i < conns.n; i++) {
			struct ctx sub = *c;
			sub.connection = conns.v[i].name;
			sub.podman_ready = false;
			memset(&sub.err, 0, sizeof(sub.err));
			if (!c->json)
				printf("== %s ==\n", conns.v[i].name);
			json_object *harr = c->json ? json_object_new_array() : NULL;
			bool failed = false;
			if (ctx_podman(&sub) < 0 ||
			    status_of(&sub, a->argc, a->argv, offline, harr, &not_fresh) < 0) {
				warn("%s: %s", conns.v[i].name, sub.err.msg);
				not_fresh++;
				failed = true;
			}
			if (sub.podman_ready)
				podman_close(&sub.podman);
			if (harr) {
				json_object *h = json_object_new_object();
				json_add_str(h, "connection", conns.v[i].name);
				json_add_str(h, "error", failed ? sub.err.msg : NULL);
				json_object_object_add(h, "backends", harr);
				json_object_array_add(arr, h);
			}
		}
		connections_free(&conns);
	} else {
		if (ctx_podman(c) < 0 ||
		    status_of(c, a->argc, a->argv, offline, arr, &not_fresh) < 0) {
			json_object_put(arr);
			return -1;
		}
	}
	if (arr) {
		cmd_print_json(arr);
		json_object_put(arr);
	}
	return rc;
}

static const struct cmd_option status_options[] = {
	{ "offline", 0, NULL,
	  "judge from images.lock.json and the last verification only (no registry)" },
	{ "json", 0, NULL, "print the verdicts as JSON" },
	{ "all-connections", 0, NULL, "show every Podman system connection's backends" },
	{ NULL, 0, NULL, NULL },
};

const struct command cmd_status = {
	.name = "status",
	.args = "[--offline] [--json] [--all-connections] [BACKEND...]",
	.summary = "show whether each backend's container is fresh, stale or missing",
	.description =
		"A backend is fresh only when its container exists and was made by tbx, runs the "
		"image the lock file's digest resolves to, carries the definition's spec hash, and "
		"(unless pinned) its image matches the registry now or was verified within the "
		"maximum age (max_age, default 36h). Asks the registry live, one HEAD per backend, "
		"concurrently. Also says when a channel is frozen upstream (its newest stamp tag "
		"is more than frozen_after, default 14d, older than its repository's newest) or "
		"retired, and names its successor: the row ends '; fresh, frozen upstream since "
		"2026-04-09, successor rocm-7.14' (a retired channel: since its last build or its "
		"'retired' date, whichever is earlier, then '(retired upstream)'); with --json, "
		"'upstream' has state (live, frozen, retired or unknown), last_build, successor, "
		"frozen_since, source (tags or local) and detail. That comes from the tag list "
		"walked by the last refresh (cached in cache/upstream.json), so status itself only "
		"sends HEADs. Exits "
		"0 whatever the verdicts (bench is the gate). ORIGIN says who made the container: "
		"tbx, or toolbox, distrobox or other (by hand) for one tbx did not make or adopted "
		"with refresh --adopt.",
	.options = status_options,
	.run = run_status,
};
