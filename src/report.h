/* report.h - the rebench matrix, the run history and their charts, from
 * the records of results/.
 *
 * report_build() groups records (sorted oldest first, as store_load gives
 * them) by configuration (model, arguments: one row each) and backend, and
 * judges each series' latest run against its previous one (regress_flag:
 * only when something known changed, only beyond noise).  The renderers return whole documents; the same
 * records always give byte-identical output (no clock, stable orders,
 * fixed float formats).  The report points into the records: keep them
 * alive until report_free(). */
#ifndef TBX_REPORT_H
#define TBX_REPORT_H

#include "store.h"
#include "util.h"

#define REPORT_DEFAULT_BASELINE "vulkan-radv"
#define REPORT_MAIN_LINEAGE "llama.cpp"

enum { REPORT_PP512, REPORT_TG128, REPORT_N_TESTS };
extern const char *const report_test_names[REPORT_N_TESTS]; /* "pp512", "tg128" */
/* "pp512: prompt processing, 512 tokens", ... */
extern const char *const report_test_titles[REPORT_N_TESTS];

struct report_opts {
	const char *date;     /* "YYYY-MM-DD" (UTC), shown in titles and file names */
	const char *baseline; /* backend id; REPORT_DEFAULT_BASELINE when NULL */
};

/* One model on one backend: its runs, oldest first. */
struct report_series {
	const char *backend;
	const char *lineage; /* the latest run's */
	const struct record **runs;
	size_t n;
	int footnote; /* > 0 when the latest run failed: its note number */
	/* the latest run against the previous successful one of the same host,
	 * per test: the flag text (NULL when nothing significant) */
	char *flag[REPORT_N_TESTS];
	bool regression[REPORT_N_TESTS];
};

/* One row: a model run one way (see record_label). */
struct report_model {
	char *name; /* the model, then " (ARGS)" or " (arguments unknown)" */
	char *chart; /* "charts/<file-name-safe model>.svg" */
	struct report_series *series; /* by backend id */
	size_t n;
};

/* The backends of one lineage, as matrix columns: the baseline first,
 * then by id. */
struct report_lineage {
	const char *name;
	const char **backends;
	size_t n;
};

/* Depth curves (records of run_kind "curve"): per model run one way, the
 * latest curve of each backend and the previous one of the same
 * configuration key and host (NULL when none), judged per depth. */
struct report_curve {
	const char *backend;
	const struct record *latest, *prev;
	struct strv flags;   /* "prefill at 32k -8.1% after ...", one per flagged depth */
	struct strv regressions; /* the flags that are regressions */
};
struct report_curve_model {
	char *name;  /* record_label */
	char *chart; /* "charts/curve-<file-name-safe model>.svg" */
	struct report_curve *v; /* by backend, the baseline first */
	size_t n;
};
#define REPORT_CURVE_AT 32768 /* the matrix's "at 32k" columns */

struct report {
	char date[11];
	const char *baseline;
	size_t n_runs, n_hosts;
	struct report_model *models; /* by name */
	size_t n_models;
	struct report_lineage *lineages; /* llama.cpp first, then by name */
	size_t n_lineages;
	const struct record **sorted; /* by model, backend, time: the series' runs */
	/* the depth curves' records (run_kind "curve"): by model,
	 * configuration, backend, time */
	const struct record **curve_records;
	size_t n_curve_records;
	struct report_curve_model *curve_models; /* the same by model: DEPTH-CURVES.md, charts */
	size_t n_curve_models;
};

/* A date given as YYYY-MM-DD (strictly) into the end of that day (the
 * exclusive unix-time bound of the records that count).  -1 otherwise. */
int report_parse_date(const char *s, int64_t *day_end);
/* Today's date (UTC) into out[11]. */
void report_today(char out[11]);

int report_build(const struct records *rs, const struct report_opts *o, struct report *r,
		 struct err *e);
void report_free(struct report *r);

/* REBENCH-MATRIX-<date>.md */
char *report_matrix_md(const struct report *r);
/* BENCHMARKS.md */
char *report_history_md(const struct report *r);
/* The chart of one model (r->models[i]). */
char *report_chart_svg(const struct report *r, size_t model);

/* index.html: the matrix, the warnings, the charts and the history in one
 * self-contained page (report_html.c). */
char *report_html(const struct report *r);
/* Write only the page, atomically, as path (a symbolic link there is
 * replaced, never written through), or as name in dirfd; made and written
 * a piece at a time (one model's chart at a time in memory). */
int report_write_html(const struct report *r, const char *path, struct err *e);
int report_write_html_at(const struct report *r, int dirfd, const char *name, struct err *e);

/* DEPTH-CURVES.md: per model its chart and a table with a row per depth;
 * NULL when there is no curve. */
char *report_curves_md(const struct report *r);
/* The depth chart of one model (r->curve_models[i]): prefill and generation
 * t/s against depth, one line per backend with the samples' range. */
char *report_curve_svg(const struct report *r, size_t model);
/* A model's curve on a backend, or NULL. */
const struct report_curve *report_curve_of(const struct report_curve_model *m,
					   const char *backend);
/* Every depth of a model's latest curves, ascending, into *out (caller
 * frees); returns how many. */
size_t report_curve_depths(const struct report_curve_model *m, long **out);
/* The backends that have a curve: the baseline first, then by id (caller
 * frees with strv_free). */
void report_curve_backends(const struct report *r, struct strv *backends);
/* Write the matrix, the history, DEPTH-CURVES.md, index.html and every chart under dir
 * (created).  *matrix_path (optional) gets the matrix file's path. */
int report_write(const struct report *r, const char *dir, char **matrix_path, struct err *e);

/* The significant regressions of the latest results, one line each
 * ("Qwen3 on rocm-7.2: tg128 -8.1% after image ... -> ..., build 9187 -> 9193").
 * Returns how many. */
size_t report_regressions(const struct report *r, struct strv *lines);

/* Every run of a model, newest first (caller frees); *n gets how many. */
struct report_run {
	const struct report_series *s;
	size_t i; /* s->runs[i] */
};
struct report_run *report_model_runs(const struct report_model *m, size_t *n);

/* What changed at runs[i] of a series, against the previous successful
 * run on its host (prev; NULL for a failed or a first run): each test's
 * change in percent, its flag (regress_flag; NULL when not significant),
 * and, when nothing is flagged, the effective settings that changed
 * without the arguments changing (regress_settings_change, or NULL). */
struct report_change {
	const struct record *prev;
	double pct[REPORT_N_TESTS];
	char *flag[REPORT_N_TESTS];
	bool regression[REPORT_N_TESTS];
	char *settings;
};
void report_change(const struct report_series *s, size_t i, struct report_change *c);
void report_change_free(struct report_change *c);

/* Provenance of a run for tables: "sha256:0123456789ab", "imported" or
 * "native" into out[24]. */
const char *report_source(const struct record *rec, char out[24]);
/* "b9187", the commit when there is no number, or "-", into out[24]. */
const char *report_build_name(const struct record *rec, char out[24]);

/* For the renderers (report.c, report_html.c): one test of a run; the
 * series of a backend (in a lineage, or any with NULL); the latest
 * successful value of a series, of the baseline; the fastest backend of a
 * lineage's row (NULL with fewer than two values); the successful run
 * before runs[i] on the same host; a backend's chart colour; "+3.2%"
 * ("n/a" when not finite); "2026-05-16 07:12" into out[32]. */
const struct rec_test *report_test(const struct record *rec, int t);
struct report_series *report_find_series(const struct report_model *m, const char *backend,
					 const char *lineage);
const struct rec_test *report_latest_value(const struct report_series *s, int t);
const struct rec_test *report_baseline_value(const struct report *r, const struct report_model *m,
					     int t);
const char *report_fastest(const struct report_model *m, const struct report_lineage *l, int t);
const struct record *report_previous_ok(const struct report_series *s, size_t i);
const char *report_backend_color(const char *backend);
void report_add_pct(struct buf *b, double pct);
const char *report_minute(int64_t t, char out[32]);

#endif
