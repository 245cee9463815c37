/* test_llama_bench.c - llama-bench output parsing (jsonl, json, markdown).
 *
 * Runs from the repository root: canned inputs are read from
 * tests/fixtures/llama-bench/, and the real Strix Halo logs from
 * $TBX_FIXTURES_DIR (the logs directory or its parent) or
 * ../shared/fixtures/strix-halo-logs; that test is skipped without them.
 */
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
#include "llama_bench.h"
#include "util.h"

#define FIX "tests/fixtures/llama-bench/"
#define MAX_FIXTURE (16u << 20)

#define assert_near(a, b, eps) check_near((a), (b), (eps), #a, __FILE__, __LINE__)

static void check_near(double a, double b, double eps, const char *what, const char *file, int line)
{
	if (fabs(a - b) <= eps)
		return;
	print_error("%s:%d: %s = %.9g, expected %.9g (within %g)\n", file, line, what, a, b, eps);
	fail();
}

/* A fixture as an exact-size heap copy without a terminating NUL, so that
 * AddressSanitizer catches any read past the length the parser was given. */
static char *load(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;
	struct err e;
	err_clear(&e);
	buf_init(&b);
	if (read_file(path, MAX_FIXTURE, &b, &e) < 0) {
		print_error("%s\n", e.msg);
		buf_free(&b);
		fail();
	}
	char *p = xmalloc(b.len ? b.len : 1);
	memcpy(p, b.p, b.len);
	*len = b.len;
	buf_free(&b);
	return p;
}

typedef int (*parser)(const char *, size_t, struct lb_run *, struct err *);

/* Parse a fixture; returns the parser's result, r filled. */
static int parse_file(parser fn, const char *path, struct lb_run *r, struct err *e)
{
	size_t len;
	char *text = load(path, &len);
	lb_run_init(r);
	err_clear(e);
	int rc = fn(text, len, r, e);
	free(text);
	return rc;
}

static int parse_str(parser fn, const char *s, struct lb_run *r, struct err *e)
{
	lb_run_init(r);
	err_clear(e);
	return fn(s, strlen(s), r, e);
}

static const struct lb_test *must_find(const struct lb_run *r, int np, int ng, int nd)
{
	const struct lb_test *t = lb_find(r, np, ng, nd);
	if (!t) {
		print_error("test (%d, %d, %d) not found among %zu\n", np, ng, nd, r->n_tests);
		fail();
	}
	return t;
}

/* mean and sample stddev of tokens/s computed here from samples_ns */
static void expect_from_ns(const struct lb_test *t, int tokens, const double *ns, size_t n)
{
	double ts[16], m = 0, v = 0;
	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++) {
		ts[i] = 1e9 * tokens / ns[i];
		m += ts[i];
	}
	m /= (double)n;
	for (size_t i = 0; i < n; i++)
		v += (ts[i] - m) * (ts[i] - m);
	assert_int_equal(t->n_samples, n);
	for (size_t i = 0; i < n; i++)
		assert_near(t->samples[i], ts[i], 1e-9);
	assert_near(t->mean, m, 1e-9);
	assert_near(t->stddev, sqrt(v / (double)(n - 1)), 1e-9);
}

/* ---- lb_stats ---- */

static void test_stats(void **state)
{
	(void)state;
	double m, sd;
	const double a[] = { 1, 2, 3, 4 };
	lb_stats(a, 4, &m, &sd);
	assert_near(m, 2.5, 1e-15);
	assert_near(sd, sqrt(5.0 / 3.0), 1e-15);

	const double one[] = { 79.78 };
	lb_stats(one, 1, &m, &sd);
	assert_near(m, 79.78, 0);
	assert_near(sd, 0, 0);

	/* equal samples: upstream's formula gives -nan here */
	const double same[] = { 1692.71, 1692.71, 1692.71, 1692.71, 1692.71 };
	lb_stats(same, 5, &m, &sd);
	assert_near(m, 1692.71, 1e-12);
	assert_near(sd, 0, 1e-9);

	const double mixed[] = { NAN, 10, INFINITY, 20, -INFINITY, 30 };
	lb_stats(mixed, 6, &m, &sd);
	assert_near(m, 20, 1e-12);
	assert_near(sd, 10, 1e-12);

	const double none[] = { NAN, INFINITY };
	lb_stats(none, 2, &m, &sd);
	assert_true(isnan(m) && isnan(sd));
	lb_stats(NULL, 0, &m, &sd);
	assert_true(isnan(m) && isnan(sd));

	/* large values with a tiny spread: no cancellation */
	const double big[] = { 1e9 + 1, 1e9 + 2, 1e9 + 3 };
	lb_stats(big, 3, &m, &sd);
	assert_near(m, 1e9 + 2, 1e-6);
	assert_near(sd, 1, 1e-6);
}

/* ---- jsonl ---- */

static void test_jsonl_real(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	assert_int_equal(parse_file(lb_parse_jsonl, FIX "vulkan-radv.jsonl", &r, &e), 0);
	assert_int_equal(r.n_tests, 4);
	assert_string_equal(r.build_commit, "0253fb21f");
	assert_int_equal(r.build_number, 9187);
	assert_string_equal(r.backends, "Vulkan");
	assert_string_equal(r.gpu_info, "AMD Radeon 8060S Graphics (RADV GFX1151)");
	assert_string_equal(r.model_filename, "/home/user/models/gpt-oss-20b-mxfp4.gguf");
	assert_string_equal(r.model_type, "gpt-oss 20B MXFP4 MoE");
	assert_true(r.model_size == INT64_C(12109565952));
	assert_true(r.model_n_params == INT64_C(20914757184));
	assert_int_equal(r.n_gpu_layers, 99);
	assert_false(r.failed);
	assert_null(r.error);
	assert_int_equal(r.devices.n, 0);

	const struct lb_test *pp = must_find(&r, 512, 0, 0);
	assert_string_equal(pp->name, "pp512");
	const double pp_ns[] = { 304752098, 304023702, 305916945, 303264808, 302237023 };
	expect_from_ns(pp, 512, pp_ns, 5);
	/* agrees with llama-bench's own avg_ts/stddev_ts ("%f") */
	assert_near(pp->mean, 1684.023667, 1e-6);
	assert_near(pp->stddev, 7.773078, 1e-6);
	assert_near(pp->samples[0], 1680.05, 0.005);

	const struct lb_test *tg = must_find(&r, 0, 128, 0);
	assert_string_equal(tg->name, "tg128");
	const double tg_ns[] = { 1609336641, 1601132617, 1601941982, 1606326583, 1601720358 };
	expect_from_ns(tg, 128, tg_ns, 5);
	assert_near(tg->mean, 79.796259, 1e-6);
	assert_near(tg->stddev, 0.178275, 1e-6);

	const struct lb_test *ppd = must_find(&r, 512, 0, 4096);
	assert_string_equal(ppd->name, "pp512 @ d4096");
	assert_near(ppd->mean, 1206.111949, 1e-6);
	assert_near(ppd->stddev, 3.391061, 1e-6);
	const struct lb_test *tgd = must_find(&r, 0, 128, 4096);
	assert_string_equal(tgd->name, "tg128 @ d4096");
	assert_near(tgd->mean, 71.326173, 1e-6);
	assert_null(lb_find(&r, 512, 0, 512));
	lb_run_free(&r);
	lb_run_free(&r); /* a freed run is an empty run */
}

static void test_jsonl_nan(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	assert_int_equal(parse_file(lb_parse_jsonl, FIX "nan.jsonl", &r, &e), 0);
	assert_int_equal(r.n_tests, 3);
	assert_string_equal(r.model_filename, "/models/nan-inf.gguf"); /* strings untouched */
	assert_string_equal(r.backends, "ROCm");

	/* "stddev_ts": -nan with five equal samples: recomputed as 0 */
	const struct lb_test *pp = must_find(&r, 512, 0, 0);
	assert_int_equal(pp->n_samples, 5);
	assert_near(pp->mean, 512e9 / 302474000, 1e-9);
	assert_near(pp->stddev, 0, 1e-9);

	/* no samples_ns: samples_ts, whose inf and -nan are dropped */
	const struct lb_test *tg = must_find(&r, 0, 128, 0);
	assert_int_equal(tg->n_samples, 3);
	assert_near(tg->mean, (72.75 + 72.61 + 72.70) / 3, 1e-9);
	assert_near(tg->stddev, 0.070945988, 1e-6);

	/* no samples at all: avg_ts, and stddev_ts -nan(ind) is unknown */
	const struct lb_test *d = must_find(&r, 512, 0, 4096);
	assert_null(d->samples);
	assert_int_equal(d->n_samples, 0);
	assert_near(d->mean, 512.5, 0);
	assert_true(isnan(d->stddev));
	lb_run_free(&r);
}

static void test_jsonl_duplicate(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	assert_int_equal(parse_file(lb_parse_jsonl, FIX "duplicate.jsonl", &r, &e), -1);
	assert_string_equal(e.msg, "line 3: duplicate result for test 'pp512' in llama-bench output");
	lb_run_free(&r);
}

static void test_jsonl_flash_attn(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	/* older build: flash_attn is a bool and there is no n_depth */
	assert_int_equal(parse_file(lb_parse_jsonl, FIX "flash-attn-bool.jsonl", &r, &e), 0);
	assert_int_equal(r.n_tests, 2);
	assert_string_equal(r.build_commit, "8cf427ff");
	assert_int_equal(r.build_number, 5163);
	assert_string_equal(r.backends, "CUDA");
	assert_int_equal(must_find(&r, 512, 0, 0)->n_depth, 0);
	assert_string_equal(must_find(&r, 0, 128, 0)->name, "tg128");
	lb_run_free(&r);

	/* newer build: flash_attn is -1 (auto), 0 or 1 (here -1 on every row) */
	assert_int_equal(parse_file(lb_parse_jsonl, FIX "flash-attn-int.jsonl", &r, &e), 0);
	assert_int_equal(r.n_tests, 3);
	const struct lb_test *both = must_find(&r, 512, 128, 0);
	assert_string_equal(both->name, "pp512+tg128");
	assert_near(both->mean, 300.945143, 1e-6);
	assert_near(both->stddev, 0.581755, 1e-6);
	assert_near(must_find(&r, 512, 0, 0)->mean, 1690.628106, 1e-6);
	lb_run_free(&r);
}

/* ---- effective settings ---- */

/* The JSON text of one setting ("absent" when missing). */
static const char *setting(const struct lb_run *r, const char *key)
{
	json_object *v = NULL;
	assert_non_null(r->settings);
	if (!json_object_object_get_ex(r->settings, key, &v))
		return "absent";
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* one row of a newer build, with extra fields spliced in */
static char *row(const char *extra, int n_prompt, int n_gen)
{
	return xasprintf("{\"build_commit\": \"0253fb21f\", \"build_number\": 9187, "
			 "\"n_threads\": 16, %s\"n_prompt\": %d, \"n_gen\": %d, \"n_depth\": 0, "
			 "\"avg_ts\": 100.5, \"samples_ts\": [100, 101]}\n",
			 extra, n_prompt, n_gen);
}

static int parse_rows(const char *extra1, const char *extra2, struct lb_run *r, struct err *e)
{
	char *a = row(extra1, 512, 0), *b = row(extra2, 0, 128);
	char *both = xasprintf("%s%s", a, b);
	int rc = parse_str(lb_parse_jsonl, both, r, e);
	free(a), free(b), free(both);
	return rc;
}

static void test_settings_generations(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	/* an old build: flash_attn a bool, use_mmap a bool, no n_depth */
	assert_int_equal(parse_file(lb_parse_jsonl, FIX "flash-attn-bool.jsonl", &r, &e), 0);
	assert_string_equal(setting(&r, "flash_attn"), "1");
	assert_string_equal(setting(&r, "load_mode"), "\"none\"");
	assert_string_equal(setting(&r, "use_mmap"), "absent");
	assert_string_equal(setting(&r, "n_threads"), "16");
	assert_string_equal(setting(&r, "type_k"), "\"f16\"");
	assert_string_equal(setting(&r, "n_depth"), "absent");
	assert_string_equal(setting(&r, "n_prompt"), "absent"); /* a result, not a setting */
	assert_string_equal(setting(&r, "build_commit"), "absent");
	lb_run_free(&r);
	/* flash_attn -1 (auto); no_op_offload printed as 0 is a flag */
	assert_int_equal(parse_file(lb_parse_jsonl, FIX "flash-attn-int.jsonl", &r, &e), 0);
	assert_string_equal(setting(&r, "flash_attn"), "-1");
	assert_string_equal(setting(&r, "no_op_offload"), "false");
	assert_string_equal(setting(&r, "devices"), "\"auto\"");
	assert_string_equal(setting(&r, "n_depth"), "0");
	lb_run_free(&r);
	/* the newest: load_mode a string, fields tbx does not know kept as they came */
	assert_int_equal(parse_file(lb_parse_jsonl, FIX "load-mode.jsonl", &r, &e), 0);
	assert_string_equal(setting(&r, "load_mode"), "\"auto\"");
	assert_string_equal(setting(&r, "moe_cache"), "{\"size\":0,\"kind\":\"none\"}");
	assert_string_equal(setting(&r, "repack"), "true");
	assert_string_equal(setting(&r, "fit_target"), "1024");
	assert_string_equal(setting(&r, "n_gen_warmup"), "1");
	lb_run_free(&r);
	/* -o json gives the same */
	assert_int_equal(parse_file(lb_parse_json, FIX "complete.json", &r, &e), 0);
	assert_string_equal(setting(&r, "flash_attn"), "1");
	assert_string_equal(setting(&r, "load_mode"), "\"none\"");
	lb_run_free(&r);
	/* flash_attn as words; use_direct_io folded into load_mode */
	assert_int_equal(parse_rows("\"flash_attn\": \"auto\", \"use_mmap\": true, "
				    "\"use_direct_io\": true, ",
				    "\"flash_attn\": -1, \"use_mmap\": 1, \"use_direct_io\": 1, ",
				    &r, &e),
			 0);
	assert_string_equal(setting(&r, "flash_attn"), "-1");
	assert_string_equal(setting(&r, "load_mode"), "\"direct-io\"");
	lb_run_free(&r);
	assert_int_equal(parse_rows("\"use_mmap\": true, ", "\"use_mmap\": true, ", &r, &e), 0);
	assert_string_equal(setting(&r, "load_mode"), "\"mmap\"");
	lb_run_free(&r);
}

static void test_settings_refused(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	/* rows of one run that disagree: refused, naming the setting */
	assert_int_equal(parse_file(lb_parse_jsonl, FIX "contradictory.jsonl", &r, &e), -1);
	assert_string_equal(e.msg, "line 2: contradictory settings in one run: flash_attn is 1 here "
				   "but -1 on an earlier row");
	lb_run_free(&r);
	assert_int_equal(e.exit_code, EXIT_REFUSED);
	/* a sweep (-fa 0,1) repeats pp512 with another setting: the setting is
	 * named, not the repeated test */
	{
		char *a = row("\"flash_attn\": 0, ", 512, 0), *b = row("\"flash_attn\": 0, ", 0, 128);
		char *c = row("\"flash_attn\": 1, ", 512, 0);
		char *all = xasprintf("%s%s%s", a, b, c);
		assert_int_equal(parse_str(lb_parse_jsonl, all, &r, &e), -1);
		assert_string_equal(e.msg, "line 3: contradictory settings in one run: flash_attn is 1 "
					   "here but 0 on an earlier row");
		assert_int_equal(e.exit_code, EXIT_REFUSED);
		lb_run_free(&r);
		free(a), free(b), free(c), free(all);
		const char *md = "| model | backend | fa | test | t/s |\n"
				 "| --- | --- | -: | --: | --: |\n"
				 "| llama 7B | CPU | 0 | pp512 | 9.5 ± 0.1 |\n"
				 "| llama 7B | CPU | 0 | tg128 | 2.5 ± 0.1 |\n"
				 "| llama 7B | CPU | 1 | pp512 | 9.9 ± 0.1 |\n";
		assert_int_equal(parse_str(lb_parse_markdown, md, &r, &e), -1);
		assert_string_equal(e.msg, "line 5: contradictory settings in one run: flash_attn is 1 "
					   "here but 0 on an earlier row");
		lb_run_free(&r);
	}
	assert_int_equal(parse_rows("\"n_threads\": 16, ", "\"n_ubatch\": 512, ", &r, &e), -1);
	assert_string_equal(e.msg, "line 2: contradictory settings in one run: n_ubatch is 512 here "
				   "but absent on an earlier row");
	lb_run_free(&r);
	/* a known field of the wrong type */
	static const char *const bad[][2] = {
		{ "\"n_batch\": \"2048\", ", "line 1: llama-bench's 'n_batch' is a string, expected an integer" },
		{ "\"n_ubatch\": 512.5, ", "line 1: llama-bench's 'n_ubatch' is a fraction, expected an integer" },
		{ "\"type_k\": 16, ", "line 1: llama-bench's 'type_k' is an integer, expected a string" },
		{ "\"use_mmap\": \"yes\", ", "line 1: llama-bench's 'use_mmap' is a string, expected a boolean" },
		{ "\"no_host\": 2, ", "line 1: llama-bench's 'no_host' is an integer, expected a boolean" },
		{ "\"flash_attn\": 2, ", "line 1: llama-bench's 'flash_attn' is an integer, expected a "
					"boolean, -1, 0, 1, \"auto\", \"on\" or \"off\"" },
		{ "\"load_mode\": null, ", "line 1: llama-bench's 'load_mode' is null, expected a string" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_rows(bad[i][0], bad[i][0], &r, &e), -1);
		assert_string_equal(e.msg, bad[i][1]);
		lb_run_free(&r);
	}
}

static void test_settings_markdown(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	/* upstream's logs: ngl, fa and mmap columns */
	const char *md = "| model | size | params | backend | ngl | fa | mmap | test | t/s |\n"
			 "| --- | ---: | ---: | --- | --: | -: | ---: | ---: | ---: |\n"
			 "| deepseek2 30B.A3B Q8_0 | 32.70 GiB | 29.94 B | Vulkan | 99 | 1 | 0 | pp512 | 1092.07 ± 1.21 |\n"
			 "| deepseek2 30B.A3B Q8_0 | 32.70 GiB | 29.94 B | Vulkan | 99 | 1 | 0 | tg128 | 41.17 ± 0.01 |\n"
			 "\nbuild: 0253fb21f (9187)\n";
	assert_int_equal(parse_str(lb_parse_markdown, md, &r, &e), 0);
	assert_string_equal(setting(&r, "n_gpu_layers"), "99");
	assert_string_equal(setting(&r, "flash_attn"), "1");
	assert_string_equal(setting(&r, "load_mode"), "\"none\"");
	lb_run_free(&r);
	/* threads and a column tbx does not know */
	md = "| model | backend | threads | mystery | test | t/s |\n"
	     "| --- | --- | --: | --- | --: | --: |\n"
	     "| llama 7B | CPU | 8 | x y | tg128 | 9.5 ± 0.1 |\n";
	assert_int_equal(parse_str(lb_parse_markdown, md, &r, &e), 0);
	assert_string_equal(setting(&r, "n_threads"), "8");
	assert_string_equal(setting(&r, "mystery"), "\"x y\"");
	lb_run_free(&r);
	/* no setting column: settings unknown */
	assert_int_equal(parse_file(lb_parse_markdown, FIX "md-old-build.md", &r, &e), 0);
	lb_run_free(&r);
	/* rows that disagree beyond the test: refused */
	md = "| model | backend | fa | test | t/s |\n"
	     "| --- | --- | -: | --: | --: |\n"
	     "| llama 7B | CPU | 0 | pp512 | 9.5 ± 0.1 |\n"
	     "| llama 7B | CPU | 1 | tg128 | 9.5 ± 0.1 |\n";
	assert_int_equal(parse_str(lb_parse_markdown, md, &r, &e), -1);
	assert_string_equal(e.msg, "line 4: contradictory settings in one run: flash_attn is 1 here "
				   "but 0 on an earlier row");
	lb_run_free(&r);
	/* the test bed's llama-bench (Debian 11669) with non-default settings:
	 * its markdown shows them under short names (lm, nopo, fitt, rpk),
	 * which land under the JSON field names, with the same values */
	struct lb_run j;
	assert_int_equal(parse_file(lb_parse_jsonl, FIX "debian-11669-settings.jsonl", &j, &e), 0);
	assert_string_equal(setting(&j, "load_mode"), "\"none\"");
	assert_string_equal(setting(&j, "lazy_mode"), "\"off\""); /* unknown: as it came */
	assert_string_equal(setting(&j, "fit_target"), "512");
	assert_string_equal(setting(&j, "fit_min_ctx"), "0");
	assert_string_equal(setting(&j, "no_op_offload"), "true");
	assert_string_equal(setting(&j, "repack"), "false");
	assert_int_equal(parse_file(lb_parse_markdown, FIX "debian-11669-settings.md", &r, &e), 0);
	static const char *const same[] = { "n_threads", "poll",       "n_ubatch",  "flash_attn",
					     "load_mode", "lazy_mode", "no_op_offload", "fit_target" };
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		assert_string_equal(setting(&r, same[i]), setting(&j, same[i]));
	assert_string_equal(setting(&r, "lm"), "absent");
	assert_string_equal(setting(&r, "fitt"), "absent");
	assert_string_equal(setting(&r, "repack"), "0"); /* unknown: the cell as printed */
	lb_run_free(&r);
	lb_run_free(&j);
	md = "| model | backend | noh | fitc | test | t/s |\n"
	     "| --- | --- | --: | --: | --: | --: |\n"
	     "| llama 7B | CPU | 1 | 8192 | tg128 | 9.5 ± 0.1 |\n";
	assert_int_equal(parse_str(lb_parse_markdown, md, &r, &e), 0);
	assert_string_equal(setting(&r, "no_host"), "true");
	assert_string_equal(setting(&r, "fit_min_ctx"), "8192");
	lb_run_free(&r);
	/* fit_target is a known integer */
	assert_int_equal(parse_rows("\"fit_target\": \"1024\", ", "\"fit_target\": \"1024\", ", &r, &e), -1);
	assert_string_equal(e.msg, "line 1: llama-bench's 'fit_target' is a string, expected an integer");
	lb_run_free(&r);
	assert_string_equal(lb_setting_type("use_mmap"), "load_mode");
	assert_string_equal(lb_setting_type("n_threads"), "int");
	assert_null(lb_setting_type("avg_ts"));
	assert_null(lb_setting_type("moe_cache"));
}

static void test_jsonl_noise(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	/* stderr mixed in, JSON that is no result, a last line cut short */
	assert_int_equal(parse_file(lb_parse_jsonl, FIX "noise-truncated.jsonl", &r, &e), 0);
	assert_int_equal(r.n_tests, 2);
	assert_non_null(lb_find(&r, 512, 0, 0));
	assert_non_null(lb_find(&r, 0, 128, 0));
	assert_null(lb_find(&r, 512, 0, 4096));
	assert_int_equal(r.devices.n, 1);
	assert_string_equal(r.devices.v[0], "Device 0: AMD Radeon 8060S Graphics, gfx1151 (0x1151), VMM: no, "
					    "Wave Size: 32, VRAM: 126976 MiB");
	lb_run_free(&r);
}

static void test_jsonl_invalid_utf8(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	assert_int_equal(parse_file(lb_parse_jsonl, FIX "invalid-utf8.jsonl", &r, &e), 0);
	assert_int_equal(r.n_tests, 1);
	/* stray, overlong, surrogate and out-of-range bytes become '?', and so
	 * does an invisible character (U+200B) that would hide in a name */
	assert_string_equal(r.model_filename, "/home/user/models/caf?-?\?-?\?-?\??.gguf");
	assert_string_equal(r.gpu_info, "AMD Radeon ?8060S ?\?\?\? (RADV GFX1151)");
	assert_int_equal(r.devices.n, 1);
	assert_string_equal(r.devices.v[0], "ggml_vulkan: 0 = AMD Radeon ?? (RADV GFX1151) (radv) | uma: 1 | fp16: 1");
	lb_run_free(&r);
}

static void test_jsonl_errors(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	assert_int_equal(parse_str(lb_parse_jsonl, "", &r, &e), -1);
	assert_string_equal(e.msg, "no result rows in llama-bench output");
	lb_run_free(&r);
	assert_int_equal(parse_str(lb_parse_jsonl, "main: error: failed to load model\n{\"a\": 1}\n", &r, &e), -1);
	assert_string_equal(e.msg, "no result rows in llama-bench output");
	lb_run_free(&r);
	lb_run_init(&r);
	err_clear(&e);
	assert_int_equal(lb_parse_jsonl(NULL, 0, &r, &e), -1);
	lb_run_free(&r);

	assert_int_equal(parse_str(lb_parse_jsonl, "{\"n_prompt\": -5, \"n_gen\": 0, \"avg_ts\": 1}\n", &r, &e), -1);
	assert_string_equal(e.msg, "line 1: n_prompt, n_gen or n_depth out of range");
	lb_run_free(&r);
	assert_int_equal(parse_str(lb_parse_jsonl, "{\"n_prompt\": 512, \"n_gen\": 0, \"n_depth\": 99999999999}\n", &r, &e),
			 -1);
	lb_run_free(&r);
	assert_int_equal(parse_str(lb_parse_jsonl, "{\"n_prompt\": 512, \"n_gen\": 0, \"avg_ts\": -nan}\n", &r, &e), -1);
	assert_string_equal(e.msg, "line 1: test 'pp512' has no usable timing (no positive samples and no positive avg_ts)");
	lb_run_free(&r);

	/* zero and negative durations are no samples; the other rows count */
	assert_int_equal(parse_str(lb_parse_jsonl,
				   "{\"n_prompt\": 0, \"n_gen\": 128, \"samples_ns\": [0, -5, 1e400, \"x\", "
				   "1280000000], \"avg_ts\": 3}\n",
				   &r, &e),
			 0);
	assert_int_equal(r.tests[0].n_samples, 1);
	assert_near(r.tests[0].mean, 100, 1e-12);
	assert_near(r.tests[0].stddev, 0, 0);
	lb_run_free(&r);

	/* nan-like words inside strings and keys are left alone */
	assert_int_equal(parse_str(lb_parse_jsonl,
				   "{\"model_type\": \"nan inf -nan\", \"n_prompt\": 1, \"n_gen\": 0, \"nan\": nan, "
				   "\"avg_ts\": 5, \"stddev_ts\": inf, \"x\": [Infinity, -Infinity, NaN, nanx]}\n"
				   "{\"model_type\": \"b\", \"n_prompt\": 2, \"n_gen\": 0, \"avg_ts\": 6, \"stddev_ts\": -inf}\n",
				   &r, &e),
			 0);
	assert_int_equal(r.n_tests, 1); /* "nanx" is no token we rewrite: line 1 is invalid */
	assert_string_equal(r.model_type, "b");
	assert_true(isnan(r.tests[0].stddev));
	lb_run_free(&r);
}

static void test_huge_line(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	struct buf b;
	const char *row = "{\"n_prompt\": 512, \"n_gen\": 0, \"avg_ts\": 100.5, \"stddev_ts\": 1}\n";
	buf_init(&b);
	buf_adds(&b, "{\"n_prompt\": 0, \"n_gen\": 128, \"avg_ts\": 1, \"model_filename\": \"");
	for (size_t i = 0; i < (3u << 19); i++)
		buf_addc(&b, 'a');
	buf_adds(&b, "\"}\n");
	assert_int_equal(parse_str(lb_parse_jsonl, b.p, &r, &e), -1);
	assert_string_equal(e.msg, "no result rows in llama-bench output (ignored 1 line(s) longer than 1048576 bytes)");
	lb_run_free(&r);

	buf_adds(&b, row);
	assert_int_equal(parse_str(lb_parse_jsonl, b.p, &r, &e), 0);
	assert_int_equal(r.n_tests, 1);
	assert_non_null(lb_find(&r, 512, 0, 0));
	assert_null(r.model_filename);
	lb_run_free(&r);
	assert_int_equal(parse_str(lb_parse_any, b.p, &r, &e), 0);
	assert_int_equal(r.n_tests, 1);
	lb_run_free(&r);

	/* a huge error line is cut short in the summary */
	buf_reset(&b);
	buf_adds(&b, "main: error: ");
	for (size_t i = 0; i < 5000; i++)
		buf_addc(&b, 'x');
	char *s = lb_error_summary(b.p, b.len);
	assert_non_null(s);
	assert_true(strlen(s) < 1000);
	assert_true(str_starts_with(s, "main: error: xxx"));
	assert_true(str_ends_with(s, "..."));
	free(s);
	buf_free(&b);
}

/* ---- json ---- */

static void test_json(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	assert_int_equal(parse_file(lb_parse_json, FIX "complete.json", &r, &e), 0);
	assert_int_equal(r.n_tests, 2);
	assert_string_equal(r.backends, "ROCm");
	assert_near(must_find(&r, 512, 0, 0)->mean, 1788.984889, 1e-6);
	assert_near(must_find(&r, 512, 0, 0)->stddev, 15.885001, 1e-6);
	assert_near(must_find(&r, 0, 128, 0)->mean, 72.664696, 1e-6);
	assert_near(must_find(&r, 0, 128, 0)->stddev, 0.105373, 1e-6);
	lb_run_free(&r);

	/* the model of the third test failed to load: no "]" */
	assert_int_equal(parse_file(lb_parse_json, FIX "truncated.json", &r, &e), 0);
	assert_int_equal(r.n_tests, 2);
	assert_near(must_find(&r, 512, 0, 0)->mean, 1788.984889, 1e-6);
	assert_near(must_find(&r, 0, 128, 0)->mean, 72.664696, 1e-6);
	lb_run_free(&r);

	assert_int_equal(parse_file(lb_parse_json, FIX "truncated-first.json", &r, &e), -1);
	assert_string_equal(e.msg, "llama-bench json output ends before its first complete result");
	lb_run_free(&r);

	assert_int_equal(parse_str(lb_parse_json, "[\n]\n", &r, &e), -1);
	assert_string_equal(e.msg, "no result rows in llama-bench output");
	lb_run_free(&r);
	assert_int_equal(parse_str(lb_parse_json, "[INFO] x\n[\n  {\"n_prompt\": 1, \"n_gen\": 0, \"avg_ts\": 1}\n]\n", &r, &e),
			 0);
	assert_int_equal(r.n_tests, 1);
	lb_run_free(&r);
	assert_int_equal(parse_str(lb_parse_json, "no json [here]", &r, &e), -1);
	assert_string_equal(e.msg, "llama-bench json output: no array found");
	lb_run_free(&r);
	/* garbage after a complete object ends the array; what came before counts */
	assert_int_equal(parse_str(lb_parse_json,
				   "[{\"n_prompt\": 512, \"n_gen\": 0, \"avg_ts\": 2, \"stddev_ts\": nan}, oops]", &r, &e),
			 0);
	assert_int_equal(r.n_tests, 1);
	assert_true(isnan(r.tests[0].stddev));
	lb_run_free(&r);
	assert_int_equal(parse_str(lb_parse_json,
				   "[{\"n_prompt\": 512, \"n_gen\": 0, \"avg_ts\": 2},\n"
				   " {\"n_prompt\": 512, \"n_gen\": 0, \"avg_ts\": 2}]",
				   &r, &e),
			 -1);
	assert_string_equal(e.msg, "result 2: duplicate result for test 'pp512' in llama-bench output");
	lb_run_free(&r);
}

/* ---- markdown ---- */

static void test_markdown_duplicated(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	assert_int_equal(parse_file(lb_parse_markdown, FIX "md-duplicated.log", &r, &e), 0);
	assert_false(r.failed);
	assert_int_equal(r.n_tests, 2);
	assert_int_equal(r.devices.n, 1);
	assert_string_equal(r.model_type, "llama 7B Q4_0");
	assert_near(must_find(&r, 512, 0, 0)->mean, 1543.21, 0);
	assert_near(must_find(&r, 512, 0, 0)->stddev, 12.07, 0);
	assert_null(must_find(&r, 512, 0, 0)->samples);
	assert_near(must_find(&r, 0, 128, 0)->mean, 51.93, 0);
	lb_run_free(&r);
}

static void test_markdown_old_build(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	assert_int_equal(parse_file(lb_parse_markdown, FIX "md-old-build.md", &r, &e), 0);
	assert_false(r.failed);
	assert_int_equal(r.n_tests, 2);
	assert_string_equal(must_find(&r, 512, 0, 0)->name, "pp512");
	assert_near(must_find(&r, 512, 0, 0)->mean, 2368.80, 0);
	assert_near(must_find(&r, 512, 0, 0)->stddev, 93.24, 0);
	assert_near(must_find(&r, 0, 128, 0)->mean, 131.42, 0);
	assert_string_equal(r.model_type, "llama 7B mostly Q4_0");
	assert_string_equal(r.backends, "CUDA");
	assert_string_equal(r.build_commit, "8cf427ff");
	assert_int_equal(r.build_number, 1235);
	assert_int_equal(r.n_gpu_layers, 99);
	assert_true(r.model_size == llround(3.56 * 1024 * 1024 * 1024));
	assert_true(r.model_n_params == INT64_C(6740000000));
	lb_run_free(&r);
}

static void test_markdown_depth_cpu(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	assert_int_equal(parse_file(lb_parse_markdown, FIX "md-depth-cpu.md", &r, &e), 0);
	assert_int_equal(r.n_tests, 5);
	assert_string_equal(must_find(&r, 512, 0, 512)->name, "pp512 @ d512");
	assert_near(must_find(&r, 512, 0, 512)->mean, 6425.91, 0);
	assert_near(must_find(&r, 0, 128, 512)->mean, 116.71, 0);
	assert_true(isnan(must_find(&r, 0, 128, 512)->stddev)); /* "± -nan" */
	assert_string_equal(must_find(&r, 512, 128, 0)->name, "pp512+tg128");
	assert_near(must_find(&r, 512, 128, 0)->mean, 410.02, 0);
	assert_int_equal(r.n_gpu_layers, 0); /* CPU tables have no ngl column */
	assert_string_equal(r.backends, "CPU");
	assert_true(r.model_size == llround(876.45 * 1024 * 1024));
	assert_true(r.model_n_params == INT64_C(494030000));
	assert_string_equal(r.build_commit, "1a68ec937");
	assert_int_equal(r.build_number, 9193);
	lb_run_free(&r);
}

static void test_markdown_errors(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	/* -ngl 30,31: the same test twice with another setting: the setting
	 * is named (a table without setting columns gets "duplicate result") */
	assert_int_equal(parse_file(lb_parse_markdown, FIX "md-ngl-sweep.md", &r, &e), -1);
	assert_string_equal(e.msg, "line 5: contradictory settings in one run: n_gpu_layers is 31 "
				   "here but 30 on an earlier row");
	lb_run_free(&r);

	assert_int_equal(parse_file(lb_parse_markdown, FIX "md-load-failed.log", &r, &e), 0);
	assert_true(r.failed);
	assert_int_equal(r.n_tests, 0);
	assert_string_equal(r.error, "llama_model_load: error loading model: tensor 'blk.0.attn_q.weight' data is "
				     "not within the file bounds, model is corrupted or incomplete");
	assert_int_equal(r.devices.n, 1);
	lb_run_free(&r);

	/* no machine does a billion tokens a second: the JSON outputs' bound
	 * holds for the markdown table too (found by fuzz_import_log) */
	assert_int_equal(parse_str(lb_parse_markdown,
				   "| model | size | params | backend | ngl | test | t/s |\n"
				   "| --- | ---: | ---: | --- | --: | ---: | ---: |\n"
				   "| llama 7B | 3.56 GiB | 6.74 B | CUDA | 99 | pp512 | "
				   "23688888888888888.80 \xc2\xb1 93.24 |\n",
				   &r, &e),
			 -1);
	assert_non_null(strstr(e.msg, "test 'pp512' has no usable rate"));
	lb_run_free(&r);

	/* a header and no rows */
	assert_int_equal(parse_str(lb_parse_markdown,
				   "| model | size | params | backend | ngl | test | t/s |\n"
				   "| --- | ---: | ---: | --- | --: | ---: | ---: |\n",
				   &r, &e),
			 0);
	assert_true(r.failed);
	assert_string_equal(r.error, "no result rows in llama-bench output");
	lb_run_free(&r);

	/* no table at all */
	assert_int_equal(parse_str(lb_parse_markdown, "hello\nworld\n", &r, &e), -1);
	assert_string_equal(e.msg, "no result rows in llama-bench output");
	lb_run_free(&r);

	/* rows that do not parse are not results; short rows are ignored */
	assert_int_equal(parse_str(lb_parse_markdown,
				   "| model | test | t/s |\n"
				   "| m | pp512 | fast |\n"
				   "| m | xx512 | 1.00 ± 0.10 |\n"
				   "| m | tg128 | 1.00 ± 0.10\n"
				   "| m | tg128 |\n"
				   "| m | pp512 @ d | 1.00 ± 0.10 |\n"
				   "| m | tg128 | 2.50 +/- 0.25 |\n",
				   &r, &e),
			 0);
	assert_int_equal(r.n_tests, 1);
	assert_near(r.tests[0].mean, 2.5, 0);
	assert_near(r.tests[0].stddev, 0.25, 0);
	lb_run_free(&r);
}

/* The crash in the real logs, checked by hand. */
static void test_markdown_crash(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	const char *log = "ggml_vulkan: 0 = AMD Radeon 8060S Graphics (AMD open-source driver) | uma: 1\n"
			  "| model | size | params | backend | ngl | test | t/s |\n"
			  "| --- | ---: | ---: | --- | --: | ---: | ---: |\n"
			  "| m | 1.00 GiB | 1.00 B | Vulkan | 99 | pp512 | 255.05 ± 0.70 |\n"
			  "/lib64/libggml-base.so.0(ggml_print_backtrace+0x1eb) [0x7f516926783b]\n"
			  "/usr/sbin/llama-bench() [0x4066fb]\n"
			  "terminate called after throwing an instance of 'vk::DeviceLostError'\n"
			  "  what():  vk::Queue::submit: ErrorDeviceLost\n"
			  "x [vulkan_amdvlk] m failed (exit 134)\n";
	assert_int_equal(parse_str(lb_parse_markdown, log, &r, &e), 0);
	assert_true(r.failed);
	assert_string_equal(r.error, "vk::DeviceLostError: vk::Queue::submit: ErrorDeviceLost (exit 134)");
	assert_int_equal(r.n_tests, 1); /* the rows before the crash are kept */
	assert_int_equal(r.model_size, INT64_C(1073741824));
	lb_run_free(&r);
}

/* ---- devices and error summaries ---- */

static void test_devices(void **state)
{
	(void)state;
	struct strv d = STRV_INIT;
	size_t len;
	char *text = load(FIX "lavapipe.stderr", &len);
	lb_parse_devices(text, len, &d);
	free(text);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0], "ggml_vulkan: 0 = llvmpipe (LLVM 19.1.7, 256 bits) (llvmpipe) | uma: 0 | fp16: 1 | "
				    "bf16: 0 | warp size: 8 | shared memory: 32768 | int dot: 0 | matrix cores: none");
	strv_free(&d);

	const char *s = "ggml_vulkan: Found 2 Vulkan devices:\r\n"
			"ggml_vulkan: 0 = A\r\n"
			"ggml_vulkan: 1 = A\r\n"
			"ggml_vulkan: x = B\n"
			"Device 0: not indented and no cuda init\n"
			"ggml_cuda_init: found 2 ROCm devices:\n"
			"  Device 0: Radeon 8060S Graphics, gfx1151 (0x1151), VMM: no\n"
			"Device 1: \tsecond\x01\n"
			"  Device 1: \tsecond\x01\n";
	lb_parse_devices(s, strlen(s), &d);
	assert_int_equal(d.n, 4);
	assert_string_equal(d.v[0], "ggml_vulkan: 0 = A");
	assert_string_equal(d.v[1], "ggml_vulkan: 1 = A");
	assert_string_equal(d.v[2], "Device 0: Radeon 8060S Graphics, gfx1151 (0x1151), VMM: no");
	assert_string_equal(d.v[3], "Device 1:  second?");
	strv_free(&d);
	lb_parse_devices(NULL, 0, &d);
	assert_int_equal(d.n, 0);
}

static void expect_summary(const char *text, const char *want)
{
	char *s = lb_error_summary(text, strlen(text));
	if (!want) {
		assert_null(s);
		return;
	}
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_error_summary(void **state)
{
	(void)state;
	expect_summary("", NULL);
	expect_summary("ggml_vulkan: Found 1 Vulkan devices:\n| model | test | t/s |\n"
		       "| error: in a model name | pp512 | 1.00 ± 0.00 |\n\nbuild: 0253fb21f (9187)\n",
		       NULL);
	expect_summary("main: error: failed to load model '/m/x.gguf'\n", "main: error: failed to load model '/m/x.gguf'");
	expect_summary("llama_model_load_from_file_impl: failed to load model\n"
		       "main: error: failed to load model '/m/x.gguf'\n",
		       "llama_model_load_from_file_impl: failed to load model");
	expect_summary("ggml_backend_cuda_buffer_type_alloc_buffer: allocating 90000.00 MiB on device 0: "
		       "cudaMalloc failed: out of memory\nmain: error: failed to create context with model 'x'\n",
		       "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 90000.00 MiB on device 0: "
		       "cudaMalloc failed: out of memory");
	expect_summary("✖ [rocm] x failed (exit 139)\n", "failed (exit 139)");
	expect_summary("/usr/sbin/llama-bench() [0x4066fb]\nAborted (core dumped)\n", "Aborted (core dumped)");
	expect_summary("#0  0x00007f0000000000 in raise ()\n", "crashed (backtrace in output)");
	expect_summary("/src/ggml/src/ggml-vulkan/ggml-vulkan.cpp:5163: GGML_ASSERT(ctx->seqs) failed\n"
		       "/lib64/libggml-base.so.0(+0x4465) [0x7f5169267465]\n",
		       "/src/ggml/src/ggml-vulkan/ggml-vulkan.cpp:5163: GGML_ASSERT(ctx->seqs) failed");
	expect_summary("terminate called after throwing an instance of 'std::runtime_error'\n",
		       "uncaught exception std::runtime_error");
	expect_summary("  what():  bad\x1b[31m thing\xff\n", "bad?[31m thing?");
	expect_summary("Segmentation fault\n  failed (exit 11)", "Segmentation fault (exit 11)");
	assert_null(lb_error_summary(NULL, 0));
}

/* ---- format detection ---- */

static void expect_parse_any(const char *path, int rc, size_t n_tests)
{
	struct lb_run r;
	struct err e;
	assert_int_equal(parse_file(lb_parse_any, path, &r, &e), rc);
	if (rc == 0)
		assert_int_equal(r.n_tests, n_tests);
	lb_run_free(&r);
}

static void test_parse_any(void **state)
{
	(void)state;
	struct lb_run r;
	struct err e;
	expect_parse_any(FIX "vulkan-radv.jsonl", 0, 4);
	expect_parse_any(FIX "complete.json", 0, 2);
	expect_parse_any(FIX "truncated.json", 0, 2);
	expect_parse_any(FIX "noise-truncated.jsonl", 0, 2); /* stderr first */
	expect_parse_any(FIX "md-depth-cpu.md", 0, 5);
	expect_parse_any(FIX "md-duplicated.log", 0, 2);
	expect_parse_any(FIX "duplicate.jsonl", -1, 0);
	assert_int_equal(parse_str(lb_parse_any, "load_backend: x\n[\n  {\"n_prompt\": 0, \"n_gen\": 16, \"avg_ts\": 9}",
				   &r, &e),
			 0);
	assert_int_equal(r.n_tests, 1);
	lb_run_free(&r);
	assert_int_equal(parse_str(lb_parse_any, "   \n", &r, &e), -1);
	lb_run_free(&r);
	lb_run_init(&r);
	assert_int_equal(lb_parse_any(NULL, 0, &r, &e), -1);
	lb_run_free(&r);
}

/* Every prefix of every fixture, and a few byte flips: no crash, no leak,
 * no read past the given length (the copies carry no NUL). */
static void test_prefixes(void **state)
{
	(void)state;
	static const char *const files[] = { "vulkan-radv.jsonl", "nan.jsonl",	     "complete.json",
					     "truncated.json",	  "md-duplicated.log", "md-depth-cpu.md",
					     "invalid-utf8.jsonl" };
	static const parser parsers[] = { lb_parse_any, lb_parse_jsonl, lb_parse_json, lb_parse_markdown };
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char path[256];
		size_t len;
		snprintf(path, sizeof(path), FIX "%s", files[f]);
		char *text = load(path, &len);
		for (size_t cut = 0; cut <= len; cut += 1 + cut / 64) {
			char *copy = xmalloc(cut ? cut : 1);
			memcpy(copy, text, cut);
			if (cut > 10)
				copy[cut / 2] ^= (char)0x80;
			for (size_t p = 0; p < 4; p++) {
				struct lb_run r;
				struct err e;
				lb_run_init(&r);
				err_clear(&e);
				int rc = parsers[p](copy, cut, &r, &e);
				assert_true(rc == 0 || (rc == -1 && e.msg[0]));
				lb_run_free(&r);
			}
			free(lb_error_summary(copy, cut));
			free(copy);
		}
		free(text);
	}
}

/* ---- the real Strix Halo logs ---- */

static char *strix_dir(void)
{
	const char *env = getenv("TBX_FIXTURES_DIR");
	if (env && *env) {
		char *sub = path_join(env, "strix-halo-logs");
		if (is_dir(sub))
			return sub;
		free(sub);
		return xstrdup(env);
	}
	return xstrdup("../shared/fixtures/strix-halo-logs");
}

/* "mean ± sd" of the row whose test cell is `name`, read here with sscanf
 * rather than with the parser under test. */
static bool table_value(const char *text, const char *name, double *mean, double *sd)
{
	char pat[64];
	snprintf(pat, sizeof(pat), " %s |", name);
	const char *p = strstr(text, pat);
	return p && sscanf(p + strlen(pat), " %lf \xc2\xb1 %lf", mean, sd) == 2;
}

static void check_strix_log(const char *dir, const char *name)
{
	char *path = path_join(dir, name);
	struct lb_run r, r2;
	struct err e;
	size_t len;
	char *text = load(path, &len);
	char *z = xstrndup(text, len);
	lb_run_init(&r);
	err_clear(&e);
	if (lb_parse_markdown(text, len, &r, &e) != 0) {
		print_error("%s: %s\n", name, e.msg);
		fail();
	}
	assert_true(r.devices.n >= 1);
	if (strstr(name, "__vulkan"))
		assert_true(str_starts_with(r.devices.v[0], "ggml_vulkan: 0 = "));
	else
		assert_true(str_starts_with(r.devices.v[0], "Device 0: "));
	if (r.failed) {
		assert_non_null(r.error);
		assert_true(strlen(r.error) > 10);
		assert_non_null(strstr(r.error, "(exit "));
	} else {
		double m, sd;
		assert_null(r.error);
		assert_true(table_value(z, "pp512", &m, &sd));
		assert_near(must_find(&r, 512, 0, 0)->mean, m, 0);
		assert_near(must_find(&r, 512, 0, 0)->stddev, sd, 0);
		assert_true(table_value(z, "tg128", &m, &sd));
		assert_near(must_find(&r, 0, 128, 0)->mean, m, 0);
		assert_near(must_find(&r, 0, 128, 0)->stddev, sd, 0);
		assert_int_equal(r.n_tests, 2);
		assert_non_null(r.build_commit);
		assert_true(r.build_number == 9187 || r.build_number == 9193);
		assert_string_equal(r.backends, strstr(name, "__vulkan") ? "Vulkan" : "ROCm");
		assert_int_equal(r.n_gpu_layers, 99);
		assert_true(r.model_size > 0 && r.model_n_params > 0);
		assert_non_null(r.model_type);
	}
	/* detection picks markdown and gets the same answer */
	lb_run_init(&r2);
	assert_int_equal(lb_parse_any(text, len, &r2, &e), 0);
	assert_int_equal(r2.n_tests, r.n_tests);
	assert_int_equal(r2.failed, r.failed);
	lb_run_free(&r2);
	lb_run_free(&r);
	free(z);
	free(text);
	free(path);
}

static void test_strix_logs(void **state)
{
	(void)state;
	char *dir = strix_dir();
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		skip();
	}
	struct dirent *de;
	size_t n = 0, failed = 0;
	while ((de = readdir(d))) {
		if (!str_ends_with(de->d_name, ".log"))
			continue;
		check_strix_log(dir, de->d_name);
		n++;
		if (strstr(de->d_name, "Ministral-3-14B-Instruct-2512-BF16__vulkan_amdvlk"))
			failed++;
	}
	closedir(d);
	assert_true(n >= 50);
	assert_int_equal(failed, 1);

	/* checked by hand */
	struct lb_run r;
	struct err e;
	char *path = path_join(dir, "gpt-oss-20b-mxfp4__vulkan_radv__fa1.log");
	assert_int_equal(parse_file(lb_parse_markdown, path, &r, &e), 0);
	free(path);
	assert_false(r.failed);
	assert_near(must_find(&r, 512, 0, 0)->mean, 1692.49, 0);
	assert_near(must_find(&r, 512, 0, 0)->stddev, 16.61, 0);
	assert_near(must_find(&r, 0, 128, 0)->mean, 79.78, 0);
	assert_near(must_find(&r, 0, 128, 0)->stddev, 0.23, 0);
	assert_string_equal(r.build_commit, "0253fb21f");
	assert_int_equal(r.build_number, 9187);
	assert_int_equal(r.devices.n, 1);
	assert_non_null(strstr(r.devices.v[0], "RADV GFX1151"));
	assert_string_equal(r.model_type, "gpt-oss 20B MXFP4 MoE");
	assert_true(r.model_size == llround(11.27 * 1024 * 1024 * 1024));
	assert_true(r.model_n_params == INT64_C(20910000000));
	lb_run_free(&r);

	path = path_join(dir, "Ministral-3-14B-Instruct-2512-BF16__vulkan_amdvlk__fa1.log");
	assert_int_equal(parse_file(lb_parse_markdown, path, &r, &e), 0);
	free(path);
	assert_true(r.failed);
	assert_string_equal(r.error, "vk::DeviceLostError: vk::Queue::submit: ErrorDeviceLost (exit 134)");
	assert_int_equal(r.n_tests, 0);
	assert_non_null(strstr(r.devices.v[0], "(AMD open-source driver)"));
	assert_non_null(strstr(r.devices.v[0], "shared memory: 32768"));
	lb_run_free(&r);

	path = path_join(dir, "MiniMax-M2.7-UD-Q3_K_S-00001-of-00003__rocm7-nightlies__fa1.log");
	assert_int_equal(parse_file(lb_parse_markdown, path, &r, &e), 0);
	free(path);
	assert_string_equal(r.devices.v[0], "Device 0: Radeon 8060S Graphics, gfx1151 (0x1151), VMM: no, Wave Size: 32, "
					    "VRAM: 126976 MiB");
	assert_string_equal(r.model_type, "minimax-m2 230B.A10B Q3_K - Small");
	assert_near(must_find(&r, 512, 0, 0)->mean, 235.98, 0);
	assert_near(must_find(&r, 0, 128, 0)->stddev, 0.03, 0);
	lb_run_free(&r);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_jsonl_real),
		cmocka_unit_test(test_jsonl_nan),
		cmocka_unit_test(test_jsonl_duplicate),
		cmocka_unit_test(test_jsonl_flash_attn),
		cmocka_unit_test(test_settings_generations),
		cmocka_unit_test(test_settings_refused),
		cmocka_unit_test(test_settings_markdown),
		cmocka_unit_test(test_jsonl_noise),
		cmocka_unit_test(test_jsonl_invalid_utf8),
		cmocka_unit_test(test_jsonl_errors),
		cmocka_unit_test(test_huge_line),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_markdown_duplicated),
		cmocka_unit_test(test_markdown_old_build),
		cmocka_unit_test(test_markdown_depth_cpu),
		cmocka_unit_test(test_markdown_errors),
		cmocka_unit_test(test_markdown_crash),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_error_summary),
		cmocka_unit_test(test_parse_any),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_strix_logs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
