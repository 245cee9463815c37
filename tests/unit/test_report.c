/* test_report.c - the rebench matrix, the history, regression flags and
 * charts, from the hand-written records in tests/fixtures/records/.
 *
 * Runs from the repository root.  The fixtures: 2 models (Qwen3.6, GLM-4.7)
 * on vulkan-radv (baseline), rocm-7.2 and lemonade (another lineage);
 *   - Qwen on rocm-7.2: new image and build, tg128 56.02 -> 51.524 t/s
 *     (-8.0%, far beyond noise): flagged as a regression;
 *   - Qwen on vulkan-radv: new image and build, pp512 1108 -> 1148 t/s
 *     (+3.6%, but sd ~50 over 5 samples: t = 1.3): noise, not flagged;
 *   - GLM on rocm-7.2: an imported run (no digest, arguments unknown: a
 *     row of its own, "GLM (arguments unknown)"), then a failed one;
 *   - GLM on lemonade: imported (that row too); Qwen on lemonade: native;
 *   - one more Qwen vulkan-radv run on 2026-05-21 00:30, after the report
 *     date used here (2026-05-20).
 * Every expected number below was worked out by hand from the samples. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "json.h"
#include "regress.h"
#include "report.h"
#include "store.h"
#include "util.h"

#define FIXTURES "tests/fixtures/records"
#define QWEN "Qwen3.6-35B-A3B-UD-Q4_K_XL"
#define GLM "GLM-4.7-Flash-UD-Q8_K_XL"
#define GLM_IMPORTED GLM " (arguments unknown)"
#define ROCM_SHIFT \
	"tg128 -8.0% after image sha256:587be1cc62ac -> sha256:a8ccfee453b8, build 9187 -> 9193; " \
	"attributed to the image"

#define assert_contains(hay, needle) check_contains((hay), (needle), true, __FILE__, __LINE__)
#define assert_lacks(hay, needle) check_contains((hay), (needle), false, __FILE__, __LINE__)

static void check_contains(const char *hay, const char *needle, bool want, const char *file,
			   int line)
{
	if ((strstr(hay, needle) != NULL) == want)
		return;
	print_error("%s:%d: text %s '%s'\n--- text ---\n%s\n", file, line,
		    want ? "lacks" : "should not contain", needle, hay);
	fail();
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Offset of needle in hay (must be there). */
static size_t pos(const char *hay, const char *needle)
{
	const char *p = strstr(hay, needle);
	if (!p) {
		print_error("missing '%s'\n", needle);
		fail();
	}
	return (size_t)(p - hay);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A tbx home whose results/ is the fixtures directory. */
struct home {
	char dir[64];
};

static void home_make(struct home *h, bool link_fixtures)
{
	snprintf(h->dir, sizeof(h->dir), "/tmp/tbx-report-test.XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	char *results = path_join(h->dir, "results");
	if (link_fixtures) {
		char *target = path_join(cwd, FIXTURES);
		assert_int_equal(symlink(target, results), 0);
		free(target);
	} else {
		assert_int_equal(mkdir(results, 0777), 0);
	}
	free(results);
}

static void home_remove(struct home *h)
{
	rm_rf(h->dir);
}

/* Load the fixtures as of a date (records up to and including it). */
static void load_as_of(const char *date, struct records *rs)
{
	struct home h;
	struct err e = { 0 };
	struct strv warnings = STRV_INIT;
	int64_t end;
	home_make(&h, true);
	assert_int_equal(report_parse_date(date, &end), 0);
	struct record_filter f = { .until = end };
	assert_int_equal(store_load(h.dir, &f, rs, &warnings, &e), 0);
	assert_int_equal(warnings.n, 0);
	strv_free(&warnings);
	home_remove(&h);
}

struct fixture {
	struct records rs;
	struct report r;
};

static void build(struct fixture *fx, const char *date, const char *baseline)
{
	struct err e = { 0 };
	load_as_of(date, &fx->rs);
	struct report_opts o = { .date = date, .baseline = baseline };
	if (report_build(&fx->rs, &o, &fx->r, &e) < 0) {
		print_error("%s\n", e.msg);
		fail();
	}
}

static void unbuild(struct fixture *fx)
{
	report_free(&fx->r);
	records_free(&fx->rs);
}

static const struct report_model *model_named(const struct report *r, const char *name)
{
	for (size_t i = 0; i < r->n_models; i++)
		if (strcmp(r->models[i].name, name) == 0)
			return &r->models[i];
	print_error("no model '%s'\n", name);
	fail();
	return NULL;
}

static const struct report_series *series_of(const struct report *r, const char *model,
					     const char *backend)
{
	const struct report_model *m = model_named(r, model);
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->series[i].backend, backend) == 0)
			return &m->series[i];
	print_error("no series %s/%s\n", model, backend);
	fail();
	return NULL;
}

/* ---- tests ---- */

static void test_dates(void **state)
{
	(void)state;
	int64_t end;
	assert_int_equal(report_parse_date("2026-05-20", &end), 0);
	int64_t start;
	assert_int_equal(parse_time("2026-05-20T00:00:00Z", &start), 0);
	assert_int_equal(end, start + 86400);
	const char *bad[] = { "2026-02-30", "2026-5-20", "20260520", "2026-05-20x", "",
			      "2026-05-20T00:00:00Z", "2026-13-01", "abcd-ef-gh" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(report_parse_date(bad[i], &end), -1);
	char today[11];
	report_today(today);
	assert_int_equal(report_parse_date(today, &end), 0);
}

static void test_grouping(void **state)
{
	(void)state;
	struct fixture fx;
	build(&fx, "2026-05-20", NULL);
	assert_int_equal(fx.rs.n, 9); /* the 2026-05-21 run does not count */
	assert_string_equal(fx.r.baseline, "vulkan-radv");
	assert_int_equal(fx.r.n_hosts, 1);
	assert_int_equal(fx.r.n_models, 3); /* rows: one per model and configuration */
	assert_string_equal(fx.r.models[0].name, GLM);
	assert_string_equal(fx.r.models[1].name, GLM_IMPORTED);
	assert_string_equal(fx.r.models[2].name, QWEN);
	assert_string_equal(fx.r.models[2].chart, "charts/" QWEN ".svg");
	/* the imported runs are never compared with tbx's own */
	assert_int_equal(series_of(&fx.r, GLM, "rocm-7.2")->n, 1);
	assert_int_equal(series_of(&fx.r, GLM_IMPORTED, "rocm-7.2")->n, 1);
	/* the baseline first, then by id */
	assert_string_equal(fx.r.models[2].series[0].backend, "vulkan-radv");
	assert_string_equal(fx.r.models[2].series[1].backend, "lemonade");
	assert_string_equal(fx.r.models[2].series[2].backend, "rocm-7.2");
	/* lineages: llama.cpp (radv, rocm) then lemonade apart */
	assert_int_equal(fx.r.n_lineages, 2);
	assert_string_equal(fx.r.lineages[0].name, "llama.cpp");
	assert_int_equal(fx.r.lineages[0].n, 2);
	assert_string_equal(fx.r.lineages[0].backends[0], "vulkan-radv");
	assert_string_equal(fx.r.lineages[0].backends[1], "rocm-7.2");
	assert_string_equal(fx.r.lineages[1].name, "lemonade");
	assert_int_equal(fx.r.lineages[1].n, 1);
	const struct report_series *s = series_of(&fx.r, QWEN, "vulkan-radv");
	assert_int_equal(s->n, 2);
	assert_true(s->runs[0]->started_at < s->runs[1]->started_at);
	unbuild(&fx);
}

static void test_regression_flags(void **state)
{
	(void)state;
	struct fixture fx;
	build(&fx, "2026-05-20", NULL);
	/* real shift after a new image and build: flagged, as a regression */
	const struct report_series *rocm = series_of(&fx.r, QWEN, "rocm-7.2");
	assert_null(rocm->flag[REPORT_PP512]); /* 1120 -> 1120 */
	assert_non_null(rocm->flag[REPORT_TG128]);
	assert_string_equal(rocm->flag[REPORT_TG128], ROCM_SHIFT);
	assert_true(rocm->regression[REPORT_TG128]);

	/* +3.6% on pp512 after a new image, but within the noise: not flagged */
	const struct report_series *radv = series_of(&fx.r, QWEN, "vulkan-radv");
	bool sig = true;
	double pct = regress_change(&radv->runs[0]->pp512, &radv->runs[1]->pp512, &sig);
	assert_true(fabs(pct - 40.0 / 1108.0 * 100.0) < 1e-9);
	assert_true(pct >= REGRESS_MIN_PCT);
	assert_false(sig);
	assert_null(radv->flag[REPORT_PP512]);
	assert_null(radv->flag[REPORT_TG128]);

	/* a failed latest run is not compared; first runs neither */
	assert_null(series_of(&fx.r, GLM, "rocm-7.2")->flag[REPORT_TG128]);
	assert_null(series_of(&fx.r, GLM, "vulkan-radv")->flag[REPORT_PP512]);
	assert_int_equal(series_of(&fx.r, GLM, "rocm-7.2")->footnote, 1);

	struct strv lines = STRV_INIT;
	assert_int_equal(report_regressions(&fx.r, &lines), 1);
	assert_int_equal(lines.n, 1);
	assert_string_equal(lines.v[0], QWEN " on rocm-7.2: " ROCM_SHIFT);
	strv_free(&lines);
	unbuild(&fx);

	/* a day before the new images: nothing to compare against */
	build(&fx, "2026-05-15", NULL);
	assert_int_equal(report_regressions(&fx.r, NULL), 0);
	unbuild(&fx);
}

static void test_matrix(void **state)
{
	(void)state;
	struct fixture fx;
	build(&fx, "2026-05-20", NULL);
	char *md = report_matrix_md(&fx.r);
	assert_contains(md, "# Rebench matrix 2026-05-20\n");
	assert_contains(md, "9 runs of 2 models in 3 configurations");
	assert_contains(md, "| model | vulkan-radv (baseline) | rocm-7.2 | fastest |");
	/* Qwen pp512: radv (1150+1120+1200+1090+1180)/5 = 1148, sd sqrt(7880/4) = 44.38,
	 * the fastest; rocm 1120, sd sqrt(20/4) = 2.24, (1120-1148)/1148 = -2.4% */
	assert_contains(md, "| " QWEN " | **1148.00 \xc2\xb1 44.38**<br><sub>sha256:9513efa92889 "
			    "\xc2\xb7 b9193</sub> | 1120.00 \xc2\xb1 2.24 (-2.4%)<br><sub>"
			    "sha256:a8ccfee453b8 \xc2\xb7 b9193</sub> | vulkan-radv |");
	/* Qwen tg128: rocm 51.524 -> 51.52 (-14.7% against 60.43), flagged -8.0% */
	assert_contains(md, "51.52 \xc2\xb1 0.06 (-14.7%)<br>**\xe2\x96\xbc -8.0% regression**<br>"
			    "<sub>sha256:a8ccfee453b8 \xc2\xb7 b9193</sub>");
	assert_contains(md, "**60.43 \xc2\xb1 0.05**");
	/* GLM: rocm's latest run failed: shown, with the error in a footnote; one
	 * successful backend only, so no winner */
	assert_contains(md, "| " GLM " | 1092.00 \xc2\xb1 0.79<br><sub>sha256:9513efa92889 \xc2\xb7 "
			    "b9193</sub> | failed[^1]<br><sub>sha256:a8ccfee453b8 \xc2\xb7 b9193</sub> "
			    "| \xe2\x80\x93 |");
	assert_contains(md, "\n[^1]: " GLM " on rocm-7.2, 2026-05-16 06:00 UTC (sha256:a8ccfee453b8 "
			    "\xc2\xb7 b9193): llama-bench died of signal 6 (exit 134): HIP error: out "
			    "of memory \\| in ggml_cuda_op\n");
	/* lemonade apart, after the llama.cpp tables, against the baseline:
	 * Qwen 1200 vs 1148 = +4.5%; the imported GLM runs have no baseline of their
	 * configuration */
	size_t apart = pos(md, "## Separate lineage: lemonade");
	assert_true(apart > pos(md, "## tg128"));
	assert_true(pos(md, "| " GLM_IMPORTED " | 950.00 \xc2\xb1 1.58<br><sub>imported \xc2\xb7 "
			    "b1189</sub> |") > apart);
	assert_true(pos(md, "| " QWEN " | 1200.00 \xc2\xb1 3.81 (+4.5%)<br><sub>native \xc2\xb7 "
			    "b1189</sub> |") > apart);
	assert_contains(md, "| " GLM_IMPORTED " | 38.00 \xc2\xb1 0.07<br>");
	assert_contains(md, "| " QWEN " | 52.10 \xc2\xb1 0.07 (-13.8%)");
	assert_contains(md, "- **REGRESSION** " QWEN " on rocm-7.2: " ROCM_SHIFT
			    " (run of 2026-05-16 03:00 UTC)\n");
	/* the run after the date is not there */
	assert_lacks(md, "2000.00");
	assert_lacks(md, "sha256:5baadba81e25");
	free(md);
	unbuild(&fx);
}

static void test_matrix_baseline_and_date(void **state)
{
	(void)state;
	struct fixture fx;
	build(&fx, "2026-05-21", "rocm-7.2");
	char *md = report_matrix_md(&fx.r);
	assert_contains(md, "| model | rocm-7.2 (baseline) | vulkan-radv | fastest |");
	/* radv's 2026-05-21 run counts now: (2000+2010+1990+2005+1995)/5 = 2000,
	 * +78.6% against rocm's 1120, and +74.2% from its previous 1148, flagged */
	assert_contains(md, "**2000.00 \xc2\xb1 7.91** (+78.6%)<br>**\xe2\x96\xb2 +74.2% "
			    "improvement**<br><sub>sha256:5baadba81e25 \xc2\xb7 b9200</sub>");
	assert_contains(md, "- improvement: " QWEN " on vulkan-radv: pp512 +74.2% after image "
			    "sha256:9513efa92889 -> sha256:5baadba81e25, build 9193 -> 9200");
	/* improvements do not fail --check */
	assert_int_equal(report_regressions(&fx.r, NULL), 1);
	free(md);
	unbuild(&fx);
}

static void test_history(void **state)
{
	(void)state;
	struct fixture fx;
	build(&fx, "2026-05-20", NULL);
	char *md = report_history_md(&fx.r);
	assert_contains(md, "# Benchmarks\n");
	size_t glm = pos(md, "## " GLM "\n"), qwen = pos(md, "## " QWEN "\n");
	assert_true(glm < qwen);
	assert_contains(md, "![pp512 and tg128 of " QWEN " over time](charts/" QWEN ".svg)");
	/* newest first */
	size_t r04 = pos(md, "| 2026-05-16 04:00 | lemonade (lemonade lineage) | native | b1189 | "
			     "1200.00 \xc2\xb1 3.81 | 52.10 \xc2\xb1 0.07 | first run |");
	size_t r03 = pos(md, "| 2026-05-16 03:00 | rocm-7.2 | sha256:a8ccfee453b8 | b9193 "
			     "(1a68ec937) | 1120.00 \xc2\xb1 2.24 | 51.52 \xc2\xb1 0.06 | pp512 +0.0%, "
			     "tg128 -8.0%<br>**REGRESSION: " ROCM_SHIFT "** |");
	size_t r02 = pos(md, "| 2026-05-16 02:00 | vulkan-radv | sha256:9513efa92889 | b9193 "
			     "(1a68ec937) | 1148.00 \xc2\xb1 44.38 | 60.43 \xc2\xb1 0.05 | pp512 +3.6%, "
			     "tg128 +0.0% |");
	size_t r10 = pos(md, "| 2026-05-10 02:00 | vulkan-radv | sha256:f5ef9f51cc70 | b9187 "
			     "(0253fb21f) | 1108.00 \xc2\xb1 52.63 | 60.45 \xc2\xb1 0.08 | first run |");
	assert_true(qwen < r04 && r04 < r03 && r03 < r02 && r02 < r10);
	/* failed and imported runs */
	assert_contains(md, "| 2026-05-16 06:00 | rocm-7.2 | sha256:a8ccfee453b8 | b9193 (1a68ec937) "
			    "| failed | failed | failed: llama-bench died of signal 6 (exit 134): HIP "
			    "error: out of memory \\| in ggml_cuda_op |");
	assert_contains(md, "| 2026-05-12 03:00 | rocm-7.2 | imported | b9187 (0253fb21f) | "
			    "929.42 \xc2\xb1 0.81 | 33.78 \xc2\xb1 0.01 | first run |");
	/* the one real shift is flagged, the noise nowhere */
	assert_int_equal(count(md, "REGRESSION"), 1);
	assert_lacks(md, "improvement");
	assert_lacks(md, "2026-05-21");
	free(md);
	unbuild(&fx);
}

static void test_chart(void **state)
{
	(void)state;
	struct fixture fx;
	build(&fx, "2026-05-20", NULL);
	size_t qwen = (size_t)(model_named(&fx.r, QWEN) - fx.r.models);
	size_t glm = (size_t)(model_named(&fx.r, GLM) - fx.r.models);
	char *svg = report_chart_svg(&fx.r, qwen);
	assert_true(str_starts_with(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_true(str_ends_with(svg, "</svg>\n"));
	/* two panels with their units, dates on the axis */
	assert_contains(svg, ">pp512: prompt processing, 512 tokens (t/s)</text>");
	assert_contains(svg, ">tg128: text generation, 128 tokens (t/s)</text>");
	assert_contains(svg, ">2026-05-10</text>");
	assert_contains(svg, ">date (UTC)</text>");
	/* every backend named at its line's end, in its fixed colour */
	assert_contains(svg, "fill=\"#e15759\" font-weight=\"bold\">vulkan-radv</text>");
	assert_contains(svg, "fill=\"#59a14f\" font-weight=\"bold\">rocm-7.2</text>");
	assert_contains(svg, "fill=\"#9c755f\" font-weight=\"bold\">lemonade</text>");
	/* points carry their provenance */
	assert_contains(svg, "<title>rocm-7.2 2026-05-16 03:00: 51.52 \xc2\xb1 0.06 t/s "
			     "(sha256:a8ccfee453b8 \xc2\xb7 b9193)</title>");
	assert_int_equal(count(svg, "<g "), 6); /* 3 backends x 2 panels */
	assert_int_equal(count(svg, "</g>"), 6);
	free(svg);

	/* a failed run is a cross on the axis, with its error */
	svg = report_chart_svg(&fx.r, glm);
	assert_contains(svg, "rocm-7.2 2026-05-16 06:00: failed (sha256:a8ccfee453b8 \xc2\xb7 "
			     "b9193: llama-bench died of signal 6");
	assert_contains(svg, "a failed run</text>");
	free(svg);
	unbuild(&fx);
}

static int cmp_file(const char *a, const char *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	struct err e = { 0 };
	int rc = read_file(a, 1 << 24, &x, &e) == 0 && read_file(b, 1 << 24, &y, &e) == 0 &&
				 x.len == y.len && memcmp(x.p, y.p, x.len) == 0
			 ? 0
			 : -1;
	if (rc < 0)
		print_error("%s and %s differ (%s)\n", a, b, e.msg);
	buf_free(&x), buf_free(&y);
	return rc;
}

static void test_determinism(void **state)
{
	(void)state;
	struct home out;
	home_make(&out, false);
	const char *files[] = { "REBENCH-MATRIX-2026-05-20.md", "BENCHMARKS.md", "index.html",
				"charts/" QWEN ".svg", "charts/" GLM ".svg" };
	/* (and the imported GLM row's chart, named with a hash) */
	for (int run = 0; run < 2; run++) {
		struct fixture fx;
		struct err e = { 0 };
		char *dir = xasprintf("%s/run%d", out.dir, run), *matrix = NULL;
		build(&fx, "2026-05-20", NULL);
		assert_int_equal(report_write(&fx.r, dir, &matrix, &e), 0);
		char *want = xasprintf("%s/REBENCH-MATRIX-2026-05-20.md", dir);
		assert_string_equal(matrix, want);
		free(want), free(matrix), free(dir);
		unbuild(&fx);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *a = xasprintf("%s/run0/%s", out.dir, files[i]);
		char *b = xasprintf("%s/run1/%s", out.dir, files[i]);
		assert_true(path_exists(a));
		assert_int_equal(cmp_file(a, b), 0);
		free(a), free(b);
	}
	home_remove(&out);
}

/* Records made in memory, for what the fixtures do not cover. */
static void add_json_record(struct records *rs, const char *json)
{
	struct err e = { 0 };
	json_object *o = json_parse(json, strlen(json), "test", &e);
	assert_non_null(o);
	rs->v = xrealloc(rs->v, (rs->n + 1) * sizeof(*rs->v));
	assert_int_equal(record_from_json(o, "test.json", &rs->v[rs->n], &e), 0);
	rs->n++;
	json_object_put(o);
}

static void test_untrusted_names(void **state)
{
	(void)state;
	struct records rs = { 0 };
	add_json_record(&rs, "{\"run_id\": \"a\", \"backend\": \"x-y\", \"started_at\": "
			     "\"2026-05-01T00:00:00Z\", \"model\": \"../m <b>|*_x_*\", \"host\": "
			     "{\"name\": \"h1\"}, \"build_number\": 1, "
			     "\"pp512\": {\"mean\": 10, \"stddev\": 1, \"samples\": [9, 11]}}");
	add_json_record(&rs, "{\"run_id\": \"b\", \"backend\": \"x-y\", \"started_at\": "
			     "\"2026-05-02T00:00:00Z\", \"model\": \"../m <b>|*_x_*\", \"host\": "
			     "{\"name\": \"h2\"}, \"status\": \"failed\", \"error\": \"bad\\nthing <i>\"}");
	/* the reader refuses such a backend id and digest: put them in directly */
	for (size_t i = 0; i < rs.n; i++) {
		free(rs.v[i].backend);
		rs.v[i].backend = xstrdup("x|y");
	}
	rs.v[0].image_digest = xstrdup("sha256:00");
	struct report r;
	struct err e = { 0 };
	struct report_opts o = { .date = "2026-05-03" };
	assert_int_equal(report_build(&rs, &o, &r, &e), 0);
	assert_int_equal(r.n_hosts, 2);
	/* the chart file name never leaves charts/ and never collides */
	assert_true(str_starts_with(r.models[0].chart, "charts/_._m__b____x____arguments_unknown_-"));
	assert_true(str_ends_with(r.models[0].chart, ".svg"));
	assert_null(strchr(r.models[0].chart + 7, '/'));
	char *md = report_matrix_md(&r);
	assert_contains(md, "| ../m &lt;b>\\|\\*\\_x\\_\\* (arguments unknown) |");
	assert_contains(md, "| x\\|y |");
	assert_contains(md, "\xc2\xb7 h2</sub>"); /* two hosts: say which */
	assert_contains(md, "bad thing &lt;i>");
	assert_lacks(md, "<b>");
	assert_lacks(md, "<i>");
	free(md);
	char *svg = report_chart_svg(&r, 0);
	assert_contains(svg, "../m &lt;b&gt;|*_x_* (arguments unknown): llama-bench over time");
	assert_lacks(svg, "<b>");
	free(svg);
	report_free(&r);
	records_free(&rs);
}

/* The same arguments on a new image, a setting llama-bench now defaults
 * otherwise and numbers within the noise: not flagged, but the history
 * names the setting and where it came from. */
static void test_settings_change_named(void **state)
{
	(void)state;
	struct records rs = { 0 };
	static const char fmt[] =
		"{\"schema\": 2, \"run_id\": \"%s\", \"backend\": \"rocm-7.2\", \"started_at\": "
		"\"2026-05-0%dT00:00:00Z\", \"model\": \"m\", \"model_path\": \"/m/m.gguf\", "
		"\"model_bytes\": 10, \"command\": [\"llama-bench\", \"-m\", \"/m/m.gguf\"], "
		"\"extra_args\": [], \"host\": {\"name\": \"h\"}, \"build_number\": %d, "
		"\"image_digest\": \"sha256:%064d\", \"settings\": {\"flash_attn\": %d, \"n_threads\": 16}, "
		"\"pp512\": {\"mean\": 100, \"stddev\": 1, \"samples\": [99, 101, 100]}, "
		"\"tg128\": {\"mean\": 10, \"stddev\": 0.1, \"samples\": [9.9, 10.1, 10]}}";
	char *a = xasprintf(fmt, "a", 1, 9187, 1, 0);
	char *b = xasprintf(fmt, "b", 2, 9193, 2, 1);
	add_json_record(&rs, a);
	add_json_record(&rs, b);
	free(a), free(b);
	struct report r;
	struct err e = { 0 };
	struct report_opts o = { .date = "2026-05-03" };
	assert_int_equal(report_build(&rs, &o, &r, &e), 0);
	char *md = report_history_md(&r);
	assert_contains(md, "pp512 +0.0%, tg128 +0.0%<br>settings changed: flash_attn 0 \u2192 1, a "
			    "default of the new build |");
	assert_lacks(md, "REGRESSION");
	free(md);
	char *page = report_html(&r);
	assert_contains(page, "settings changed: flash_attn 0 \u2192 1, a default of the new build");
	free(page);
	report_free(&r);
	records_free(&rs);
}

/* A record whose every string field is hostile (as an imported bundle can
 * carry): the Markdown keeps its structure (no heading, HTML tag, link or
 * extra table cell comes from the data), the SVG is well-formed XML. */
static const char hostile_json[] =
	"{\"run_id\": \"h1\", \"backend\": \"vulkan-radv\", \"started_at\": \"2026-05-01T00:00:00Z\", "
	"\"lineage\": \"x\\n# owned <img src=x onerror=alert(1)> ##\", "
	"\"model\": \"# m|`<img src=x onerror=alert(1)>`\\u0001\\ufffe\\uffff\", "
	"\"host\": {\"name\": \"h|<b>\"}, "
	"\"build_commit\": \"*[a](b)|\\n#\", "
	"\"pp512\": {\"mean\": 10, \"stddev\": 1, \"samples\": [9, 11]}}";
static const char hostile_failed_json[] =
	"{\"run_id\": \"h2\", \"backend\": \"b-i\", \"started_at\": \"2026-05-02T00:00:00Z\", "
	"\"lineage\": \"x\\n# owned <img src=x onerror=alert(1)> ##\", "
	"\"model\": \"# m|`<img src=x onerror=alert(1)>`\\u0001\\ufffe\\uffff\", "
	"\"host\": {\"name\": \"h2\"}, \"status\": \"failed\", "
	"\"error\": \"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}";

/* What the reader refuses (a hostile backend id, digest) but a report
 * must escape all the same, put in directly. */
static void make_hostile(struct records *rs)
{
	rs->v[0].image_digest = xstrdup("sha256:<img>|`*[x](y)");
	free(rs->v[1].backend);
	rs->v[1].backend = xstrdup("b|<i>");
}

/* Unescaped '|' in a line. */
static size_t cells(const char *line, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '\\')
			i++;
		else if (line[i] == '|')
			n++;
	}
	return n;
}

/* Every line of a table has as many cells as its header; no line starts
 * a heading but the report's own. */
static void check_markdown_structure(const char *md)
{
	size_t header = 0;
	for (const char *line = md; *line;) {
		size_t len = strcspn(line, "\n");
		if (line[0] == '|') {
			size_t n = cells(line, len);
			if (!header)
				header = n;
			else if (n != header) {
				print_error("table row with %zu cells under a header of %zu: %.*s\n", n,
					    header, (int)len, line);
				fail();
			}
		} else {
			header = 0;
		}
		if (line[0] == '#' && !str_starts_with(line, "# Rebench matrix") &&
		    !str_starts_with(line, "# Benchmarks") && !str_starts_with(line, "## ") &&
		    !str_starts_with(line, "### ")) {
			print_error("a heading from the data: %.*s\n", (int)len, line);
			fail();
		}
		line += len + (line[len] == '\n');
	}
	assert_lacks(md, "<img");
	assert_lacks(md, "<b>");
	assert_lacks(md, "<i>");
	assert_lacks(md, "](y)");
	assert_lacks(md, "\n# owned");
	assert_lacks(md, "\x01");
}

static void test_hostile_record_markdown(void **state)
{
	(void)state;
	struct records rs = { 0 };
	add_json_record(&rs, hostile_json);
	add_json_record(&rs, hostile_failed_json);
	make_hostile(&rs);
	struct report r;
	struct err e = { 0 };
	struct report_opts o = { .date = "2026-05-03" };
	assert_int_equal(report_build(&rs, &o, &r, &e), 0);
	char *md = report_matrix_md(&r);
	check_markdown_structure(md);
	assert_contains(md, "### pp512: prompt processing, 512 tokens (t/s), x \\# owned &lt;img");
	assert_contains(md, "sha256:&lt;img>\\|\\`\\*\\[x\\]");
	free(md);
	md = report_history_md(&r);
	check_markdown_structure(md);
	assert_contains(md, "## \\# m\\|\\`&lt;img src=x onerror=alert(1)>\\`");
	free(md);
	report_free(&r);
	records_free(&rs);
}

/* Well-formed XML 1.0: checked by xmllint (libxml2-utils, from
 * scripts/install-deps.sh) and, without it, by the byte rules here. */
static void check_xml(const char *svg)
{
	for (size_t i = 0; svg[i];) {
		uint32_t cp;
		size_t n = utf8_decode(svg + i, strlen(svg + i), &cp);
		if (!n || (cp < 0x20 && cp != '\n' && cp != '\t' && cp != '\r') ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff) {
			print_error("not an XML character at byte %zu\n", i);
			fail();
		}
		i += n;
	}
	char path[] = "/tmp/tbx-chart-test.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, svg, strlen(svg)), (ssize_t)strlen(svg));
	close(fd);
	if (system("command -v xmllint >/dev/null") == 0) {
		char *cmd = xasprintf("xmllint --noout %s", path);
		int rc = system(cmd);
		free(cmd);
		if (rc != 0)
			print_error("xmllint rejects the chart:\n%s\n", svg);
		assert_int_equal(rc, 0);
	}
	unlink(path);
}

static void test_hostile_record_svg(void **state)
{
	(void)state;
	struct records rs = { 0 };
	add_json_record(&rs, hostile_json);
	add_json_record(&rs, hostile_failed_json);
	make_hostile(&rs);
	/* invalid UTF-8 (a lone surrogate, a stray byte) reaches record_from_json
	 * only through a store written by hand: put it in directly */
	free(rs.v[0].model);
	rs.v[0].model = xstrdup("m\xed\xa0\x80\xff\xef\xbf\xbe\x1b");
	free(rs.v[1].model);
	rs.v[1].model = xstrdup(rs.v[0].model);
	struct report r;
	struct err e = { 0 };
	struct report_opts o = { .date = "2026-05-03" };
	assert_int_equal(report_build(&rs, &o, &r, &e), 0);
	assert_int_equal(r.n_models, 1);
	char *svg = report_chart_svg(&r, 0);
	check_xml(svg);
	assert_lacks(svg, "<img");
	free(svg);
	report_free(&r);
	records_free(&rs);
	/* and every chart of the fixtures */
	struct fixture fx;
	build(&fx, "2026-05-20", NULL);
	for (size_t i = 0; i < fx.r.n_models; i++) {
		svg = report_chart_svg(&fx.r, i);
		check_xml(svg);
		free(svg);
	}
	unbuild(&fx);
}

/* report_write never follows a symbolic link below the output directory. */
static void test_report_write_symlinked_charts(void **state)
{
	(void)state;
	struct fixture fx;
	build(&fx, "2026-05-20", NULL);
	struct home h;
	home_make(&h, false);
	char *out = path_join(h.dir, "out"), *elsewhere = path_join(h.dir, "elsewhere");
	char *charts = path_join(out, "charts");
	assert_int_equal(mkdir(out, 0777), 0);
	assert_int_equal(mkdir(elsewhere, 0777), 0);
	assert_int_equal(symlink(elsewhere, charts), 0);
	struct err e = { 0 };
	assert_int_equal(report_write(&fx.r, out, NULL, &e), -1);
	assert_contains(e.msg, "charts': it is a symbolic link");
	char *inside = path_join(elsewhere, QWEN ".svg");
	assert_false(path_exists(inside));
	/* a file planted as a symlink is replaced, not written through */
	unlink(charts);
	char *matrix = path_join(out, "REBENCH-MATRIX-2026-05-20.md");
	char *target = path_join(elsewhere, "target");
	assert_int_equal(symlink(target, matrix), 0);
	assert_int_equal(report_write(&fx.r, out, NULL, &e), 0);
	assert_false(path_exists(target));
	struct stat st;
	assert_int_equal(lstat(matrix, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	free(target), free(matrix), free(inside), free(charts), free(out), free(elsewhere);
	home_remove(&h);
	unbuild(&fx);
}

static void check_page_structure(const char *page);

static void test_empty(void **state)
{
	(void)state;
	struct records rs = { 0 };
	struct report r;
	struct err e = { 0 };
	struct report_opts o = { .date = "2026-05-20" };
	assert_int_equal(report_build(&rs, &o, &r, &e), 0);
	char *md = report_matrix_md(&r);
	assert_contains(md, "No runs recorded up to 2026-05-20.");
	free(md);
	md = report_history_md(&r);
	assert_contains(md, "No runs recorded up to 2026-05-20.");
	free(md);
	assert_int_equal(report_regressions(&r, NULL), 0);
	char *page = report_html(&r);
	check_page_structure(page);
	assert_contains(page, "No runs recorded up to 2026-05-20 (UTC).");
	free(page);
	report_free(&r);
	o.date = "yesterday";
	assert_int_equal(report_build(&rs, &o, &r, &e), -1);
	assert_contains(e.msg, "bad report date 'yesterday'");
}

static void test_corrupt_record_skipped(void **state)
{
	(void)state;
	struct home h;
	struct err e = { 0 };
	home_make(&h, false);
	char *bad = xasprintf("%s/results/20260516T000000Z-broken.json", h.dir);
	assert_int_equal(write_file_atomic(bad, "{\"run_id\": ", 12, 0666, &e), 0);
	char *good_src = xasprintf("%s/20260516T050000Z-vulkan-radv-" GLM
				   "-5140c8f3-6715-476b-80d3-b985900ba8ec.json",
				   FIXTURES);
	struct buf text = BUF_INIT;
	assert_int_equal(read_file(good_src, 1 << 20, &text, &e), 0);
	char *good = xasprintf("%s/results/good.json", h.dir);
	assert_int_equal(write_file_atomic(good, text.p, text.len, 0666, &e), 0);
	struct records rs;
	struct strv warnings = STRV_INIT;
	assert_int_equal(store_load(h.dir, NULL, &rs, &warnings, &e), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(warnings.n, 1);
	assert_contains(warnings.v[0], "20260516T000000Z-broken.json");
	strv_free(&warnings);
	records_free(&rs);
	buf_free(&text);
	free(bad), free(good), free(good_src);
	home_remove(&h);
}

static void test_source_and_build_names(void **state)
{
	(void)state;
	struct record rec = { 0 };
	char s[24];
	assert_string_equal(report_source(&rec, s), "native");
	rec.imported = true;
	assert_string_equal(report_source(&rec, s), "imported");
	rec.image_digest = "sha256:0123456789abcdef0123";
	assert_string_equal(report_source(&rec, s), "sha256:0123456789ab");
	assert_string_equal(report_build_name(&rec, s), "-");
	rec.build_commit = "0253fb21f|x"; /* printable: escaped where it is written */
	assert_string_equal(report_build_name(&rec, s), "0253fb21f|x");
	rec.build_commit = "\x1b[2Jabcdefghij"; /* never a terminal escape (tbx results) */
	assert_string_equal(report_build_name(&rec, s), "?[2Jabcdefgh");
	rec.build_commit = "abcdefghijk\xc3\xa9"; /* never cut inside a character */
	assert_string_equal(report_build_name(&rec, s), "abcdefghijk");
	rec.image_digest = "sha256:\x1b]0;x\x07" "abcdefgh";
	assert_string_equal(report_source(&rec, s), "sha256:?]0;x?abcdef");
	rec.build_number = 9187;
	assert_string_equal(report_build_name(&rec, s), "b9187");
}

/* ---- index.html ---- */

/* What report_html may write: every tag and attribute name it uses (the
 * charts' too).  Anything else in a page came from the data. */
static const char *const page_tags[] = {
	"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2",
	"h3", "p", "nav", "ul", "li", "a", "main", "section", "div", "table", "caption",
	"thead", "tbody", "tr", "th", "td", "strong", "span", "br", "details", "summary",
	"dl", "dt", "dd", "figure", "figcaption", "footer", "script", "svg", "rect",
	"text", "line", "path", "polyline", "circle", "g", NULL
};
static const char *const page_attrs[] = {
	"lang", "charset", "name", "content", "href", "id", "class", "aria-label",
	"aria-labelledby", "role", "tabindex", "scope", "title", "data-v", "data-series",
	"xmlns", "width", "height", "viewBox", "font-family", "font-size", "x", "y", "x1",
	"y1", "x2", "y2", "fill", "stroke", "stroke-width", "stroke-opacity", "points", "d",
	"r", "cx", "cy", "text-anchor", "font-weight", "transform", NULL
};

static bool listed(const char *const *list, const char *s, size_t n)
{
	for (size_t i = 0; list[i]; i++)
		if (strlen(list[i]) == n && strncmp(list[i], s, n) == 0)
			return true;
	return false;
}

static void page_fail(const char *page, const char *at, const char *what)
{
	print_error("page: %s at byte %zu: %.80s\n", what, (size_t)(at - page), at);
	fail();
}

/* The page read as a tokenizer would: only known tags and attributes,
 * every value double-quoted without '<' or '"', no '>' in text, no
 * control character but tab and newline, no U+2028/U+2029, nothing from
 * the data inside the one script and the one style. */
static void check_page_structure(const char *page)
{
	assert_true(str_starts_with(page, "<!DOCTYPE html>\n<html lang=\"en\">"));
	assert_int_equal(count(page, "<script"), 1);
	assert_int_equal(count(page, "<style"), 1);
	assert_lacks(page, "\xe2\x80\xa8");
	assert_lacks(page, "\xe2\x80\xa9");
	for (const char *p = page; *p;) {
		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
			page_fail(page, p, "control character");
		if (*p == '>')
			page_fail(page, p, "'>' in text");
		if (*p != '<') {
			p++;
			continue;
		}
		bool closing = p[1] == '/';
		const char *name = p + 1 + closing;
		size_t n = strspn(name, "!abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
		if (!listed(page_tags, name, n))
			page_fail(page, p, "unknown tag");
		bool raw = !closing && ((n == 6 && !strncmp(name, "script", 6)) ||
					(n == 5 && !strncmp(name, "style", 5)));
		p = name + n;
		for (;;) {
			p += strspn(p, " \n");
			if (*p == '>' || (p[0] == '/' && p[1] == '>'))
				break;
			size_t an = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
			if (n == 8 && !strncmp(name, "!DOCTYPE", 8) && str_starts_with(p, "html"))
				an = 4;
			else if (!an || !listed(page_attrs, p, an))
				page_fail(page, p, "unknown attribute");
			p += an;
			if (*p != '=')
				continue;
			if (p[1] != '"')
				page_fail(page, p, "unquoted value");
			const char *end = strchr(p + 2, '"');
			if (!end || memchr(p + 2, '<', (size_t)(end - p - 2)))
				page_fail(page, p, "bad attribute value");
			p = end + 1;
		}
		p += *p == '/' ? 2 : 1;
		if (raw) { /* our own CSS or script: up to its end tag */
			const char *end = strstr(p, name[1] == 'c' ? "</script>" : "</style>");
			if (!end)
				page_fail(page, p, "unterminated script or style");
			p = end;
		}
	}
}

/* Every chart inside the page is well-formed XML on its own. */
static void check_page_charts(const char *page, size_t want)
{
	size_t n = 0;
	for (const char *p = page; (p = strstr(p, "<svg ")); n++) {
		const char *end = strstr(p, "</svg>");
		assert_non_null(end);
		char *svg = xstrndup(p, (size_t)(end - p) + strlen("</svg>"));
		check_xml(svg);
		free(svg);
		p = end;
	}
	assert_int_equal(n, want);
}

static void test_html_page(void **state)
{
	(void)state;
	struct fixture fx;
	build(&fx, "2026-05-20", NULL);
	char *page = report_html(&fx.r);
	check_page_structure(page);
	check_page_charts(page, fx.r.n_models);
	assert_contains(page, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
	assert_contains(page, "<title>tbx report 2026-05-20</title>");
	/* the only URL is the SVG namespace, which nothing loads */
	assert_int_equal(count(page, "http"), fx.r.n_models);
	assert_int_equal(count(page, "http://www.w3.org/2000/svg"), fx.r.n_models);
	assert_lacks(page, "src=");
	assert_lacks(page, "url(");
	assert_lacks(page, "@import");
	/* the matrix: numbers, deltas, the fastest, each cell's provenance */
	assert_contains(page, "<caption id=\"cap-0-0\">pp512: prompt processing, 512 tokens (t/s)"
			      "</caption>");
	assert_contains(page, "<th scope=\"col\">vulkan-radv (baseline)</th>");
	assert_contains(page, "<th scope=\"row\">" QWEN "</th><td class=\"num best\" "
			      "data-v=\"1148.00\" title=\"sha256:9513efa92889 \xc2\xb7 b9193 \xc2\xb7 "
			      "settings key bench|vulkan-radv|");
	assert_contains(page, "<strong>1148.00</strong> <span class=\"sd\">\xc2\xb1 44.38</span>");
	assert_contains(page, "1120.00 <span class=\"sd\">\xc2\xb1 2.24</span> "
			      "<span class=\"pct neg\">-2.4%</span>");
	assert_contains(page, "<span class=\"flag reg\" title=\"tg128 -8.0% after image "
			      "sha256:587be1cc62ac -&gt; sha256:a8ccfee453b8, build 9187 -&gt; 9193; "
			      "attributed to the image\">\xe2\x96\xbc -8.0% regression</span>");
	assert_contains(page, "<details class=\"prov\"><summary>sha256:9513efa92889 \xc2\xb7 "
			      "b9193</summary>");
	assert_contains(page, "<dt>settings key</dt><dd>bench|rocm-7.2|");
	assert_contains(page, "<dt>image</dt><dd>sha256:a8ccfee453b8");
	/* the warnings */
	assert_contains(page, "<li class=\"reg\"><strong>REGRESSION</strong> <strong>" QWEN
			      "</strong> on <strong>rocm-7.2</strong>: tg128 -8.0% after image "
			      "sha256:587be1cc62ac -&gt; sha256:a8ccfee453b8, build 9187 -&gt; 9193; "
			      "attributed to the image");
	assert_contains(page, "<h3>Failed runs</h3>");
	assert_contains(page, "HIP error: out of memory");
	assert_contains(page, "<span class=\"badge b-imported\">imported</span>");
	assert_contains(page, "<li><strong>lemonade</strong>: imported logs (their arguments are "
			      "unknown: rows of their own); 1 row: " GLM_IMPORTED);
	assert_contains(page, "<li><strong>lemonade</strong>: host builds, not container images "
			      "(binary sha256:4c21a279e523b8f2\xe2\x80\xa6); 1 row: " QWEN);
	assert_contains(page, "<span class=\"badge b-native\">native</span>");
	assert_contains(page, "<h3>Separate lineage: lemonade</h3>");
	/* the charts and history */
	assert_contains(page, "<svg role=\"img\" aria-label=\"pp512 and tg128 of " QWEN);
	assert_contains(page, "<g data-series=\"rocm-7.2\" stroke=");
	assert_contains(page, "<caption id=\"hist-");
	assert_lacks(page, "2026-05-21"); /* after the date */
	/* the same report, the same bytes */
	char *again = report_html(&fx.r);
	assert_string_equal(page, again);
	free(again);
	free(page);
	unbuild(&fx);
}

static void test_html_hostile(void **state)
{
	(void)state;
	struct records rs = { 0 };
	add_json_record(&rs, hostile_json);
	add_json_record(&rs, hostile_failed_json);
	make_hostile(&rs);
	/* every other string a page shows, hostile too */
	const char *evil = "\"'><img src=x onerror=alert(1)><script>alert(2)</script>"
			   "\xe2\x80\xa8\x01</style></svg>";
	for (size_t i = 0; i < rs.n; i++) {
		struct record *rec = &rs.v[i];
		rec->stale = true;
		rec->stale_reason = xstrdup(evil);
		rec->binary_sha256 = xstrdup(evil);
		rec->shared_text = false;
		rec->upstream = xasprintf("{\"state\": \"retired\", \"successor\": \"%s\", "
					  "\"last_build\": \"<b>\"}",
					  "\\\"'><img src=x onerror=alert(1)>\\u2028");
		rec->settings = xstrdup("{\"<img src=x>\": \"</script><b>\", \"n\": 1}");
		free(rec->config_key);
		rec->config_key = xstrdup(evil);
	}
	free(rs.v[1].error);
	rs.v[1].error = xstrdup(evil);
	struct report r;
	struct err e = { 0 };
	struct report_opts o = { .date = "2026-05-03", .baseline = "\"><b>" };
	assert_int_equal(report_build(&rs, &o, &r, &e), 0);
	char *page = report_html(&r);
	check_page_structure(page);
	check_page_charts(page, r.n_models);
	assert_lacks(page, "<img");
	assert_lacks(page, "<b>");
	assert_lacks(page, "<i>");
	assert_lacks(page, "\x01");
	assert_contains(page, "&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;");
	assert_contains(page, "retired upstream, last build &lt;b&gt;, successor &quot;&#39;&gt;");
	assert_contains(page, "benched on a stale container with --allow-stale (&quot;");
	free(page);
	report_free(&r);
	records_free(&rs);
}

static void test_html_write(void **state)
{
	(void)state;
	struct fixture fx;
	build(&fx, "2026-05-20", NULL);
	struct home h;
	home_make(&h, false);
	char *page = path_join(h.dir, "page.html"), *target = path_join(h.dir, "target");
	struct err e = { 0 };
	/* a planted symbolic link is replaced, never written through */
	assert_int_equal(symlink(target, page), 0);
	assert_int_equal(report_write_html(&fx.r, page, &e), 0);
	assert_false(path_exists(target));
	struct stat st;
	assert_int_equal(lstat(page, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	struct buf text = BUF_INIT;
	assert_int_equal(read_file(page, 1 << 24, &text, &e), 0);
	char *want = report_html(&fx.r);
	assert_string_equal(text.p, want);
	free(want);
	buf_free(&text);
	/* a directory in the way: an error naming it, nothing left behind */
	char *dir = path_join(h.dir, "d");
	assert_int_equal(mkdir(dir, 0777), 0);
	assert_int_equal(report_write_html(&fx.r, dir, &e), -1);
	assert_contains(e.msg, "/d': Is a directory");
	free(dir), free(page), free(target);
	home_remove(&h);
	unbuild(&fx);
}

/* Depth curves: two backends, one stopped part-way; every string hostile
 * in the third. */
#define CURVE_JSON(id, t, backend, model, extra) \
	"{\"schema\": 2, \"run_id\": \"" id "\", \"started_at\": \"" t "\", \"backend\": \"" \
	backend "\", \"model\": \"" model "\", \"run_kind\": \"curve\", \"build_number\": 9193, " \
	"\"image_digest\": \"sha256:" \
	"1111111111111111111111111111111111111111111111111111111111111111\", " \
	"\"curve\": {\"depths\": [0, 8192, 65536], \"ubatch\": 512, \"repetitions\": 3, " extra "}}"
#define CURVE_POINTS(a, b, c) \
	"\"points\": [{\"depth\": 0, \"mean\": " a ", \"stddev\": 0.5}, {\"depth\": 8192, " \
	"\"mean\": " b ", \"stddev\": 0.5}, {\"depth\": 65536, \"mean\": " c ", \"stddev\": 0.5}]"

static void test_html_curves(void **state)
{
	(void)state;
	struct records rs = { 0 };
	/* rocm-7.2's previous curve, another image: prefill at 8k was 1000 t/s */
	add_json_record(&rs, "{\"schema\": 2, \"run_id\": \"c0\", \"started_at\": "
			     "\"2026-04-30T00:00:00Z\", \"backend\": \"rocm-7.2\", \"model\": \"qwen\", "
			     "\"run_kind\": \"curve\", \"build_number\": 9187, \"image_digest\": "
			     "\"sha256:2222222222222222222222222222222222222222222222222222222222222222\", "
			     "\"curve\": {\"prefill\": {\"n_prompt\": 2048, \"n_gen\": 0, "
			     CURVE_POINTS("1000.25", "1000", "400") "}}}");
	add_json_record(&rs, CURVE_JSON("c1", "2026-05-01T00:00:00Z", "rocm-7.2", "qwen",
					"\"prefill\": {\"n_prompt\": 2048, \"n_gen\": 0, " CURVE_POINTS(
						"1000.25", "900.5", "400") "}, \"generation\": {\"n_prompt\": 0, "
						"\"n_gen\": 128, " CURVE_POINTS("50", "45", "30.125") "}"));
	add_json_record(&rs, CURVE_JSON("c2", "2026-05-01T01:00:00Z", "vulkan-radv", "qwen",
					"\"partial\": true, \"prefill\": {\"n_prompt\": 2048, \"n_gen\": 0, "
					CURVE_POINTS("1100", "990", "500") "}, \"generation\": {\"n_prompt\": "
					"0, \"n_gen\": 128, \"partial\": true, \"error\": \"killed <b>\", "
					"\"points\": [{\"depth\": 0, \"mean\": 55}]}"));
	add_json_record(&rs, CURVE_JSON("c3", "2026-05-01T02:00:00Z", "vulkan-radv",
					"<img src=x onerror=alert(1)>\\u2028",
					"\"ubatch_from\": \"<b>\", \"load_flag\": \"\\\"><i>\", "
					"\"prefill\": {\"n_prompt\": 2048, \"n_gen\": 0, " CURVE_POINTS(
						"1", "2", "3") "}"));
	struct report r;
	struct err e = { 0 };
	struct report_opts o = { .date = "2026-05-03" };
	assert_int_equal(report_build(&rs, &o, &r, &e), 0);
	assert_int_equal(r.n_models, 0); /* curves are not bench rows */
	assert_int_equal(r.n_curve_records, 4);
	char *page = report_html(&r);
	check_page_structure(page);
	check_page_charts(page, 2); /* one per curve row */
	assert_lacks(page, "<img");
	assert_lacks(page, "<b>");
	assert_lacks(page, "<i>");
	assert_contains(page, "4 depth curves, up to 2026-05-03");
	assert_contains(page, "<h3>Depth-curve regressions and improvements</h3>");
	assert_contains(page, "<li class=\"reg\"><strong>REGRESSION</strong> <strong>qwen</strong> on "
			      "<strong>rocm-7.2</strong>: prefill at 8k -10.0% after image "
			      "sha256:222222222222 -&gt; sha256:111111111111, build 9187 -&gt; 9193");
	/* the matrix's "at 32k" table, even without a bench row */
	assert_contains(page, "<caption id=\"cap-at\">At 32k context");
	assert_contains(page, "<a href=\"#curves\">Depth curves</a>");
	assert_lacks(page, "<caption id=\"cap-0-0\">"); /* no bench table */
	assert_contains(page, "<caption id=\"ccap-1-0\">prefill (-p 2048 -n 0) of qwen, t/s by depth");
	/* the baseline first */
	assert_contains(page, "<th scope=\"col\">vulkan-radv</th><th scope=\"col\">rocm-7.2</th>");
	/* depth 8192: vulkan-radv fastest; rocm-7.2 -10.0% from its depth 0 */
	assert_contains(page, "<tr><th scope=\"row\" data-v=\"8192\">8192</th><td class=\"num best\" "
			      "data-v=\"990.00\"><strong>990.00</strong> <span class=\"sd\">\xc2\xb1 "
			      "0.50</span> <span class=\"pct neg\">-10.0%</span> <span class=\"badge\">"
			      "fastest</span></td><td class=\"num\" data-v=\"900.50\">900.50 <span "
			      "class=\"sd\">\xc2\xb1 0.50</span> <span class=\"pct neg\">-10.0%</span></td>");
	assert_contains(page, "30.12 <span class=\"sd\">"); /* generation at 64k */
	assert_contains(page, "title=\"the series stopped before this depth\"");
	assert_contains(page, "<h3>Failed or partial curves</h3>");
	assert_contains(page, "on <strong>vulkan-radv</strong>: killed &lt;b&gt;");
	assert_contains(page, "-ub 512 (&lt;b&gt;), -r 3, &quot;&gt;&lt;i&gt;, cooldown unknown");
	assert_contains(page, ">64k</text>"); /* the chart's depth axis */
	assert_contains(page, "rocm-7.2 at depth 8k: 900.50 \xc2\xb1 0.50 t/s");
	char *again = report_html(&r);
	assert_string_equal(page, again);
	free(again);
	free(page);
	report_free(&r);
	records_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_regression_flags),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_matrix_baseline_and_date),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_chart),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_untrusted_names),
		cmocka_unit_test(test_settings_change_named),
		cmocka_unit_test(test_hostile_record_markdown),
		cmocka_unit_test(test_hostile_record_svg),
		cmocka_unit_test(test_report_write_symlinked_charts),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_corrupt_record_skipped),
		cmocka_unit_test(test_source_and_build_names),
		cmocka_unit_test(test_html_page),
		cmocka_unit_test(test_html_hostile),
		cmocka_unit_test(test_html_write),
		cmocka_unit_test(test_html_curves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
