/* curve.c - tbx curve BACKEND MODEL: upstream's depth curves (prefill and
 * generation over context depths) behind bench's gate, lock, device
 * check, warmup and interruption handling (bench.c, benchrun.c). */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "curve.h"
#include "json.h"
#include "imagelock.h"
#include "lock.h"
#include "regress.h"
#include "store.h"

struct curve_opts {
	long *depths;
	size_t n_depths;
	long ubatch, repetitions, cooldown_s;
	bool calibrate;
	bool dry_run_only; /* say nothing about the micro-batch's origin */
};

/* One llama-bench run under the plan: run, check the container, parse
 * (rows before a failure kept).  -1 with c->err on an interruption, a
 * transport error or a replaced container; else 0 with *failure set when
 * the run failed (no row, or stopped after some). */
static int run_series(struct ctx *c, struct bench_plan *pl, const struct curve_series_args *sa,
		      struct lb_run *r, char **failure)
{
	struct strv args = STRV_INIT;
	struct bench_output o = { 0 };
	curve_series_argv(sa, &args);
	bench_plan_set_args(pl, args.v);
	strv_free(&args);
	int rc = bench_run_once(&c->podman, pl, &o, g_verbosity > 0, &c->err);
	if (rc == 0)
		rc = bench_container_unchanged(c, pl);
	*failure = NULL;
	lb_run_init(r);
	if (rc == 0) {
		struct err pe = { 0 };
		if (bench_parse_partial(&o, r, failure, &pe) < 0)
			*failure = xstrdup(pe.msg);
	}
	bench_output_free(&o);
	return rc;
}

static void sleep_interruptible(long seconds)
{
	for (long i = 0; i < seconds * 10 && !g_interrupted; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
}

/* The load flag this build takes: cached by image ID (binary hash for a
 * native backend), else asked of llama-bench --help once. */
static int probe_load_flag(struct ctx *c, struct bench_plan *pl, const char **flag)
{
	const char *key = pl->b->native ? pl->binary_sha256 : pl->image_id;
	*flag = key && *key ? curve_load_flag_cached(c->home, key) : NULL;
	if (*flag)
		return 0;
	char *const help[] = { "--help", NULL };
	struct bench_output o = { 0 };
	bench_plan_set_args(pl, help);
	if (bench_run_once(&c->podman, pl, &o, false, &c->err) < 0) {
		bench_output_free(&o);
		return -1;
	}
	*flag = curve_load_flag_from_help(o.out.p, o.out.len);
	if (!strstr(*flag, "load-mode")) /* some builds print usage on stderr */
		*flag = curve_load_flag_from_help(o.err.p, o.err.len);
	bench_output_free(&o);
	verbose("%s: llama-bench takes %s", pl->b->id, *flag);
	struct err e = { 0 };
	if (key && *key && curve_load_flag_store(c->home, key, *flag, &e) < 0)
		warn("cannot cache the load flag: %s", e.msg);
	return 0;
}

/* The device check on the first run with results (the warmup's): a run
 * that failed before its first row has no backend to check. */
static int check_device(struct ctx *c, const struct bench_plan *pl, const struct lb_run *r,
			char **device)
{
	if (*device || !r->n_tests)
		return 0;
	return bench_verify_device(pl->b, r, device, &c->err);
}

/* --calibrate: each candidate micro-batch at depth 0 (as upstream); the fastest
 * prefill wins and is stored. */
static int calibrate(struct ctx *c, struct bench_plan *pl, const struct curve_opts *co,
		     const char *load_flag, char **device, json_object **calibration, long *ub)
{
	static const long depth0[1] = { 0 };
	struct curve_candidate cand[4];
	memset(cand, 0, sizeof(cand));
	int rc = 0;
	for (size_t i = 0; i < 4 && rc == 0; i++) {
		cand[i].ubatch = curve_calibration_ubatches[i];
		note("%s: calibration: -ub %ld at depth 0", pl->b->id, cand[i].ubatch);
		struct curve_series_args sa = { pl->model_path, CURVE_PREFILL_TOKENS, 0, depth0, 1,
						cand[i].ubatch, co->repetitions, load_flag };
		struct lb_run r;
		char *failure = NULL;
		rc = run_series(c, pl, &sa, &r, &failure);
		if (rc == 0)
			rc = check_device(c, pl, &r, device);
		const struct lb_test *t = lb_find(&r, CURVE_PREFILL_TOKENS, 0, 0);
		if (rc == 0 && t)
			rec_test_set(&cand[i].t, t->mean, t->stddev, t->samples, t->n_samples);
		cand[i].error = failure;
		lb_run_free(&r);
	}
	if (rc == 0) {
		*ub = curve_calibration_choose(cand, 4, now_unix(), calibration);
		if (!*ub)
			rc = err_set(&c->err, "%s: calibration: no micro-batch ran (%s); nothing "
				     "recorded", pl->b->id, cand[3].error ? cand[3].error : "?");
	}
	for (size_t i = 0; i < 4; i++)
		rec_test_free(&cand[i].t), free(cand[i].error);
	return rc;
}

/* One measured series into s: its points, or partial with the reason. */
static int measure(struct ctx *c, struct bench_plan *pl, const struct curve_series_args *sa,
		   struct rec_series *s, struct lb_run *r, char **device)
{
	char *failure = NULL;
	if (run_series(c, pl, sa, r, &failure) < 0)
		return -1;
	if (check_device(c, pl, r, device) < 0) {
		free(failure);
		return -1;
	}
	s->present = true;
	s->n_prompt = sa->n_prompt;
	s->n_gen = sa->n_gen;
	for (size_t i = 0; i < pl->argv.n; i++)
		strv_push(&s->command, pl->argv.v[i]);
	rec_series_from_lb(s, r);
	if (!failure && s->n_points < sa->n_depths)
		failure = xasprintf("llama-bench printed %zu of %zu depths", s->n_points,
				    sa->n_depths);
	if (failure) {
		s->partial = true;
		s->error = failure;
		warn("%s: %s series stopped after %zu of %zu depths: %s", pl->b->id,
		     sa->n_gen ? "generation" : "prefill", s->n_points, sa->n_depths, failure);
	}
	return 0;
}

static void print_series(const char *name, const struct rec_series *s)
{
	printf("  %s (-p %d -n %d)%s\n", name, s->n_prompt, s->n_gen, s->partial ? "  PARTIAL" : "");
	for (size_t i = 0; i < s->n_points; i++) {
		const struct rec_test *t = &s->points[i].t;
		printf("    d%-7ld %10.2f ± %.2f t/s  (%zu samples)\n", s->points[i].depth, t->mean,
		       isfinite(t->stddev) ? t->stddev : 0.0, t->n_samples);
	}
	if (s->error) {
		char *shown = sanitize_line(s->error, strlen(s->error), 300);
		printf("    stopped: %s\n", shown);
		free(shown);
	}
}

static void print_result(const struct bench_plan *pl, const struct curve_result *cr,
			 const struct lb_run *run, const char *device, const char *path)
{
	char sd[24];
	printf("%s on %s: depth curve\n", pl->model_alias ? pl->model_alias : pl->model_path,
	       pl->b->id);
	if (pl->b->native)
		printf("  binary %s (%.19s..)\n", pl->binary_path, pl->binary_sha256);
	else
		printf("  image  %s %s\n", pl->image_ref, short_digest(pl->image_digest, sd));
	printf("  build  %s (%ld)\n", run && run->build_commit ? run->build_commit : "?",
	       run ? run->build_number : 0);
	printf("  device %s\n", device ? device : "(not checked)");
	printf("  -ub %ld (%s), -r %ld, %s, cooldown %lds\n", cr->ubatch, cr->ubatch_from,
	       cr->repetitions, cr->load_flag, cr->cooldown_s);
	print_series("prefill", &cr->prefill);
	print_series("generation", &cr->generation);
	if (pl->stale)
		printf("  STALE: %s\n", pl->stale_reason);
	printf("  record %s\n", path);
}

static int parse_opts(const struct cmd_args *a, struct curve_opts *co)
{
	struct err e = { 0 };
	const char *d = cmd_value(a, "depths");
	if (curve_parse_depths(d ? d : CURVE_DEFAULT_DEPTHS, &co->depths, &co->n_depths, &e) < 0)
		return cmd_usage(&cmd_curve, "--depths: %s", e.msg);
	const char *v;
	co->ubatch = 0;
	if ((v = cmd_value(a, "ubatch")) && parse_long(v, 1, CURVE_BATCH, &co->ubatch) < 0)
		return cmd_usage(&cmd_curve, "--ubatch: bad micro-batch '%s' (1 to %d)", v,
				 CURVE_BATCH);
	co->repetitions = CURVE_DEFAULT_REPETITIONS;
	if ((v = cmd_value(a, "repetitions")) && parse_long(v, 1, 1000, &co->repetitions) < 0)
		return cmd_usage(&cmd_curve, "--repetitions: bad count '%s' (1 to 1000)", v);
	co->cooldown_s = CURVE_DEFAULT_COOLDOWN;
	if ((v = cmd_value(a, "cooldown")) && parse_long(v, 0, 86400, &co->cooldown_s) < 0)
		return cmd_usage(&cmd_curve, "--cooldown: bad seconds '%s' (0 to 86400)", v);
	co->calibrate = cmd_has(a, "calibrate");
	if (co->calibrate && co->ubatch)
		return cmd_usage(&cmd_curve, "--calibrate and --ubatch exclude each other");
	return 0;
}

static const char *model_file(const struct bench_plan *pl)
{
	return strrchr(pl->model_path, '/') + 1;
}

static void print_dry_run(struct bench_plan *pl, const struct curve_opts *co,
			  const struct curve_result *cr)
{
	const struct backend *b = pl->b;
	struct curve_series_args sa = { pl->model_path, CURVE_PREFILL_TOKENS, 0, co->depths,
					co->n_depths, cr->ubatch, co->repetitions,
					"--load-mode none" };
	printf("%s: %s\n", b->native ? "native" : "container",
	       b->native ? b->bench.v[0] : b->container);
	for (int s = 0; s < 2; s++) {
		struct strv args = STRV_INIT;
		sa.n_prompt = s ? 0 : CURVE_PREFILL_TOKENS;
		sa.n_gen = s ? CURVE_GEN_TOKENS : 0;
		curve_series_argv(&sa, &args);
		bench_plan_set_args(pl, args.v);
		char *cmd = argv_to_display(pl->argv.v);
		printf("%s: %s\n", s ? "generation" : "prefill", cmd);
		free(cmd);
		strv_free(&args);
	}
	printf("ubatch: %ld (%s)\n", cr->ubatch,
	       co->calibrate ? "--calibrate tries 256, 512, 1024, 2048 first" : cr->ubatch_from);
	printf("load flag: --load-mode none, or -mmp 0 when llama-bench --help lacks it\n");
	printf("runs: a discarded warmup (prefill at depth %ld, -r 1), then the two series, "
	       "%lds apart\n", co->depths[0], co->cooldown_s);
}

/* The discarded warmup: the prefill at the first depth, once. */
static int warmup(struct ctx *c, struct bench_plan *pl, const struct curve_opts *co,
		  struct curve_result *cr, char **device)
{
	note("%s: warmup run (discarded)", pl->b->id);
	struct curve_series_args wa = { pl->model_path, CURVE_PREFILL_TOKENS, 0, co->depths, 1,
					cr->ubatch, 1, cr->load_flag };
	char *failure = NULL;
	struct lb_run r;
	int rc = run_series(c, pl, &wa, &r, &failure);
	if (rc == 0 && failure)
		rc = err_set(&c->err, "%s: warmup run failed, nothing recorded: %s", pl->b->id,
			     failure);
	if (rc == 0)
		rc = check_device(c, pl, &r, device);
	const struct lb_test *t = lb_find(&r, CURVE_PREFILL_TOKENS, 0, (int)co->depths[0]);
	if (rc == 0 && t)
		rec_test_set(&cr->warmup, t->mean, t->stddev, t->samples, t->n_samples);
	free(failure);
	lb_run_free(&r);
	return rc;
}

/* Warmup, calibration when asked, then the two series (cooldown between
 * measured runs).  runs[] get the series' llama-bench output. */
static int measure_curve(struct ctx *c, struct bench_plan *pl, const struct curve_opts *co,
			 struct curve_result *cr, struct lb_run runs[2], char **device,
			 json_object **calibration)
{
	const struct backend *b = pl->b;
	if (warmup(c, pl, co, cr, device) < 0)
		return -1;
	bool paused = false;
	if (co->calibrate) {
		if (calibrate(c, pl, co, cr->load_flag, device, calibration, &cr->ubatch) < 0)
			return -1;
		cr->calibration = *calibration;
		struct err e = { 0 };
		if (curve_calibration_store(c->home, b->id, model_file(pl), *calibration, &e) < 0)
			warn("cannot store the calibration: %s", e.msg);
		note("%s: calibration chose -ub %ld", b->id, cr->ubatch);
		paused = true;
	}
	struct rec_series *series[2] = { &cr->prefill, &cr->generation };
	for (int s = 0; s < 2; s++) {
		if (paused && co->cooldown_s > 0) {
			note("%s: cooling down %lds", b->id, co->cooldown_s);
			sleep_interruptible(co->cooldown_s);
			if (g_interrupted)
				return -1;
		}
		paused = true;
		note("%s: %s series over %zu depths", b->id, s ? "generation" : "prefill",
		     co->n_depths);
		struct curve_series_args sa = { pl->model_path, s ? 0 : CURVE_PREFILL_TOKENS,
						s ? CURVE_GEN_TOKENS : 0, co->depths, co->n_depths,
						cr->ubatch, co->repetitions, cr->load_flag };
		if (measure(c, pl, &sa, series[s], &runs[s], device) < 0)
			return -1;
	}
	if (runs[0].n_tests && runs[1].n_tests &&
	    bench_same_settings(&runs[0], &runs[1], &c->err) < 0)
		return err_wrap(&c->err, "%s: the series ran differently, nothing recorded", b->id);
	if (!cr->prefill.n_points && !cr->generation.n_points)
		return err_set(&c->err, "%s: no point measured, nothing recorded: %s", b->id,
			       cr->prefill.error ? cr->prefill.error : "?");
	return g_interrupted ? -1 : 0;
}

/* Which micro-batch: --ubatch, else the stored calibration, else 512
 * (--calibrate chooses later). */
static long choose_ubatch(struct ctx *c, const struct bench_plan *pl, const struct curve_opts *co,
			  struct curve_result *cr)
{
	char calibrated_at[32] = "";
	long stored = co->ubatch || co->calibrate
			      ? 0
			      : curve_calibration_find(c->home, pl->b->id, model_file(pl),
						       calibrated_at);
	cr->ubatch = co->ubatch ? co->ubatch : stored ? stored : CURVE_DEFAULT_UBATCH;
	cr->ubatch_from = co->ubatch ? "option"
			  : co->calibrate || stored ? "calibration"
						    : "default";
	if (co->dry_run_only)
		return stored;
	if (stored)
		note("%s: -ub %ld, calibrated %s (tbx curve --calibrate chooses again)", pl->b->id,
		     stored, calibrated_at);
	else if (!co->ubatch && !co->calibrate)
		note("%s: no calibration stored for %s: -ub %d (tbx curve --calibrate chooses one)",
		     pl->b->id, model_file(pl), CURVE_DEFAULT_UBATCH);
	return stored;
}

static int run_curve(struct ctx *c, const struct cmd_args *a)
{
	struct bench_opts bo = { .allow_stale = cmd_has(a, "allow-stale"),
				 .no_wait = c->no_wait,
				 .dry_run = cmd_has(a, "dry-run"),
				 .offline = cmd_has(a, "offline") };
	struct curve_opts co = { 0 };
	char **extra;
	int n_extra, urc;
	if ((urc = bench_operands(&cmd_curve, a, &extra, &n_extra)) != 0 ||
	    (urc = parse_opts(a, &co)) != 0) {
		free(co.depths);
		return urc;
	}
	co.dry_run_only = bo.dry_run;
	char *model_path = NULL, *device = NULL, *path = NULL, *what = NULL;
	const char *alias = NULL;
	struct bench_plan pl;
	memset(&pl, 0, sizeof(pl));
	struct run_lock lock = { .fd = -1 };
	struct curve_result cr = { .depths = co.depths,
				   .n_depths = co.n_depths,
				   .repetitions = co.repetitions,
				   .cooldown_s = co.cooldown_s };
	struct lb_run runs[2];
	lb_run_init(&runs[0]), lb_run_init(&runs[1]);
	json_object *rec = NULL, *calibration = NULL;
	int rc = -1;
	const struct backend *b = NULL;
	if (ctx_load(c) < 0 || !(b = backend_resolve(&c->backends, a->argv[0], &c->err)) ||
	    model_resolve(&c->models, a->argv[1], &model_path, &alias, &c->err) < 0)
		goto out;
	bench_plan_init(&pl, b, alias, model_path, extra, n_extra);
	if (bo.dry_run) {
		choose_ubatch(c, &pl, &co, &cr);
		print_dry_run(&pl, &co, &cr);
		rc = EXIT_OK;
		goto out;
	}
	what = xasprintf("tbx curve %s %s", b->id, a->argv[1]);
	if (bench_prepare(c, &pl, &bo, &lock, what) < 0)
		goto out;
	int64_t started = now_unix();
	if (probe_load_flag(c, &pl, &cr.load_flag) < 0)
		goto out;
	choose_ubatch(c, &pl, &co, &cr);
	if (measure_curve(c, &pl, &co, &cr, runs, &device, &calibration) < 0)
		goto out;
	cr.run = runs[0].n_tests ? &runs[0] : &runs[1];
	rec = curve_record(&pl, &cr, device, started, now_unix());
	if (store_write(c->home, rec, &path, &c->err) < 0)
		goto out;
	if (c->json)
		cmd_print_json(rec);
	else if (g_verbosity >= 0)
		print_result(&pl, &cr, cr.run, device, path);
	rc = EXIT_OK;
	if (cr.prefill.partial || cr.generation.partial)
		rc = err_set(&c->err, "%s: the curve is partial (recorded, marked partial)", b->id);
out:
	if (rc < 0 && !rec)
		bench_interrupted(c);
	json_object_put(rec), json_object_put(calibration);
	run_lock_release(&lock);
	rec_series_free(&cr.prefill), rec_series_free(&cr.generation);
	rec_test_free(&cr.warmup);
	lb_run_free(&runs[0]), lb_run_free(&runs[1]);
	if (pl.b)
		bench_plan_free(&pl);
	free(device), free(path), free(what), free(model_path), free(co.depths);
	return rc;
}

static const struct cmd_option curve_options[] = {
	{ "depths", 0, "LIST", "context depths, comma-separated (default " CURVE_DEFAULT_DEPTHS ")" },
	{ "ubatch", 0, "N", "micro-batch -ub (default: the stored calibration, else 512)" },
	{ "calibrate", 0, NULL, "try -ub 256, 512, 1024, 2048 at depth 0, keep the fastest "
				"prefill (stored in calibrations.json and reused)" },
	{ "repetitions", 0, "N", "repetitions per point, -r (default 3)" },
	{ "cooldown", 0, "SECONDS", "pause between the series (default 10, as upstream)" },
	{ "allow-stale", 0, NULL, "run on a stale container anyway; the record says stale: true and why" },
	{ "no-wait", 0, NULL, "fail at once when another bench or a refresh holds the lock" },
	{ "dry-run", 0, NULL, "print the container and the exact commands, run nothing" },
	{ "offline", 0, NULL, "skip the live registry check (judge from the last verification)" },
	{ "json", 0, NULL, "print the record as JSON" },
	{ "--", 0, "ARGS...", "extra llama-bench arguments, appended to every run and recorded" },
	{ NULL, 0, NULL, NULL },
};

const struct command cmd_curve = {
	.name = "curve",
	.args = "[--calibrate | --ubatch N] [--depths LIST] [--repetitions N] [--cooldown SECONDS] "
		"[--allow-stale] [--no-wait] [--dry-run] [--offline] BACKEND MODEL [-- ARGS...]",
	.summary = "run upstream's depth curves (prefill and generation against context depth) "
		   "and record them",
	.description =
		"Upstream's current benchmark method (docs/CURVES.md): a prefill series -p 2048 -n "
		"0 and a generation series -p 0 -n 128, each over every depth in one llama-bench "
		"run (-d LIST), with -ngl 99 -fa 1 -b 2048 -ub N -r 3 -o jsonl and --load-mode "
		"none (-mmp 0 for builds without --load-mode: llama-bench --help is asked once per "
		"image and the answer cached). The same freshness gate (exit 3 on a stale or "
		"missing container), run lock, device check and interruption handling as tbx "
		"bench; a discarded warmup (prefill at the first depth, -r 1) runs first. One "
		"record per curve (run_kind \"curve\") with every point's samples, the effective "
		"settings, the host state, digest, build and device. A series that stops "
		"part-way keeps the points it finished: the record is marked partial and tbx "
		"curve exits 1. Interrupted (Ctrl-C, SIGTERM): llama-bench is stopped and nothing "
		"is recorded.",
	.options = curve_options,
	.run = run_curve,
};
