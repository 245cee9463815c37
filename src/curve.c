/* curve.c - depth curves: commands, load flag, calibrations, record. */
#define _GNU_SOURCE
#include "curve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "llama_bench.h"

const long curve_calibration_ubatches[4] = { 256, 512, 1024, 2048 };

#define FLAGS_CACHE "cache/llama-bench-flags.json"
#define CALIBRATIONS "calibrations.json"
#define STORE_MAX_BYTES ((size_t)4 << 20)

int curve_parse_depths(const char *text, long **depths, size_t *n, struct err *e)
{
	*depths = NULL;
	*n = 0;
	if (!text || !*text)
		return err_set(e, "no depth given (expected a list such as %s)", CURVE_DEFAULT_DEPTHS);
	char *copy = xstrdup(text), *save = NULL;
	int rc = 0;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		long d;
		if (parse_long(item, 0, CURVE_MAX_DEPTH, &d) < 0) {
			rc = err_set(e, "bad depth '%s' (expected whole numbers of tokens from 0 to %d, "
					"comma-separated)", item, CURVE_MAX_DEPTH);
			break;
		}
		for (size_t i = 0; i < *n && rc == 0; i++)
			if ((*depths)[i] == d)
				rc = err_set(e, "depth %ld is given twice", d);
		if (rc == 0 && *n == RECORD_MAX_POINTS)
			rc = err_set(e, "more than %d depths", RECORD_MAX_POINTS);
		if (rc < 0)
			break;
		*depths = xrealloc(*depths, (*n + 1) * sizeof(long));
		(*depths)[(*n)++] = d;
	}
	/* ",,": strtok skips empty items; a trailing or doubled comma is an error */
	if (rc == 0 && (!*n || text[0] == ',' || text[strlen(text) - 1] == ',' || strstr(text, ",,")))
		rc = err_set(e, "bad depth list '%s' (expected e.g. %s)", text, CURVE_DEFAULT_DEPTHS);
	free(copy);
	if (rc < 0) {
		free(*depths);
		*depths = NULL;
		*n = 0;
	}
	return rc;
}

char *curve_depths_text(const long *depths, size_t n)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "%s%ld", i ? "," : "", depths[i]);
	return buf_detach(&b);
}

void curve_series_argv(const struct curve_series_args *a, struct strv *out)
{
	char *depths = curve_depths_text(a->depths, a->n_depths);
	strv_push(out, "-m");
	strv_push(out, a->model_path);
	strv_push(out, "-ngl");
	strv_push(out, "99");
	/* "--load-mode none" / "-mmp 0": two words */
	const char *sp = strchr(a->load_flag, ' ');
	char *flag = xstrndup(a->load_flag, sp ? (size_t)(sp - a->load_flag) : strlen(a->load_flag));
	strv_push(out, flag);
	if (sp)
		strv_push(out, sp + 1);
	free(flag);
	strv_push(out, "-fa");
	strv_push(out, "1");
	strv_push(out, "-p");
	strv_pushf(out, "%d", a->n_prompt);
	strv_push(out, "-n");
	strv_pushf(out, "%d", a->n_gen);
	strv_push(out, "-d");
	strv_push(out, depths);
	strv_push(out, "-b");
	strv_pushf(out, "%d", CURVE_BATCH);
	strv_push(out, "-ub");
	strv_pushf(out, "%ld", a->ubatch);
	strv_push(out, "-r");
	strv_pushf(out, "%ld", a->repetitions);
	strv_push(out, "-o");
	strv_push(out, "jsonl");
	free(depths);
}

const char *curve_load_flag_from_help(const char *help, size_t len)
{
	return help && memmem(help, len, "--load-mode", 11) ? "--load-mode none" : "-mmp 0";
}

static json_object *load_store(const char *home, const char *name)
{
	char *path = path_join(home, name);
	struct err e = { 0 };
	json_object *o = path_exists(path) ? json_parse_file(path, STORE_MAX_BYTES, &e) : NULL;
	if (!o && e.msg[0])
		verbose("ignoring %s: %s", path, e.msg);
	if (o && !json_object_is_type(o, json_type_object)) {
		verbose("ignoring %s: not a JSON object", path);
		json_object_put(o);
		o = NULL;
	}
	free(path);
	return o;
}

static int save_store(const char *home, const char *name, json_object *o, struct err *e)
{
	char *path = path_join(home, name);
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	int rc = mkdir_p(dir, 0755, e) < 0 ? -1 : json_write_file(path, o, e);
	free(dir), free(path);
	return rc;
}

const char *curve_load_flag_cached(const char *home, const char *key)
{
	static char answer[32];
	json_object *o = load_store(home, FLAGS_CACHE);
	const char *flag = json_str(json_obj(o, "load_flag"), key);
	const char *known = NULL;
	if (str_eq(flag, "--load-mode none") || str_eq(flag, "-mmp 0"))
		known = snprintf(answer, sizeof(answer), "%s", flag) > 0 ? answer : NULL;
	json_object_put(o);
	return known;
}

int curve_load_flag_store(const char *home, const char *key, const char *flag, struct err *e)
{
	json_object *o = load_store(home, FLAGS_CACHE);
	if (!o)
		o = json_object_new_object();
	json_add_str(o, "description", "tbx: the load flag each llama-bench build takes, by "
				       "image ID or binary hash (a cache; safe to delete)");
	json_object *m = json_obj(o, "load_flag");
	if (!m) {
		m = json_object_new_object();
		json_object_object_add(o, "load_flag", m);
	}
	json_add_str(m, key, flag);
	int rc = save_store(home, FLAGS_CACHE, o, e);
	json_object_put(o);
	return rc;
}

long curve_calibration_find(const char *home, const char *backend, const char *model_file,
			    char *calibrated_at)
{
	json_object *o = load_store(home, CALIBRATIONS);
	json_object *c = json_obj(json_obj(json_obj(o, "calibrations"), backend), model_file);
	int64_t ub = json_int(c, "ubatch", 0);
	long found = 0;
	for (size_t i = 0; i < 4; i++)
		if (ub == curve_calibration_ubatches[i])
			found = (long)ub;
	if (found && calibrated_at)
		snprintf(calibrated_at, 32, "%s",
			 json_str(c, "calibrated_at") ? json_str(c, "calibrated_at") : "?");
	json_object_put(o);
	return found;
}

int curve_calibration_store(const char *home, const char *backend, const char *model_file,
			    json_object *calibration, struct err *e)
{
	json_object *o = load_store(home, CALIBRATIONS);
	if (!o)
		o = json_object_new_object();
	json_add_str(o, "description",
		     "tbx curve --calibrate: the fastest prefill micro-batch (-ub) at the first "
		     "depth, per backend and model file (like upstream's ubatch-calibrations.json)");
	json_object *all = json_obj(o, "calibrations");
	if (!all) {
		all = json_object_new_object();
		json_object_object_add(o, "calibrations", all);
	}
	json_object *per = json_obj(all, backend);
	if (!per) {
		per = json_object_new_object();
		json_object_object_add(all, backend, per);
	}
	json_object_object_add(per, model_file, json_object_get(calibration));
	int rc = save_store(home, CALIBRATIONS, o, e);
	json_object_put(o);
	return rc;
}

static json_object *test_obj(const struct rec_test *t)
{
	json_object *j = json_object_new_object();
	json_add_num(j, "mean", t->mean);
	json_object_object_add(j, "stddev",
			       isfinite(t->stddev) ? json_object_new_double(t->stddev) : NULL);
	json_object *s = json_object_new_array();
	for (size_t i = 0; i < t->n_samples; i++)
		if (isfinite(t->samples[i]))
			json_object_array_add(s, json_object_new_double(t->samples[i]));
	json_object_object_add(j, "samples", s);
	return j;
}

long curve_calibration_choose(const struct curve_candidate *c, size_t n, int64_t when,
			      json_object **calibration)
{
	long best = 0;
	double best_mean = 0;
	json_object *cands = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *j = c[i].t.present ? test_obj(&c[i].t) : json_object_new_object();
		json_add_int(j, "ubatch", c[i].ubatch);
		if (c[i].error)
			json_add_str(j, "error", c[i].error);
		json_object_array_add(cands, j);
		if (c[i].t.present && isfinite(c[i].t.mean) && c[i].t.mean > best_mean) {
			best_mean = c[i].t.mean;
			best = c[i].ubatch;
		}
	}
	char ts[32];
	format_time(when, ts);
	*calibration = json_object_new_object();
	json_object_object_add(*calibration, "ubatch", best ? json_object_new_int64(best) : NULL);
	json_add_str(*calibration, "calibrated_at", ts);
	json_object_object_add(*calibration, "candidates", cands);
	return best;
}

static void series_copy(struct rec_series *to, const struct rec_series *from)
{
	to->present = from->present;
	to->n_prompt = from->n_prompt;
	to->n_gen = from->n_gen;
	to->partial = from->partial;
	to->error = from->error ? xstrdup(from->error) : NULL;
	for (size_t i = 0; i < from->command.n; i++)
		strv_push(&to->command, from->command.v[i]);
	for (size_t i = 0; i < from->n_points; i++)
		rec_series_add(to, from->points[i].depth, &from->points[i].t);
}

json_object *curve_record(const struct bench_plan *pl, const struct curve_result *cr,
			  const char *device, int64_t started, int64_t finished)
{
	struct record r;
	record_init(&r);
	bench_record_fill(&r, pl, device, started, finished);
	if (cr->run)
		record_set_results(&r, cr->run, NULL);
	rec_test_free(&r.pp512), rec_test_free(&r.tg128);
	r.run_kind = xstrdup(RECORD_RUN_CURVE);
	strv_free(&r.command);
	const struct strv *cmd = cr->prefill.command.n ? &cr->prefill.command
						       : &cr->generation.command;
	for (size_t i = 0; i < cmd->n; i++)
		strv_push(&r.command, cmd->v[i]);
	struct rec_curve *c = &r.curve;
	c->present = true;
	c->n_depths = cr->n_depths;
	c->depths = xcalloc(cr->n_depths ? cr->n_depths : 1, sizeof(long));
	memcpy(c->depths, cr->depths, cr->n_depths * sizeof(long));
	c->ubatch = cr->ubatch;
	c->ubatch_from = cr->ubatch_from ? xstrdup(cr->ubatch_from) : NULL;
	c->repetitions = cr->repetitions;
	c->cooldown_s = cr->cooldown_s;
	c->load_flag = cr->load_flag ? xstrdup(cr->load_flag) : NULL;
	series_copy(&c->prefill, &cr->prefill);
	series_copy(&c->generation, &cr->generation);
	c->partial = c->prefill.partial || c->generation.partial;
	if (cr->warmup.present)
		rec_test_set(&c->warmup, cr->warmup.mean, cr->warmup.stddev, cr->warmup.samples,
			     cr->warmup.n_samples);
	c->calibration = record_obj_text(cr->calibration);
	json_object *j = record_to_json(&r);
	record_free(&r);
	return j;
}
