/* test_record.c - the one record model: what record_to_json writes,
 * record_from_json reads back unchanged; schema-1 records (the hand-written
 * fixtures in tests/fixtures/records/, like tbx bench and tbx import wrote
 * them) read with every field, and written again to the same JSON.
 *
 * Runs from the repository root. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "record.h"
#include "store.h"
#include "util.h"

#define FIXTURES "tests/fixtures/records"

static char *pretty_of(const struct record *r)
{
	json_object *j = record_to_json(r);
	char *s = json_pretty(j);
	json_object_put(j);
	return s;
}

static json_object *parse(const char *text)
{
	struct err e = { 0 };
	json_object *o = json_parse(text, strlen(text), "test", &e);
	if (!o)
		fail_msg("%s", e.msg);
	return o;
}

static void fill(struct record *r, bool imported)
{
	static const double pp[] = { 1108.25, 1110.5, 1107.75 };
	static const double tg[] = { 56.02, 55.98, 56.1 };
	record_init(r);
	r->run_id = xstrdup("0f7c26f8-00b8-4fc4-a167-04b2933bde91");
	r->started_at = 1779000000;
	r->finished_at = 1779000095;
	r->backend = xstrdup("rocm-7.2");
	r->lineage = xstrdup("llama.cpp");
	r->model = xstrdup("qwen");
	r->model_path = xstrdup("/models/qwen.gguf");
	r->model_bytes = 22837000000;
	strv_push(&r->command, "llama-bench");
	strv_push(&r->command, "-fa");
	strv_push(&r->command, "1");
	strv_push(&r->extra_args, "-fa");
	strv_push(&r->extra_args, "1");
	r->host = xstrdup("strix");
	r->kernel = xstrdup("6.19.12-200.fc43.x86_64");
	r->tbx_version = xstrdup("0.1.0");
	r->kind = xstrdup("container");
	r->image_ref = xstrdup("docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.2");
	r->image_digest = xstrdup("sha256:587be1cc62ac0000000000000000000000000000000000000000000000000000");
	r->image_id = xstrdup("abc");
	r->container = xstrdup("llama-rocm-7.2");
	r->container_id = xstrdup("def");
	r->build_commit = xstrdup("0253fb21f");
	r->build_number = 9187;
	r->device = xstrdup("AMD Radeon 8060S Graphics, gfx1151");
	strv_push(&r->devices, "AMD Radeon 8060S Graphics, gfx1151");
	r->backends = xstrdup("ROCm");
	r->gpu_info = xstrdup("AMD Radeon 8060S Graphics");
	r->model_type = xstrdup("qwen3moe 30B.A3B Q4_K");
	rec_test_set(&r->pp512, 1108.8333333333333, 1.4, pp, 3);
	rec_test_set(&r->tg128, 56.033333333333331, 0.06, tg, 3);
	r->has_warmup = true;
	rec_test_set(&r->warmup_pp512, 1000.5, NAN, pp, 1);
	r->stale = true;
	r->stale_reason = xstrdup("image older than the lock's digest");
	r->imported = imported;
	if (imported) {
		r->source = xstrdup("qwen__rocm-7_2__fa1.log");
		r->source_env = xstrdup("rocm-7_2");
		r->source_sha256 = xstrdup("sha256:0000000000000000000000000000000000000000000000000000000000000000");
	}
	r->settings = xstrdup("{\"flash_attn\":true,\"n_threads\":16,\"new_field\":[1,\"x\"]}");
	r->host_state = xstrdup("{\"kernel_release\":\"6.19.12\",\"kernel_params\":{\"amd_iommu\":"
				"\"off\"}}");
	r->upstream = xstrdup("{\"state\":\"current\",\"last_build\":null,\"successor\":null}");
}

/* write -> read -> write gives the same text, for both number styles */
static void test_round_trip(void **state)
{
	(void)state;
	for (int imported = 0; imported < 2; imported++) {
		struct record a, b;
		struct err e = { 0 };
		fill(&a, imported);
		char *text = pretty_of(&a);
		json_object *o = parse(text);
		assert_int_equal(record_from_json(o, "rt.json", &b, &e), 0);
		char *again = pretty_of(&b);
		assert_string_equal(text, again);
		assert_string_equal(b.file, "rt.json");
		assert_int_equal(b.schema, RECORD_SCHEMA);
		assert_int_equal(b.finished_at, 1779000095);
		assert_int_equal(b.model_bytes, 22837000000);
		assert_int_equal(b.command.n, 3);
		assert_string_equal(b.extra_args.v[1], "1");
		assert_string_equal(b.kernel, "6.19.12-200.fc43.x86_64");
		assert_int_equal(b.pp512.n_samples, 3);
		assert_true(fabs(b.tg128.samples[2] - 56.1) < 1e-12);
		assert_true(b.has_warmup && b.warmup_pp512.present && !b.warmup_tg128.present);
		assert_true(isnan(b.warmup_pp512.stddev));
		assert_string_equal(b.settings, a.settings);
		assert_string_equal(b.host_state, a.host_state);
		assert_string_equal(b.upstream, a.upstream);
		assert_string_equal(b.config_key, "bench|rocm-7.2|qwen.gguf|22837000000|-fa 1");
		assert_string_equal(b.config_variant, "bench|qwen.gguf|22837000000|-fa 1");
		assert_false(b.args_unknown);
		assert_string_equal(json_str(o, "config_key"), b.config_key);
		assert_string_equal(json_str(json_obj(o, "host"), "kernel_release"), "6.19.12");
		char *label = record_label(&b);
		assert_string_equal(label, "qwen (-fa 1)");
		free(label);
		assert_int_equal(b.imported, imported);
		if (imported) /* a log's decimals stay as written */
			assert_non_null(strstr(text, "56.02,"));
		free(text), free(again);
		json_object_put(o);
		record_free(&a), record_free(&b);
	}
}

/* unknown values are written as null and read back as unknown */
static void test_unknowns(void **state)
{
	(void)state;
	struct record a, b;
	struct err e = { 0 };
	record_init(&a);
	a.run_id = xstrdup("r1");
	a.started_at = 1779000000;
	a.backend = xstrdup("vulkan-radv");
	a.failed = true;
	a.error = xstrdup("llama-bench died");
	json_object *j = record_to_json(&a);
	assert_true(json_object_is_type(json_get(j, "finished_at"), json_type_null));
	assert_true(json_object_is_type(json_get(j, "model_bytes"), json_type_null));
	assert_true(json_object_is_type(json_get(j, "command"), json_type_null));
	assert_true(json_object_is_type(json_get(j, "warmup"), json_type_null));
	assert_string_equal(json_str(j, "status"), "failed");
	assert_string_equal(json_str(j, "error"), "llama-bench died");
	assert_true(json_object_is_type(json_get(j, "settings"), json_type_null));
	assert_true(json_object_is_type(json_get(j, "upstream"), json_type_null));
	assert_string_equal(json_str(j, "config_key"), "bench|vulkan-radv|?|?|?");
	assert_null(json_get(j, "source"));
	assert_int_equal(record_from_json(j, "u.json", &b, &e), 0);
	assert_int_equal(b.finished_at, 0);
	assert_int_equal(b.model_bytes, -1);
	assert_int_equal(b.command.n, 0);
	assert_false(b.has_warmup);
	assert_null(b.settings), assert_null(b.host_state), assert_null(b.upstream);
	assert_string_equal(b.lineage, "llama.cpp"); /* the default of old records */
	assert_string_equal(b.model, "unknown");
	json_object_put(j);
	record_free(&a), record_free(&b);
}

/* every schema-1 fixture reads and writes back to the same JSON */
static void test_schema1_fixtures(void **state)
{
	(void)state;
	DIR *d = opendir(FIXTURES);
	assert_non_null(d);
	struct dirent *de;
	int n = 0, imported = 0;
	while ((de = readdir(d))) {
		if (!str_ends_with(de->d_name, ".json"))
			continue;
		char *path = path_join(FIXTURES, de->d_name);
		struct err e = { 0 };
		json_object *o = json_parse_file(path, 1 << 20, &e);
		assert_non_null(o);
		struct record r;
		assert_int_equal(record_from_json(o, path, &r, &e), 0);
		assert_int_equal(r.schema, 1);
		assert_null(r.settings), assert_null(r.host_state), assert_null(r.upstream);
		/* the key is derived; an imported log's arguments are unknown */
		assert_non_null(r.config_key);
		assert_int_equal(r.args_unknown, r.imported);
		assert_non_null(strstr(r.config_key, r.imported ? "|?|?" : "|22837000000|"));
		json_object *back = record_to_json(&r);
		/* keys older hand-written records lack come back as null */
		struct strv absent = STRV_INIT;
		json_object_object_foreach(back, key, val)
		{
			if (!json_get(o, key) && !json_object_object_get_ex(o, key, NULL)) {
				assert_null(val);
				strv_push(&absent, key);
			}
		}
		for (size_t i = 0; i < absent.n; i++)
			json_object_object_del(back, absent.v[i]);
		strv_free(&absent);
		if (!json_object_equal(o, back))
			fail_msg("%s does not write back the same: %s", path,
				 json_object_to_json_string(back));
		imported += r.imported;
		n++;
		json_object_put(back);
		json_object_put(o);
		record_free(&r);
		free(path);
	}
	closedir(d);
	assert_true(n >= 10);
	assert_true(imported >= 1);
}

/* keys: other arguments, other file size, another backend: other keys */
static void test_keys(void **state)
{
	(void)state;
	struct record a;
	fill(&a, false);
	record_update_key(&a);
	char *k1 = xstrdup(a.config_key), *v1 = xstrdup(a.config_variant);
	strv_free(&a.extra_args);
	record_update_key(&a);
	assert_string_equal(a.config_key, "bench|rocm-7.2|qwen.gguf|22837000000|");
	assert_string_not_equal(a.config_key, k1);
	char *label = record_label(&a);
	assert_string_equal(label, "qwen");
	free(label);
	strv_push(&a.extra_args, "-p");
	strv_push(&a.extra_args, "it's");
	record_update_key(&a);
	assert_string_equal(a.config_key, "bench|rocm-7.2|qwen.gguf|22837000000|-p 'it'\\''s'");
	free(a.backend);
	a.backend = xstrdup("vulkan-radv");
	record_update_key(&a);
	assert_string_equal(a.config_variant, "bench|qwen.gguf|22837000000|-p 'it'\\''s'");
	strv_free(&a.command); /* no command: arguments unknown */
	record_update_key(&a);
	assert_true(a.args_unknown);
	assert_string_equal(a.config_key, "bench|vulkan-radv|qwen.gguf|22837000000|?");
	label = record_label(&a);
	assert_string_equal(label, "qwen (arguments unknown)");
	free(label);
	free(k1), free(v1);
	record_free(&a);
}

/* a summary read (what the store keeps for 10,000 records) leaves the bulk out */
static void test_summary(void **state)
{
	(void)state;
	struct record a, b;
	struct err e = { 0 };
	fill(&a, true);
	json_object *j = record_to_json(&a);
	assert_int_equal(record_read(j, "s.json", RECORD_SUMMARY, &b, &e), 0);
	assert_int_equal(b.command.n, 0);
	assert_int_equal(b.devices.n, 0);
	assert_false(b.has_warmup);
	assert_null(b.image_ref), assert_null(b.source), assert_null(b.model_path);
	assert_string_equal(b.image_digest, "sha256:587be1cc62ac0000000000000000000000000000000000000000000000000000");
	assert_string_equal(b.host, "strix");
	assert_string_equal(b.kernel, a.kernel);
	assert_string_equal(b.settings, a.settings);
	assert_int_equal(b.build_number, 9187);
	assert_int_equal(b.pp512.n_samples, 3);
	json_object_put(j);
	record_free(&a), record_free(&b);
}

/* older spellings: host as a plain string, null for unknown; a value of
 * another type is refused naming its key (issue 15: imported records'
 * fields are validated, types too, before anything is written) */
static void test_old_shapes(void **state)
{
	(void)state;
	struct record r;
	struct err e = { 0 };
	json_object *o = parse("{\"run_id\": \"x\", \"backend\": \"b\", \"started_at\": "
			       "\"2026-05-10T02:00:00Z\", \"host\": \"strix\", \"finished_at\": "
			       "null, \"model_bytes\": null, \"settings\": null, \"model\": null, "
			       "\"tg128\": {\"mean\": 5, \"stddev\": null, \"samples\": [5, 6]}}");
	assert_int_equal(record_from_json(o, "o.json", &r, &e), 0);
	assert_string_equal(r.host, "strix");
	assert_null(r.kernel);
	assert_int_equal(r.finished_at, 0);
	assert_int_equal(r.model_bytes, -1);
	assert_null(r.settings);
	assert_string_equal(r.model, "unknown");
	assert_int_equal(r.tg128.n_samples, 2);
	assert_int_equal(r.schema, 1);
	record_free(&r);
	json_object_put(o);
	static const struct {
		const char *member, *msg;
	} bad[] = {
		{ "\"model\": 5", "o.json: 'model' must be a string (or null)" },
		{ "\"model_bytes\": \"big\"", "o.json: 'model_bytes' must be a whole number" },
		{ "\"settings\": [1]", "o.json: 'settings' must be an object" },
		{ "\"finished_at\": 1", "o.json: 'finished_at' must be a string" },
		{ "\"imported\": \"yes\"", "o.json: 'imported' must be true or false" },
		{ "\"stale\": 1", "o.json: 'stale' must be true or false" },
		{ "\"command\": \"llama-bench -p 512\"", "o.json: 'command' must be an array of strings" },
		{ "\"host\": 7", "o.json: 'host' must be an object or a string" },
		{ "\"host\": {\"name\": 7}", "o.json: 'host.name/kernel' must be a string" },
		{ "\"pp512\": [10]", "o.json: 'pp512' must be an object" },
		{ "\"pp512\": {\"mean\": \"10\"}", "o.json: pp512.mean must be a rate" },
		{ "\"pp512\": {\"mean\": 10, \"samples\": [5, null, 6]}", "o.json: pp512.samples[1] must be a rate" },
		{ "\"pp512\": {\"mean\": 10, \"samples\": [5, \"x\"]}", "o.json: pp512.samples[1] must be a rate" },
		{ "\"pp512\": {\"mean\": 10, \"samples\": \"5\"}", "o.json: pp512.samples must be an array" },
		{ "\"build_number\": 1.5", "o.json: 'build_number' must be a whole number" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = xasprintf("{\"run_id\": \"x\", \"backend\": \"b\", \"started_at\": "
				       "\"2026-05-10T02:00:00Z\", \"tg128\": {\"mean\": 5}, %s}",
				       bad[i].member);
		o = parse(text);
		err_clear(&e);
		if (record_from_json(o, "o.json", &r, &e) != -1 || !strstr(e.msg, bad[i].msg))
			fail_msg("%s: expected '%s', got '%s'", text, bad[i].msg, e.msg);
		assert_null(r.run_id);
		json_object_put(o);
		free(text);
	}
	o = parse("{\"run_id\": \"x\", \"backend\": \"b\", \"started_at\": \"2026-05-10\"}");
	assert_int_equal(record_from_json(o, "o.json", &r, &e), -1);
	assert_non_null(strstr(e.msg, "o.json: neither pp512 nor tg128"));
	assert_null(r.run_id);
	json_object_put(o);
}

/* the file name the store gives a record */
static void test_file_name(void **state)
{
	(void)state;
	struct record a;
	fill(&a, false);
	free(a.model);
	a.model = xstrdup("../evil model");
	json_object *j = record_to_json(&a);
	char *name = store_file_name(j);
	assert_string_equal(name, "20260517T064000Z-rocm-7.2-.._evil_model-"
				  "0f7c26f8-00b8-4fc4-a167-04b2933bde91.json");
	free(name);
	json_object_object_del(j, "run_id");
	assert_null(store_file_name(j));
	json_object_put(j);
	record_free(&a);
}

/* A curve record: written, read back, written again to the same text; its
 * points and settings kept; the checks refuse bad curve members. */
static void fill_curve(struct record *r)
{
	static const double s0[] = { 366.706, 366.841, 366.861 };
	static const double s1[] = { 251.5, 252.25, 250.75 };
	fill(r, false);
	struct rec_test *gone[] = { &r->pp512, &r->tg128, &r->warmup_pp512, &r->warmup_tg128 };
	for (size_t i = 0; i < 4; i++)
		free(gone[i]->samples), memset(gone[i], 0, sizeof(*gone[i]));
	r->has_warmup = false;
	r->run_kind = xstrdup(RECORD_RUN_CURVE);
	struct rec_curve *c = &r->curve;
	c->present = true;
	c->n_depths = 2;
	c->depths = xcalloc(2, sizeof(long));
	c->depths[1] = 8192;
	c->ubatch = 512;
	c->ubatch_from = xstrdup("calibration");
	c->repetitions = 3;
	c->cooldown_s = 10;
	c->load_flag = xstrdup("--load-mode none");
	c->partial = true;
	c->prefill.present = true;
	c->prefill.n_prompt = 2048;
	strv_push(&c->prefill.command, "llama-bench");
	struct rec_test t = { .present = true, .mean = 366.80266666666665, .stddev = 0.084,
			      .samples = (double *)s0, .n_samples = 3 };
	rec_series_add(&c->prefill, 0, &t);
	t.samples = (double *)s1, t.mean = 251.5;
	rec_series_add(&c->prefill, 8192, &t);
	c->generation.present = true;
	c->generation.n_gen = 128;
	c->generation.partial = true;
	c->generation.error = xstrdup("llama-bench failed (exit 1): failed to create context");
	rec_series_add(&c->generation, 0, &t);
	rec_test_set(&c->warmup, 360.5, NAN, s0, 1);
	c->calibration = xstrdup("{\"ubatch\":512,\"candidates\":[{\"ubatch\":256,\"mean\":300.5}]}");
}

static void test_curve(void **state)
{
	(void)state;
	struct record a, b;
	struct err e = { 0 };
	fill_curve(&a);
	char *text = pretty_of(&a);
	json_object *o = parse(text);
	assert_int_equal(record_from_json(o, "c.json", &b, &e), 0);
	char *again = pretty_of(&b);
	assert_string_equal(text, again);
	assert_true(record_is_curve(&b));
	assert_string_equal(b.config_key, "curve|rocm-7.2|qwen.gguf|22837000000|-fa 1");
	assert_int_equal(b.curve.prefill.n_points, 2);
	assert_int_equal(rec_series_point(&b.curve.prefill, 8192)->t.n_samples, 3);
	assert_null(rec_series_point(&b.curve.generation, 8192));
	assert_true(fabs(rec_series_point(&b.curve.prefill, 0)->t.samples[2] - 366.861) < 1e-12);
	assert_int_equal(b.curve.cooldown_s, 10);
	assert_true(b.curve.partial && b.curve.generation.partial && !b.curve.prefill.partial);
	assert_false(b.pp512.present);
	/* a record read in summary keeps its curve: reports need it */
	struct record s;
	assert_int_equal(record_read(o, "c.json", RECORD_SUMMARY, &s, &e), 0);
	assert_int_equal(s.curve.generation.n_points, 1);
	record_free(&s);
	record_free(&b);
	/* refused: each names the member */
	json_object *pts = json_object_object_get(json_object_object_get(json_object_object_get(o, "curve"), "prefill"), "points");
	json_object_object_add(json_object_array_get_idx(pts, 1), "depth", json_object_new_string("x"));
	assert_int_equal(record_from_json(o, "c.json", &b, &e), -1);
	assert_non_null(strstr(e.msg, "curve.prefill.points[1].depth"));
	json_object_object_add(json_object_array_get_idx(pts, 1), "depth", json_object_new_int(8192));
	json_object_object_add(json_object_array_get_idx(pts, 0), "mean", json_object_new_double(-3));
	assert_int_equal(record_from_json(o, "c.json", &b, &e), -1);
	assert_non_null(strstr(e.msg, "curve.prefill.points[0].mean"));
	json_object_object_add(json_object_array_get_idx(pts, 0), "mean", json_object_new_double(366.8));
	json_object_object_add(json_object_object_get(o, "curve"), "ubatch", json_object_new_double(1.5));
	assert_int_equal(record_from_json(o, "c.json", &b, &e), -1);
	assert_non_null(strstr(e.msg, "curve.ubatch"));
	json_object_object_add(json_object_object_get(o, "curve"), "ubatch", json_object_new_int(512));
	/* no point at all in a successful curve */
	json_object_array_del_idx(pts, 0, 2);
	json_object_array_del_idx(json_object_object_get(json_object_object_get(json_object_object_get(o, "curve"), "generation"), "points"), 0, 1);
	assert_int_equal(record_from_json(o, "c.json", &b, &e), -1);
	assert_non_null(strstr(e.msg, "without a point"));
	json_object_put(o);
	free(text), free(again);
	record_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_unknowns),
		cmocka_unit_test(test_schema1_fixtures), cmocka_unit_test(test_summary),
		cmocka_unit_test(test_old_shapes),     cmocka_unit_test(test_file_name),
		cmocka_unit_test(test_keys),      cmocka_unit_test(test_curve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
