/* report_html.c - index.html: the matrix, the warnings, the charts and the
 * history in one page that needs nothing else (inline CSS, inline SVG, a
 * small static script that only adds sorting and chart toggles: the page
 * is complete without it).
 *
 * Every string that comes from a record goes through esc_html (element
 * text and quoted attribute values) or, inside the charts, esc_xml; ids and
 * classes are built from indices, never from record text; the script holds
 * no data at all (it reads data-v and data-series attributes), so nothing
 * from a record is ever inside a <script> or <style>.  The same report
 * gives the same bytes: no clock, fixed number formats, stable orders. */
#define _GNU_SOURCE
#include "report.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "json.h"
#include "regress.h"
#include "svg.h"

#define HISTORY_ROWS 30  /* runs per model in the page's table (all are in the chart) */
#define TEXT_SHOWN_MAX 300 /* an error or flag in a list */
#define DETAIL_SHOWN_MAX 2000

static const char page_css[] =
	":root{color-scheme:light;--fg:#1b1b1b;--muted:#595959;--line:#d4d4d4;"
	"--bad:#a50021;--good:#1a7335;--warn:#7a4d00;--best:#e3f4e6;--head:#f2f2f2}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;color:var(--fg);background:#fff;"
	"font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",sans-serif}\n"
	"header,main,footer{max-width:1240px;margin:0 auto;padding:0 12px}\n"
	"h1{font-size:1.6em;margin:.6em 0 .2em}h2{margin-top:1.6em;border-bottom:2px solid var(--line)}\n"
	"h1,h2,h3,h4,li,p,dd{overflow-wrap:anywhere}\n"
	"nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3em 1.2em}\n"
	".lead,.note,figcaption{color:var(--muted)}\n"
	".scroll{overflow-x:auto;max-width:100%;margin:0 0 1.2em}\n"
	".scroll:focus{outline:2px solid #4e79a7}\n"
	"table{border-collapse:collapse}\n"
	"caption{text-align:left;font-weight:600;padding:.3em 0;caption-side:top}\n"
	"th,td{border:1px solid var(--line);padding:.3em .5em;vertical-align:top}\n"
	"thead th{background:var(--head);text-align:left}\n"
	"tbody th{text-align:left;font-weight:600;min-width:10em}\n"
	"td.num{text-align:right;white-space:nowrap}\n"
	"td.best{background:var(--best)}\n"
	"td.none{color:var(--muted);text-align:center}\n"
	".sd,.when{color:var(--muted)}\n"
	".pct.neg,.reg{color:var(--bad)}.pct.pos,.imp{color:var(--good)}\n"
	".flag{display:block;font-weight:600}\n"
	".badge{display:inline-block;font-size:.78em;line-height:1.3;margin:.15em .2em 0 0;"
	"padding:0 .35em;border:1px solid currentColor;border-radius:3px;white-space:nowrap}\n"
	".b-failed,.b-stale,.b-retired{color:var(--bad)}.b-frozen{color:var(--warn)}\n"
	".b-imported,.b-native{color:#2c5d8f}\n"
	"details.prov{font-size:.8em;text-align:left;white-space:normal}\n"
	"details.prov summary{color:var(--muted);cursor:pointer;white-space:nowrap}\n"
	"dl{margin:.3em 0;min-width:14em;max-width:34em}dt{font-weight:600}dd{margin:0 0 .3em 1em}\n"
	"ul.warn li{margin:.3em 0}\n"
	"figure{margin:0 0 1em}figure svg{display:block;max-width:100%;height:auto}\n"
	"fieldset.toggles{border:1px solid var(--line);margin:0 0 .5em;padding:.2em .6em}\n"
	"fieldset.toggles label{margin-right:1em;white-space:nowrap}\n"
	"button.sort{font:inherit;color:inherit;background:none;border:0;padding:0;"
	"cursor:pointer;text-align:inherit}\n"
	"th[aria-sort=ascending] button.sort::after{content:\" \\25B2\"}\n"
	"th[aria-sort=descending] button.sort::after{content:\" \\25BC\"}\n"
	"footer{margin:2em auto;color:var(--muted);font-size:.9em}\n"
	"@media (max-width:600px){body{font-size:14px}th,td{padding:.25em .35em}"
	"h1{font-size:1.3em}tbody th{min-width:7em}}\n";

/* Adds sort buttons to table.sortable headers (the value of a cell is its
 * data-v, else its text) and a checkbox per backend above each chart
 * (hiding the elements whose data-series is that name). */
static const char page_js[] =
	"(function () {\n"
	"\"use strict\";\n"
	"var each = function (list, f) { Array.prototype.forEach.call(list, f); };\n"
	"function key(row, i) {\n"
	"\tvar c = row.cells[i], v;\n"
	"\tif (!c) return null;\n"
	"\tv = c.getAttribute(\"data-v\");\n"
	"\tif (v === null) return c.textContent.trim().toLowerCase();\n"
	"\treturn v === \"\" ? null : parseFloat(v);\n"
	"}\n"
	"function sortBy(table, i, th) {\n"
	"\tvar body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);\n"
	"\tvar up = th.getAttribute(\"aria-sort\") !== \"ascending\";\n"
	"\trows.sort(function (a, b) {\n"
	"\t\tvar x = key(a, i), y = key(b, i);\n"
	"\t\tif (x === y) return 0;\n"
	"\t\tif (x === null) return 1;\n"
	"\t\tif (y === null) return -1;\n"
	"\t\treturn (x < y ? -1 : 1) * (up ? 1 : -1);\n"
	"\t});\n"
	"\teach(th.parentNode.cells, function (h) { h.removeAttribute(\"aria-sort\"); });\n"
	"\tth.setAttribute(\"aria-sort\", up ? \"ascending\" : \"descending\");\n"
	"\trows.forEach(function (r) { body.appendChild(r); });\n"
	"}\n"
	"each(document.querySelectorAll(\"table.sortable\"), function (table) {\n"
	"\teach(table.tHead.rows[0].cells, function (th, i) {\n"
	"\t\tvar b = document.createElement(\"button\");\n"
	"\t\tb.type = \"button\";\n"
	"\t\tb.className = \"sort\";\n"
	"\t\twhile (th.firstChild) b.appendChild(th.firstChild);\n"
	"\t\tth.appendChild(b);\n"
	"\t\tb.addEventListener(\"click\", function () { sortBy(table, i, th); });\n"
	"\t});\n"
	"});\n"
	"each(document.querySelectorAll(\"figure.chart\"), function (fig) {\n"
	"\tvar names = [], seen = {}, box, legend;\n"
	"\teach(fig.querySelectorAll(\"g[data-series]\"), function (g) {\n"
	"\t\tvar n = g.getAttribute(\"data-series\");\n"
	"\t\tif (!Object.prototype.hasOwnProperty.call(seen, n)) { seen[n] = 1; names.push(n); }\n"
	"\t});\n"
	"\tif (names.length < 2) return;\n"
	"\tbox = document.createElement(\"fieldset\");\n"
	"\tbox.className = \"toggles\";\n"
	"\tlegend = document.createElement(\"legend\");\n"
	"\tlegend.textContent = \"Backends shown\";\n"
	"\tbox.appendChild(legend);\n"
	"\tnames.forEach(function (n) {\n"
	"\t\tvar label = document.createElement(\"label\"), cb = document.createElement(\"input\");\n"
	"\t\tcb.type = \"checkbox\";\n"
	"\t\tcb.checked = true;\n"
	"\t\tcb.addEventListener(\"change\", function () {\n"
	"\t\t\teach(fig.querySelectorAll(\"[data-series]\"), function (el) {\n"
	"\t\t\t\tif (el.getAttribute(\"data-series\") === n)\n"
	"\t\t\t\t\tel.style.display = cb.checked ? \"\" : \"none\";\n"
	"\t\t\t});\n"
	"\t\t});\n"
	"\t\tlabel.appendChild(cb);\n"
	"\t\tlabel.appendChild(document.createTextNode(\" \" + n));\n"
	"\t\tbox.appendChild(label);\n"
	"\t});\n"
	"\tfig.insertBefore(box, fig.firstChild);\n"
	"});\n"
	"}());\n";

/* The page is made in pieces: written to a file, the buffer is flushed
 * after each section and each model, so the charts of 10,000 runs are
 * never all in memory at once. */
struct page {
	struct buf b;
	struct atomic_file *out; /* NULL: keep the whole page in b */
	struct err *e;
	int rc;
};

static void page_flush(struct page *pg)
{
	if (!pg->out)
		return;
	if (pg->rc == 0)
		pg->rc = atomic_file_write(pg->out, pg->b.p, pg->b.len, pg->e);
	buf_reset(&pg->b);
}

/* ---- text ---- */

/* Record text, at most max bytes (whole characters, then "..."). */
static void add_text(struct buf *b, const char *s, size_t max)
{
	if (!s)
		return;
	if (strlen(s) <= max) {
		esc_html(b, s);
		return;
	}
	char *cut = utf8_truncate(s, max);
	esc_html(b, cut);
	buf_adds(b, "\xe2\x80\xa6");
	free(cut);
}

/* "<span class="pct neg">-2.4%</span>" */
static void add_pct_span(struct buf *b, double pct)
{
	double r = round(pct * 10) / 10;
	buf_addf(b, "<span class=\"pct%s\">", !isfinite(r) || r == 0 ? "" : r < 0 ? " neg" : " pos");
	report_add_pct(b, pct); /* digits, sign, '%': nothing to escape */
	buf_adds(b, "</span>");
}

static void add_mean_sd(struct buf *b, const struct rec_test *v, bool strong)
{
	buf_addf(b, strong ? "<strong>%.2f</strong>" : "%.2f", v->mean);
	if (isfinite(v->stddev))
		buf_addf(b, " <span class=\"sd\">\xc2\xb1 %.2f</span>", v->stddev);
}

/* The upstream object's state when the channel was frozen or retired. */
struct upstream_mark {
	json_object *obj;
	const char *state, *successor, *last_build; /* into obj */
};

static bool upstream_mark(const struct record *rec, struct upstream_mark *u)
{
	memset(u, 0, sizeof(*u));
	if (!rec->upstream)
		return false;
	u->obj = record_obj_parse(rec->upstream);
	u->state = json_str(u->obj, "state");
	u->successor = json_str(u->obj, "successor");
	u->last_build = json_str(u->obj, "last_build");
	if (str_eq(u->state, "frozen") || str_eq(u->state, "retired"))
		return true;
	json_object_put(u->obj);
	memset(u, 0, sizeof(*u));
	return false;
}

static void add_upstream_text(struct buf *b, const struct upstream_mark *u)
{
	buf_adds(b, str_eq(u->state, "frozen") ? "frozen upstream" : "retired upstream");
	if (u->last_build) {
		buf_adds(b, ", last build ");
		add_text(b, u->last_build, 64);
	}
	if (u->successor) {
		buf_adds(b, ", successor ");
		add_text(b, u->successor, 128);
	}
}

/* The badges of a run: failed, stale, frozen/retired, imported, native;
 * after a line break when there is any. */
static void add_badges(struct buf *b, const struct record *rec)
{
	size_t at = b->len;
	buf_adds(b, "<br>");
	struct upstream_mark u;
	if (rec->failed)
		buf_adds(b, "<span class=\"badge b-failed\">failed</span>");
	if (rec->stale)
		buf_adds(b, "<span class=\"badge b-stale\">stale container</span>");
	if (upstream_mark(rec, &u)) {
		buf_addf(b, "<span class=\"badge b-%s\">", str_eq(u.state, "frozen") ? "frozen" : "retired");
		add_upstream_text(b, &u);
		buf_adds(b, "</span>");
		json_object_put(u.obj);
	}
	if (rec->imported)
		buf_adds(b, "<span class=\"badge b-imported\">imported</span>");
	else if (!rec->image_digest)
		buf_adds(b, "<span class=\"badge b-native\">native</span>");
	if (b->len == at + strlen("<br>"))
		b->p[b->len = at] = '\0';
}

/* llama-bench's effective settings as "name value, ..." */
static void add_settings(struct buf *b, const char *settings)
{
	json_object *o = record_obj_parse(settings);
	if (!o) {
		buf_adds(b, "unknown");
		return;
	}
	struct buf all = BUF_INIT;
	buf_init(&all);
	const char *sep = "";
	json_object_object_foreach(o, k, v)
	{
		buf_addf(&all, "%s%s %s", sep, k,
			 v ? json_object_to_json_string_ext(
				     v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
			   : "null");
		sep = ", ";
	}
	add_text(b, all.p, DETAIL_SHOWN_MAX);
	buf_free(&all);
	json_object_put(o);
}

static void add_dt(struct buf *b, const char *term)
{
	buf_addf(b, "<dt>%s</dt><dd>", term);
}

/* The run behind a number: a <details> whose summary is digest and build
 * and whose body has everything needed to trust or reproduce it. */
static void add_provenance(struct buf *b, const struct record *rec)
{
	char src[24], build[24], when[32];
	buf_adds(b, "<details class=\"prov\"><summary>");
	add_text(b, report_source(rec, src), 64);
	buf_adds(b, " \xc2\xb7 ");
	add_text(b, report_build_name(rec, build), 64);
	buf_adds(b, "</summary><dl>");
	add_dt(b, "run");
	buf_addf(b, "%s UTC", report_minute(rec->started_at, when));
	if (rec->host) {
		buf_adds(b, " on ");
		add_text(b, rec->host, 256);
	}
	buf_adds(b, " (");
	add_text(b, rec->run_id, 128);
	buf_adds(b, ")</dd>");
	add_dt(b, rec->image_digest ? "image" : rec->imported ? "source" : "binary");
	if (rec->image_digest)
		add_text(b, rec->image_digest, 128);
	else if (rec->imported)
		buf_adds(b, "an imported log: its arguments are unknown");
	else if (rec->binary_sha256) {
		buf_adds(b, "native, sha256:");
		add_text(b, rec->binary_sha256, 128);
	} else
		buf_adds(b, "native");
	buf_adds(b, "</dd>");
	add_dt(b, "build");
	add_text(b, report_build_name(rec, build), 64);
	if (rec->build_commit && !str_eq(rec->build_commit, build)) {
		buf_adds(b, " (");
		add_text(b, rec->build_commit, 128);
		buf_adds(b, ")");
	}
	buf_adds(b, "</dd>");
	add_dt(b, "settings key");
	add_text(b, rec->config_key, DETAIL_SHOWN_MAX);
	buf_adds(b, "</dd>");
	add_dt(b, "effective settings");
	add_settings(b, rec->settings);
	buf_adds(b, "</dd>");
	if (rec->stale) {
		add_dt(b, "stale");
		buf_adds(b, "benched with --allow-stale");
		if (rec->stale_reason) {
			buf_adds(b, ": ");
			add_text(b, rec->stale_reason, TEXT_SHOWN_MAX);
		}
		buf_adds(b, "</dd>");
	}
	struct upstream_mark u;
	if (upstream_mark(rec, &u)) {
		add_dt(b, "upstream");
		add_upstream_text(b, &u);
		buf_adds(b, "</dd>");
		json_object_put(u.obj);
	}
	if (rec->failed) {
		add_dt(b, "error");
		add_text(b, rec->error ? rec->error : "no error message recorded", DETAIL_SHOWN_MAX);
		buf_adds(b, "</dd>");
	}
	buf_adds(b, "</dl></details>");
}

/* title="sha256:... · b9193 · settings key ..." (hover) */
static void add_cell_title(struct buf *b, const struct record *rec)
{
	char src[24], build[24];
	buf_adds(b, " title=\"");
	add_text(b, report_source(rec, src), 64);
	buf_adds(b, " \xc2\xb7 ");
	add_text(b, report_build_name(rec, build), 64);
	buf_adds(b, " \xc2\xb7 settings key ");
	add_text(b, rec->config_key, TEXT_SHOWN_MAX);
	buf_adds(b, "\"");
}

/* ---- the matrix ---- */

static void add_cell(struct buf *b, const struct report *r, const struct report_series *s, int t,
		     const struct rec_test *base, bool best)
{
	if (!s) {
		buf_adds(b, "<td class=\"num none\" data-v=\"\" title=\"never run\">\xe2\x80\x93</td>");
		return;
	}
	const struct record *rec = s->runs[s->n - 1];
	const struct rec_test *v = report_latest_value(s, t);
	buf_addf(b, "<td class=\"num%s\" data-v=\"", best ? " best" : "");
	if (v)
		buf_addf(b, "%.2f", v->mean);
	buf_addc(b, '"');
	add_cell_title(b, rec);
	buf_addc(b, '>');
	if (rec->failed)
		buf_adds(b, "failed");
	else if (!v)
		buf_adds(b, "not measured");
	else {
		add_mean_sd(b, v, best);
		if (base && strcmp(s->backend, r->baseline) != 0) {
			buf_adds(b, " ");
			add_pct_span(b, (v->mean - base->mean) / base->mean * 100.0);
		}
	}
	if (best)
		buf_adds(b, " <span class=\"badge\">fastest</span>");
	if (s->flag[t]) {
		bool sig;
		const struct record *prev = report_previous_ok(s, s->n - 1);
		double pct = regress_change(report_test(prev, t), report_test(rec, t), &sig);
		buf_addf(b, "<span class=\"flag %s\" title=\"", s->regression[t] ? "reg" : "imp");
		add_text(b, s->flag[t], DETAIL_SHOWN_MAX);
		buf_addf(b, "\">%s ", s->regression[t] ? "\xe2\x96\xbc" : "\xe2\x96\xb2");
		report_add_pct(b, pct);
		buf_addf(b, " %s</span>", s->regression[t] ? "regression" : "improvement");
	}
	add_badges(b, rec);
	add_provenance(b, rec);
	buf_adds(b, "</td>");
}

static bool row_in_lineage(const struct report_model *m, const struct report_lineage *l)
{
	for (size_t j = 0; j < l->n; j++)
		if (report_find_series(m, l->backends[j], l->name))
			return true;
	return false;
}

static void add_matrix_table(struct buf *b, const struct report *r, size_t li, int t)
{
	const struct report_lineage *l = &r->lineages[li];
	bool rank = strcmp(l->name, REPORT_MAIN_LINEAGE) == 0;
	buf_addf(b, "<div class=\"scroll\" role=\"region\" tabindex=\"0\" "
		    "aria-labelledby=\"cap-%zu-%d\">\n<table class=\"matrix sortable\">"
		    "<caption id=\"cap-%zu-%d\">%s (t/s)",
		 li, t, li, t, report_test_titles[t]);
	if (!rank) {
		buf_adds(b, ", ");
		add_text(b, l->name, 256);
	}
	buf_adds(b, "</caption>\n<thead><tr><th scope=\"col\">model</th>");
	for (size_t j = 0; j < l->n; j++) {
		buf_adds(b, "<th scope=\"col\">");
		add_text(b, l->backends[j], 256);
		if (strcmp(l->backends[j], r->baseline) == 0)
			buf_adds(b, " (baseline)");
		buf_adds(b, "</th>");
	}
	buf_adds(b, rank ? "<th scope=\"col\">fastest</th></tr></thead>\n<tbody>\n"
			 : "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < r->n_models; i++) {
		const struct report_model *m = &r->models[i];
		if (!row_in_lineage(m, l))
			continue;
		const struct rec_test *base = report_baseline_value(r, m, t);
		const char *best = rank ? report_fastest(m, l, t) : NULL;
		buf_adds(b, "<tr><th scope=\"row\">");
		add_text(b, m->name, DETAIL_SHOWN_MAX);
		buf_adds(b, "</th>");
		for (size_t j = 0; j < l->n; j++)
			add_cell(b, r, report_find_series(m, l->backends[j], l->name), t, base,
				 best && strcmp(best, l->backends[j]) == 0);
		if (rank) {
			buf_adds(b, "<td>");
			add_text(b, best ? best : "\xe2\x80\x93", 256);
			buf_adds(b, "</td>");
		}
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</tbody></table>\n</div>\n");
}

static void add_curves_at(struct buf *b, const struct report *r);

static void add_matrix(struct buf *b, const struct report *r)
{
	buf_adds(b, "<section id=\"matrix\" aria-labelledby=\"matrix-h\">\n"
		    "<h2 id=\"matrix-h\">Backend matrix</h2>\n<p class=\"note\">The latest run of each "
		    "model on each backend, in tokens per second: mean \xc2\xb1 standard deviation "
		    "over llama-bench's repetitions, then the difference from the baseline, ");
	add_text(b, r->baseline, 256);
	buf_addf(b, ". Highlighted: the fastest backend of the row. Each cell opens to its run: "
		    "the image digest (or native binary, or imported log), the llama.cpp build, "
		    "the settings key (the configuration compared) and llama-bench's effective "
		    "settings. \xe2\x96\xbc/\xe2\x96\xb2: a change from the backend's previous run of "
		    "the same configuration after a change of image, build, settings or host, "
		    "beyond %.0f standard errors and %.0f%%.</p>\n",
		 REGRESS_MIN_T, REGRESS_MIN_PCT);
	for (size_t l = 0; l < r->n_lineages; l++) {
		if (strcmp(r->lineages[l].name, REPORT_MAIN_LINEAGE) != 0) {
			buf_adds(b, "<h3>Separate lineage: ");
			add_text(b, r->lineages[l].name, 256);
			buf_adds(b, "</h3>\n<p class=\"note\">Builds of another toolchain lineage, kept "
				    "apart and not ranked with the llama.cpp tables.</p>\n");
		}
		for (int t = 0; t < REPORT_N_TESTS; t++)
			add_matrix_table(b, r, l, t);
	}
	if (r->n_curve_models)
		add_curves_at(b, r);
	buf_adds(b, "</section>\n");
}

/* ---- warnings ---- */

/* "<model> on <backend>" */
static void add_where(struct buf *b, const struct report_model *m, const struct report_series *s)
{
	buf_adds(b, "<strong>");
	add_text(b, m->name, TEXT_SHOWN_MAX);
	buf_adds(b, "</strong> on <strong>");
	add_text(b, s->backend, 256);
	buf_adds(b, "</strong>");
}

static void add_when(struct buf *b, const struct record *rec)
{
	char when[32];
	buf_addf(b, " <span class=\"when\">(run of %s UTC)</span>",
		 report_minute(rec->started_at, when));
}

typedef bool (*series_pick)(const struct report_series *s);
typedef void (*series_say)(struct buf *b, const struct report_series *s);

/* One list of the warnings section: every series (latest run) pick
 * selects, said by say.  Nothing when none. */
static size_t add_warning_list(struct buf *b, const struct report *r, const char *title,
			       const char *intro, series_pick pick, series_say say)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_models; i++)
		for (size_t j = 0; j < r->models[i].n; j++) {
			const struct report_series *s = &r->models[i].series[j];
			if (!pick(s))
				continue;
			if (!n++)
				buf_addf(b, "<h3>%s</h3>\n<p class=\"note\">%s</p>\n<ul class=\"warn\">\n",
					 title, intro);
			buf_adds(b, "<li>");
			add_where(b, &r->models[i], s);
			buf_adds(b, ": ");
			say(b, s);
			add_when(b, s->runs[s->n - 1]);
			buf_adds(b, "</li>\n");
		}
	if (n)
		buf_adds(b, "</ul>\n");
	return n;
}

static const struct record *latest(const struct report_series *s)
{
	return s->runs[s->n - 1];
}

struct picked {
	const struct report_model *m;
	const struct report_series *s;
};

static int cmp_picked(const void *a, const void *b)
{
	const struct picked *x = a, *y = b;
	int c = strcmp(x->s->backend, y->s->backend);
	return c ? c : (x->m > y->m) - (x->m < y->m); /* then the rows' order */
}

#define ROWS_NAMED 3

/* One list of the warnings section, a channel at a time: every backend
 * whose latest run of some row pick selects, said by say (for its newest
 * such run), then the rows.  Nothing when none. */
static size_t add_backend_list(struct buf *b, const struct report *r, const char *title,
			       const char *intro, series_pick pick, series_say say)
{
	size_t n = 0, cap = 8;
	struct picked *p = xcalloc(cap, sizeof(*p));
	for (size_t i = 0; i < r->n_models; i++)
		for (size_t j = 0; j < r->models[i].n; j++) {
			if (!pick(&r->models[i].series[j]))
				continue;
			if (n == cap)
				p = xrealloc(p, (cap *= 2) * sizeof(*p));
			p[n++] = (struct picked){ &r->models[i], &r->models[i].series[j] };
		}
	qsort(p, n, sizeof(*p), cmp_picked);
	if (n)
		buf_addf(b, "<h3>%s</h3>\n<p class=\"note\">%s</p>\n<ul class=\"warn\">\n", title,
			 intro);
	for (size_t i = 0; i < n;) {
		size_t end = i + 1, newest = i;
		for (; end < n && strcmp(p[end].s->backend, p[i].s->backend) == 0; end++)
			if (latest(p[end].s)->started_at > latest(p[newest].s)->started_at)
				newest = end;
		buf_adds(b, "<li><strong>");
		add_text(b, p[i].s->backend, 256);
		buf_adds(b, "</strong>: ");
		say(b, p[newest].s);
		buf_addf(b, "; %zu row%s: ", end - i, end - i == 1 ? "" : "s");
		for (size_t k = i; k < end && k < i + ROWS_NAMED; k++) {
			buf_adds(b, k > i ? ", " : "");
			add_text(b, p[k].m->name, TEXT_SHOWN_MAX);
		}
		if (end - i > ROWS_NAMED)
			buf_addf(b, " and %zu more", end - i - ROWS_NAMED);
		add_when(b, latest(p[newest].s));
		buf_adds(b, "</li>\n");
		i = end;
	}
	if (n)
		buf_adds(b, "</ul>\n");
	free(p);
	return n;
}

static bool pick_failed(const struct report_series *s)
{
	return latest(s)->failed;
}

static void say_failed(struct buf *b, const struct report_series *s)
{
	add_text(b, latest(s)->error ? latest(s)->error : "no error message recorded",
		 TEXT_SHOWN_MAX);
}

static bool pick_stale(const struct report_series *s)
{
	return latest(s)->stale;
}

static void say_stale(struct buf *b, const struct report_series *s)
{
	buf_adds(b, "benched on a stale container with --allow-stale");
	if (latest(s)->stale_reason) {
		buf_adds(b, " (");
		add_text(b, latest(s)->stale_reason, TEXT_SHOWN_MAX);
		buf_adds(b, ")");
	}
}

static bool pick_upstream(const struct report_series *s)
{
	struct upstream_mark u;
	bool marked = upstream_mark(latest(s), &u);
	json_object_put(u.obj);
	return marked;
}

static void say_upstream(struct buf *b, const struct report_series *s)
{
	struct upstream_mark u;
	if (upstream_mark(latest(s), &u)) {
		add_upstream_text(b, &u);
		json_object_put(u.obj);
	}
}

static bool pick_imported(const struct report_series *s)
{
	return latest(s)->imported;
}

static void say_imported(struct buf *b, const struct report_series *s)
{
	(void)s;
	buf_adds(b, "imported logs (their arguments are unknown: rows of their own)");
}

static bool pick_native(const struct report_series *s)
{
	return !latest(s)->imported && !latest(s)->image_digest;
}

static void say_native(struct buf *b, const struct report_series *s)
{
	buf_adds(b, "host builds, not container images");
	if (latest(s)->binary_sha256) {
		buf_adds(b, " (binary sha256:");
		add_text(b, latest(s)->binary_sha256, 16);
		buf_adds(b, ")");
	}
}

static size_t add_changes(struct buf *b, const struct report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_models; i++)
		for (size_t j = 0; j < r->models[i].n; j++)
			for (int t = 0; t < REPORT_N_TESTS; t++) {
				const struct report_series *s = &r->models[i].series[j];
				if (!s->flag[t])
					continue;
				if (!n++)
					buf_adds(b, "<h3>Regressions and improvements</h3>\n<p class=\"note\">"
						    "Latest runs that differ from the backend's previous run of "
						    "the same configuration beyond the noise, with what changed "
						    "between the two runs and what it is attributed to.</p>\n"
						    "<ul class=\"warn\">\n");
				buf_addf(b, "<li class=\"%s\"><strong>%s</strong> ",
					 s->regression[t] ? "reg" : "imp",
					 s->regression[t] ? "REGRESSION" : "improvement");
				add_where(b, &r->models[i], s);
				buf_adds(b, ": ");
				add_text(b, s->flag[t], DETAIL_SHOWN_MAX);
				add_when(b, latest(s));
				buf_adds(b, "</li>\n");
			}
	if (n)
		buf_adds(b, "</ul>\n");
	return n;
}

/* Failed and stale runs before the latest ones: counted, shown in the
 * history. */
static void add_older_counts(struct buf *b, const struct report *r)
{
	size_t failed = 0, stale = 0;
	for (size_t i = 0; i < r->n_models; i++)
		for (size_t j = 0; j < r->models[i].n; j++)
			for (size_t k = 0; k + 1 < r->models[i].series[j].n; k++) {
				failed += r->models[i].series[j].runs[k]->failed;
				stale += r->models[i].series[j].runs[k]->stale;
			}
	if (failed || stale)
		buf_addf(b, "<p class=\"note\">Earlier runs: %zu failed, %zu on a stale container "
			    "(marked in the history tables; a failed run is a \xc3\x97 on the "
			    "chart's time axis).</p>\n",
			 failed, stale);
}

static size_t add_curve_warnings(struct buf *b, const struct report *r);

static void add_warnings(struct buf *b, const struct report *r)
{
	buf_adds(b, "<section id=\"warnings\" aria-labelledby=\"warnings-h\">\n"
		    "<h2 id=\"warnings-h\">Warnings</h2>\n");
	size_t n = add_changes(b, r);
	n += add_warning_list(b, r, "Failed runs",
			      "The latest run of these failed: the matrix shows no number for them.",
			      pick_failed, say_failed);
	n += add_warning_list(b, r, "Stale containers",
			      "Benched with --allow-stale on a container that did not run the "
			      "image its tag names now.",
			      pick_stale, say_stale);
	n += add_backend_list(b, r, "Frozen or retired channels",
			      "Upstream no longer rebuilds these tags: the numbers are of the "
			      "last build.",
			      pick_upstream, say_upstream);
	n += add_backend_list(b, r, "Imported rows",
			      "Results read from llama-bench logs, not run by tbx.", pick_imported,
			      say_imported);
	n += add_backend_list(b, r, "Native rows",
			      "Host-built llama-bench binaries: no image digest.", pick_native,
			      say_native);
	n += add_curve_warnings(b, r);
	if (!n)
		buf_adds(b, "<p>None: no regression or improvement, no failed or stale latest run, "
			    "no frozen or retired channel, no imported or native row, no failed or "
			    "partial curve.</p>\n");
	add_older_counts(b, r);
	buf_adds(b, "</section>\n");
}

/* ---- the history ---- */

static const struct record *row_rec(const struct report_run *h)
{
	return h->s->runs[h->i];
}

static void add_change(struct buf *b, const struct report_series *s, size_t i)
{
	if (s->runs[i]->failed) {
		add_text(b, s->runs[i]->error ? s->runs[i]->error : "no error message recorded",
			 TEXT_SHOWN_MAX);
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
		add_pct_span(b, c.pct[t]);
	}
	for (int t = 0; t < REPORT_N_TESTS; t++) {
		if (!c.flag[t])
			continue;
		buf_addf(b, "<span class=\"flag %s\">%s: ", c.regression[t] ? "reg" : "imp",
			 c.regression[t] ? "REGRESSION" : "improvement");
		add_text(b, c.flag[t], DETAIL_SHOWN_MAX);
		buf_adds(b, "</span>");
	}
	if (c.settings) {
		buf_adds(b, "<br>settings changed: ");
		add_text(b, c.settings, DETAIL_SHOWN_MAX);
	}
	report_change_free(&c);
}

static void add_history_row(struct buf *b, const struct report *r, const struct report_run *h)
{
	const struct record *rec = row_rec(h);
	char when[32], src[24], build[24];
	buf_addf(b, "<tr><td class=\"when\">%s</td><td>", report_minute(rec->started_at, when));
	add_text(b, rec->backend, 256);
	if (strcmp(rec->lineage, REPORT_MAIN_LINEAGE) != 0) {
		buf_adds(b, " (");
		add_text(b, rec->lineage, 256);
		buf_adds(b, " lineage)");
	}
	if (r->n_hosts > 1) {
		buf_adds(b, " on ");
		add_text(b, rec->host ? rec->host : "unknown host", 256);
	}
	buf_adds(b, "</td><td>");
	add_text(b, report_source(rec, src), 64);
	buf_adds(b, " \xc2\xb7 ");
	add_text(b, report_build_name(rec, build), 64);
	add_badges(b, rec);
	buf_adds(b, "</td>");
	for (int t = 0; t < REPORT_N_TESTS; t++) {
		const struct rec_test *v = report_test(rec, t);
		if (rec->failed || !v->present || !isfinite(v->mean)) {
			buf_addf(b, "<td class=\"num\" data-v=\"\">%s</td>",
				 rec->failed ? "failed" : "not measured");
			continue;
		}
		buf_addf(b, "<td class=\"num\" data-v=\"%.2f\">", v->mean);
		add_mean_sd(b, v, false);
		buf_adds(b, "</td>");
	}
	buf_adds(b, "<td>");
	add_change(b, h->s, h->i);
	buf_adds(b, "</td></tr>\n");
}

/* <figure class="chart" id=ID> and a chart (svg.c's document, freed) with
 * an accessible name "WHAT LABEL HOW"; the caller adds the caption. */
static void add_figure(struct buf *b, const char *id, char *svg, const char *what,
		       const char *label, const char *how)
{
	buf_addf(b, "<figure class=\"chart\" id=\"%s\">\n", id);
	if (str_starts_with(svg, "<svg ")) {
		buf_addf(b, "<svg role=\"img\" aria-label=\"%s ", what);
		add_text(b, label, DETAIL_SHOWN_MAX);
		buf_addf(b, " %s\" ", how);
		buf_adds(b, svg + strlen("<svg "));
	} else {
		buf_adds(b, svg);
	}
	free(svg);
}

/* The chart, inline: svg_time_chart's document with an accessible name. */
static void add_chart(struct buf *b, const struct report *r, size_t i)
{
	const struct report_model *m = &r->models[i];
	char id[32];
	snprintf(id, sizeof(id), "chart-%zu", i);
	add_figure(b, id, report_chart_svg(r, i), "pp512 and tg128 of", m->name,
		   "over time, one line per backend");
	buf_adds(b, "<figcaption>pp512 and tg128 of ");
	add_text(b, m->name, DETAIL_SHOWN_MAX);
	buf_adds(b, " per backend over time: mean and one standard deviation; hover a point "
		    "for its digest and build.</figcaption>\n</figure>\n");
}

static void add_model_history(struct buf *b, const struct report *r, size_t mi)
{
	const struct report_model *m = &r->models[mi];
	size_t n;
	struct report_run *rows = report_model_runs(m, &n);

	buf_addf(b, "<section class=\"model\" id=\"model-%zu\" aria-labelledby=\"model-%zu-h\">\n"
		    "<h3 id=\"model-%zu-h\">",
		 mi, mi, mi);
	add_text(b, m->name, DETAIL_SHOWN_MAX);
	buf_adds(b, "</h3>\n");
	add_chart(b, r, mi);
	size_t shown = n < HISTORY_ROWS ? n : HISTORY_ROWS;
	buf_addf(b, "<details><summary>Runs: the latest %zu of %zu</summary>\n"
		    "<div class=\"scroll\" role=\"region\" tabindex=\"0\" "
		    "aria-labelledby=\"hist-%zu\">\n<table class=\"runs sortable\">"
		    "<caption id=\"hist-%zu\">Runs of ",
		 shown, n, mi, mi);
	add_text(b, m->name, DETAIL_SHOWN_MAX);
	buf_adds(b, ", newest first</caption>\n<thead><tr><th scope=\"col\">date (UTC)</th>"
		    "<th scope=\"col\">backend</th><th scope=\"col\">image \xc2\xb7 build</th>"
		    "<th scope=\"col\">pp512 (t/s)</th><th scope=\"col\">tg128 (t/s)</th>"
		    "<th scope=\"col\">change vs the backend's previous run</th></tr></thead>\n"
		    "<tbody>\n");
	for (size_t k = 0; k < shown; k++)
		add_history_row(b, r, &rows[k]);
	buf_adds(b, "</tbody></table>\n</div>\n</details>\n</section>\n");
	free(rows);
}

static void add_history(struct page *pg, const struct report *r)
{
	struct buf *b = &pg->b;
	buf_adds(b, "<section id=\"history\" aria-labelledby=\"history-h\">\n"
		    "<h2 id=\"history-h\">History</h2>\n<p class=\"note\">Every run of each "
		    "configuration over time, one line per backend; a \xc3\x97 on the time axis is a "
		    "failed run. Below each chart, its latest runs; BENCHMARKS.md has them all.</p>\n");
	for (size_t i = 0; i < r->n_models; i++) {
		add_model_history(b, r, i);
		page_flush(pg);
	}
	buf_adds(b, "</section>\n");
}

/* ---- depth curves ---- */

static const struct rec_series *series_of(const struct record *rec, int k)
{
	return k == 0 ? &rec->curve.prefill : &rec->curve.generation;
}

/* "prefill (-p 2048 -n 0)", from the first curve that has the series */
static void add_series_title(struct buf *b, const struct report_curve_model *m, int k)
{
	int np = k == 0 ? 2048 : 0, ng = k == 0 ? 0 : 128; /* upstream's, when unknown */
	for (size_t j = 0; j < m->n; j++)
		if (series_of(m->v[j].latest, k)->present) {
			np = series_of(m->v[j].latest, k)->n_prompt;
			ng = series_of(m->v[j].latest, k)->n_gen;
			break;
		}
	buf_addf(b, "%s (-p %d -n %d)", k == 0 ? "prefill" : "generation", np, ng);
}

static const struct rec_point *point_at(const struct report_curve *c, int k, long depth)
{
	const struct rec_point *p =
		c->latest->failed ? NULL : rec_series_point(series_of(c->latest, k), depth);
	return p && isfinite(p->t.mean) ? p : NULL;
}

/* The fastest backend at a depth (index into m->v), or -1 with fewer
 * than two values. */
static long fastest_at(const struct report_curve_model *m, int k, long depth)
{
	long best = -1;
	size_t n = 0;
	for (size_t j = 0; j < m->n; j++) {
		const struct rec_point *p = point_at(&m->v[j], k, depth);
		if (!p)
			continue;
		n++;
		if (best < 0 || p->t.mean > point_at(&m->v[best], k, depth)->t.mean)
			best = (long)j;
	}
	return n >= 2 ? best : -1;
}

static void add_curve_cell(struct buf *b, const struct report_curve *c, int k, long depth,
			   bool best)
{
	const struct rec_series *s = series_of(c->latest, k);
	const struct rec_point *p = point_at(c, k, depth);
	if (!p) {
		buf_addf(b, "<td class=\"num none\" data-v=\"\" title=\"%s\">\xe2\x80\x93</td>",
			 c->latest->failed ? "the curve failed"
			 : s->partial	   ? "the series stopped before this depth"
					   : "not measured at this depth");
		return;
	}
	buf_addf(b, "<td class=\"num%s\" data-v=\"%.2f\">", best ? " best" : "", p->t.mean);
	add_mean_sd(b, &p->t, best);
	const struct rec_point *first = s->n_points ? &s->points[0] : NULL;
	if (first && first != p && first->t.mean > 0 && isfinite(first->t.mean)) {
		buf_adds(b, " ");
		add_pct_span(b, (p->t.mean - first->t.mean) / first->t.mean * 100.0);
	}
	if (best)
		buf_adds(b, " <span class=\"badge\">fastest</span>");
	buf_adds(b, "</td>");
}

static void add_curve_table(struct buf *b, const struct report_curve_model *m, size_t mi, int k)
{
	long *depths;
	size_t n = report_curve_depths(m, &depths);
	buf_addf(b, "<div class=\"scroll\" role=\"region\" tabindex=\"0\" "
		    "aria-labelledby=\"ccap-%zu-%d\">\n<table class=\"curve sortable\">"
		    "<caption id=\"ccap-%zu-%d\">",
		 mi, k, mi, k);
	add_series_title(b, m, k);
	buf_adds(b, " of ");
	add_text(b, m->name, DETAIL_SHOWN_MAX);
	buf_adds(b, ", t/s by depth</caption>\n<thead><tr><th scope=\"col\">depth (tokens)</th>");
	for (size_t j = 0; j < m->n; j++) {
		buf_adds(b, "<th scope=\"col\">");
		add_text(b, m->v[j].backend, 256);
		buf_adds(b, "</th>");
	}
	buf_adds(b, "</tr></thead>\n<tbody>\n");
	for (size_t d = 0; d < n; d++) {
		long best = fastest_at(m, k, depths[d]);
		buf_addf(b, "<tr><th scope=\"row\" data-v=\"%ld\">%ld</th>", depths[d], depths[d]);
		for (size_t j = 0; j < m->n; j++)
			add_curve_cell(b, &m->v[j], k, depths[d], best == (long)j);
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</tbody></table>\n</div>\n");
	free(depths);
}

/* What each backend's latest curve ran with. */
static void add_curve_runs(struct buf *b, const struct report_curve_model *m)
{
	buf_adds(b, "<ul class=\"warn\">\n");
	for (size_t j = 0; j < m->n; j++) {
		const struct record *rec = m->v[j].latest;
		const struct rec_curve *cv = &rec->curve;
		buf_adds(b, "<li><strong>");
		add_text(b, rec->backend, 256);
		buf_adds(b, "</strong>: ");
		if (cv->ubatch > 0) {
			buf_addf(b, "-ub %ld", cv->ubatch);
			if (cv->ubatch_from) {
				buf_adds(b, " (");
				add_text(b, cv->ubatch_from, 64);
				buf_adds(b, ")");
			}
			buf_adds(b, ", ");
		}
		if (cv->repetitions > 0)
			buf_addf(b, "-r %ld, ", cv->repetitions);
		if (cv->load_flag) {
			add_text(b, cv->load_flag, 64);
			buf_adds(b, ", ");
		}
		if (cv->cooldown_s >= 0)
			buf_addf(b, "%ld s between the series", cv->cooldown_s);
		else
			buf_adds(b, "cooldown unknown");
		add_badges(b, rec);
		if (cv->partial && !rec->failed)
			buf_adds(b, " <span class=\"badge b-failed\">partial</span>");
		add_provenance(b, rec);
		buf_adds(b, "</li>\n");
	}
	buf_adds(b, "</ul>\n");
}

static void add_curves(struct page *pg, const struct report *r)
{
	struct buf *b = &pg->b;
	buf_adds(b, "<section id=\"curves\" aria-labelledby=\"curves-h\">\n"
		    "<h2 id=\"curves-h\">Depth curves</h2>\n<p class=\"note\">How prefill and "
		    "generation speed fall as the context fills (upstream's method: one "
		    "llama-bench call per series over every depth, docs/CURVES.md). The latest "
		    "curve of each model on each backend; in each cell the change from the "
		    "backend's first depth. DEPTH-CURVES.md has the same tables.</p>\n");
	for (size_t i = 0; i < r->n_curve_models; i++) {
		const struct report_curve_model *m = &r->curve_models[i];
		buf_addf(b, "<section class=\"model\" id=\"curve-%zu\" aria-labelledby=\"curve-%zu-h\">\n"
			    "<h3 id=\"curve-%zu-h\">",
			 i, i, i);
		add_text(b, m->name, DETAIL_SHOWN_MAX);
		buf_adds(b, "</h3>\n");
		char id[32];
		snprintf(id, sizeof(id), "curve-chart-%zu", i);
		add_figure(b, id, report_curve_svg(r, i), "prefill and generation speed of", m->name,
			   "by context depth, one line per backend");
		buf_adds(b, "<figcaption>The latest curve of each backend: tokens per second at "
			    "each context depth, with the samples' range; hover a point for its "
			    "digest and build.</figcaption>\n</figure>\n");
		for (int k = 0; k < 2; k++)
			add_curve_table(b, m, i, k);
		add_curve_runs(b, m);
		buf_adds(b, "</section>\n");
		page_flush(pg);
	}
	buf_adds(b, "</section>\n");
}

/* The matrix's "at 32k" table: each backend's latest curve at
 * REPORT_CURVE_AT, prefill and generation. */
static void add_curves_at(struct buf *b, const struct report *r)
{
	struct strv backends;
	report_curve_backends(r, &backends);
	buf_addf(b, "<div class=\"scroll\" role=\"region\" tabindex=\"0\" "
		    "aria-labelledby=\"cap-at\">\n<table class=\"matrix sortable\">"
		    "<caption id=\"cap-at\">At %dk context: prefill and generation (t/s) at depth "
		    "%d, from each backend's latest depth curve</caption>\n<thead><tr>"
		    "<th scope=\"col\">model</th>",
		 REPORT_CURVE_AT / 1024, REPORT_CURVE_AT);
	for (size_t j = 0; j < backends.n; j++)
		for (int k = 0; k < 2; k++) {
			buf_adds(b, "<th scope=\"col\">");
			add_text(b, backends.v[j], 256);
			buf_adds(b, k ? " generation" : " prefill");
			buf_adds(b, "</th>");
		}
	buf_adds(b, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < r->n_curve_models; i++) {
		const struct report_curve_model *m = &r->curve_models[i];
		buf_adds(b, "<tr><th scope=\"row\">");
		add_text(b, m->name, DETAIL_SHOWN_MAX);
		buf_adds(b, "</th>");
		for (size_t j = 0; j < backends.n; j++) {
			const struct report_curve *c = report_curve_of(m, backends.v[j]);
			for (int k = 0; k < 2; k++) {
				const struct rec_point *p = c ? point_at(c, k, REPORT_CURVE_AT) : NULL;
				if (!p) {
					buf_adds(b, "<td class=\"num none\" data-v=\"\">\xe2\x80\x93</td>");
					continue;
				}
				buf_addf(b, "<td class=\"num\" data-v=\"%.2f\">", p->t.mean);
				add_mean_sd(b, &p->t, false);
				buf_adds(b, "</td>");
			}
		}
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</tbody></table>\n</div>\n");
	strv_free(&backends);
}

/* Warnings: per-depth changes of the latest curves against the previous
 * one of the same configuration, and the curves that failed or stopped. */
static size_t add_curve_warnings(struct buf *b, const struct report *r)
{
	size_t n = 0, bad = 0;
	for (size_t i = 0; i < r->n_curve_models; i++)
		for (size_t j = 0; j < r->curve_models[i].n; j++) {
			const struct report_curve *c = &r->curve_models[i].v[j];
			for (size_t f = 0; f < c->flags.n; f++) {
				bool reg = strv_contains(&c->regressions, c->flags.v[f]);
				if (!n++)
					buf_adds(b, "<h3>Depth-curve regressions and improvements</h3>\n"
						    "<p class=\"note\">A depth of the latest curve against the "
						    "previous curve of the same configuration and host, beyond the "
						    "noise, with what changed.</p>\n<ul class=\"warn\">\n");
				buf_addf(b, "<li class=\"%s\"><strong>%s</strong> <strong>",
					 reg ? "reg" : "imp", reg ? "REGRESSION" : "improvement");
				add_text(b, r->curve_models[i].name, TEXT_SHOWN_MAX);
				buf_adds(b, "</strong> on <strong>");
				add_text(b, c->backend, 256);
				buf_adds(b, "</strong>: ");
				add_text(b, c->flags.v[f], DETAIL_SHOWN_MAX);
				add_when(b, c->latest);
				buf_adds(b, "</li>\n");
			}
		}
	if (n)
		buf_adds(b, "</ul>\n");
	for (size_t i = 0; i < r->n_curve_models; i++)
		for (size_t j = 0; j < r->curve_models[i].n; j++) {
			const struct record *rec = r->curve_models[i].v[j].latest;
			if (!rec->failed && !rec->curve.partial)
				continue;
			if (!bad++)
				buf_adds(b, "<h3>Failed or partial curves</h3>\n<p class=\"note\">The latest "
					    "depth curve of these failed or stopped before its last "
					    "depth.</p>\n<ul class=\"warn\">\n");
			buf_adds(b, "<li><strong>");
			add_text(b, r->curve_models[i].name, TEXT_SHOWN_MAX);
			buf_adds(b, "</strong> on <strong>");
			add_text(b, rec->backend, 256);
			buf_adds(b, "</strong>: ");
			const char *why = rec->failed ? rec->error : NULL;
			for (int k = 0; k < 2 && !why; k++)
				why = series_of(rec, k)->error;
			add_text(b, why ? why : "stopped part-way (no error recorded)", TEXT_SHOWN_MAX);
			add_when(b, rec);
			buf_adds(b, "</li>\n");
		}
	if (bad)
		buf_adds(b, "</ul>\n");
	return n + bad;
}

/* ---- the page ---- */

static void add_head(struct buf *b, const struct report *r)
{
	buf_addf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<title>tbx report %s</title>\n<style>\n%s</style>\n</head>\n<body>\n",
		 r->date, page_css);
}

static void add_header(struct buf *b, const struct report *r)
{
	buf_addf(b, "<header>\n<h1>Rebench report %s</h1>\n<p class=\"lead\">", r->date);
	if (!r->n_models && !r->n_curve_records) {
		buf_addf(b, "No runs recorded up to %s (UTC).</p>\n</header>\n", r->date);
		return;
	}
	size_t names = 0;
	int64_t newest = 0;
	for (size_t i = 0; i < r->n_runs; i++) {
		names += i == 0 || strcmp(r->sorted[i]->model, r->sorted[i - 1]->model) != 0;
		if (r->sorted[i]->started_at > newest)
			newest = r->sorted[i]->started_at;
	}
	for (size_t i = 0; i < r->n_curve_records; i++)
		if (r->curve_records[i]->started_at > newest)
			newest = r->curve_records[i]->started_at;
	char when[32];
	if (r->n_runs) {
		buf_addf(b, "%zu run%s of %zu model%s", r->n_runs, r->n_runs == 1 ? "" : "s", names,
			 names == 1 ? "" : "s");
		if (names != r->n_models)
			buf_addf(b, " in %zu configurations", r->n_models);
	}
	if (r->n_curve_records)
		buf_addf(b, "%s%zu depth curve%s", r->n_runs ? " and " : "", r->n_curve_records,
			 r->n_curve_records == 1 ? "" : "s");
	if (r->n_hosts > 1)
		buf_addf(b, " from %zu hosts", r->n_hosts);
	buf_addf(b, ", up to %s (UTC); the newest run is of %s UTC. Baseline: ", r->date,
		 report_minute(newest, when));
	add_text(b, r->baseline, 256);
	buf_adds(b, ".</p>\n<nav aria-label=\"sections\"><ul><li><a href=\"#warnings\">Warnings</a>"
		    "</li>");
	if (r->n_models || r->n_curve_models)
		buf_adds(b, "<li><a href=\"#matrix\">Backend matrix</a></li>");
	if (r->n_curve_records)
		buf_adds(b, "<li><a href=\"#curves\">Depth curves</a></li>");
	if (r->n_models)
		buf_adds(b, "<li><a href=\"#history\">History</a></li>");
	buf_adds(b, "</ul></nav>\n</header>\n");
}

static int render(const struct report *r, struct page *pg)
{
	struct buf *b = &pg->b;
	add_head(b, r);
	add_header(b, r);
	buf_adds(b, "<main>\n");
	if (r->n_models || r->n_curve_records)
		add_warnings(b, r);
	if (r->n_models || r->n_curve_models)
		add_matrix(b, r);
	page_flush(pg);
	if (r->n_curve_models)
		add_curves(pg, r);
	if (r->n_models)
		add_history(pg, r);
	buf_adds(b, "</main>\n<footer><p>Written by tbx report from the records in results/: the "
		    "same records give the same page. Works offline: nothing here is loaded from "
		    "elsewhere.</p></footer>\n");
	buf_addf(b, "<script>\n%s</script>\n</body>\n</html>\n", page_js);
	page_flush(pg);
	return pg->rc;
}

char *report_html(const struct report *r)
{
	struct page pg = { .b = BUF_INIT };
	buf_init(&pg.b);
	render(r, &pg);
	return buf_detach(&pg.b);
}

int report_write_html_at(const struct report *r, int dirfd, const char *name, struct err *e)
{
	struct atomic_file f;
	if (atomic_file_begin(&f, dirfd, name, 0666, e) < 0)
		return -1;
	struct page pg = { .b = BUF_INIT, .out = &f, .e = e };
	buf_init(&pg.b);
	int rc = render(r, &pg);
	buf_free(&pg.b);
	if (rc < 0) {
		atomic_file_abort(&f);
		return -1;
	}
	return atomic_file_commit(&f, e);
}

int report_write_html(const struct report *r, const char *path, struct err *e)
{
	return report_write_html_at(r, AT_FDCWD, path, e);
}
