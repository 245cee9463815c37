/* test_import.c - importing llama-bench logs, export and import bundles.
 *
 * Runs from the repository root.  The real Strix Halo logs are read from
 * $TBX_FIXTURES_DIR (the logs directory or its parent) or
 * ../shared/fixtures/strix-halo-logs; tests that need them are skipped
 * without them.  Hostile archives are built here with libarchive. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <sys/wait.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bundle.h"
#include "importer.h"
#include "json.h"
#include "store.h"
#include "util.h"

#define N_STRIX_LOGS 50
#define FAILED_LOG "Ministral-3-14B-Instruct-2512-BF16__vulkan_amdvlk__fa1.log"
static const struct bundle_import_opts default_import = { BUNDLE_MAX_RECORDS_DEFAULT };

#define assert_near(a, b) check_near((a), (b), #a, __FILE__, __LINE__)

static void check_near(double a, double b, const char *what, const char *file, int line)
{
	if (fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b)))
		return;
	print_error("%s:%d: %s = %.9g, expected %.9g\n", file, line, what, a, b);
	fail();
}

/* ---- helpers ---- */

static char *fixtures_dir(void)
{
	const char *env = getenv("TBX_FIXTURES_DIR");
	char *dir;
	if (env && *env) {
		dir = path_join(env, "strix-halo-logs");
		if (!is_dir(dir)) {
			free(dir);
			dir = xstrdup(env);
		}
	} else {
		dir = xstrdup("../shared/fixtures/strix-halo-logs");
	}
	if (!is_dir(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir ending with suffix. */
static void list(const char *dir, const char *suffix, struct strv *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && str_ends_with(de->d_name, suffix))
			strv_push(out, de->d_name);
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
}

static char *new_home(void)
{
	char tmpl[] = "/tmp/tbx-test-import.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void drop_home(char *home)
{
	nftw(home, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(home);
}

/* Every file in home/results (records and anything else left behind). */
static size_t files_in_results(const char *home)
{
	struct strv names = STRV_INIT;
	char *dir = store_dir(home);
	list(dir, "", &names);
	size_t n = names.n;
	strv_free(&names);
	free(dir);
	return n;
}

static char *read_all(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;
	struct err e = { 0 };
	buf_init(&b);
	if (read_file(path, 64u << 20, &b, &e) < 0) {
		print_error("%s\n", e.msg);
		buf_free(&b);
		fail();
	}
	*len = b.len;
	return buf_detach(&b);
}

static json_object *import_text(const char *text, const char *name, const struct import_opts *o,
				struct err *e)
{
	return import_record(text, strlen(text), name, 1779000000, o, e);
}

/* "mean ± sd" of a row, read with sscanf rather than the parser. */
static bool table_value(const char *text, const char *test, double *mean, double *sd)
{
	char pat[64];
	snprintf(pat, sizeof(pat), " %s |", test);
	const char *p = strstr(text, pat);
	return p && sscanf(p + strlen(pat), " %lf \xc2\xb1 %lf", mean, sd) == 2;
}

static json_object *import_fixture(const char *dir, const char *name)
{
	char *path = path_join(dir, name);
	size_t len;
	char *text = read_all(path, &len);
	struct import_opts o = { 0 };
	struct err e = { 0 };
	json_object *rec = import_record(text, len, path, 1779000000, &o, &e);
	if (!rec)
		print_error("%s: %s\n", name, e.msg);
	assert_non_null(rec);
	free(text);
	free(path);
	return rec;
}

/* ---- file names ---- */

static void test_name_pattern(void **state)
{
	(void)state;
	struct import_name n;
	assert_true(import_name_parse("/x/gpt-oss-20b-mxfp4__vulkan_radv__fa1.log", &n));
	assert_string_equal(n.model, "gpt-oss-20b-mxfp4");
	assert_string_equal(n.env, "vulkan_radv");
	assert_string_equal(n.backend, "vulkan-radv");
	import_name_free(&n);

	assert_true(import_name_parse("MiniMax-M2.7-UD-Q3_K_S-00001-of-00003__rocm-7_2_3__fa1.log",
				      &n));
	assert_string_equal(n.model, "MiniMax-M2.7-UD-Q3_K_S");
	assert_string_equal(n.env, "rocm-7_2_3");
	assert_string_equal(n.backend, "rocm-7.2");
	import_name_free(&n);

	static const char *const map[][2] = {
		{ "rocm6_4_4", "rocm-6.4.4" },           { "rocm-7_2_3", "rocm-7.2" },
		{ "rocm7-nightlies", "rocm7-nightlies" }, { "vulkan_radv", "vulkan-radv" },
		{ "vulkan_amdvlk", "vulkan-amdvlk" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		char *name = xasprintf("llama-2-7b.Q4_0__%s__fa1.log", map[i][0]);
		assert_true(import_name_parse(name, &n));
		assert_string_equal(n.model, "llama-2-7b.Q4_0");
		assert_string_equal(n.backend, map[i][1]);
		import_name_free(&n);
		free(name);
	}

	assert_true(import_name_parse("m__someenv.log", &n));
	assert_string_equal(n.env, "someenv");
	assert_null(n.backend);
	import_name_free(&n);

	assert_false(import_name_parse("gpt-oss.log", &n));
	assert_false(import_name_parse("__vulkan_radv__fa1.log", &n));
	assert_false(import_name_parse("m____fa1.log", &n));
	assert_false(import_name_parse("a__b__c__d.log", &n));
}

static void test_run_id_from_content(void **state)
{
	(void)state;
	char a[37], b[37], c[37];
	import_run_id("same text", 9, a);
	import_run_id("same text", 9, b);
	import_run_id("same texT", 9, c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '5'); /* version */
	assert_true(strchr("89ab", a[19]) != NULL); /* variant */
}

/* ---- logs ---- */

static void test_hand_checked_logs(void **state)
{
	(void)state;
	char *dir = fixtures_dir();
	if (!dir)
		skip();
	json_object *r = import_fixture(dir, "gpt-oss-20b-mxfp4__vulkan_radv__fa1.log");
	assert_string_equal(json_str(r, "status"), "ok");
	assert_string_equal(json_str(r, "backend"), "vulkan-radv");
	assert_string_equal(json_str(r, "model"), "gpt-oss-20b-mxfp4");
	assert_string_equal(json_str(r, "build_commit"), "0253fb21f");
	assert_int_equal(json_int(r, "build_number", 0), 9187);
	assert_near(json_num(json_obj(r, "pp512"), "mean", 0), 1692.49);
	assert_near(json_num(json_obj(r, "pp512"), "stddev", 0), 16.61);
	assert_near(json_num(json_obj(r, "tg128"), "mean", 0), 79.78);
	assert_near(json_num(json_obj(r, "tg128"), "stddev", 0), 0.23);
	assert_int_equal(json_object_array_length(json_arr(json_obj(r, "pp512"), "samples")), 0);
	assert_true(json_flag(r, "imported", false));
	/* what the log's table holds of the settings (ngl, fa, mmap columns) */
	json_object *settings = json_obj(r, "settings");
	assert_int_equal(json_int(settings, "n_gpu_layers", 0), 99);
	assert_int_equal(json_int(settings, "flash_attn", 9), 1);
	assert_string_equal(json_str(settings, "load_mode"), "none");
	assert_int_equal(json_int(r, "schema", 0), 2);
	assert_true(json_object_is_type(json_get(r, "command"), json_type_null));
	assert_string_equal(json_str(r, "config_key"),
			    "bench|vulkan-radv|gpt-oss-20b-mxfp4|?|?"); /* no path, no size, no argv */
	json_object *digest = (json_object *)1;
	assert_true(json_object_object_get_ex(r, "image_digest", &digest)); /* present ... */
	assert_null(digest);                                                  /* ... and null */
	assert_string_equal(json_str(r, "source"), "gpt-oss-20b-mxfp4__vulkan_radv__fa1.log");
	assert_string_equal(json_str(r, "source_env"), "vulkan_radv");
	assert_non_null(strstr(json_str(r, "device"), "(radv)"));
	assert_string_equal(json_str(r, "backends"), "Vulkan");
	assert_string_equal(json_str(r, "started_at"), "2026-05-17T06:40:00Z");
	/* the log's numbers stay as printed, not 16.609999999999999 */
	char *s = json_pretty(r);
	assert_non_null(strstr(s, "\"stddev\": 16.61,"));
	free(s);
	json_object_put(r);

	r = import_fixture(dir, "MiniMax-M2.7-UD-Q3_K_S-00001-of-00003__rocm6_4_4__fa1.log");
	assert_string_equal(json_str(r, "backend"), "rocm-6.4.4");
	assert_string_equal(json_str(r, "model"), "MiniMax-M2.7-UD-Q3_K_S");
	assert_string_equal(json_str(r, "build_commit"), "1a68ec937");
	assert_int_equal(json_int(r, "build_number", 0), 9193);
	assert_near(json_num(json_obj(r, "pp512"), "mean", 0), 238.97);
	assert_near(json_num(json_obj(r, "pp512"), "stddev", 0), 1.17);
	assert_near(json_num(json_obj(r, "tg128"), "mean", 0), 21.98);
	assert_near(json_num(json_obj(r, "tg128"), "stddev", 0), 0.02);
	assert_non_null(strstr(json_str(r, "device"), "gfx1151"));
	json_object_put(r);

	r = import_fixture(dir, "llama-2-7b.Q4_0__vulkan_amdvlk__fa1.log");
	assert_string_equal(json_str(r, "backend"), "vulkan-amdvlk");
	assert_string_equal(json_str(r, "model"), "llama-2-7b.Q4_0");
	assert_near(json_num(json_obj(r, "pp512"), "mean", 0), 347.25);
	assert_near(json_num(json_obj(r, "tg128"), "mean", 0), 55.69);
	assert_non_null(strstr(json_str(r, "device"), "AMD open-source driver"));
	json_object_put(r);

	r = import_fixture(dir, "gpt-oss-20b-mxfp4__rocm-7_2_3__fa1.log");
	assert_string_equal(json_str(r, "backend"), "rocm-7.2");
	assert_string_equal(json_str(r, "source_env"), "rocm-7_2_3");
	json_object_put(r);

	r = import_fixture(dir, FAILED_LOG);
	assert_string_equal(json_str(r, "status"), "failed");
	assert_non_null(strstr(json_str(r, "error"), "vk::DeviceLostError"));
	assert_non_null(strstr(json_str(r, "error"), "exit 134"));
	assert_null(strchr(json_str(r, "error"), '\n'));
	assert_null(json_obj(r, "pp512"));
	assert_true(json_flag(r, "imported", false));
	assert_non_null(strstr(json_str(r, "device"), "AMD open-source driver"));
	json_object_put(r);
	free(dir);
}

/* Every real log imports, with the numbers its table prints. */
static void test_every_fixture_log(void **state)
{
	(void)state;
	char *dir = fixtures_dir();
	if (!dir)
		skip();
	struct strv names = STRV_INIT;
	list(dir, ".log", &names);
	assert_int_equal(names.n, N_STRIX_LOGS);
	size_t failed = 0;
	for (size_t i = 0; i < names.n; i++) {
		char *path = path_join(dir, names.v[i]);
		size_t len;
		char *text = read_all(path, &len);
		json_object *r = import_fixture(dir, names.v[i]);
		struct record rec;
		struct err e = { 0 };
		assert_int_equal(record_from_json(r, names.v[i], &rec, &e), 0);
		assert_true(rec.imported);
		assert_null(rec.image_digest);
		struct import_name nm;
		assert_true(import_name_parse(names.v[i], &nm));
		assert_string_equal(rec.backend, nm.backend);
		assert_string_equal(rec.model, nm.model);
		import_name_free(&nm);
		double mean, sd;
		if (rec.failed) {
			failed++;
			assert_string_equal(names.v[i], FAILED_LOG);
			assert_non_null(rec.error);
		} else {
			assert_true(table_value(text, "pp512", &mean, &sd));
			assert_near(rec.pp512.mean, mean);
			assert_near(rec.pp512.stddev, sd);
			assert_true(table_value(text, "tg128", &mean, &sd));
			assert_near(rec.tg128.mean, mean);
			assert_near(rec.tg128.stddev, sd);
			const char *b = strstr(text, "build: ");
			assert_non_null(b);
			char commit[32];
			long number;
			assert_int_equal(sscanf(b, "build: %31s (%ld)", commit, &number), 2);
			assert_string_equal(rec.build_commit, commit);
			assert_int_equal(rec.build_number, number);
			assert_non_null(rec.device);
		}
		record_free(&rec);
		json_object_put(r);
		free(text);
		free(path);
	}
	assert_int_equal(failed, 1);
	strv_free(&names);
	free(dir);
}

static void test_options_and_formats(void **state)
{
	(void)state;
	struct import_opts o = { 0 };
	struct err e = { 0 };
	size_t len;
	char *jsonl = read_all("tests/fixtures/llama-bench/flash-attn-int.jsonl", &len);

	/* no pattern in the name: the backend must be named */
	assert_null(import_record(jsonl, len, "bench.jsonl", 0, &o, &e));
	assert_non_null(strstr(e.msg, "--backend"));

	o.backend = "vulkan-radv";
	o.host = "strix";
	o.date = 1779000000;
	json_object *r = import_record(jsonl, len, "/tmp/bench.jsonl", 1, &o, &e);
	assert_non_null(r);
	assert_string_equal(json_str(r, "backend"), "vulkan-radv");
	/* the model from llama-bench's model_filename */
	assert_string_equal(json_str(r, "model"), "gpt-oss-20b-mxfp4");
	assert_string_equal(json_str(json_obj(r, "host"), "name"), "strix");
	assert_string_equal(json_str(r, "started_at"), "2026-05-17T06:40:00Z");
	assert_true(json_object_array_length(json_arr(json_obj(r, "pp512"), "samples")) > 0);
	assert_null(json_str(r, "source_env"));
	json_object_put(r);

	o.model = "gpt20";
	r = import_record(jsonl, len, "x__vulkan_amdvlk__fa1.log", 1, &o, &e);
	assert_string_equal(json_str(r, "backend"), "vulkan-radv"); /* the option wins */
	assert_string_equal(json_str(r, "model"), "gpt20");
	json_object_put(r);
	free(jsonl);

	/* rows, then a crash: a failed run that keeps what it measured */
	memset(&o, 0, sizeof(o));
	const char *crashed =
		"{\"build_commit\": \"abc\", \"build_number\": 1, \"n_prompt\": 512, \"n_gen\": 0, "
		"\"avg_ts\": 100.5, \"stddev_ts\": 1.0, \"model_filename\": \"/m/x.gguf\"}\n"
		"/lib64/libggml-base.so.0(ggml_print_backtrace+0x1eb) [0x7f516926783b]\n"
		"terminate called after throwing an instance of 'vk::DeviceLostError'\n"
		"  what():  vk::Queue::submit: ErrorDeviceLost\n";
	r = import_text(crashed, "x__vulkan_radv__fa1.log", &o, &e);
	assert_non_null(r);
	assert_string_equal(json_str(r, "status"), "failed");
	assert_non_null(strstr(json_str(r, "error"), "DeviceLost"));
	assert_near(json_num(json_obj(r, "pp512"), "mean", 0), 100.5);
	json_object_put(r);

	/* nothing usable */
	assert_null(import_text("hello\nworld\n", "x__vulkan_radv__fa1.log", &o, &e));
	assert_null(import_text("", "x__vulkan_radv__fa1.log", &o, &e));
	/* an environment nobody knows */
	assert_null(import_text("| test | t/s |\n", "x__cuda12__fa1.log", &o, &e));
	assert_non_null(strstr(e.msg, "cuda12"));
}

/* Import every log into a home; again: all skipped. */
static size_t import_all(const char *home, const char *dir, int64_t date)
{
	struct strv names = STRV_INIT;
	list(dir, ".log", &names);
	struct import_opts o = { .date = date };
	size_t counts[3] = { 0 };
	for (size_t i = 0; i < names.n; i++) {
		char *path = path_join(dir, names.v[i]);
		struct import_result res;
		struct err e = { 0 };
		if (import_log_file(home, path, &o, &res, &e) < 0)
			print_error("%s\n", e.msg);
		assert_int_equal(e.msg[0], 0);
		counts[res.outcome]++;
		import_result_free(&res);
		free(path);
	}
	strv_free(&names);
	return counts[IMPORT_ADDED] + counts[IMPORT_ADDED_FAILED] * 1000 +
	       counts[IMPORT_DUPLICATE] * 1000000;
}

static void test_import_into_store(void **state)
{
	(void)state;
	char *dir = fixtures_dir();
	if (!dir)
		skip();
	char *home = new_home();
	/* 49 successful, 1 failed; then all skipped (the date does not matter) */
	assert_int_equal(import_all(home, dir, 0), 49 + 1000);
	assert_int_equal(import_all(home, dir, 1780272000), 50 * 1000000);
	assert_int_equal(files_in_results(home), N_STRIX_LOGS);

	struct records rs;
	struct strv warnings = STRV_INIT;
	struct err e = { 0 };
	assert_int_equal(store_load(home, NULL, &rs, &warnings, &e), 0);
	assert_int_equal(warnings.n, 0);
	assert_int_equal(rs.n, N_STRIX_LOGS);
	size_t failed = 0;
	for (size_t i = 0; i < rs.n; i++) {
		assert_true(rs.v[i].imported);
		assert_null(rs.v[i].image_digest);
		failed += rs.v[i].failed;
	}
	assert_int_equal(failed, 1);
	records_free(&rs);
	strv_free(&warnings);

	/* a missing file is an error, not a crash */
	struct import_result res;
	struct import_opts o = { 0 };
	assert_int_equal(import_log_file(home, "/nonexistent/a__vulkan_radv__fa1.log", &o, &res, &e),
			 -1);
	assert_non_null(strstr(e.msg, "cannot open"));
	import_result_free(&res);
	drop_home(home);
	free(dir);
}

/* ---- bundles ---- */

static void write_text(const char *dir, const char *name, const char *text)
{
	struct err e = { 0 };
	assert_int_equal(mkdir_p(dir, 0777, &e), 0);
	char *path = path_join(dir, name);
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0666, &e), 0);
	free(path);
}

static bool same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *x = read_all(a, &la), *y = read_all(b, &lb);
	bool same = la == lb && memcmp(x, y, la) == 0;
	free(x);
	free(y);
	return same;
}

/* The same records, field by field, and the same files, byte by byte. */
static void assert_same_records(const char *home_a, const char *home_b)
{
	struct records a, b;
	struct err e = { 0 };
	assert_int_equal(store_load(home_a, NULL, &a, NULL, &e), 0);
	assert_int_equal(store_load(home_b, NULL, &b, NULL, &e), 0);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.v[i].run_id, b.v[i].run_id);
		assert_int_equal(a.v[i].started_at, b.v[i].started_at);
		assert_string_equal(a.v[i].backend, b.v[i].backend);
		assert_string_equal(a.v[i].model, b.v[i].model);
		assert_true(str_eq(a.v[i].host, b.v[i].host));
		assert_true(str_eq(a.v[i].build_commit, b.v[i].build_commit));
		assert_int_equal(a.v[i].failed, b.v[i].failed);
		assert_int_equal(a.v[i].imported, b.v[i].imported);
		if (a.v[i].pp512.present)
			assert_near(a.v[i].pp512.mean, b.v[i].pp512.mean);
		const char *na = strrchr(a.v[i].file, '/'), *nb = strrchr(b.v[i].file, '/');
		assert_string_equal(na, nb);
		assert_true(same_file(a.v[i].file, b.v[i].file));
	}
	records_free(&a);
	records_free(&b);
}

static const char other_record[] =
	"{\"schema\": 1, \"run_id\": \"11111111-2222-4333-8444-555555555555\", \"status\": \"ok\", "
	"\"started_at\": \"2026-05-16T10:00:00Z\", \"backend\": \"vulkan-radv\", \"model\": \"m\", "
	"\"host\": {\"name\": \"other-box\", \"kernel\": \"6.19\"}, \"imported\": false, "
	"\"image_digest\": \"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", "
	"\"pp512\": {\"mean\": 1000.25, \"stddev\": 2.5, \"samples\": [998.0, 1002.5]}, "
	"\"tg128\": {\"mean\": 50.0, \"stddev\": 0.5, \"samples\": []}}\n";

static void test_export_import_roundtrip(void **state)
{
	(void)state;
	char *dir = fixtures_dir();
	char *a = new_home(), *b = new_home(), *tmp = new_home();
	if (dir)
		import_all(a, dir, 1780272000); /* 2026-06-01 */
	char *results = store_dir(a);
	/* as tbx writes records (pretty), so that files compare byte by byte */
	json_object *other = json_tokener_parse(other_record);
	char *pretty = json_pretty(other);
	write_text(results, "20260516T100000Z-vulkan-radv-m-11111111-2222-4333-8444-555555555555.json",
		   pretty);
	free(pretty);
	json_object_put(other);
	char *defs = path_join(a, "containers"), *mans = path_join(a, "manifests");
	char *reports = path_join(a, "reports/2026");
	write_text(defs, "vulkan-radv.json", "{\"image\": \"theirs\"}\n");
	write_text(mans, "models.json", "{\"root\": \"/theirs\"}\n");
	write_text(reports, "index.html", "<p>report</p>\n");
	/* a corrupt record is left out of the export, with a warning */
	write_text(results, "corrupt.json", "{not json\n");

	char *out = path_join(tmp, "export.tar.gz");
	struct bundle_export_opts xo = { .host = "box-a" };
	struct bundle_counts n;
	struct strv warnings = STRV_INIT;
	struct err e = { 0 };
	assert_int_equal(bundle_export(a, out, &xo, &n, &warnings, &e), 0);
	size_t expected = (dir ? N_STRIX_LOGS : 0) + 1;
	assert_int_equal(n.results, expected);
	assert_int_equal(n.containers, 1);
	assert_int_equal(n.manifests, 1);
	assert_int_equal(n.reports, 1);
	assert_int_equal(warnings.n, 1);
	assert_non_null(strstr(warnings.v[0], "corrupt.json"));
	strv_free(&warnings);
	char *leftover = path_join(a, "results/corrupt.json");
	remove(leftover);
	free(leftover);
	assert_true(bundle_detect(out));

	/* b has its own definitions: they must stay */
	char *bdefs = path_join(b, "containers");
	write_text(bdefs, "vulkan-radv.json", "{\"image\": \"mine\"}\n");
	struct bundle_import_result r;
	assert_int_equal(bundle_import(b, out, &default_import, &r, &warnings, &e), 0);
	assert_int_equal(warnings.n, 0);
	assert_int_equal(r.added, expected);
	assert_int_equal(r.duplicates, 0);
	assert_int_equal(r.invalid, 0);
	assert_int_equal(r.definitions, 2);
	assert_int_equal(r.reports, 1);
	assert_string_equal(r.host, "box-a");
	bundle_import_result_free(&r);
	assert_same_records(a, b);
	char *mine = path_join(bdefs, "vulkan-radv.json");
	size_t len;
	char *text = read_all(mine, &len);
	assert_string_equal(text, "{\"image\": \"mine\"}\n");
	free(text);
	free(mine);
	char *bmans = path_join(b, "manifests"), *breports = path_join(b, "reports");
	assert_false(path_exists(bmans));
	assert_false(path_exists(breports));
	free(bmans), free(breports);

	/* the run kept its host */
	struct records rs;
	struct record_filter f = { .host = "other-box" };
	assert_int_equal(store_load(b, &f, &rs, NULL, &e), 0);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.v[0].image_digest, "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	records_free(&rs);

	/* again: nothing new */
	assert_int_equal(bundle_import(b, out, &default_import, &r, &warnings, &e), 0);
	assert_int_equal(r.added, 0);
	assert_int_equal(r.duplicates, expected);
	bundle_import_result_free(&r);
	assert_int_equal(files_in_results(b), expected);

	/* --since: the logs (2026-06-01), not the other record (2026-05-16) */
	xo.since = 1778932800; /* 2026-05-16T12:00:00Z */
	assert_int_equal(bundle_export(a, out, &xo, &n, &warnings, &e), 0);
	assert_int_equal(n.results, expected - 1);
	xo.since = 1778925600; /* 2026-05-16T10:00:00Z: inclusive */
	assert_int_equal(bundle_export(a, out, &xo, &n, &warnings, &e), 0);
	assert_int_equal(n.results, expected);
	strv_free(&warnings);

	/* an unwritable destination fails and leaves nothing */
	assert_int_equal(bundle_export(a, "/nonexistent/x.tar.gz", &xo, &n, &warnings, &e), -1);
	assert_non_null(strstr(e.msg, "cannot create"));
	strv_free(&warnings);

	free(out), free(results), free(defs), free(mans), free(reports), free(bdefs);
	drop_home(a), drop_home(b), drop_home(tmp);
	free(dir);
}

/* An archive member for make_tar. */
struct member {
	const char *name;
	int type;         /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR */
	const char *data; /* regular files */
	size_t len;       /* 0: strlen(data) */
	const char *link; /* symlink target, or hard link target when hard */
	bool hard;
};

static void make_tar(const char *path, const struct member *m, size_t n)
{
	struct archive *a = archive_write_new();
	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *en = archive_entry_new();
		size_t len = m[i].data ? (m[i].len ? m[i].len : strlen(m[i].data)) : 0;
		archive_entry_set_pathname(en, m[i].name);
		archive_entry_set_filetype(en, (unsigned)m[i].type);
		archive_entry_set_perm(en, 0644);
		if (m[i].hard)
			archive_entry_set_hardlink(en, m[i].link);
		else if (m[i].link)
			archive_entry_set_symlink(en, m[i].link);
		if (m[i].type == AE_IFCHR)
			archive_entry_set_rdev(en, makedev(1, 3));
		archive_entry_set_size(en, m[i].type == AE_IFREG && !m[i].hard ? (la_int64_t)len : 0);
		assert_int_equal(archive_write_header(a, en), ARCHIVE_OK);
		if (len && !m[i].hard)
			assert_int_equal(archive_write_data(a, m[i].data, len), (la_ssize_t)len);
		archive_entry_free(en);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

#define GOOD_ENTRY                                                                                \
	{ "tbx-export/results/good.json", AE_IFREG, other_record, 0, NULL, false }

/* The archive is refused with a message containing `why`, and the home
 * gets nothing, not even the valid record that came first. */
static void assert_refused(const struct member *m, size_t n, const char *why)
{
	char *home = new_home();
	char *path = path_join(home, "hostile.tar.gz");
	make_tar(path, m, n);
	struct bundle_import_result r;
	struct strv warnings = STRV_INIT;
	struct err e = { 0 };
	assert_int_equal(bundle_import(home, path, &default_import, &r, &warnings, &e), -1);
	if (!strstr(e.msg, why))
		print_error("message '%s' lacks '%s'\n", e.msg, why);
	assert_non_null(strstr(e.msg, why));
	assert_non_null(strstr(e.msg, "nothing imported"));
	assert_int_equal(r.added, 0);
	assert_int_equal(files_in_results(home), 0);
	assert_false(path_exists("/tmp/tbx-evil.json"));
	bundle_import_result_free(&r);
	strv_free(&warnings);
	free(path);
	drop_home(home);
}

/* A record like other_record with one member replaced (JSON text). */
static char *record_with(const char *run_id, const char *key, const char *value)
{
	json_object *o = json_tokener_parse(other_record);
	json_object_object_add(o, "run_id", json_object_new_string(run_id));
	if (key)
		json_object_object_add(o, key, json_tokener_parse(value));
	char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

/* Every field an imported record brings is checked by the record reader
 * before anything is written: names, digests, rates, lengths, status. */
static void test_imported_fields_checked(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{ "backend", "\"../../etc\"" },
		{ "backend", "\"b|<img>\"" },
		{ "image_digest", "\"sha256:<img src=x>\"" },
		{ "binary_sha256", "\"not-a-hash\"" },
		{ "source_sha256", "\"sha256:12\"" },
		{ "status", "\"<b>ok</b>\"" },
		{ "started_at", "\"2400-01-01T00:00:00Z\"" },
		{ "pp512", "{\"mean\": 1e12, \"stddev\": 1}" },
		{ "pp512", "{\"mean\": -5, \"stddev\": 1}" },
		{ "tg128", "{\"mean\": 5, \"stddev\": -1}" },
		{ "tg128", "{\"mean\": 5, \"samples\": [5, 2e9]}" },
		{ "build_number", "-3" },
	};
	size_t n_bad = sizeof(bad) / sizeof(bad[0]);
	struct member *m = xcalloc(n_bad + 2, sizeof(*m));
	char **texts = xcalloc(n_bad + 1, sizeof(*texts));
	char **names = xcalloc(n_bad + 1, sizeof(*names));
	for (size_t i = 0; i < n_bad; i++) {
		char id[64];
		snprintf(id, sizeof(id), "bad-%zu", i);
		texts[i] = record_with(id, bad[i][0], bad[i][1]);
		names[i] = xasprintf("tbx-export/results/%s.json", id);
		m[i] = (struct member){ names[i], AE_IFREG, texts[i], 0, NULL, false };
	}
	/* a long string: the error may be long, other text not */
	struct buf big = BUF_INIT;
	buf_init(&big);
	buf_addc(&big, '"');
	for (int i = 0; i < RECORD_MAX_TEXT + 1; i++)
		buf_addc(&big, 'm');
	buf_addc(&big, '"');
	texts[n_bad] = record_with("long-model", "model", big.p);
	m[n_bad] = (struct member){ "tbx-export/results/long.json", AE_IFREG, texts[n_bad], 0, NULL,
				    false };
	m[n_bad + 1] = (struct member){ "tbx-export/MANIFEST.json", AE_IFREG, "{\"version\": 1}", 0,
					NULL, false };
	char *home = new_home();
	char *path = path_join(home, "fields.tar.gz");
	make_tar(path, m, n_bad + 2);
	struct bundle_import_result r;
	struct strv warnings = STRV_INIT;
	struct err e = { 0 };
	assert_int_equal(bundle_import(home, path, &default_import, &r, &warnings, &e), 0);
	assert_int_equal(r.added, 0);
	assert_int_equal(r.invalid, n_bad + 1);
	assert_int_equal(files_in_results(home), 0);
	for (size_t i = 0; i < n_bad; i++) /* each warning names the key */
		if (!strstr(warnings.v[i], bad[i][0]) &&
		    !(strcmp(bad[i][0], "pp512") == 0 && strstr(warnings.v[i], "pp512")))
			fail_msg("warning '%s' does not name '%s'", warnings.v[i], bad[i][0]);
	assert_non_null(strstr(warnings.v[n_bad], "'model' is longer than 4096 bytes"));
	bundle_import_result_free(&r);
	strv_free(&warnings);
	buf_free(&big);
	for (size_t i = 0; i <= n_bad; i++)
		free(texts[i]), free(i < n_bad ? names[i] : NULL);
	free(texts), free(names), free(m), free(path);
	drop_home(home);
}

/* More records than an import may add, or an archive that expands too
 * much: refused before anything is written. */
static void test_import_limits(void **state)
{
	(void)state;
	struct member m[6];
	char *texts[5], *names[5];
	for (int i = 0; i < 5; i++) {
		char id[32];
		snprintf(id, sizeof(id), "run-%d", i);
		texts[i] = record_with(id, NULL, NULL);
		names[i] = xasprintf("tbx-export/results/%s.json", id);
		m[i] = (struct member){ names[i], AE_IFREG, texts[i], 0, NULL, false };
	}
	m[5] = (struct member){ "tbx-export/MANIFEST.json", AE_IFREG, "{\"version\": 1}", 0, NULL,
				false };
	char *home = new_home();
	char *path = path_join(home, "five.tar.gz");
	make_tar(path, m, 6);
	struct bundle_import_result r;
	struct strv warnings = STRV_INIT;
	struct err e = { 0 };
	struct bundle_import_opts three = { .max_records = 3 };
	assert_int_equal(bundle_import(home, path, &three, &r, &warnings, &e), -1);
	assert_non_null(strstr(e.msg, "more than 3 records, the limit of one import"));
	assert_int_equal(files_in_results(home), 0);
	bundle_import_result_free(&r);
	struct bundle_import_opts five = { .max_records = 5 };
	assert_int_equal(bundle_import(home, path, &five, &r, &warnings, &e), 0);
	assert_int_equal(r.added, 5);
	bundle_import_result_free(&r);
	for (int i = 0; i < 5; i++)
		free(texts[i]), free(names[i]);

	/* 12 MiB of blanks in a report: a few KiB compressed */
	size_t big = (size_t)12 << 20;
	char *blank = xmalloc(big);
	memset(blank, ' ', big);
	const struct member bomb[] = {
		GOOD_ENTRY,
		{ "tbx-export/reports/big.md", AE_IFREG, blank, big, NULL, false },
	};
	assert_refused(bomb, 2, "expands more than 100 times");
	free(blank);
	strv_free(&warnings);
	free(path);
	drop_home(home);
}

/* A record that passes every check of the archive but cannot be written
 * (its pretty text is over the one size limit) comes after two good ones:
 * nothing at all is written, no staging directory is left. */
static void test_import_all_or_nothing(void **state)
{
	(void)state;
	char *good1 = record_with("good-1", NULL, NULL), *good2 = record_with("good-2", NULL, NULL);
	/* compact text just under RECORD_MAX_BYTES, pretty text over it */
	size_t len = RECORD_MAX_TEXT;
	char *last = NULL;
	for (;; len -= 8) {
		struct buf cmd = BUF_INIT;
		buf_init(&cmd);
		buf_addc(&cmd, '[');
		for (int i = 0; i < RECORD_MAX_LIST; i++) {
			buf_adds(&cmd, i ? ",\"" : "\"");
			for (size_t k = 0; k < len; k++)
				buf_addc(&cmd, 'a');
			buf_addc(&cmd, '"');
		}
		buf_addc(&cmd, ']');
		free(last);
		last = record_with("too-big", "command", cmd.p);
		buf_free(&cmd);
		if (strlen(last) <= RECORD_MAX_BYTES)
			break;
	}
	json_object *o = json_tokener_parse(last);
	char *pretty = json_pretty(o);
	assert_true(strlen(pretty) > RECORD_MAX_BYTES); /* the premise */
	free(pretty);
	json_object_put(o);
	const struct member m[] = {
		{ "tbx-export/MANIFEST.json", AE_IFREG, "{\"version\": 1}", 0, NULL, false },
		{ "tbx-export/results/a.json", AE_IFREG, good1, 0, NULL, false },
		{ "tbx-export/results/b.json", AE_IFREG, good2, 0, NULL, false },
		{ "tbx-export/results/c.json", AE_IFREG, last, 0, NULL, false },
	};
	char *home = new_home();
	char *path = path_join(home, "partial.tar.gz");
	make_tar(path, m, 4);
	struct bundle_import_result r;
	struct strv warnings = STRV_INIT;
	struct err e = { 0 };
	assert_int_equal(bundle_import(home, path, &default_import, &r, &warnings, &e), -1);
	assert_non_null(strstr(e.msg, "nothing imported"));
	assert_non_null(strstr(e.msg, "larger than 4 MiB"));
	assert_int_equal(r.added, 0);
	char *results = store_dir(home);
	struct strv left = STRV_INIT;
	DIR *d = opendir(results);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strv_push(&left, de->d_name);
	if (d)
		closedir(d);
	if (left.n)
		fail_msg("left in results/: %s", left.v[0]);
	strv_free(&left);
	free(results);
	bundle_import_result_free(&r);
	strv_free(&warnings);
	free(good1), free(good2), free(last), free(path);
	drop_home(home);
}

/* A staging directory left by an import that was killed (kill -9) is
 * removed by the next one; a live process's is kept. */
static void test_stale_stage_removed(void **state)
{
	(void)state;
	char *home = new_home();
	char *results = store_dir(home);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	char *dead = xasprintf("%s/.import-%ld-Ab12Cd", results, (long)child);
	char *live = xasprintf("%s/.import-%ld-Ef34Gh", results, (long)getpid());
	write_text(dead, "20260516T100000Z-x.json", "{}\n");
	write_text(live, "20260516T100000Z-y.json", "{}\n");
	struct store_batch b;
	struct err e = { 0 };
	assert_int_equal(store_batch_begin(home, &b, &e), 0);
	assert_false(path_exists(dead));
	assert_true(path_exists(live));
	assert_true(is_dir(b.stage));
	store_batch_abort(&b);
	assert_int_equal(files_in_results(home), 0);
	free(dead), free(live), free(results);
	drop_home(home);
}

static void test_hostile_archives(void **state)
{
	(void)state;
	const struct member absolute[] = {
		GOOD_ENTRY,
		{ "/tmp/tbx-evil.json", AE_IFREG, other_record, 0, NULL, false },
	};
	assert_refused(absolute, 2, "absolute path");

	const struct member dotdot[] = {
		GOOD_ENTRY,
		{ "tbx-export/results/../../../tmp/tbx-evil.json", AE_IFREG, other_record, 0, NULL,
		  false },
	};
	assert_refused(dotdot, 2, "'..'");

	const struct member dotdot_front[] = {
		GOOD_ENTRY,
		{ "../tbx-evil.json", AE_IFREG, other_record, 0, NULL, false },
	};
	assert_refused(dotdot_front, 2, "'..'");

	const struct member symlink[] = {
		GOOD_ENTRY,
		{ "tbx-export/results/link.json", AE_IFLNK, NULL, 0, "/etc/passwd", false },
	};
	assert_refused(symlink, 2, "symbolic link");

	const struct member hardlink[] = {
		GOOD_ENTRY,
		{ "tbx-export/results/hard.json", AE_IFREG, NULL, 0, "/etc/passwd", true },
	};
	assert_refused(hardlink, 2, "hard link");

	const struct member device[] = {
		GOOD_ENTRY,
		{ "tbx-export/results/dev.json", AE_IFCHR, NULL, 0, NULL, false },
	};
	assert_refused(device, 2, "device");

	const struct member outside[] = {
		GOOD_ENTRY,
		{ "elsewhere/x.json", AE_IFREG, other_record, 0, NULL, false },
	};
	assert_refused(outside, 2, "not a tbx export");

	size_t big = RECORD_MAX_BYTES + 1; /* the one record limit, not 16 MiB */
	char *huge = xmalloc(big);
	memset(huge, ' ', big);
	const struct member oversized[] = {
		GOOD_ENTRY,
		{ "tbx-export/results/huge.json", AE_IFREG, huge, big, NULL, false },
	};
	assert_refused(oversized, 2, "larger than 4 MiB, the most the store reads in a record");
	free(huge);

	const struct member newer[] = {
		GOOD_ENTRY,
		{ "tbx-export/MANIFEST.json", AE_IFREG, "{\"version\": 99}", 0, NULL, false },
	};
	assert_refused(newer, 2, "newer");

	/* no MANIFEST.json: not a tbx export */
	const struct member bare[] = { GOOD_ENTRY };
	assert_refused(bare, 1, "no tbx-export/MANIFEST.json");

	/* not an archive at all */
	char *home = new_home();
	char *path = path_join(home, "x.tar.gz");
	write_text(home, "x.tar.gz", "plain text, no gzip\n");
	struct bundle_import_result r;
	struct strv warnings = STRV_INIT;
	struct err e = { 0 };
	assert_int_equal(bundle_import(home, path, &default_import, &r, &warnings, &e), -1);
	bundle_import_result_free(&r);
	assert_int_equal(files_in_results(home), 0);
	free(path);
	drop_home(home);
}

static void test_too_many_entries(void **state)
{
	(void)state;
	size_t n = BUNDLE_MAX_ENTRIES + 1;
	struct member *m = xcalloc(n, sizeof(*m));
	struct strv names = STRV_INIT;
	for (size_t i = 0; i < n; i++)
		strv_pushf(&names, "tbx-export/reports/%zu", i);
	for (size_t i = 0; i < n; i++) {
		m[i].name = names.v[i];
		m[i].type = AE_IFDIR;
	}
	assert_refused(m, n, "more than");
	strv_free(&names);
	free(m);
}

/* Records that are not JSON or not records are reported and skipped; the
 * valid ones are still imported. */
static void test_invalid_records_skipped(void **state)
{
	(void)state;
	const struct member m[] = {
		{ "tbx-export/", AE_IFDIR, NULL, 0, NULL, false },
		{ "./tbx-export/results/", AE_IFDIR, NULL, 0, NULL, false },
		GOOD_ENTRY,
		{ "tbx-export/results/garbage.json", AE_IFREG, "\x01\x02 not json", 0, NULL, false },
		{ "tbx-export/results/array.json", AE_IFREG, "[1, 2]", 0, NULL, false },
		{ "tbx-export/results/norun.json", AE_IFREG, "{\"backend\": \"x\"}", 0, NULL, false },
		{ "tbx-export/results/badid.json", AE_IFREG,
		  "{\"run_id\": \"../../x\", \"backend\": \"b\", \"started_at\": "
		  "\"2026-05-16T10:00:00Z\", \"status\": \"failed\"}",
		  0, NULL, false },
		{ "tbx-export/results/again.json", AE_IFREG, other_record, 0, NULL, false },
		{ "tbx-export/notes.txt", AE_IFREG, "hi", 0, NULL, false },
		{ "tbx-export/MANIFEST.json", AE_IFREG, "{\"version\": 1, \"host\": \"b\"}", 0, NULL,
		  false },
	};
	char *home = new_home();
	char *path = path_join(home, "mixed.tgz");
	make_tar(path, m, sizeof(m) / sizeof(m[0]));
	struct bundle_import_result r;
	struct strv warnings = STRV_INIT;
	struct err e = { 0 };
	assert_int_equal(bundle_import(home, path, &default_import, &r, &warnings, &e), 0);
	assert_int_equal(r.added, 1);
	assert_int_equal(r.invalid, 4);
	assert_int_equal(r.duplicates, 1); /* the same run twice in the bundle */
	assert_int_equal(r.other, 1);
	assert_int_equal(warnings.n, 4);
	assert_non_null(strstr(warnings.v[0], "garbage.json"));
	assert_int_equal(files_in_results(home), 1);
	bundle_import_result_free(&r);
	strv_free(&warnings);
	free(path);
	drop_home(home);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_pattern),
		cmocka_unit_test(test_run_id_from_content),
		cmocka_unit_test(test_hand_checked_logs),
		cmocka_unit_test(test_every_fixture_log),
		cmocka_unit_test(test_options_and_formats),
		cmocka_unit_test(test_import_into_store),
		cmocka_unit_test(test_export_import_roundtrip),
		cmocka_unit_test(test_hostile_archives),
		cmocka_unit_test(test_imported_fields_checked),
		cmocka_unit_test(test_import_limits),
		cmocka_unit_test(test_import_all_or_nothing),
		cmocka_unit_test(test_stale_stage_removed),
		cmocka_unit_test(test_too_many_entries),
		cmocka_unit_test(test_invalid_records_skipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
