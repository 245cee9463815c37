/* svg.c - SVG time charts: stacked panels, shared time axis, lines named
 * at their ends. */
#define _GNU_SOURCE
#include "svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"

#define DAY 86400
#define WIDTH 960
#define MARGIN_LEFT 72
#define MARGIN_RIGHT 180 /* room for the names at the lines' ends */
#define PLOT_W (WIDTH - MARGIN_LEFT - MARGIN_RIGHT)
#define PLOT_H 240
#define TITLE_H 44
#define PANEL_HEAD 26 /* panel title above the plot */
#define PANEL_FOOT 40 /* date labels below the plot */
#define PANEL_H (PANEL_HEAD + PLOT_H + PANEL_FOOT)
#define LABEL_GAP 13.0 /* minimum vertical distance between end labels */
#define FONT "font-family=\"sans-serif\""

/* v with a fixed number of decimals (0-3).  Charts print tens of thousands
 * of coordinates: integer digits are much cheaper than printf's float
 * conversion, and as deterministic. */
static void add_fixed(struct buf *b, double v, int decimals)
{
	static const double scale[] = { 1, 10, 100, 1000 };
	double scaled = v * scale[decimals];
	if (!isfinite(scaled) || fabs(scaled) >= 9e15) {
		buf_addf(b, "%.*f", decimals, v);
		return;
	}
	long long n = llround(scaled);
	unsigned long long u = n < 0 ? (unsigned long long)-n : (unsigned long long)n;
	char tmp[32];
	int i = sizeof(tmp);
	tmp[--i] = '\0';
	for (int d = 0; d < decimals; d++, u /= 10)
		tmp[--i] = (char)('0' + u % 10);
	if (decimals)
		tmp[--i] = '.';
	do
		tmp[--i] = (char)('0' + u % 10);
	while (u /= 10);
	if (n < 0)
		tmp[--i] = '-';
	buf_adds(b, tmp + i);
}

/* "x,y" (or "x y") in tenths of a pixel. */
static void add_xy(struct buf *b, double x, char sep, double y)
{
	add_fixed(b, x, 1);
	buf_addc(b, sep);
	add_fixed(b, y, 1);
}

const char *svg_hash_color(const char *name)
{
	/* Tableau 10, the yellow darkened for contrast on white */
	static const char *const palette[] = {
		"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
		"#b8860b", "#b07aa1", "#ff9da7", "#9c755f", "#7f7f7f",
	};
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)(name ? name : ""); *p; p++)
		h = (h ^ *p) * 16777619u;
	return palette[h % (sizeof(palette) / sizeof(palette[0]))];
}

/* A "nice" number near x (1, 2, 5 times a power of ten). */
static double nice_num(double x, bool round_it)
{
	double e = floor(log10(x));
	double f = x / pow(10, e), nf;
	if (round_it)
		nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
	else
		nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
	return nf * pow(10, e);
}

struct axis {
	double lo, hi, step;
	int decimals;
};

static void value_axis(double lo, double hi, struct axis *a)
{
	if (!isfinite(lo) || !isfinite(hi) || hi - lo > 1e300)
		lo = 0, hi = 1; /* absurd records: still a drawable chart */
	if (!(hi > lo)) {
		double pad = fabs(hi) > 0 ? fabs(hi) * 0.1 : 1;
		lo -= pad, hi += pad;
	}
	/* start at zero unless that squashes the lines into a band */
	if (lo > 0 && lo < hi * 0.4)
		lo = 0;
	double range = nice_num(hi - lo, false);
	a->step = nice_num(range / 4, true);
	a->lo = floor(lo / a->step) * a->step;
	a->hi = ceil(hi / a->step) * a->step;
	if (a->lo < 0 && lo >= 0)
		a->lo = 0;
	a->decimals = a->step >= 1 ? 0 : (int)fmin(3, ceil(-log10(a->step)));
}

struct frame {
	bool depth;     /* x is a context depth (svg_depth_chart), else a time */
	int64_t t0, t1; /* whole days, or the depth range */
	double top;     /* plot area top in pixels */
	struct axis y;
};

static double px_x(const struct frame *f, int64_t t)
{
	return MARGIN_LEFT + (double)(t - f->t0) / (double)(f->t1 - f->t0) * PLOT_W;
}

static double px_y(const struct frame *f, double v)
{
	return f->top + PLOT_H - (v - f->y.lo) / (f->y.hi - f->y.lo) * PLOT_H;
}

static void date_of(int64_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t floor_day(int64_t t)
{
	return floor_div(t, DAY) * DAY;
}

static void draw_time_axis(struct buf *b, const struct frame *f, bool has_failures)
{
	static const int64_t steps[] = { 1, 2, 7, 14, 28, 56, 91, 182, 364, 728, 1456, 2912 };
	size_t k = 0, n_steps = sizeof(steps) / sizeof(steps[0]);
	int64_t days = (f->t1 - f->t0) / DAY;
	while (k + 1 < n_steps && days / steps[k] > 6)
		k++;
	int64_t step_days = days / steps[k] > 6 ? (days + 5) / 6 : steps[k];
	int64_t step = step_days * DAY;
	double bottom = f->top + PLOT_H;
	for (int64_t t = f->t0; t <= f->t1; t += step) {
		double x = px_x(f, t);
		char d[16];
		date_of(t, d);
		buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>\n",
			 x, f->top, x, bottom);
		buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n",
			 x, bottom, x, bottom + 4);
		buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
			 bottom + 17, d);
	}
	buf_addf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555555\">date "
		    "(UTC)%s</text>\n",
		 MARGIN_LEFT + PLOT_W / 2, bottom + 33,
		 has_failures ? "; \xc3\x97 on the axis: a failed run" : "");
}

/* "8k" for multiples of 1024, else the number of tokens. */
static void add_depth(struct buf *b, int64_t d)
{
	if (d && d % 1024 == 0)
		buf_addf(b, "%lldk", (long long)(d / 1024));
	else
		buf_addf(b, "%lld", (long long)d);
}

static void draw_depth_axis(struct buf *b, const struct frame *f, bool has_failures)
{
	int64_t step = 1;
	while ((f->t1 - f->t0) / step > 8)
		step *= 2;
	double bottom = f->top + PLOT_H;
	for (int64_t d = f->t0; d <= f->t1; d += step) {
		double x = px_x(f, d);
		buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>\n",
			 x, f->top, x, bottom);
		buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n",
			 x, bottom, x, bottom + 4);
		buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, bottom + 17);
		add_depth(b, d);
		buf_adds(b, "</text>\n");
	}
	buf_addf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555555\">context "
		    "depth (tokens)%s</text>\n",
		 MARGIN_LEFT + PLOT_W / 2, bottom + 33,
		 has_failures ? "; \xc3\x97 on the axis: no value" : "");
}

static void draw_value_axis(struct buf *b, const struct frame *f, const char *unit)
{
	int n = (int)lround((f->y.hi - f->y.lo) / f->y.step);
	for (int i = 0; i <= n; i++) {
		double v = f->y.lo + i * f->y.step, y = px_y(f, v);
		buf_addf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>\n",
			 MARGIN_LEFT, y, MARGIN_LEFT + PLOT_W, y, i ? "#e5e5e5" : "#333333");
		buf_addf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>\n",
			 MARGIN_LEFT - 6, y + 4, f->y.decimals, v);
	}
	buf_addf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333333\"/>\n",
		 MARGIN_LEFT, f->top, MARGIN_LEFT, f->top + PLOT_H);
	double mid = f->top + PLOT_H / 2.0;
	buf_addf(b, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555555\" "
		    "transform=\"rotate(-90 16 %.1f)\">",
		 mid, mid);
	esc_xml(b, unit);
	buf_adds(b, "</text>\n");
}

static void draw_series(struct buf *b, const struct frame *f, const struct svg_series *s,
			const char *unit)
{
	/* data-series: what a page's script toggles (report_html.c) */
	buf_adds(b, "<g data-series=\"");
	esc_xml(b, s->name);
	buf_addf(b, "\" stroke=\"%s\" fill=\"%s\">\n", s->color, s->color);
	/* error bars: mean +- one standard deviation, or the samples' range */
	buf_adds(b, "<path stroke-width=\"1\" stroke-opacity=\"0.5\" d=\"");
	for (size_t i = 0; i < s->n; i++) {
		const struct svg_point *p = &s->pts[i];
		double top, low;
		if (p->spread && isfinite(p->y) && isfinite(p->lo) && isfinite(p->hi) && p->hi > p->lo)
			top = p->hi, low = p->lo;
		else if (!p->spread && isfinite(p->y) && isfinite(p->sd) && p->sd > 0)
			top = p->y + p->sd, low = p->y - p->sd;
		else
			continue;
		buf_addc(b, 'M');
		add_xy(b, px_x(f, p->t), ' ', px_y(f, top));
		buf_addc(b, 'V');
		add_fixed(b, px_y(f, low), 1);
	}
	buf_adds(b, "\"/>\n<polyline fill=\"none\" stroke-width=\"2\" points=\"");
	const char *sep = "";
	for (size_t i = 0; i < s->n; i++)
		if (isfinite(s->pts[i].y)) {
			buf_adds(b, sep);
			add_xy(b, px_x(f, s->pts[i].t), ',', px_y(f, s->pts[i].y));
			sep = " ";
		}
	buf_adds(b, "\"/>\n");
	for (size_t i = 0; i < s->n; i++) {
		const struct svg_point *p = &s->pts[i];
		double x = px_x(f, p->t), bottom = f->top + PLOT_H;
		if (isfinite(p->y)) {
			buf_adds(b, "<circle cx=\"");
			add_fixed(b, x, 1);
			buf_adds(b, "\" cy=\"");
			add_fixed(b, px_y(f, p->y), 1);
			buf_adds(b, "\" r=\"3\"><title>");
		} else { /* a failed run: a cross on the time axis */
			buf_adds(b, "<path stroke-width=\"2\" d=\"M");
			add_xy(b, x - 4, ' ', bottom - 2);
			buf_adds(b, "l8 -8m0 8l-8 -8\"><title>");
		}
		esc_xml(b, s->name);
		if (f->depth) {
			buf_adds(b, " at depth ");
			add_depth(b, p->t);
		} else {
			char d[32];
			format_time(p->t, d);
			buf_addc(b, ' ');
			buf_add(b, d, 10); /* "2026-05-16 07:12" */
			buf_addc(b, ' ');
			buf_add(b, d + 11, 5);
		}
		buf_adds(b, ": ");
		if (!isfinite(p->y)) {
			buf_adds(b, "failed");
		} else {
			add_fixed(b, p->y, 2);
			if (isfinite(p->sd)) {
				buf_adds(b, " \xc2\xb1 ");
				add_fixed(b, p->sd, 2);
			}
			buf_addc(b, ' ');
		}
		if (isfinite(p->y))
			esc_xml(b, unit);
		if (p->note) {
			buf_adds(b, " (");
			esc_xml(b, p->note);
			buf_adds(b, ")");
		}
		buf_adds(b, isfinite(p->y) ? "</title></circle>\n" : "</title></path>\n");
	}
	buf_adds(b, "</g>\n");
}

struct end_label {
	size_t series;
	double x, y, label_y; /* last point; where the name goes */
};

static int cmp_label(const void *a, const void *b)
{
	const struct end_label *x = a, *y = b;
	if (x->y != y->y)
		return x->y < y->y ? -1 : 1;
	return x->series < y->series ? -1 : x->series > y->series;
}

/* Names just right of each line's last point, pushed apart so they never
 * overlap; a short leader joins a moved name to its point. */
static void draw_end_labels(struct buf *b, const struct frame *f, const struct svg_panel *p)
{
	struct end_label *l = xcalloc(p->n + 1, sizeof(*l));
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct svg_series *s = &p->series[i];
		for (size_t j = s->n; j-- > 0;) {
			if (isfinite(s->pts[j].y)) {
				l[n].series = i;
				l[n].x = px_x(f, s->pts[j].t);
				l[n].y = l[n].label_y = px_y(f, s->pts[j].y);
				n++;
				break;
			}
		}
	}
	qsort(l, n, sizeof(*l), cmp_label);
	for (size_t i = 1; i < n; i++)
		if (l[i].label_y < l[i - 1].label_y + LABEL_GAP)
			l[i].label_y = l[i - 1].label_y + LABEL_GAP;
	double limit = f->top + PLOT_H + PANEL_FOOT - 8;
	for (size_t i = n; i-- > 0;) {
		double max = i + 1 < n ? l[i + 1].label_y - LABEL_GAP : limit;
		if (l[i].label_y > max)
			l[i].label_y = max;
	}
	for (size_t i = 0; i < n; i++) {
		const struct svg_series *s = &p->series[l[i].series];
		double lx = l[i].x + 10;
		struct buf name = BUF_INIT;
		buf_init(&name);
		esc_xml(&name, s->name);
		if (fabs(l[i].label_y - l[i].y) > 3)
			buf_addf(b, "<line data-series=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				    "y2=\"%.1f\" stroke=\"%s\" stroke-opacity=\"0.6\"/>\n",
				 name.p, l[i].x + 4, l[i].y, lx - 2, l[i].label_y, s->color);
		buf_addf(b,
			 "<text data-series=\"%s\" x=\"%.1f\" y=\"%.1f\" fill=\"%s\" "
			 "font-weight=\"bold\">",
			 name.p, lx, l[i].label_y + 4, s->color);
		buf_addf(b, "%s</text>\n", name.p);
		buf_free(&name);
	}
	free(l);
}

static void draw_panel(struct buf *b, const struct svg_panel *p, double top, bool depth,
		       int64_t t0, int64_t t1)
{
	double lo = INFINITY, hi = -INFINITY;
	bool has_failures = false;
	for (size_t i = 0; i < p->n; i++) {
		for (size_t j = 0; j < p->series[i].n; j++) {
			const struct svg_point *pt = &p->series[i].pts[j];
			has_failures |= !isfinite(pt->y);
			if (!isfinite(pt->y))
				continue;
			double sd = isfinite(pt->sd) ? pt->sd : 0;
			bool range = pt->spread && isfinite(pt->lo) && isfinite(pt->hi);
			lo = fmin(lo, range ? pt->lo : pt->y - sd);
			hi = fmax(hi, range ? pt->hi : pt->y + sd);
		}
	}
	buf_addf(b, "<text x=\"%d\" y=\"%.1f\" font-size=\"14\" font-weight=\"bold\">",
		 MARGIN_LEFT, top + 16);
	esc_xml(b, p->title);
	buf_adds(b, " (");
	esc_xml(b, p->unit);
	buf_adds(b, ")</text>\n");
	struct frame f = { .depth = depth, .t0 = t0, .t1 = t1, .top = top + PANEL_HEAD };
	if (!isfinite(lo)) {
		buf_addf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555555\">no "
			    "data</text>\n",
			 MARGIN_LEFT + PLOT_W / 2, f.top + PLOT_H / 2.0);
		return;
	}
	value_axis(fmax(lo, 0), hi, &f.y);
	draw_value_axis(b, &f, p->unit);
	if (depth)
		draw_depth_axis(b, &f, has_failures);
	else
		draw_time_axis(b, &f, has_failures);
	for (size_t i = 0; i < p->n; i++)
		if (p->series[i].n)
			draw_series(b, &f, &p->series[i], p->unit);
	draw_end_labels(b, &f, p);
}

static char *chart(const char *title, const struct svg_panel *panels, size_t n_panels, bool depth)
{
	int64_t tmin = INT64_MAX, tmax = INT64_MIN;
	for (size_t k = 0; k < n_panels; k++)
		for (size_t i = 0; i < panels[k].n; i++)
			for (size_t j = 0; j < panels[k].series[i].n; j++) {
				int64_t t = panels[k].series[i].pts[j].t;
				tmin = t < tmin ? t : tmin;
				tmax = t > tmax ? t : tmax;
			}
	if (tmin > tmax)
		tmin = tmax = 0;
	int64_t t0 = floor_day(tmin), t1 = floor_day(tmax) + DAY;
	if (depth) { /* from 0 (or below) to a power of two past the deepest point */
		t0 = tmin < 0 ? tmin : 0;
		for (t1 = 1; t1 < tmax && t1 < INT64_MAX / 2; t1 *= 2)
			;
		if (t1 - t0 < 2)
			t1 = t0 + 2;
	}
	int height = TITLE_H + (int)n_panels * PANEL_H + 8;

	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_addf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		     "viewBox=\"0 0 %d %d\" " FONT " font-size=\"11\">\n",
		 WIDTH, height, WIDTH, height);
	buf_adds(&b, "<title>");
	esc_xml(&b, title);
	buf_adds(&b, "</title>\n");
	buf_addf(&b, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", WIDTH, height);
	buf_addf(&b, "<text x=\"%d\" y=\"26\" font-size=\"16\" font-weight=\"bold\">", MARGIN_LEFT);
	esc_xml(&b, title);
	buf_adds(&b, "</text>\n");
	for (size_t k = 0; k < n_panels; k++)
		draw_panel(&b, &panels[k], TITLE_H + (double)k * PANEL_H, depth, t0, t1);
	buf_adds(&b, "</svg>\n");
	return buf_detach(&b);
}

char *svg_time_chart(const char *title, const struct svg_panel *panels, size_t n_panels)
{
	return chart(title, panels, n_panels, false);
}

char *svg_depth_chart(const char *title, const struct svg_panel *panels, size_t n_panels)
{
	return chart(title, panels, n_panels, true);
}
