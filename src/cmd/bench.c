/* bench.c - tbx bench BACKEND MODEL: gate on freshness, run the canonical
 * command twice (warmup discarded), verify the device, record. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "benchrun.h"
#include "cmd.h"
#include "trust.h"
#include "freshness.h"
#include "hoststate.h"
#include "imagelock.h"
#include "json.h"
#include "lifecycle.h"
#include "lock.h"
#include "regress.h"
#include "regcheck.h"
#include "sha256.h"
#include "store.h"
#include "upstream.h"

/* Is the channel still rebuilt upstream?  The cached tag list (walked again
 * when older than max_age, unless --offline); a retired or frozen channel
 * is benched, with a warning, and the record says so. */
static void upstream_gate(struct ctx *c, struct bench_plan *pl, struct imagelock *il,
			  const struct bench_opts *bo)
{
	const struct backend *b = pl->b;
	struct upstream_survey us = { 0 };
	struct upstream_info up;
	struct err e = { 0 };
	if (upstream_check(c->home, &c->cfg, &b, 1,
			   bo->offline ? UPSTREAM_CACHE_ONLY : UPSTREAM_IF_OLD, &us, &e) < 0)
		verbose("%s", e.msg);
	upstream_judge_local(&us, &c->podman, il, &c->backends, b, c->cfg.frozen_after_s, &up);
	if (up.state == UPSTREAM_FROZEN || up.state == UPSTREAM_RETIRED) {
		char line[600], day[32];
		upstream_describe(&up, line, sizeof(line));
		upstream_frozen_since(&up, day);
		if (up.state == UPSTREAM_RETIRED) {
			warn("%s is retired upstream%s%s%s%s%s: benching anyway, the record says so",
			     b->id, day[0] ? " (frozen upstream since " : "", day, day[0] ? ")" : "",
			     up.successor ? ", successor " : "", up.successor ? up.successor : "");
			if (up.successor)
				warn("%s has been replaced by %s: bench that for current numbers", b->id,
				     up.successor);
		} else {
			warn("%s is %s: benching anyway, the record says so", b->id, line);
		}
	}
	/* the record says what is known: live, frozen or retired (null: unknown) */
	if (up.state != UPSTREAM_UNKNOWN) {
		char ts[32];
		pl->upstream_state = xstrdup(upstream_state_name(up.state));
		if (up.last_build) {
			format_time(up.last_build, ts);
			pl->upstream_last_build = xstrdup(ts);
		}
		pl->upstream_successor = up.successor ? xstrdup(up.successor) : NULL;
	}
	upstream_survey_free(&us);
}

/* The freshness gate: one live HEAD when the registry answers, else the
 * last verification time.  Fills the plan's provenance. */
static int gate(struct ctx *c, struct bench_plan *pl, const struct bench_opts *bo)
{
	const struct backend *b = pl->b;
	struct imagelock il = { 0 };
	struct registry_answer ans = { 0 };
	struct freshness f = { 0 };
	int rc = -1;
	if (imagelock_load(c->home, &il, &c->err) < 0)
		goto out;
	/* we hold the run lock: finish what a killed refresh left first */
	if (lifecycle_recover(&c->podman, b, print_converge_event, NULL, &c->err) < 0)
		goto out;
	struct lock_entry *le = imagelock_get(&il, b->id);
	bool asked = false;
	if (!bo->offline && !(le && le->pinned)) {
		registry_check(&c->cfg, &b, 1, &ans);
		asked = true;
	}
	if (freshness_check(&c->podman, b, c->models.root, le, asked ? &ans : NULL,
			    c->cfg.max_age_s, &f, &c->err) < 0)
		goto out;
	if (asked && !ans.ok)
		note("registry not reachable (%s); judging from the last verification", ans.err.msg);
	if (f.verdict != VERDICT_FRESH) {
		if (!bo->allow_stale || f.verdict == VERDICT_MISSING) {
			err_setx(&c->err, EXIT_REFUSED,
				 "refused: %s is %s: %s (run 'tbx refresh %s'%s)", b->id,
				 verdict_name(f.verdict), f.reason, b->id,
				 f.verdict == VERDICT_MISSING ? "" : ", or bench with --allow-stale");
			goto out;
		}
		warn("%s is stale (%s): benching anyway, the record says so", b->id, f.reason);
		pl->stale = true;
		pl->stale_reason = xstrdup(f.reason);
	}
	upstream_gate(c, pl, &il, bo);
	/* a live match is a verification: remember it (we hold the run lock) */
	if (f.live && le && !le->pinned && str_eq(f.live_digest, le->digest)) {
		lock_entry_verified(le, now_unix());
		struct err ignore = { 0 };
		if (imagelock_save(&il, &ignore) < 0)
			warn("%s", ignore.msg);
	}
	pl->image_ref = xstrdup(b->image);
	pl->image_digest = le && le->digest ? xstrdup(le->digest) : NULL;
	pl->image_platform_digest = le && le->platform_digest ? xstrdup(le->platform_digest) : NULL;
	pl->image_id = xstrdup(f.image_id ? f.image_id : "");
	pl->container_id = xstrdup(f.container_id ? f.container_id : "");
	if (!str_eq(f.state, "running") && podman_container_start(&c->podman, b->container, &c->err) < 0)
		goto out;
	rc = 0;
out:
	freshness_free(&f);
	registry_answer_free(&ans);
	imagelock_free(&il);
	return rc;
}

static int native_checks(struct ctx *c, struct bench_plan *pl)
{
	const struct backend *b = pl->b;
	const char *bin = b->bench.v[0];
	if (access(bin, X_OK) != 0)
		return err_set(&c->err, "%s: host binary '%s' is missing or not executable", b->id, bin);
	if (trust_check_file(bin, &c->err) < 0)
		return err_wrap(&c->err, "refused: %s's host binary could be replaced by someone "
				"else (fix its owner or mode)", b->id);
	const char *icd = backend_forced_icd(b);
	if (icd && !path_exists(icd))
		return err_setx(&c->err, EXIT_REFUSED,
				"refused: %s forces the Vulkan ICD '%s', which does not exist", b->id,
				icd);
	/* the ICD file names the driver library the binary loads */
	if (icd && trust_check_file(icd, &c->err) < 0)
		return err_wrap(&c->err, "refused: %s's Vulkan ICD file could be replaced by someone "
				"else (fix its owner or mode)", b->id);
	char hex[65];
	if (sha256_file(bin, hex, &c->err) < 0)
		return -1;
	pl->binary_path = xstrdup(bin);
	pl->binary_sha256 = xasprintf("sha256:%s", hex);
	return 0;
}

/* The host state for the record: the host's files (not a remote
 * engine's), then what the container (or the host, for a native backend)
 * shows llama-bench.  Only an interruption fails. */
static int host_state(struct ctx *c, struct bench_plan *pl)
{
	const struct backend *b = pl->b;
	bool remote = !b->native && c->connection;
	pl->host_state = remote ? hoststate_unread() : hoststate_read_host(host_root());
	if (b->native) {
		hoststate_probe_native(host_root(), b->env.v, pl->host_state);
		return 0;
	}
	struct err e = { 0 };
	if (hoststate_probe_container(&c->podman, b->container, b->env.v, pl->host_state, &e) < 0) {
		if (e.exit_code >= EXIT_SIGINT) {
			c->err = e;
			return -1;
		}
		verbose("host state: no probe in '%s': %s", b->container, e.msg);
		static const char *const items[] = { "mesa", "rocm", "limits", "gpu_env", NULL };
		for (size_t i = 0; items[i]; i++)
			json_object_object_add(pl->host_state, items[i], NULL);
	}
	return 0;
}

static void host_info(struct ctx *c, struct bench_plan *pl)
{
	struct utsname u;
	/* a remote engine's host is not ours: ask it (GET /info is slow) */
	if (!pl->b->native && c->podman_ready && c->connection) {
		json_object *info = NULL;
		long status = 0;
		struct err ignore = { 0 };
		if (podman_call(&c->podman, "GET", "/info", NULL, &info, &status, &ignore) == 0 &&
		    status == 200) {
			json_object *h = json_obj(info, "host");
			if (json_str(h, "hostname"))
				pl->host = xstrdup(json_str(h, "hostname"));
			if (json_str(h, "kernel"))
				pl->kernel = xstrdup(json_str(h, "kernel"));
		}
		json_object_put(info);
	}
	if (!pl->host || !pl->kernel) {
		uname(&u);
		if (!pl->host)
			pl->host = xstrdup(u.nodename);
		if (!pl->kernel)
			pl->kernel = xstrdup(u.release);
	}
}

/* The container must be the one the gate judged, from start to end: a
 * container removed, replaced or stopped meanwhile makes the run void. */
int bench_container_unchanged(struct ctx *c, const struct bench_plan *pl)
{
	json_object *o = NULL;
	if (pl->b->native)
		return 0;
	int rc = podman_container_inspect(&c->podman, pl->b->container, &o, &c->err);
	if (rc == 0 && (!str_eq(json_str(o, "Id"), pl->container_id) ||
			!str_eq(json_str(json_obj(o, "State"), "Status"), "running")))
		rc = 1;
	json_object_put(o);
	if (rc == 1)
		return err_set(&c->err, "%s: container '%s' was removed, replaced or stopped during "
			       "the bench; nothing recorded", pl->b->id, pl->b->container);
	return rc;
}

int bench_prepare(struct ctx *c, struct bench_plan *pl, const struct bench_opts *bo,
		  struct run_lock *lock, const char *what)
{
	const struct backend *b = pl->b;
	if (!b->native && ctx_podman(c) < 0)
		return -1;
	if (cmd_lock(c, lock, what, !bo->no_wait) < 0)
		return -1;
	/* a bench or refresh killed while saving the lock file, a record or a
	 * cache left a temporary file */
	home_remove_stale_temp_files(c->home);
	if (b->native ? native_checks(c, pl) < 0 : gate(c, pl, bo) < 0)
		return -1;
	host_info(c, pl);
	return host_state(c, pl);
}

void bench_interrupted(struct ctx *c)
{
	if (g_interrupted && c->err.exit_code < EXIT_SIGINT)
		err_setx(&c->err, g_interrupted == 2 ? EXIT_SIGINT : EXIT_SIGTERM,
			 "interrupted: nothing recorded");
}

int bench_operands(const struct command *cmd, const struct cmd_args *a, char ***extra,
		   int *n_extra)
{
	int npos = 0;
	while (npos < a->argc && strcmp(a->argv[npos], "--") != 0)
		npos++;
	if (npos != 2)
		return cmd_usage(cmd, npos < 2 ? "%s needs a BACKEND and a MODEL"
					      : "unexpected argument '%s' (extra llama-bench "
						"arguments go after '--')",
				 npos < 2 ? cmd->name : a->argv[2]);
	*extra = a->argv + 2;
	*n_extra = a->argc - 2;
	if (*n_extra > 0) /* skip the "--" */
		(*extra)++, (*n_extra)--;
	return 0;
}

static void print_test(const char *name, const struct lb_test *t)
{
	printf("  %-6s %10.2f ± %.2f t/s  (%zu samples)\n", name, t->mean,
	       isfinite(t->stddev) ? t->stddev : 0.0, t->n_samples);
}

static void print_result(struct ctx *c, const struct bench_plan *pl, const struct lb_run *m,
			 const char *device, json_object *rec, const char *path)
{
	char sd[24];
	printf("%s on %s\n", pl->model_alias ? pl->model_alias : pl->model_path, pl->b->id);
	if (pl->b->native)
		printf("  binary %s (%.19s..)\n", pl->binary_path, pl->binary_sha256);
	else
		printf("  image  %s %s\n", pl->image_ref, short_digest(pl->image_digest, sd));
	printf("  build  %s (%ld)\n", m->build_commit ? m->build_commit : "?", m->build_number);
	printf("  device %s\n", device ? device : "(not checked)");
	print_test("pp512", lb_find(m, 512, 0, 0));
	print_test("tg128", lb_find(m, 0, 128, 0));
	if (pl->stale)
		printf("  STALE: %s\n", pl->stale_reason);
	/* against the previous result of the same backend and model */
	struct records rs = { 0 };
	struct record self;
	struct err ignore = { 0 };
	if (record_from_json(rec, path, &self, &ignore) < 0)
		record_init(&self);
	struct record_filter f = { .backend = pl->b->id,
				   .model = pl->model_alias ? pl->model_alias
							    : strrchr(pl->model_path, '/') + 1,
				   .config_key = self.config_key };
	if (self.config_key && store_load(c->home, &f, &rs, NULL, &ignore) == 0 && rs.n >= 2) {
		char *cmp = regress_compare_last(&rs);
		if (cmp)
			printf("%s", cmp);
		free(cmp);
	} else {
		printf("  (first result for this configuration: backend, model and arguments)\n");
	}
	record_free(&self);
	records_free(&rs);
	printf("  record %s\n", path);
}

static int run_bench(struct ctx *c, const struct cmd_args *a)
{
	struct bench_opts bo = { .allow_stale = cmd_has(a, "allow-stale"),
				 .no_wait = c->no_wait,
				 .dry_run = cmd_has(a, "dry-run"),
				 .offline = cmd_has(a, "offline") };
	char **argv = a->argv, **extra;
	int n_extra;
	int urc = bench_operands(&cmd_bench, a, &extra, &n_extra);
	if (urc)
		return urc;
	if (ctx_load(c) < 0)
		return -1;
	const struct backend *b = backend_resolve(&c->backends, argv[0], &c->err);
	if (!b)
		return -1;
	char *model_path = NULL;
	const char *alias = NULL;
	if (model_resolve(&c->models, argv[1], &model_path, &alias, &c->err) < 0)
		return -1;

	struct bench_plan pl;
	bench_plan_init(&pl, b, alias, model_path, extra, n_extra);
	struct run_lock lock = { .fd = -1 };
	struct bench_output wo = { 0 }, mo = { 0 };
	struct lb_run wr, mr;
	lb_run_init(&wr);
	lb_run_init(&mr);
	char *device = NULL, *path = NULL, *what = NULL;
	json_object *rec = NULL;
	int rc = -1;

	if (bo.dry_run) {
		char *cmd = argv_to_display(pl.argv.v);
		if (b->native)
			printf("native: %s\n", b->bench.v[0]);
		else
			printf("container: %s (%s)\n", b->container, b->image);
		for (size_t i = 0; i < b->env.n; i++)
			printf("env: %s\n", b->env.v[i]);
		printf("command: %s\n", cmd);
		printf("runs: 2 (the first is a discarded warmup)\n");
		free(cmd);
		rc = EXIT_OK;
		goto out;
	}
	what = xasprintf("tbx bench %s %s", b->id, argv[1]);
	if (bench_prepare(c, &pl, &bo, &lock, what) < 0)
		goto out;

	int64_t started = now_unix();
	bool echo = g_verbosity > 0;
	note("%s: warmup run (discarded)", b->id);
	if (bench_run_once(&c->podman, &pl, &wo, echo, &c->err) < 0) {
		if (c->err.exit_code < EXIT_SIGINT)
			err_wrap(&c->err, "%s: warmup run cut off, nothing recorded", b->id);
		goto out;
	}
	if (bench_container_unchanged(c, &pl) < 0)
		goto out;
	if (bench_parse(&wo, &wr, &c->err) < 0) {
		err_wrap(&c->err, "%s: warmup run %s, nothing recorded", b->id,
			 c->err.exit_code == EXIT_REFUSED ? "refused" : "failed");
		goto out;
	}
	note("%s: measured run", b->id);
	if (bench_run_once(&c->podman, &pl, &mo, echo, &c->err) < 0) {
		if (c->err.exit_code < EXIT_SIGINT)
			err_wrap(&c->err, "%s: measured run cut off, nothing recorded", b->id);
		goto out;
	}
	if (bench_container_unchanged(c, &pl) < 0)
		goto out;
	if (bench_parse(&mo, &mr, &c->err) < 0) {
		err_wrap(&c->err, "%s: measured run %s, nothing recorded", b->id,
			 c->err.exit_code == EXIT_REFUSED ? "refused" : "failed");
		goto out;
	}
	if (bench_same_settings(&wr, &mr, &c->err) < 0) {
		err_wrap(&c->err, "%s: nothing recorded", b->id);
		goto out;
	}
	if (bench_verify_device(b, &mr, &device, &c->err) < 0)
		goto out;
	int64_t finished = now_unix();
	if (g_interrupted)
		goto out;
	rec = bench_record(&pl, &wr, &mr, device, started, finished);
	if (store_write(c->home, rec, &path, &c->err) < 0)
		goto out;
	if (c->json) {
		cmd_print_json(rec);
	} else if (g_verbosity >= 0) {
		print_result(c, &pl, &mr, device, rec, path);
	}
	rc = EXIT_OK;
out:
	if (rc < 0)
		bench_interrupted(c);
	json_object_put(rec);
	run_lock_release(&lock);
	bench_output_free(&wo), bench_output_free(&mo);
	lb_run_free(&wr), lb_run_free(&mr);
	bench_plan_free(&pl);
	free(device), free(path), free(what), free(model_path);
	return rc;
}

static const struct cmd_option bench_options[] = {
	{ "allow-stale", 0, NULL, "bench a stale container anyway; the record says stale: true and why" },
	{ "no-wait", 0, NULL, "fail at once when another bench or a refresh holds the lock" },
	{ "dry-run", 0, NULL, "print the container and the exact command, run nothing" },
	{ "offline", 0, NULL, "skip the live registry check (judge from the last verification)" },
	{ "json", 0, NULL, "print the record as JSON" },
	{ "--", 0, "ARGS...", "extra llama-bench arguments, appended and recorded" },
	{ NULL, 0, NULL, NULL },
};

const struct command cmd_bench = {
	.name = "bench",
	.args = "[--allow-stale] [--no-wait] [--dry-run] [--offline] BACKEND MODEL [-- ARGS...]",
	.summary = "run the canonical llama-bench in a fresh backend and record the result",
	.description =
		"Resolves BACKEND (id or alias) and MODEL (alias in manifests/models.json, or a "
		"path under the models root). Refuses (exit 3) a stale or missing container. Runs "
		"llama-bench -m MODEL --n-gpu-layers 99 -p 512 -n 128 -o jsonl twice: the first run "
		"is a discarded warmup, the second is measured. Checks the device lines against "
		"the definition's expect (exit 3 on a mismatch: wrong ICD, wrong driver, CPU "
		"fallback). Records backend, command, image digest, llama.cpp build, pp512 and "
		"tg128 in results/, with the host state (kernel and its performance-relevant "
		"parameters, TTM/GTT limits, power and TuneD profiles, GPU firmware, CPU, memory; "
		"and where llama-bench runs: Mesa and ROCm versions, memlock and nofile limits, "
		"GPU-related environment variables), read below TBX_HOST_ROOT (default /). One "
		"bench or refresh runs at a time.",
	.options = bench_options,
	.run = run_bench,
};
