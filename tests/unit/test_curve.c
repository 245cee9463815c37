/* test_curve.c - depth curves: depth lists, the series' commands, the load
 * flag, the calibration's choice, curve file names, and the import of
 * upstream's real campaign folders (tests/fixtures/upstream-curves, copied
 * unchanged from kyuz0/amd-strix-halo-toolboxes at d1a34be): every point
 * of every record equal to its file's row, commands, digests, statuses and
 * calibrations as the campaign files say.
 *
 * Runs from the repository root. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "curve.h"
#include "curve_import.h"
#include "hoststate.h"
#include "json.h"
#include "store.h"
#include "util.h"

#define CAMPAIGNS "tests/fixtures/upstream-curves"

static void test_depths(void **state)
{
	(void)state;
	long *d;
	size_t n;
	struct err e = { 0 };
	assert_int_equal(curve_parse_depths(CURVE_DEFAULT_DEPTHS, &d, &n, &e), 0);
	assert_int_equal(n, 9);
	assert_int_equal(d[8], 65536);
	char *t = curve_depths_text(d, n);
	assert_string_equal(t, CURVE_DEFAULT_DEPTHS);
	free(t), free(d);
	static const char *const bad[] = { "", ",0", "0,", "0,,1", "x", "-1", "0,0", "1e3",
					   "0 ,1", "1073741825", NULL };
	for (size_t i = 0; bad[i]; i++) {
		assert_int_equal(curve_parse_depths(bad[i], &d, &n, &e), -1);
		assert_null(d);
		assert_int_equal(n, 0);
	}
	assert_int_equal(curve_parse_depths("512,0", &d, &n, &e), 0); /* the order asked */
	assert_int_equal(d[0], 512);
	free(d);
}

static void test_argv_and_load_flag(void **state)
{
	(void)state;
	long depths[] = { 0, 8192 };
	struct curve_series_args a = { "/m/q.gguf", 2048, 0, depths, 2, 1024, 3, "--load-mode none" };
	struct strv v = STRV_INIT;
	curve_series_argv(&a, &v);
	char *shown = argv_to_display(v.v);
	assert_string_equal(shown, "-m /m/q.gguf -ngl 99 --load-mode none -fa 1 -p 2048 -n 0 -d "
				   "0,8192 -b 2048 -ub 1024 -r 3 -o jsonl");
	free(shown), strv_free(&v);
	a.load_flag = "-mmp 0";
	a.n_prompt = 0, a.n_gen = 128;
	curve_series_argv(&a, &v);
	shown = argv_to_display(v.v);
	assert_string_equal(shown, "-m /m/q.gguf -ngl 99 -mmp 0 -fa 1 -p 0 -n 128 -d 0,8192 -b "
				   "2048 -ub 1024 -r 3 -o jsonl");
	free(shown), strv_free(&v);
	const char *newer = "  -mmp, --mmap <0|1>  (deprecated)\n  --load-mode <none|mmap|direct-io|auto>\n";
	const char *older = "  -mmp, --mmap <0|1>                        (default: 1)\n";
	assert_string_equal(curve_load_flag_from_help(newer, strlen(newer)), "--load-mode none");
	assert_string_equal(curve_load_flag_from_help(older, strlen(older)), "-mmp 0");
	assert_string_equal(curve_load_flag_from_help(NULL, 0), "-mmp 0");
}

static void test_calibration_choice(void **state)
{
	(void)state;
	double s[] = { 300, 310 };
	struct curve_candidate c[4] = { { 256, { 0 }, NULL },
					{ 512, { 0 }, NULL },
					{ 1024, { 0 }, NULL },
					{ 2048, { 0 }, xstrdup("llama-bench failed (exit 1)") } };
	rec_test_set(&c[0].t, 305, 7, s, 2);
	rec_test_set(&c[1].t, 420.5, 1, s, 2);
	rec_test_set(&c[2].t, 419, 1, s, 2);
	json_object *cal = NULL;
	assert_int_equal(curve_calibration_choose(c, 4, 1780000000, &cal), 512);
	assert_int_equal(json_int(cal, "ubatch", 0), 512);
	json_object *cands = json_arr(cal, "candidates");
	assert_int_equal(json_object_array_length(cands), 4);
	assert_string_equal(json_str(json_object_array_get_idx(cands, 3), "error"),
			    "llama-bench failed (exit 1)");
	json_object_put(cal);
	/* none ran: no choice */
	struct curve_candidate none[1] = { { 256, { 0 }, NULL } };
	assert_int_equal(curve_calibration_choose(none, 1, 1780000000, &cal), 0);
	assert_null(json_get(cal, "ubatch"));
	json_object_put(cal);
	for (int i = 0; i < 4; i++)
		rec_test_free(&c[i].t);
	free(c[3].error);
}

static void test_names(void **state)
{
	(void)state;
	struct curve_name n;
	assert_true(curve_name_parse("x/DeepSeek-V4-Flash-0731-UD-IQ2_XXS-00001-of-00003__llama-"
				     "rocm-7.2.4__curve-generation__fa1__ub2048.stderr.log", &n));
	assert_string_equal(n.model, "DeepSeek-V4-Flash-0731-UD-IQ2_XXS");
	assert_string_equal(n.env, "llama-rocm-7.2.4");
	assert_true(n.generation && n.stderr_log);
	assert_int_equal(n.ubatch, 2048);
	curve_name_free(&n);
	assert_true(curve_name_parse("Q__llama-vulkan-radv__curve-prefill__fa1__ub256.jsonl", &n));
	assert_false(n.generation || n.stderr_log);
	curve_name_free(&n);
	static const char *const bad[] = {
		"Q__llama-x__curve-prefill__fa1__ub256.log", "Q__llama-x__curve-prefill__fa1.jsonl",
		"Q__llama-x__curve-decode__fa1__ub256.jsonl", "Q__llama-x__curve-prefill__fa2__ub256.jsonl",
		"Q__llama-x__curve-prefill__fa1__ub.jsonl", "Q__llama-x__curve-prefill__fa1__ub0.jsonl",
		"Q__llama-x__curve-prefill__fa1__ub12x.jsonl", "__llama-x__curve-prefill__fa1__ub2.jsonl",
		"Q____curve-prefill__fa1__ub2.jsonl", "Q__e__curve-prefill__fa1__ub2__x.jsonl",
		"Q__e__fa1.jsonl", NULL,
	};
	for (size_t i = 0; bad[i]; i++)
		assert_false(curve_name_parse(bad[i], &n));
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static double rel(double a, double b)
{
	return fabs(a - b) / fmax(1e-12, fabs(b));
}

/* Every row of a jsonl file equals the record's point at its depth. */
static void check_series_file(const char *path, json_object *series)
{
	struct buf t = BUF_INIT;
	struct err e = { 0 };
	buf_init(&t);
	assert_int_equal(read_file(path, 1 << 24, &t, &e), 0);
	json_object *pts = json_arr(series, "points");
	size_t rows = 0;
	for (char *line = strtok(t.p, "\n"); line; line = strtok(NULL, "\n")) {
		json_object *row = json_parse(line, strlen(line), "row", &e);
		assert_non_null(row);
		int64_t depth = json_int(row, "n_depth", -1);
		json_object *pt = NULL;
		for (size_t i = 0; i < json_object_array_length(pts); i++)
			if (json_int(json_object_array_get_idx(pts, i), "depth", -2) == depth)
				pt = json_object_array_get_idx(pts, i);
		if (!pt)
			fail_msg("%s: no point at depth %lld", path, (long long)depth);
		/* the file's avg_ts and samples_ts are rounded to 6 digits */
		double avg = json_num(row, "avg_ts", NAN), mean = json_num(pt, "mean", NAN);
		if (rel(mean, avg) > 1e-6)
			fail_msg("%s d%lld: mean %.9g, file %.9g", path, (long long)depth, mean, avg);
		json_object *fs = json_arr(row, "samples_ts"), *rs = json_arr(pt, "samples");
		assert_int_equal(json_object_array_length(fs), json_object_array_length(rs));
		for (size_t i = 0; i < json_object_array_length(fs); i++) {
			double a = json_object_get_double(json_object_array_get_idx(rs, i));
			double b = json_object_get_double(json_object_array_get_idx(fs, i));
			if (rel(a, b) > 5e-6)
				fail_msg("%s d%lld: sample %zu %.9g, file %.9g", path, (long long)depth,
					 i, a, b);
		}
		/* and exactly what the file's samples_ns say */
		json_object *ns = json_arr(row, "samples_ns");
		int64_t tokens = json_int(row, "n_prompt", 0) + json_int(row, "n_gen", 0);
		for (size_t i = 0; i < json_object_array_length(ns); i++) {
			double want = 1e9 * (double)tokens /
				      json_object_get_double(json_object_array_get_idx(ns, i));
			double got = json_object_get_double(json_object_array_get_idx(rs, i));
			if (got != want)
				fail_msg("%s d%lld: sample %zu %.17g, samples_ns say %.17g", path,
					 (long long)depth, i, got, want);
		}
		json_object_put(row);
		rows++;
	}
	assert_int_equal(rows, json_object_array_length(pts));
	buf_free(&t);
}

static void check_campaign(const char *home, const char *name)
{
	char *dir = path_join(CAMPAIGNS, name);
	struct import_opts o = { 0 };
	struct curve_import_result res;
	struct err e = { 0 };
	if (curve_import_path(home, dir, &o, &res, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(res.n, 5);
	assert_int_equal(res.added, 5);
	char *mpath = path_join(dir, "campaign_manifest.json");
	json_object *manifest = json_parse_file(mpath, 1 << 24, &e);
	assert_non_null(manifest);
	char *meta = NULL;
	struct buf mt = BUF_INIT;
	buf_init(&mt);
	char *metapath = path_join(dir, "run_metadata.txt");
	assert_int_equal(read_file(metapath, 1 << 20, &mt, &e), 0);
	meta = strstr(mt.p, "image_digest: ") + 14;
	size_t points = 0;
	for (size_t i = 0; i < res.n; i++) {
		json_object *rec = res.v[i].record;
		json_object *curve = json_obj(rec, "curve");
		struct record r;
		assert_int_equal(record_from_json(rec, "imported", &r, &e), 0);
		assert_true(record_is_curve(&r) && r.imported && !r.curve.partial);
		assert_int_equal(r.curve.n_depths, 9);
		assert_true(strncmp(r.image_digest, meta, 71) == 0);
		assert_string_equal(r.host, "fw1");
		/* what run_metadata.txt says of the host: kernel and amd_iommu=off */
		json_object *hs = json_obj(rec, "host");
		assert_string_equal(json_str(hs, "kernel_release"), "7.1.3-100.fc43.x86_64");
		assert_string_equal(json_str(json_obj(hs, "kernel_params"), "amd_iommu"), "off");
		assert_true(json_flag(hs, "state_read", false));
		assert_null(json_get(hs, "platform_profile"));
		const char *model = r.model;
		assert_int_equal(json_int(json_obj(curve, "calibration"), "ubatch", 0),
				 json_int(json_obj(manifest, "selected_ubatches"), model, -1));
		assert_int_equal(r.curve.ubatch,
				 json_int(json_obj(manifest, "selected_ubatches"), model, -1));
		/* each series' file, row by row, and its manifest command */
		static const char *const series[] = { "prefill", "generation" };
		for (int s = 0; s < 2; s++) {
			DIR *d = opendir(dir);
			struct dirent *de;
			int found = 0;
			while ((de = readdir(d))) {
				struct curve_name n;
				if (!curve_name_parse(de->d_name, &n))
					continue;
				if (!n.stderr_log && n.generation == s && str_eq(n.model, model)) {
					char *p = path_join(dir, de->d_name);
					check_series_file(p, json_obj(curve, series[s]));
					free(p);
					found++;
				}
				curve_name_free(&n);
			}
			closedir(d);
			assert_int_equal(found, 1);
			json_object *st = json_arr(manifest, "statuses");
			for (size_t k = 0; k < json_object_array_length(st); k++) {
				json_object *x = json_object_array_get_idx(st, k);
				if (!str_eq(json_str(x, "model"), model) ||
				    !str_eq(json_str(x, "series"), series[s]))
					continue;
				assert_true(json_object_equal(json_get(x, "command"),
							      json_get(json_obj(curve, series[s]), "command")));
				assert_string_equal(
					json_str(json_obj(json_obj(curve, "campaign"), series[s]), "status"),
					json_str(x, "status"));
			}
			points += json_object_array_length(json_arr(json_obj(curve, series[s]), "points"));
		}
		assert_non_null(strstr(r.device, "gfx1151") ? r.device : strstr(r.device, "RADV"));
		record_free(&r);
	}
	assert_int_equal(points, (size_t)json_int(manifest, "summary_rows", 0));
	/* importing again adds nothing */
	curve_import_result_free(&res);
	assert_int_equal(curve_import_path(home, dir, &o, &res, &e), 0);
	assert_int_equal(res.duplicates, 5);
	assert_int_equal(res.added, 0);
	curve_import_result_free(&res);
	json_object_put(manifest);
	buf_free(&mt);
	free(dir), free(mpath), free(metapath);
}

static void test_import_campaigns(void **state)
{
	(void)state;
	char home[] = "/tmp/tbx-test-curve-XXXXXX";
	assert_non_null(mkdtemp(home));
	check_campaign(home, "rocm-7.2.4");
	check_campaign(home, "vulkan-radv");
	struct records rs = { 0 };
	struct err e = { 0 };
	assert_int_equal(store_load(home, &(struct record_filter){ 0 }, &rs, NULL, &e), 0);
	assert_int_equal(rs.n, 10);
	records_free(&rs);
	nftw(home, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void test_manifest_checks(void **state)
{
	(void)state;
	struct campaign c;
	struct err e = { 0 };
	static const char *const bad[][2] = {
		{ "[]", "not a JSON object" },
		{ "{\"depths\": [0, -1]}", "depths[1]" },
		{ "{\"statuses\": {}}", "statuses is not an array" },
		{ "{\"statuses\": [1]}", "statuses[0] is not an object" },
		{ "{\"statuses\": [{\"command\": \"x\"}]}", "statuses[0].command is not an array" },
		{ "{\"statuses\": [{\"command\": [1]}]}", "statuses[0].command[0]" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(campaign_manifest_parse(bad[i][0], strlen(bad[i][0]), &c, &e), -1);
		if (!strstr(e.msg, bad[i][1]))
			fail_msg("'%s': '%s' lacks '%s'", bad[i][0], e.msg, bad[i][1]);
	}
	const char *ok = "{\"statuses\": [{\"model\": \"m\", \"series\": \"prefill\", \"return_code\": 1, "
			 "\"command\": [\"llama-bench\"]}], \"complete\": false}";
	assert_int_equal(campaign_manifest_parse(ok, strlen(ok), &c, &e), 0);
	assert_int_equal(c.complete, 0);
	assert_int_equal(campaign_status_find(&c, "m", "prefill")->return_code, 1);
	assert_null(campaign_status_find(&c, "m", "generation"));
	campaign_free(&c);
	struct run_metadata m;
	const char *meta = "host: fw1\nimage_digest: sha256:zz\ncooldown_seconds: 10\nkernel: 7\x1b[31m\n"
			   "linux_firmware: linux-firmware-20260309-1.fc43.noarch\n"
			   "host_profile: quiet (powersave)\n";
	run_metadata_parse(meta, strlen(meta), &m);
	assert_string_equal(m.host, "fw1");
	assert_string_equal(m.firmware, "linux-firmware-20260309-1.fc43.noarch");
	json_object *hs = hoststate_from_metadata(m.kernel, m.host_profile, m.firmware);
	assert_null(json_get(hs, "kernel_release")); /* "7?[31m": no version */
	assert_null(json_get(hs, "kernel_params"));  /* no parameter named: unknown */
	assert_string_equal(json_str(json_obj(hs, "firmware"), "linux-firmware"),
			    "linux-firmware-20260309-1.fc43.noarch");
	assert_string_equal(json_str(hs, "host_profile"), "quiet (powersave)");
	json_object_put(hs);
	assert_null(hoststate_from_metadata(NULL, NULL, NULL));
	assert_null(m.image_digest); /* not a digest */
	assert_int_equal(m.cooldown_s, 10);
	assert_null(strchr(m.kernel, '\x1b'));
	run_metadata_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_depths),		 cmocka_unit_test(test_argv_and_load_flag),
		cmocka_unit_test(test_calibration_choice), cmocka_unit_test(test_names),
		cmocka_unit_test(test_import_campaigns), cmocka_unit_test(test_manifest_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
