/* record.c - the result record's one writer and one reader. */
#define _GNU_SOURCE
#include "record.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "llama_bench.h"

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void rec_test_free(struct rec_test *t)
{
	free(t->samples);
	memset(t, 0, sizeof(*t));
}

void record_init(struct record *r)
{
	memset(r, 0, sizeof(*r));
	r->schema = RECORD_SCHEMA;
	r->model_bytes = -1;
}

void record_free(struct record *r)
{
	char **strs[] = { &r->file,	    &r->run_id,	    &r->error,	      &r->backend,
			  &r->lineage,	    &r->model,	    &r->model_path,   &r->host,
			  &r->kernel,	    &r->tbx_version, &r->kind,	      &r->image_ref,
			  &r->image_digest, &r->image_id,   &r->container,    &r->container_id,
			  &r->binary_path,  &r->binary_sha256, &r->build_commit, &r->device,
			  &r->backends,	    &r->gpu_info,   &r->model_type,   &r->stale_reason,
			  &r->source,	    &r->source_env, &r->source_sha256, &r->config_key,
			  &r->settings,	    &r->host_state, &r->upstream };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	strv_free(&r->command), strv_free(&r->extra_args), strv_free(&r->devices);
	rec_test_free(&r->pp512), rec_test_free(&r->tg128);
	rec_test_free(&r->warmup_pp512), rec_test_free(&r->warmup_tg128);
	memset(r, 0, sizeof(*r));
}

void rec_test_set(struct rec_test *t, double mean, double stddev, const double *samples,
		  size_t n)
{
	rec_test_free(t);
	t->present = true;
	t->mean = mean;
	t->stddev = stddev;
	if (n) {
		t->samples = xcalloc(n, sizeof(double));
		memcpy(t->samples, samples, n * sizeof(double));
		t->n_samples = n;
	}
}

/* ---- objects kept as they came ---- */

char *record_obj_text(json_object *o)
{
	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	return xstrdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

json_object *record_obj_parse(const char *text)
{
	return text ? json_tokener_parse(text) : NULL;
}

/* ---- writer ---- */

/* A number written as its shortest exact form: a log's "16.61" stays
 * 16.61 in the record, not 16.609999999999999.  NaN/inf become null. */
static json_object *shortest_json(double v)
{
	char text[40];
	if (!isfinite(v))
		return NULL;
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(text, sizeof(text), "%.*g", prec, v);
		if (strtod(text, NULL) == v)
			break;
	}
	if (!strpbrk(text, ".eEn")) /* keep it a JSON double: "1692" -> "1692.0" */
		strcat(text, ".0");
	return json_object_new_double_s(v, text);
}

static json_object *num_json(const struct record *r, double v)
{
	if (!isfinite(v)) /* JSON has no NaN: null, so jq and every reader accept the file */
		return NULL;
	return r->imported ? shortest_json(v) : json_object_new_double(v);
}

static json_object *test_json(const struct record *r, const struct rec_test *t)
{
	if (!t->present)
		return NULL;
	json_object *j = json_object_new_object();
	json_object_object_add(j, "mean", num_json(r, t->mean));
	json_object_object_add(j, "stddev", num_json(r, t->stddev));
	json_object *s = json_object_new_array();
	for (size_t i = 0; i < t->n_samples; i++) /* llama_bench.c keeps finite ones only */
		if (isfinite(t->samples[i]))
			json_object_array_add(s, num_json(r, t->samples[i]));
	json_object_object_add(j, "samples", s);
	return j;
}

static void add_time(json_object *j, const char *key, int64_t t)
{
	char ts[32];
	if (t)
		format_time(t, ts);
	json_add_str(j, key, t ? ts : NULL);
}

json_object *record_to_json(const struct record *r)
{
	json_object *j = json_object_new_object();
	json_add_int(j, "schema", r->schema);
	json_add_str(j, "run_id", r->run_id);
	json_add_str(j, "status", r->failed ? "failed" : "ok");
	if (r->failed)
		json_add_str(j, "error", r->error);
	add_time(j, "started_at", r->started_at);
	add_time(j, "finished_at", r->finished_at);
	json_add_str(j, "backend", r->backend);
	json_add_str(j, "lineage", r->lineage);
	json_add_str(j, "model", r->model);
	json_add_str(j, "model_path", r->model_path);
	json_object_object_add(j, "model_bytes",
			       r->model_bytes >= 0 ? json_object_new_int64(r->model_bytes) : NULL);
	json_object_object_add(j, "command", r->command.n ? json_strv_array(&r->command) : NULL);
	json_object_object_add(j, "extra_args", json_strv_array(&r->extra_args));
	json_object *host = json_object_new_object();
	json_add_str(host, "name", r->host);
	json_add_str(host, "kernel", r->kernel);
	json_object_object_add(j, "host", host);
	json_add_str(j, "tbx_version", r->tbx_version);
	json_add_str(j, "kind", r->kind);
	json_add_str(j, "image_ref", r->image_ref);
	json_add_str(j, "image_digest", r->image_digest);
	json_add_str(j, "image_id", r->image_id);
	json_add_str(j, "container", r->container);
	json_add_str(j, "container_id", r->container_id);
	json_add_str(j, "binary_path", r->binary_path);
	json_add_str(j, "binary_sha256", r->binary_sha256);
	json_add_str(j, "build_commit", r->build_commit);
	json_add_int(j, "build_number", r->build_number);
	json_add_str(j, "device", r->device);
	json_object_object_add(j, "devices", json_strv_array(&r->devices));
	json_add_str(j, "backends", r->backends);
	json_add_str(j, "gpu_info", r->gpu_info);
	json_add_str(j, "model_type", r->model_type);
	json_object_object_add(j, "pp512", test_json(r, &r->pp512));
	json_object_object_add(j, "tg128", test_json(r, &r->tg128));
	json_object *w = NULL;
	if (r->has_warmup) {
		w = json_object_new_object();
		json_object_object_add(w, "pp512", test_json(r, &r->warmup_pp512));
		json_object_object_add(w, "tg128", test_json(r, &r->warmup_tg128));
		json_add_bool(w, "discarded", true);
	}
	json_object_object_add(j, "warmup", w);
	json_add_bool(j, "stale", r->stale);
	json_add_str(j, "stale_reason", r->stale_reason);
	json_add_bool(j, "imported", r->imported);
	if (r->imported) {
		json_add_str(j, "source", r->source);
		json_add_str(j, "source_env", r->source_env);
		json_add_str(j, "source_sha256", r->source_sha256);
	}
	if (r->config_key)
		json_add_str(j, "config_key", r->config_key);
	if (r->settings)
		json_object_object_add(j, "settings", record_obj_parse(r->settings));
	if (r->host_state)
		json_object_object_add(j, "host_state", record_obj_parse(r->host_state));
	if (r->upstream)
		json_object_object_add(j, "upstream", record_obj_parse(r->upstream));
	return j;
}

static void test_from_lb(struct rec_test *t, const struct lb_test *lt)
{
	rec_test_free(t);
	if (lt)
		rec_test_set(t, lt->mean, lt->stddev, lt->samples, lt->n_samples);
}

void record_set_results(struct record *r, const struct lb_run *m, const struct lb_run *warmup)
{
	free(r->build_commit), free(r->backends), free(r->gpu_info), free(r->model_type);
	r->build_commit = dup_or_null(m->build_commit);
	r->build_number = m->build_number;
	strv_free(&r->devices);
	for (size_t i = 0; i < m->devices.n; i++)
		strv_push(&r->devices, m->devices.v[i]);
	r->backends = dup_or_null(m->backends);
	r->gpu_info = dup_or_null(m->gpu_info);
	r->model_type = dup_or_null(m->model_type);
	test_from_lb(&r->pp512, lb_find(m, 512, 0, 0));
	test_from_lb(&r->tg128, lb_find(m, 0, 128, 0));
	r->has_warmup = warmup != NULL;
	if (warmup) {
		test_from_lb(&r->warmup_pp512, lb_find(warmup, 512, 0, 0));
		test_from_lb(&r->warmup_tg128, lb_find(warmup, 0, 128, 0));
	}
}

/* ---- reader ---- */

static void test_from_json(json_object *o, struct rec_test *t)
{
	if (!o || !json_object_is_type(o, json_type_object))
		return;
	t->present = true;
	t->mean = json_num(o, "mean", NAN);
	t->stddev = json_num(o, "stddev", NAN);
	json_object *s = json_arr(o, "samples");
	size_t n = s ? json_object_array_length(s) : 0;
	if (n > RECORD_MAX_SAMPLES)
		n = RECORD_MAX_SAMPLES;
	t->samples = n ? xcalloc(n, sizeof(double)) : NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(s, i);
		if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))
			t->samples[t->n_samples++] = json_object_get_double(v);
	}
}

static void strv_from_json(struct strv *out, json_object *a)
{
	size_t n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(a, i);
		if (json_object_is_type(v, json_type_string))
			strv_push(out, json_object_get_string(v));
	}
}

int record_from_json(json_object *o, const char *file, struct record *r, struct err *e)
{
	return record_read(o, file, 0, r, e);
}

int record_read(json_object *o, const char *file, unsigned flags, struct record *r,
		struct err *e)
{
	bool full = !(flags & RECORD_SUMMARY);
	record_init(r);
	if (!json_object_is_type(o, json_type_object))
		return err_set(e, "%s: a record must be a JSON object", file);
	const char *run_id = json_str(o, "run_id");
	const char *backend = json_str(o, "backend");
	const char *started = json_str(o, "started_at");
	if (!run_id || !backend || !started)
		return err_set(e, "%s: missing run_id, backend or started_at", file);
	if (parse_time(started, &r->started_at) < 0)
		return err_set(e, "%s: bad started_at '%s'", file, started);
	const char *finished = json_str(o, "finished_at");
	if (finished && parse_time(finished, &r->finished_at) < 0)
		r->finished_at = 0;
	r->schema = (int)json_int(o, "schema", 1);
	r->file = xstrdup(file);
	r->run_id = xstrdup(run_id);
	r->backend = xstrdup(backend);
	r->lineage = xstrdup(json_str(o, "lineage") ? json_str(o, "lineage") : "llama.cpp");
	r->model = xstrdup(json_str(o, "model") ? json_str(o, "model") : "unknown");
	if (full)
		r->model_path = dup_or_null(json_str(o, "model_path"));
	json_object *bytes = json_get(o, "model_bytes");
	r->model_bytes = json_object_is_type(bytes, json_type_int) ? json_object_get_int64(bytes) : -1;
	if (full) {
		strv_from_json(&r->command, json_get(o, "command"));
		strv_from_json(&r->extra_args, json_get(o, "extra_args"));
	}
	json_object *host = json_get(o, "host");
	r->host = dup_or_null(json_object_is_type(host, json_type_string)
				      ? json_object_get_string(host)
				      : json_str(host, "name"));
	r->kernel = dup_or_null(json_str(json_obj(o, "host"), "kernel"));
	if (full)
		r->tbx_version = dup_or_null(json_str(o, "tbx_version"));
	r->kind = dup_or_null(json_str(o, "kind"));
	r->image_digest = dup_or_null(json_str(o, "image_digest"));
	r->binary_sha256 = dup_or_null(json_str(o, "binary_sha256"));
	if (full) {
		r->image_ref = dup_or_null(json_str(o, "image_ref"));
		r->image_id = dup_or_null(json_str(o, "image_id"));
		r->container = dup_or_null(json_str(o, "container"));
		r->container_id = dup_or_null(json_str(o, "container_id"));
		r->binary_path = dup_or_null(json_str(o, "binary_path"));
	}
	r->build_commit = dup_or_null(json_str(o, "build_commit"));
	r->build_number = (long)json_int(o, "build_number", 0);
	r->device = dup_or_null(json_str(o, "device"));
	if (full) {
		strv_from_json(&r->devices, json_get(o, "devices"));
		r->backends = dup_or_null(json_str(o, "backends"));
		r->gpu_info = dup_or_null(json_str(o, "gpu_info"));
		r->model_type = dup_or_null(json_str(o, "model_type"));
	}
	r->error = dup_or_null(json_str(o, "error"));
	r->failed = str_eq(json_str(o, "status"), "failed");
	r->imported = json_flag(o, "imported", false);
	r->stale = json_flag(o, "stale", false);
	if (full) {
		r->stale_reason = dup_or_null(json_str(o, "stale_reason"));
		r->source = dup_or_null(json_str(o, "source"));
		r->source_env = dup_or_null(json_str(o, "source_env"));
		r->source_sha256 = dup_or_null(json_str(o, "source_sha256"));
	}
	test_from_json(json_obj(o, "pp512"), &r->pp512);
	test_from_json(json_obj(o, "tg128"), &r->tg128);
	json_object *w = full ? json_obj(o, "warmup") : NULL;
	r->has_warmup = w != NULL;
	test_from_json(json_obj(w, "pp512"), &r->warmup_pp512);
	test_from_json(json_obj(w, "tg128"), &r->warmup_tg128);
	r->config_key = dup_or_null(json_str(o, "config_key"));
	r->settings = record_obj_text(json_get(o, "settings"));
	r->host_state = record_obj_text(json_get(o, "host_state"));
	r->upstream = record_obj_text(json_get(o, "upstream"));
	if (!r->failed && !r->pp512.present && !r->tg128.present) {
		record_free(r);
		return err_set(e, "%s: neither pp512 nor tg128 in a successful record", file);
	}
	return 0;
}
