/* report.c - rebench matrix, run history and charts from results/. */
#define _GNU_SOURCE
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "imagelock.h"
#include "json.h"
#include "regress.h"
#include "svg.h"

#define DAY 86400
#define ERROR_SHOWN_MAX 300
#define CHART_NAME_MAX 100
#define CHART_NOTE_MAX 200

const char *const report_test_names[REPORT_N_TESTS] = { "pp512", "tg128" };

const char *const report_test_titles[REPORT_N_TESTS] = {
	"pp512: prompt processing, 512 tokens",
	"tg128: text generation, 128 tokens",
};

const struct rec_test *report_test(const struct record *rec, int t)
{
	return t == REPORT_PP512 ? &rec->pp512 : &rec->tg128;
}

static bool has_value(const struct rec_test *t)
{
	return t->present && isfinite(t->mean);
}

/* ---- dates and names ---- */

int report_parse_date(const char *s, int64_t *day_end)
{
	if (!s || strlen(s) != 10)
		return -1;
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
			return -1;
	int64_t t;
	char back[32];
	if (parse_time(s, &t) < 0)
		return -1;
	format_time(t, back);
	if (strncmp(back, s, 10) != 0) /* 2026-02-30 */
		return -1;
	*day_end = t + DAY;
	return 0;
}

void report_today(char out[11])
{
	char t[32];
	format_time(now_unix(), t);
	memcpy(out, t, 10);
	out[10] = '\0';
}

/* prefix and at most 12 bytes of s (whole characters, printable) into
 * out[24]: record fields reach tables and terminals through here. */
static const char *short_field(const char *prefix, const char *s, char out[24])
{
	char *cut = utf8_truncate(s, 12);
	char *clean = sanitize_line(cut, strlen(cut), 12);
	snprintf(out, 24, "%s%s", prefix, clean);
	free(clean);
	free(cut);
	return out;
}

const char *report_source(const struct record *rec, char out[24])
{
	if (rec->image_digest) {
		const char *hex = strchr(rec->image_digest, ':');
		return short_field("sha256:", hex ? hex + 1 : rec->image_digest, out);
	}
	snprintf(out, 24, "%s", rec->imported ? "imported" : "native");
	return out;
}

const char *report_build_name(const struct record *rec, char out[24])
{
	if (rec->build_number > 0)
		snprintf(out, 24, "b%ld", rec->build_number);
	else if (rec->build_commit && *rec->build_commit)
		short_field("", rec->build_commit, out);
	else
		snprintf(out, 24, "-");
	return out;
}

/* "2026-05-16 07:12" into out[32]. */
const char *report_minute(int64_t t, char out[32])
{
	char s[32];
	format_time(t, s);
	snprintf(out, 32, "%.10s %.5s", s, s + 11);
	return out;
}

/* "charts/<name>.svg" with only [A-Za-z0-9._-]; a name that had to be
 * changed gets a hash of the original so two models never share a file. */
static char *chart_path(const char *model)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_adds(&b, "charts/");
	bool changed = !*model || strlen(model) > CHART_NAME_MAX;
	for (size_t i = 0; model[i] && i < CHART_NAME_MAX; i++) {
		char c = model[i];
		bool ok = isalnum((unsigned char)c) || c == '-' || c == '_' || (c == '.' && i > 0);
		buf_addc(&b, ok ? c : '_');
		changed |= !ok;
	}
	if (changed) {
		uint32_t h = 2166136261u;
		for (const unsigned char *p = (const unsigned char *)model; *p; p++)
			h = (h ^ *p) * 16777619u;
		buf_addf(&b, "-%08x", h);
	}
	buf_adds(&b, ".svg");
	return buf_detach(&b);
}

static void md_error(struct buf *b, const char *error)
{
	const char *e = error ? error : "no error message recorded";
	char *line = sanitize_line(e, strlen(e), ERROR_SHOWN_MAX);
	esc_md(b, line);
	free(line);
}

/* "+3.2%"; a change that rounds to nothing is "+0.0%", never "-0.0%". */
void report_add_pct(struct buf *b, double pct)
{
	if (!isfinite(pct)) {
		buf_adds(b, "n/a");
		return;
	}
	double r = round(pct * 10) / 10;
	buf_addf(b, "%+.1f%%", r == 0 ? 0.0 : r);
}

/* ---- building ---- */

/* The record's configuration without the backend ("" for a record made
 * in memory without one). */
static const char *variant_of(const struct record *r)
{
	return r->config_variant ? r->config_variant : "";
}

static int cmp_series_order(const void *a, const void *b)
{
	const struct record *x = *(const struct record *const *)a;
	const struct record *y = *(const struct record *const *)b;
	int c = strcmp(x->model, y->model);
	if (!c)
		c = strcmp(variant_of(x), variant_of(y));
	if (!c)
		c = strcmp(x->backend, y->backend);
	if (!c) /* the store's order: oldest first */
		c = x < y ? -1 : x > y;
	return c;
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t count_hosts(const struct records *rs)
{
	if (!rs->n)
		return 0;
	const char **h = xcalloc(rs->n, sizeof(*h));
	for (size_t i = 0; i < rs->n; i++)
		h[i] = rs->v[i].host ? rs->v[i].host : "";
	qsort(h, rs->n, sizeof(*h), cmp_str_ptr);
	size_t n = 1;
	for (size_t i = 1; i < rs->n; i++)
		n += strcmp(h[i], h[i - 1]) != 0;
	free(h);
	return n;
}

/* The last successful run before runs[i] on the same host, or NULL. */
const struct record *report_previous_ok(const struct report_series *s, size_t i)
{
	const char *host = s->runs[i]->host;
	while (i-- > 0)
		if (!s->runs[i]->failed && str_eq(s->runs[i]->host, host))
			return s->runs[i];
	return NULL;
}

static void judge_latest(struct report_series *s)
{
	const struct record *cur = s->runs[s->n - 1];
	const struct record *prev = cur->failed ? NULL : report_previous_ok(s, s->n - 1);
	for (int t = 0; prev && t < REPORT_N_TESTS; t++)
		s->flag[t] = regress_flag(prev, cur, report_test_names[t], &s->regression[t]);
}

/* Series of one model: by backend id, the baseline first. */
static void add_model(struct report *r, const struct record **runs, size_t n)
{
	struct report_model *m = &r->models[r->n_models++];
	m->name = record_label(runs[0]);
	m->chart = chart_path(m->name);
	size_t cap = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(runs[j]->backend, runs[i]->backend) == 0)
			j++;
		if (m->n == cap) {
			cap = cap ? cap * 2 : 8;
			m->series = xrealloc(m->series, cap * sizeof(*m->series));
		}
		struct report_series *s = &m->series[m->n++];
		memset(s, 0, sizeof(*s));
		s->backend = runs[i]->backend;
		s->runs = runs + i;
		s->n = j - i;
		s->lineage = runs[j - 1]->lineage;
		judge_latest(s);
		i = j;
	}
	for (size_t i = 1; i < m->n; i++) {
		if (strcmp(m->series[i].backend, r->baseline) == 0) {
			struct report_series base = m->series[i];
			memmove(&m->series[1], &m->series[0], i * sizeof(*m->series));
			m->series[0] = base;
			break;
		}
	}
}

struct column {
	const char *lineage, *backend;
	int rank_lineage, rank_backend;
};

static int cmp_column(const void *a, const void *b)
{
	const struct column *x = a, *y = b;
	if (x->rank_lineage != y->rank_lineage)
		return x->rank_lineage - y->rank_lineage;
	int c = strcmp(x->lineage, y->lineage);
	if (c)
		return c;
	if (x->rank_backend != y->rank_backend)
		return x->rank_backend - y->rank_backend;
	return strcmp(x->backend, y->backend);
}

/* Matrix columns: every (lineage, backend) that has a series. */
static void collect_lineages(struct report *r)
{
	size_t n = 0, cap = 16;
	struct column *c = xcalloc(cap, sizeof(*c));
	for (size_t i = 0; i < r->n_models; i++) {
		for (size_t j = 0; j < r->models[i].n; j++) {
			const struct report_series *s = &r->models[i].series[j];
			if (n == cap)
				c = xrealloc(c, (cap *= 2) * sizeof(*c));
			c[n].lineage = s->lineage;
			c[n].backend = s->backend;
			c[n].rank_lineage = strcmp(s->lineage, REPORT_MAIN_LINEAGE) != 0;
			c[n].rank_backend = strcmp(s->backend, r->baseline) != 0;
			n++;
		}
	}
	qsort(c, n, sizeof(*c), cmp_column);
	for (size_t i = 0; i < n; i++) {
		if (i && cmp_column(&c[i], &c[i - 1]) == 0)
			continue;
		struct report_lineage *l = r->n_lineages ? &r->lineages[r->n_lineages - 1] : NULL;
		if (!l || strcmp(l->name, c[i].lineage) != 0) {
			r->lineages = xrealloc(r->lineages, (r->n_lineages + 1) * sizeof(*r->lineages));
			l = &r->lineages[r->n_lineages++];
			memset(l, 0, sizeof(*l));
			l->name = c[i].lineage;
		}
		l->backends = xrealloc(l->backends, (l->n + 1) * sizeof(*l->backends));
		l->backends[l->n++] = c[i].backend;
	}
	free(c);
}

struct report_series *report_find_series(const struct report_model *m, const char *backend,
					 const char *lineage)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->series[i].backend, backend) == 0 &&
		    (!lineage || strcmp(m->series[i].lineage, lineage) == 0))
			return &m->series[i];
	return NULL;
}

/* Failed latest runs get note numbers in the order the matrix shows them. */
static void number_footnotes(struct report *r)
{
	int k = 0;
	for (size_t l = 0; l < r->n_lineages; l++)
		for (size_t i = 0; i < r->n_models; i++)
			for (size_t j = 0; j < r->lineages[l].n; j++) {
				struct report_series *s = report_find_series(
					&r->models[i], r->lineages[l].backends[j], r->lineages[l].name);
				if (s && s->runs[s->n - 1]->failed && !s->footnote)
					s->footnote = ++k;
			}
}

/* One matrix row: one model run one way (the configuration key without
 * the backend), so runs with other arguments are never compared. */
static bool same_row(const struct record *a, const struct record *b)
{
	return strcmp(a->model, b->model) == 0 && strcmp(variant_of(a), variant_of(b)) == 0;
}

/* Two rows with the same label (the same alias for two model files):
 * the later ones say which configuration they are. */
static void distinct_labels(struct report *r)
{
	for (size_t i = 1; i < r->n_models; i++)
		for (size_t k = 0; k < i; k++)
			if (strcmp(r->models[i].name, r->models[k].name) == 0) {
				char *label = xasprintf("%s [%s]", r->models[i].name,
							variant_of(r->models[i].series[0].runs[0]));
				free(r->models[i].name), free(r->models[i].chart);
				r->models[i].name = label;
				r->models[i].chart = chart_path(label);
				break;
			}
}

static void build_curves(struct report *r);

int report_build(const struct records *rs, const struct report_opts *o, struct report *r,
		 struct err *e)
{
	memset(r, 0, sizeof(*r));
	int64_t end;
	if (!o->date || report_parse_date(o->date, &end) < 0)
		return err_set(e, "bad report date '%s' (expected YYYY-MM-DD)",
			       o->date ? o->date : "");
	memcpy(r->date, o->date, sizeof(r->date));
	r->baseline = o->baseline ? o->baseline : REPORT_DEFAULT_BASELINE;
	r->n_runs = rs->n;
	r->n_hosts = count_hosts(rs);
	if (!rs->n)
		return 0;
	const struct record **by = xcalloc(rs->n, sizeof(*by));
	r->curve_records = xcalloc(rs->n, sizeof(*r->curve_records));
	size_t n_models = 0, n = 0;
	for (size_t i = 0; i < rs->n; i++) /* curves have their own section */
		if (!record_is_curve(&rs->v[i]))
			by[n++] = &rs->v[i];
		else
			r->curve_records[r->n_curve_records++] = &rs->v[i];
	r->n_runs = n;
	qsort(r->curve_records, r->n_curve_records, sizeof(*r->curve_records), cmp_series_order);
	qsort(by, n, sizeof(*by), cmp_series_order);
	for (size_t i = 0; i < n; i++)
		n_models += i == 0 || !same_row(by[i], by[i - 1]);
	r->models = xcalloc(n_models ? n_models : 1, sizeof(*r->models));
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && same_row(by[j], by[i]))
			j++;
		add_model(r, by + i, j - i);
		i = j;
	}
	r->sorted = by;
	build_curves(r);
	distinct_labels(r);
	collect_lineages(r);
	number_footnotes(r);
	return 0;
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->n_models; i++) {
		struct report_model *m = &r->models[i];
		for (size_t j = 0; j < m->n; j++)
			for (int t = 0; t < REPORT_N_TESTS; t++)
				free(m->series[j].flag[t]);
		free(m->series);
		free(m->chart);
		free(m->name);
	}
	free(r->models);
	for (size_t i = 0; i < r->n_lineages; i++)
		free(r->lineages[i].backends);
	free(r->lineages);
	free(r->sorted);
	for (size_t i = 0; i < r->n_curve_models; i++) {
		struct report_curve_model *m = &r->curve_models[i];
		for (size_t j = 0; j < m->n; j++)
			strv_free(&m->v[j].flags), strv_free(&m->v[j].regressions);
		free(m->v), free(m->name), free(m->chart);
	}
	free(r->curve_models);
	free(r->curve_records);
	memset(r, 0, sizeof(*r));
}

size_t report_regressions(const struct report *r, struct strv *lines)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_curve_models; i++)
		for (size_t j = 0; j < r->curve_models[i].n; j++) {
			const struct report_curve *c = &r->curve_models[i].v[j];
			for (size_t k = 0; k < c->regressions.n; k++, n++)
				if (lines)
					strv_pushf(lines, "%s on %s: %s", r->curve_models[i].name,
						   c->backend, c->regressions.v[k]);
		}
	for (size_t i = 0; i < r->n_models; i++)
		for (size_t j = 0; j < r->models[i].n; j++)
			for (int t = 0; t < REPORT_N_TESTS; t++) {
				const struct report_series *s = &r->models[i].series[j];
				if (!s->flag[t] || !s->regression[t])
					continue;
				n++;
				if (lines)
					strv_pushf(lines, "%s on %s: %s", r->models[i].name, s->backend,
						   s->flag[t]);
			}
	return n;
}

/* ---- the matrix ---- */

static void add_mean_sd(struct buf *b, const struct rec_test *t)
{
	buf_addf(b, "%.2f", t->mean);
	if (isfinite(t->stddev))
		buf_addf(b, " \xc2\xb1 %.2f", t->stddev);
}

/* " · frozen upstream" or " · retired upstream, successor X" when the
 * record says its channel was no longer rebuilt (record.upstream). */
static void add_upstream_mark(struct buf *b, const struct record *rec, const char *sep)
{
	json_object *u = rec->upstream ? record_obj_parse(rec->upstream) : NULL;
	const char *state = json_str(u, "state"), *succ = json_str(u, "successor");
	if (str_eq(state, "frozen") || str_eq(state, "retired")) {
		buf_addf(b, "%s%s upstream", sep, str_eq(state, "frozen") ? "frozen" : "retired");
		if (succ) {
			buf_adds(b, ", successor ");
			esc_md(b, succ);
		}
	}
	json_object_put(u);
}

/* "<sub>sha256:0123456789ab · b9187</sub>" and what else the reader needs
 * to trust the number: stale container, which host. */
static void add_provenance(struct buf *b, const struct report *r, const struct record *rec)
{
	char src[24], build[24];
	buf_adds(b, "<br><sub>");
	esc_md(b, report_source(rec, src));
	buf_adds(b, " \xc2\xb7 ");
	esc_md(b, report_build_name(rec, build));
	if (rec->stale)
		buf_adds(b, " \xc2\xb7 stale container");
	add_upstream_mark(b, rec, " \xc2\xb7 ");
	if (r->n_hosts > 1) {
		buf_adds(b, " \xc2\xb7 ");
		esc_md(b, rec->host ? rec->host : "unknown host");
	}
	buf_adds(b, "</sub>");
}

/* The latest successful value of the baseline for a model and test. */
const struct rec_test *report_baseline_value(const struct report *r, const struct report_model *m,
					     int t)
{
	const struct report_series *s = report_find_series(m, r->baseline, NULL);
	if (!s || s->runs[s->n - 1]->failed)
		return NULL;
	const struct rec_test *v = report_test(s->runs[s->n - 1], t);
	return has_value(v) && v->mean > 0 ? v : NULL;
}

const struct rec_test *report_latest_value(const struct report_series *s, int t)
{
	if (!s || s->runs[s->n - 1]->failed)
		return NULL;
	const struct rec_test *v = report_test(s->runs[s->n - 1], t);
	return has_value(v) ? v : NULL;
}

/* The fastest backend of a lineage's row, or NULL with fewer than two. */
const char *report_fastest(const struct report_model *m, const struct report_lineage *l, int t)
{
	const char *best = NULL;
	double best_mean = -INFINITY;
	size_t candidates = 0;
	for (size_t j = 0; j < l->n; j++) {
		const struct rec_test *v = report_latest_value(report_find_series(m, l->backends[j], l->name), t);
		if (!v)
			continue;
		candidates++;
		if (v->mean > best_mean)
			best = l->backends[j], best_mean = v->mean;
	}
	return candidates >= 2 ? best : NULL;
}

static void add_cell(struct buf *b, const struct report *r, const struct report_series *s, int t,
		     const struct rec_test *base, bool best)
{
	if (!s) {
		buf_adds(b, " \xe2\x80\x93 |"); /* en dash: never run */
		return;
	}
	const struct record *rec = s->runs[s->n - 1];
	const struct rec_test *v = report_test(rec, t);
	buf_addc(b, ' ');
	if (rec->failed) {
		buf_addf(b, "failed[^%d]", s->footnote);
	} else if (!has_value(v)) {
		buf_adds(b, "not measured");
	} else {
		buf_adds(b, best ? "**" : "");
		add_mean_sd(b, v);
		buf_adds(b, best ? "**" : "");
		if (base && strcmp(s->backend, r->baseline) != 0) {
			buf_adds(b, " (");
			report_add_pct(b, (v->mean - base->mean) / base->mean * 100.0);
			buf_addc(b, ')');
		}
	}
	if (s->flag[t]) {
		bool sig;
		const struct record *prev = report_previous_ok(s, s->n - 1);
		double pct = regress_change(report_test(prev, t), v, &sig);
		buf_addf(b, "<br>**%s ", s->regression[t] ? "\xe2\x96\xbc" : "\xe2\x96\xb2");
		report_add_pct(b, pct);
		buf_addf(b, " %s**", s->regression[t] ? "regression" : "improvement");
	}
	add_provenance(b, r, rec);
	buf_adds(b, " |");
}

static void add_test_table(struct buf *b, const struct report *r, const struct report_lineage *l,
			   int t, bool rank)
{
	buf_addf(b, "| model |");
	for (size_t j = 0; j < l->n; j++) {
		buf_addc(b, ' ');
		esc_md(b, l->backends[j]);
		buf_adds(b, strcmp(l->backends[j], r->baseline) == 0 ? " (baseline) |" : " |");
	}
	buf_adds(b, rank ? " fastest |\n|---|" : "\n|---|");
	for (size_t j = 0; j < l->n; j++)
		buf_adds(b, "--:|");
	buf_adds(b, rank ? "---|\n" : "\n");
	for (size_t i = 0; i < r->n_models; i++) {
		const struct report_model *m = &r->models[i];
		bool any = false;
		for (size_t j = 0; j < l->n && !any; j++)
			any = report_find_series(m, l->backends[j], l->name) != NULL;
		if (!any)
			continue;
		const struct rec_test *base = report_baseline_value(r, m, t);
		const char *best = rank ? report_fastest(m, l, t) : NULL;
		buf_adds(b, "| ");
		esc_md(b, m->name);
		buf_adds(b, " |");
		for (size_t j = 0; j < l->n; j++)
			add_cell(b, r, report_find_series(m, l->backends[j], l->name), t, base,
				 best && strcmp(best, l->backends[j]) == 0);
		if (rank) {
			buf_addc(b, ' ');
			esc_md(b, best ? best : "\xe2\x80\x93");
			buf_adds(b, " |");
		}
		buf_addc(b, '\n');
	}
}

static void add_lineage_tables(struct buf *b, const struct report *r, const struct report_lineage *l)
{
	bool main_lineage = strcmp(l->name, REPORT_MAIN_LINEAGE) == 0;
	if (!main_lineage) {
		buf_adds(b, "## Separate lineage: ");
		esc_md(b, l->name);
		buf_adds(b, "\n\nBuilds of another toolchain lineage, kept apart from the llama.cpp "
			    "tables and not ranked with them. Percentages are still against ");
		esc_md(b, r->baseline);
		buf_adds(b, ".\n\n");
	}
	for (int t = 0; t < REPORT_N_TESTS; t++) {
		buf_addf(b, "%s %s (t/s)", main_lineage ? "##" : "###", report_test_titles[t]);
		if (!main_lineage) {
			buf_adds(b, ", ");
			esc_md(b, l->name);
		}
		buf_adds(b, "\n\n");
		add_test_table(b, r, l, t, main_lineage);
		buf_addc(b, '\n');
	}
}

static void add_changes(struct buf *b, const struct report *r)
{
	buf_adds(b, "## Significant changes since the previous run\n\n");
	size_t n = 0;
	for (size_t i = 0; i < r->n_models; i++)
		for (size_t j = 0; j < r->models[i].n; j++)
			for (int t = 0; t < REPORT_N_TESTS; t++) {
				const struct report_series *s = &r->models[i].series[j];
				if (!s->flag[t])
					continue;
				char when[32];
				buf_adds(b, s->regression[t] ? "- **REGRESSION** " : "- improvement: ");
				esc_md(b, r->models[i].name);
				buf_adds(b, " on ");
				esc_md(b, s->backend);
				buf_adds(b, ": ");
				esc_md(b, s->flag[t]);
				buf_addf(b, " (run of %s UTC)\n",
					 report_minute(s->runs[s->n - 1]->started_at, when));
				n++;
			}
	if (!n)
		buf_adds(b, "None: no latest result differs from its backend's previous run of the "
			    "same configuration beyond the noise after a change of image, build, "
			    "effective settings or host.\n");
	buf_addc(b, '\n');
}

static void add_footnotes(struct buf *b, const struct report *r)
{
	for (int k = 1;; k++) {
		const struct report_series *found = NULL;
		const struct report_model *fm = NULL;
		for (size_t i = 0; i < r->n_models && !found; i++)
			for (size_t j = 0; j < r->models[i].n && !found; j++)
				if (r->models[i].series[j].footnote == k)
					found = &r->models[i].series[j], fm = &r->models[i];
		if (!found)
			return;
		const struct record *rec = found->runs[found->n - 1];
		char when[32], src[24], build[24];
		buf_addf(b, "[^%d]: ", k);
		esc_md(b, fm->name);
		buf_adds(b, " on ");
		esc_md(b, found->backend);
		buf_addf(b, ", %s UTC (", report_minute(rec->started_at, when));
		esc_md(b, report_source(rec, src));
		buf_adds(b, " \xc2\xb7 ");
		esc_md(b, report_build_name(rec, build));
		buf_adds(b, "): ");
		md_error(b, rec->error);
		buf_addc(b, '\n');
	}
}

static void add_curves_at(struct buf *b, const struct report *r);

char *report_matrix_md(const struct report *r)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_addf(&b, "# Rebench matrix %s\n\n", r->date);
	if (!r->n_models) {
		buf_addf(&b, "No %sruns recorded up to %s.\n", r->n_curve_models ? "pp512/tg128 " : "",
			 r->date);
		if (r->n_curve_models) {
			buf_addc(&b, '\n');
			add_curves_at(&b, r);
		}
		return buf_detach(&b);
	}
	buf_addf(&b,
		 "The latest run of each model on each backend up to %s (UTC), in tokens per "
		 "second: mean \xc2\xb1 standard deviation over llama-bench's repetitions. In "
		 "parentheses: the difference from the baseline, ",
		 r->date);
	esc_md(&b, r->baseline);
	buf_addf(&b, ". Bold: the fastest backend for the model and test. Under each number: "
		     "the image digest (`native` for host builds, `imported` for imported logs) and "
		     "the llama.cpp build it came from. \xe2\x96\xbc/\xe2\x96\xb2: a change from the "
		     "backend's previous run of the same configuration after a change of image, "
		     "build, effective settings or host, beyond %.0f standard errors and %.0f%%. "
		     "A row is one model run one way: other arguments make another row.\n\n",
		 REGRESS_MIN_T, REGRESS_MIN_PCT);
	size_t names = 0;
	for (size_t i = 0; i < r->n_runs; i++)
		names += i == 0 || strcmp(r->sorted[i]->model, r->sorted[i - 1]->model) != 0;
	buf_addf(&b, "%zu runs of %zu models", r->n_runs, names);
	if (names != r->n_models)
		buf_addf(&b, " in %zu configurations", r->n_models);
	if (r->n_hosts > 1)
		buf_addf(&b, " from %zu hosts", r->n_hosts);
	buf_adds(&b, "; every run: [BENCHMARKS.md](BENCHMARKS.md).\n\n");
	for (size_t l = 0; l < r->n_lineages; l++)
		add_lineage_tables(&b, r, &r->lineages[l]);
	add_curves_at(&b, r);
	add_changes(&b, r);
	add_footnotes(&b, r);
	return buf_detach(&b);
}

/* ---- the history ---- */

static int cmp_newest(const void *a, const void *b)
{
	const struct record *x = ((const struct report_run *)a)->s->runs[((const struct report_run *)a)->i];
	const struct record *y = ((const struct report_run *)b)->s->runs[((const struct report_run *)b)->i];
	if (x->started_at != y->started_at)
		return x->started_at > y->started_at ? -1 : 1; /* newest first */
	int c = strcmp(y->run_id, x->run_id);
	if (!c)
		c = strcmp(x->backend, y->backend);
	return c ? c : (x > y ? -1 : x < y);
}

struct report_run *report_model_runs(const struct report_model *m, size_t *n)
{
	*n = 0;
	for (size_t j = 0; j < m->n; j++)
		*n += m->series[j].n;
	struct report_run *runs = xcalloc(*n + 1, sizeof(*runs));
	size_t k = 0;
	for (size_t j = 0; j < m->n; j++)
		for (size_t i = 0; i < m->series[j].n; i++)
			runs[k].s = &m->series[j], runs[k++].i = i;
	qsort(runs, *n, sizeof(*runs), cmp_newest);
	return runs;
}

void report_change(const struct report_series *s, size_t i, struct report_change *c)
{
	memset(c, 0, sizeof(*c));
	const struct record *cur = s->runs[i];
	c->prev = cur->failed ? NULL : report_previous_ok(s, i);
	if (!c->prev)
		return;
	bool flagged = false;
	for (int t = 0; t < REPORT_N_TESTS; t++) {
		bool sig;
		c->pct[t] = regress_change(report_test(c->prev, t), report_test(cur, t), &sig);
		c->flag[t] = regress_flag(c->prev, cur, report_test_names[t], &c->regression[t]);
		flagged |= c->flag[t] != NULL;
	}
	/* the same arguments, other effective values: the build's defaults */
	if (!flagged)
		c->settings = regress_settings_named(c->prev, cur);
}

void report_change_free(struct report_change *c)
{
	for (int t = 0; t < REPORT_N_TESTS; t++)
		free(c->flag[t]);
	free(c->settings);
	memset(c, 0, sizeof(*c));
}

static void add_change_cell(struct buf *b, const struct report_series *s, size_t i)
{
	if (s->runs[i]->failed) {
		buf_adds(b, "failed: ");
		md_error(b, s->runs[i]->error);
		return;
	}
	struct report_change c;
	report_change(s, i, &c);
	if (!c.prev) {
		buf_adds(b, "first run");
		return;
	}
	for (int t = 0; t < REPORT_N_TESTS; t++) {
		buf_addf(b, "%s%s ", t ? ", " : "", report_test_names[t]);
		report_add_pct(b, c.pct[t]);
	}
	for (int t = 0; t < REPORT_N_TESTS; t++) {
		if (!c.flag[t])
			continue;
		buf_adds(b, c.regression[t] ? "<br>**REGRESSION: " : "<br>**improvement: ");
		esc_md(b, c.flag[t]);
		buf_adds(b, "**");
	}
	if (c.settings) {
		buf_adds(b, "<br>settings changed: ");
		esc_md(b, c.settings);
	}
	report_change_free(&c);
}

static void add_history_row(struct buf *b, const struct report *r, const struct report_series *s,
			    size_t i)
{
	const struct record *rec = s->runs[i];
	char when[32], src[24], build[24];
	buf_addf(b, "| %s | ", report_minute(rec->started_at, when));
	esc_md(b, rec->backend);
	if (strcmp(rec->lineage, REPORT_MAIN_LINEAGE) != 0) {
		buf_adds(b, " (");
		esc_md(b, rec->lineage);
		buf_adds(b, " lineage)");
	}
	if (r->n_hosts > 1) {
		buf_adds(b, " on ");
		esc_md(b, rec->host ? rec->host : "unknown host");
	}
	buf_adds(b, " | ");
	esc_md(b, report_source(rec, src));
	if (rec->stale)
		buf_adds(b, " (stale)");
	add_upstream_mark(b, rec, "; ");
	buf_adds(b, " | ");
	esc_md(b, report_build_name(rec, build));
	if (rec->build_number > 0 && rec->build_commit && strcmp(rec->build_commit, build) != 0) {
		buf_adds(b, " (");
		esc_md(b, rec->build_commit);
		buf_adds(b, ")");
	}
	buf_adds(b, " |");
	for (int t = 0; t < REPORT_N_TESTS; t++) {
		const struct rec_test *v = report_test(rec, t);
		buf_addc(b, ' ');
		if (rec->failed)
			buf_adds(b, "failed");
		else if (has_value(v))
			add_mean_sd(b, v);
		else
			buf_adds(b, "not measured");
		buf_adds(b, " |");
	}
	buf_addc(b, ' ');
	add_change_cell(b, s, i);
	buf_adds(b, " |\n");
}

static void add_model_history(struct buf *b, const struct report *r, const struct report_model *m)
{
	size_t n;
	struct report_run *rows = report_model_runs(m, &n);
	buf_adds(b, "## ");
	esc_md(b, m->name);
	buf_adds(b, "\n\n![pp512 and tg128 of ");
	esc_md(b, m->name);
	buf_addf(b, " over time](%s)\n\n", m->chart);
	buf_adds(b, "| date (UTC) | backend | image | build | pp512 (t/s) | tg128 (t/s) | "
		    "change vs the backend's previous run |\n"
		    "|---|---|---|---|--:|--:|---|\n");
	for (size_t k = 0; k < n; k++)
		add_history_row(b, r, rows[k].s, rows[k].i);
	buf_addc(b, '\n');
	free(rows);
}

char *report_history_md(const struct report *r)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_addf(&b, "# Benchmarks\n\nEvery recorded run up to %s (UTC), newest first, one "
		     "section per model. Tokens per second: mean \xc2\xb1 standard deviation. "
		     "Change: against the same backend's previous successful run; flagged when an "
		     "image or llama.cpp build change moved it beyond %.0f standard errors and "
		     "%.0f%%. Latest results side by side: [REBENCH-MATRIX-%s.md]"
		     "(REBENCH-MATRIX-%s.md).\n\n",
		 r->date, REGRESS_MIN_T, REGRESS_MIN_PCT, r->date, r->date);
	if (!r->n_models) {
		buf_addf(&b, "No runs recorded up to %s.\n", r->date);
		return buf_detach(&b);
	}
	for (size_t i = 0; i < r->n_models; i++)
		add_model_history(&b, r, &r->models[i]);
	return buf_detach(&b);
}

/* ---- charts ---- */

const char *report_backend_color(const char *backend)
{
	/* the usual backends keep their colour in every chart */
	static const char *const fixed[][2] = {
		{ "vulkan-radv", "#e15759" },     { "vulkan-amdvlk", "#f28e2b" },
		{ "vulkan-native", "#ff9da7" },   { "rocm-6.4.4", "#4e79a7" },
		{ "rocm-7.2", "#59a14f" },        { "rocm7-nightlies", "#b07aa1" },
		{ "hip-local", "#76b7b2" },       { "lemonade", "#9c755f" },
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcmp(fixed[i][0], backend) == 0)
			return fixed[i][1];
	return svg_hash_color(backend);
}

char *report_chart_svg(const struct report *r, size_t model)
{
	const struct report_model *m = &r->models[model];
	struct svg_series *series[REPORT_N_TESTS];
	struct svg_panel panels[REPORT_N_TESTS];
	size_t total = 0;
	for (size_t j = 0; j < m->n; j++)
		total += m->series[j].n;
	char(*notes)[CHART_NOTE_MAX] = xcalloc(total + 1, sizeof(*notes));
	for (int t = 0; t < REPORT_N_TESTS; t++) {
		series[t] = xcalloc(m->n + 1, sizeof(**series));
		panels[t] = (struct svg_panel){ report_test_titles[t], "t/s", series[t], m->n };
	}
	size_t k = 0;
	for (size_t j = 0; j < m->n; j++) {
		const struct report_series *s = &m->series[j];
		struct svg_point *pts[REPORT_N_TESTS];
		for (int t = 0; t < REPORT_N_TESTS; t++) {
			pts[t] = xcalloc(s->n + 1, sizeof(**pts));
			series[t][j] = (struct svg_series){ s->backend, report_backend_color(s->backend),
							    pts[t], 0 };
		}
		for (size_t i = 0; i < s->n; i++, k++) {
			const struct record *rec = s->runs[i];
			char src[24], build[24];
			char *why = rec->failed && rec->error
					    ? sanitize_line(rec->error, strlen(rec->error), CHART_NOTE_MAX / 2)
					    : NULL;
			snprintf(notes[k], sizeof(notes[k]), "%s \xc2\xb7 %s%s%s", report_source(rec, src),
				 report_build_name(rec, build), why ? ": " : "", why ? why : "");
			free(why);
			for (int t = 0; t < REPORT_N_TESTS; t++) {
				const struct rec_test *v = report_test(rec, t);
				if (rec->failed || has_value(v)) /* NAN: failed */
					pts[t][series[t][j].n++] = (struct svg_point){
						.t = rec->started_at,
						.y = rec->failed ? NAN : v->mean,
						.sd = v->stddev,
						.note = notes[k],
					};
			}
		}
	}
	char *title = xasprintf("%s: llama-bench over time", m->name);
	char *svg = svg_time_chart(title, panels, REPORT_N_TESTS);
	free(title);
	for (int t = 0; t < REPORT_N_TESTS; t++) {
		for (size_t j = 0; j < m->n; j++)
			free((void *)series[t][j].pts);
		free(series[t]);
	}
	free(notes);
	return svg;
}

/* ---- files ---- */

/* (the caller says which directory in its error) */
/* ---- depth curves ---- */

/* "32k" for 32768, "512" below 1024 */
static void depth_name(long d, char out[24])
{
	if (d >= 1024 && d % 1024 == 0)
		snprintf(out, 24, "%ldk", d / 1024);
	else
		snprintf(out, 24, "%ld", d);
}

static const char *series_name(int s)
{
	return s ? "generation" : "prefill";
}

static const struct rec_series *series_of(const struct record *rec, int s)
{
	return s ? &rec->curve.generation : &rec->curve.prefill;
}

/* Per depth, the latest curve against the previous one (bench's noise
 * rule, only after a known change: regress_flag_values). */
static void judge_curve(struct report_curve *c)
{
	if (!c->prev || c->latest->failed)
		return;
	for (int s = 0; s < 2; s++) {
		const struct rec_series *cur = series_of(c->latest, s);
		for (size_t i = 0; i < cur->n_points; i++) {
			const struct rec_point *p = &cur->points[i];
			const struct rec_point *q = rec_series_point(series_of(c->prev, s), p->depth);
			if (!q)
				continue;
			char d[24], name[48];
			depth_name(p->depth, d);
			snprintf(name, sizeof(name), "%s at %s", series_name(s), d);
			bool regression;
			char *flag = regress_flag_values(c->prev, c->latest, name, &q->t, &p->t,
							 &regression);
			if (flag) {
				strv_push(&c->flags, flag);
				if (regression)
					strv_push(&c->regressions, flag);
			}
			free(flag);
		}
	}
}

static void add_curve_model(struct report *r, const struct record **runs, size_t n)
{
	struct report_curve_model *m = &r->curve_models[r->n_curve_models++];
	m->name = record_label(runs[0]);
	char *label = xasprintf("curve-%s", m->name);
	m->chart = chart_path(label);
	free(label);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(runs[j]->backend, runs[i]->backend) == 0)
			j++;
		m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
		struct report_curve *c = &m->v[m->n++];
		memset(c, 0, sizeof(*c));
		c->backend = runs[i]->backend;
		c->latest = runs[j - 1];
		for (size_t k = j - 1; k-- > i && !c->prev;)
			if (!runs[k]->failed && str_eq(runs[k]->host, c->latest->host) &&
			    str_eq(runs[k]->config_key, c->latest->config_key))
				c->prev = runs[k];
		judge_curve(c);
		i = j;
	}
	for (size_t i = 1; i < m->n; i++) {
		if (strcmp(m->v[i].backend, r->baseline) == 0) {
			struct report_curve base = m->v[i];
			memmove(&m->v[1], &m->v[0], i * sizeof(*m->v));
			m->v[0] = base;
			break;
		}
	}
}

static void build_curves(struct report *r)
{
	const struct record **by = r->curve_records; /* sorted by report_build */
	size_t n = r->n_curve_records, n_models = 0;
	for (size_t i = 0; i < n; i++)
		n_models += i == 0 || !same_row(by[i], by[i - 1]);
	r->curve_models = n_models ? xcalloc(n_models, sizeof(*r->curve_models)) : NULL;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && same_row(by[j], by[i]))
			j++;
		add_curve_model(r, by + i, j - i);
		i = j;
	}
}

/* "<sub>sha256:0123456789ab · b9187 · -ub 512</sub>" */
static void add_curve_provenance(struct buf *b, const struct report *r, const struct record *rec)
{
	add_provenance(b, r, rec);
	b->len -= strlen("</sub>");
	b->p[b->len] = '\0';
	if (rec->curve.ubatch)
		buf_addf(b, " \xc2\xb7 -ub %ld", rec->curve.ubatch);
	if (rec->curve.partial)
		buf_adds(b, " \xc2\xb7 partial");
	buf_adds(b, "</sub>");
}

static void add_point_cell(struct buf *b, const struct record *rec, int s, long depth)
{
	const struct rec_point *p = rec->failed ? NULL : rec_series_point(series_of(rec, s), depth);
	buf_addc(b, ' ');
	if (p && has_value(&p->t))
		add_mean_sd(b, &p->t);
	else
		buf_adds(b, "\xe2\x80\x93");
	buf_adds(b, " |");
}

const struct report_curve *report_curve_of(const struct report_curve_model *m,
					   const char *backend)
{
	for (size_t k = 0; k < m->n; k++)
		if (strcmp(m->v[k].backend, backend) == 0)
			return &m->v[k];
	return NULL;
}

size_t report_curve_depths(const struct report_curve_model *m, long **out)
{
	long *d = NULL;
	size_t n = 0;
	for (size_t j = 0; j < m->n; j++)
		for (int s = 0; s < 2; s++) {
			const struct rec_series *se = series_of(m->v[j].latest, s);
			for (size_t i = 0; i < se->n_points; i++) {
				long v = se->points[i].depth;
				size_t k = 0;
				while (k < n && d[k] < v)
					k++;
				if (k < n && d[k] == v)
					continue;
				d = xrealloc(d, (n + 1) * sizeof(*d));
				memmove(d + k + 1, d + k, (n - k) * sizeof(*d));
				d[k] = v;
				n++;
			}
		}
	*out = d;
	return n;
}

static void add_series_title(struct buf *b, const struct report_curve *c, int s)
{
	const struct rec_series *se = series_of(c->latest, s);
	buf_addc(b, ' ');
	esc_md(b, c->backend);
	if (s && se->n_gen)
		buf_addf(b, " generation (tg%d) |", se->n_gen);
	else if (!s && se->n_prompt)
		buf_addf(b, " prefill (pp%d) |", se->n_prompt);
	else
		buf_addf(b, " %s |", series_name(s));
}

char *report_curves_md(const struct report *r)
{
	if (!r->n_curve_models)
		return NULL;
	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_addf(&b, "# Depth curves %s\n\n", r->date);
	buf_addf(&b, "Upstream's current benchmark method: prefill and generation speed as the "
		     "context fills (a prefill series and a generation series, each over every "
		     "depth in one llama-bench run; docs/CURVES.md). %zu curve%s of %zu model%s. "
		     "Each table: one row per depth, the latest curve of each backend (tokens per "
		     "second, mean \xc2\xb1 standard deviation of its repetitions); the chart draws "
		     "the samples' range. Changes from the backend's previous curve of the same "
		     "configuration are judged per depth as bench results are: beyond %.0f standard "
		     "errors and %.0f%%, after a change of image, build, effective settings or "
		     "host.\n\n",
		 r->n_curve_records, r->n_curve_records == 1 ? "" : "s", r->n_curve_models,
		 r->n_curve_models == 1 ? "" : "s", REGRESS_MIN_T, REGRESS_MIN_PCT);
	for (size_t i = 0; i < r->n_curve_models; i++) {
		const struct report_curve_model *m = &r->curve_models[i];
		buf_adds(&b, "## ");
		esc_md(&b, m->name);
		buf_adds(&b, "\n\n![prefill and generation of ");
		esc_md(&b, m->name);
		buf_adds(&b, " against context depth](");
		buf_adds(&b, m->chart); /* [A-Za-z0-9._-] only */
		buf_adds(&b, ")\n\n| depth |");
		for (size_t j = 0; j < m->n; j++)
			for (int s = 0; s < 2; s++)
				add_series_title(&b, &m->v[j], s);
		buf_adds(&b, "\n|--:|");
		for (size_t j = 0; j < m->n; j++)
			buf_adds(&b, "--:|--:|");
		buf_addc(&b, '\n');
		long *depths;
		size_t nd = report_curve_depths(m, &depths);
		for (size_t k = 0; k < nd; k++) {
			buf_addf(&b, "| %ld |", depths[k]);
			for (size_t j = 0; j < m->n; j++)
				for (int s = 0; s < 2; s++)
					add_point_cell(&b, m->v[j].latest, s, depths[k]);
			buf_addc(&b, '\n');
		}
		free(depths);
		buf_addc(&b, '\n');
		for (size_t j = 0; j < m->n; j++) {
			const struct report_curve *c = &m->v[j];
			char when[32];
			buf_adds(&b, "- ");
			esc_md(&b, c->backend);
			buf_addf(&b, ", %s UTC", report_minute(c->latest->started_at, when));
			add_curve_provenance(&b, r, c->latest);
			for (int s = 0; s < 2; s++) {
				const struct rec_series *se = series_of(c->latest, s);
				if (se->error) {
					buf_addf(&b, "; %s stopped: ", series_name(s));
					md_error(&b, se->error);
				}
			}
			if (c->latest->failed) {
				buf_adds(&b, "; failed: ");
				md_error(&b, c->latest->error);
			}
			buf_addc(&b, '\n');
			for (size_t k = 0; k < c->flags.n; k++) {
				bool reg = strv_contains(&c->regressions, c->flags.v[k]);
				buf_adds(&b, reg ? "  - **REGRESSION** " : "  - improvement: ");
				esc_md(&b, c->flags.v[k]);
				buf_addc(&b, '\n');
			}
		}
		buf_addc(&b, '\n');
	}
	return buf_detach(&b);
}

void report_curve_backends(const struct report *r, struct strv *backends_out)
{
	struct strv backends = STRV_INIT;
	for (size_t i = 0; i < r->n_curve_models; i++)
		for (size_t j = 0; j < r->curve_models[i].n; j++)
			if (!strv_contains(&backends, r->curve_models[i].v[j].backend))
				strv_push(&backends, r->curve_models[i].v[j].backend);
	if (backends.n > 1)
		qsort(backends.v, backends.n, sizeof(char *), cmp_str_ptr);
	for (size_t j = 1; j < backends.n; j++)
		if (strcmp(backends.v[j], r->baseline) == 0) {
			char *base = backends.v[j];
			memmove(&backends.v[1], &backends.v[0], j * sizeof(char *));
			backends.v[0] = base;
		}
	*backends_out = backends;
}

/* The matrix's "at 32k" columns: each backend's latest curve at depth
 * REPORT_CURVE_AT, prefill and generation. */
static void add_curves_at(struct buf *b, const struct report *r)
{
	if (!r->n_curve_models)
		return;
	struct strv backends;
	report_curve_backends(r, &backends);
	char d[24];
	depth_name(REPORT_CURVE_AT, d);
	buf_addf(b, "## At %s context (depth curves, t/s)\n\nPrefill and generation at depth %d "
		    "from each backend's latest depth curve; every depth: "
		    "[DEPTH-CURVES.md](DEPTH-CURVES.md).\n\n| model |", d, REPORT_CURVE_AT);
	for (size_t j = 0; j < backends.n; j++) {
		buf_addc(b, ' ');
		esc_md(b, backends.v[j]);
		buf_addf(b, " prefill @ %s | ", d);
		esc_md(b, backends.v[j]);
		buf_addf(b, " generation @ %s |", d);
	}
	buf_adds(b, "\n|---|");
	for (size_t j = 0; j < backends.n; j++)
		buf_adds(b, "--:|--:|");
	buf_addc(b, '\n');
	for (size_t i = 0; i < r->n_curve_models; i++) {
		const struct report_curve_model *m = &r->curve_models[i];
		buf_adds(b, "| ");
		esc_md(b, m->name);
		buf_adds(b, " |");
		for (size_t j = 0; j < backends.n; j++) {
			const struct report_curve *c = report_curve_of(m, backends.v[j]);
			for (int s = 0; s < 2; s++) {
				if (c)
					add_point_cell(b, c->latest, s, REPORT_CURVE_AT);
				else
					buf_adds(b, " \xe2\x80\x93 |");
			}
		}
		buf_addc(b, '\n');
	}
	buf_addc(b, '\n');
	strv_free(&backends);
}

/* A backend's colour, or another when an earlier line of the chart has it
 * (two hashed names can meet). */
static const char *chart_color(const char *backend, const char **used, size_t n)
{
	static const char *const spare[] = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
					     "#b8860b", "#b07aa1", "#ff9da7", "#9c755f", "#7f7f7f" };
	const char *want = report_backend_color(backend);
	for (size_t k = 0; k <= sizeof(spare) / sizeof(spare[0]); k++) {
		bool taken = false;
		for (size_t i = 0; i < n && !taken; i++)
			taken = strcmp(used[i], want) == 0;
		if (!taken || k == sizeof(spare) / sizeof(spare[0]))
			return want;
		want = spare[k];
	}
	return want;
}

/* The depth chart of a row's latest curves, one line per backend. */
static char *curve_chart(const char *label, const struct record *const *latest, size_t n)
{
	struct svg_series *series[2];
	struct svg_panel panels[2];
	char(*notes)[CHART_NOTE_MAX] = xcalloc(n + 1, sizeof(*notes));
	for (int s = 0; s < 2; s++) {
		series[s] = xcalloc(n + 1, sizeof(**series));
		panels[s] = (struct svg_panel){ s ? "generation, by context depth"
						  : "prefill, by context depth",
						"t/s", series[s], n };
	}
	const char **used = xcalloc(n + 1, sizeof(*used));
	for (size_t j = 0; j < n; j++) {
		const struct record *rec = latest[j];
		char src[24], build[24];
		used[j] = chart_color(rec->backend, used, j);
		snprintf(notes[j], CHART_NOTE_MAX, "%s \xc2\xb7 %s \xc2\xb7 -ub %ld",
			 report_source(rec, src), report_build_name(rec, build), rec->curve.ubatch);
		for (int s = 0; s < 2; s++) {
			const struct rec_series *se = series_of(rec, s);
			struct svg_point *pts = xcalloc(se->n_points + 1, sizeof(*pts));
			size_t k = 0;
			for (size_t i = 0; i < se->n_points && !rec->failed; i++) {
				const struct rec_test *t = &se->points[i].t;
				if (!has_value(t))
					continue;
				double lo = INFINITY, hi = -INFINITY;
				for (size_t q = 0; q < t->n_samples; q++)
					lo = fmin(lo, t->samples[q]), hi = fmax(hi, t->samples[q]);
				pts[k++] = (struct svg_point){ .t = se->points[i].depth,
							       .y = t->mean,
							       .sd = t->stddev,
							       .note = notes[j],
							       .spread = t->n_samples > 1,
							       .lo = lo,
							       .hi = hi };
			}
			series[s][j] = (struct svg_series){ rec->backend, used[j], pts, k };
		}
	}
	char *title = xasprintf("%s: t/s by context depth", label);
	char *svg = svg_depth_chart(title, panels, 2);
	free(title);
	for (int s = 0; s < 2; s++) {
		for (size_t j = 0; j < n; j++)
			free((void *)series[s][j].pts);
		free(series[s]);
	}
	free(notes);
	free(used);
	return svg;
}

char *report_curve_svg(const struct report *r, size_t model)
{
	const struct report_curve_model *m = &r->curve_models[model];
	const struct record **latest = xcalloc(m->n + 1, sizeof(*latest));
	for (size_t j = 0; j < m->n; j++)
		latest[j] = m->v[j].latest;
	char *svg = curve_chart(m->name, latest, m->n);
	free(latest);
	return svg;
}

static int write_doc(int dirfd, const char *name, char *text, struct err *e)
{
	int rc = write_file_atomic_at(dirfd, name, text, strlen(text), 0666, e);
	free(text);
	return rc;
}

/* DIR was named by the user (a symlink there is theirs to make), but
 * nothing below it is followed: a charts/ that is a symbolic link (planted
 * in a shared output directory) would send the charts elsewhere. */
static int open_charts_dir(int dirfd, const char *dir, struct err *e)
{
	if (mkdirat(dirfd, "charts", 0777) < 0 && errno != EEXIST)
		return err_set(e, "cannot create directory '%s/charts': %s", dir, strerror(errno));
	int fd = openat(dirfd, "charts", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
		struct stat st;
		bool link = fstatat(dirfd, "charts", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode);
		return err_set(e, "refusing '%s/charts': %s", dir,
			       link ? "it is a symbolic link" : "it is not a directory");
	}
	if (fd < 0)
		return err_set(e, "cannot open '%s/charts': %s", dir, strerror(errno));
	return fd;
}

int report_write(const struct report *r, const char *dir, char **matrix_path, struct err *e)
{
	if (mkdir_p(dir, 0777, e) < 0)
		return -1;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_set(e, "cannot open '%s': %s", dir, strerror(errno));
	int cfd = open_charts_dir(dfd, dir, e);
	if (cfd < 0) {
		close(dfd);
		return -1;
	}
	char *matrix = xasprintf("REBENCH-MATRIX-%s.md", r->date);
	int rc = write_doc(dfd, matrix, report_matrix_md(r), e);
	if (rc == 0)
		rc = write_doc(dfd, "BENCHMARKS.md", report_history_md(r), e);
	if (rc == 0)
		rc = report_write_html_at(r, dfd, "index.html", e);
	for (size_t i = 0; rc == 0 && i < r->n_models; i++)
		rc = write_doc(cfd, r->models[i].chart + strlen("charts/"),
			       report_chart_svg(r, i), e);
	if (rc == 0 && r->n_curve_models)
		rc = write_doc(dfd, "DEPTH-CURVES.md", report_curves_md(r), e);
	for (size_t i = 0; rc == 0 && i < r->n_curve_models; i++)
		rc = write_doc(cfd, r->curve_models[i].chart + strlen("charts/"),
			       report_curve_svg(r, i), e);
	if (rc == 0 && matrix_path)
		*matrix_path = path_join(dir, matrix);
	free(matrix);
	close(cfd);
	close(dfd);
	return rc;
}
