/* svg.h - small, dependency-free SVG time charts for reports.
 *
 * A chart is one or more panels stacked vertically that share the time
 * axis (one panel per quantity: their scales differ).  Each series is a
 * line in a fixed colour, named at its end so no legend is needed.  The
 * output depends only on the input (fixed float formatting, no clock), so
 * the same data gives byte-identical files.  Every string is written
 * through esc_xml(), so any input gives a well-formed XML document. */
#ifndef TBX_SVG_H
#define TBX_SVG_H

#include "util.h"

struct svg_point {
	int64_t t;        /* unix time (svg_depth_chart: the depth) */
	double y, sd;     /* value (NAN: a failed run, drawn as a cross on the time
			   * axis) and its standard deviation (NAN: none) */
	const char *note; /* extra tooltip text ("sha256:... b9187", the error), or NULL */
	bool spread;      /* the bar is lo..hi (the samples' range), not y +- sd */
	double lo, hi;
};

struct svg_series {
	const char *name;  /* label at the line's end */
	const char *color; /* "#rrggbb" */
	const struct svg_point *pts; /* oldest first */
	size_t n;
};

struct svg_panel {
	const char *title; /* "pp512: prompt processing" */
	const char *unit;  /* "t/s" */
	const struct svg_series *series;
	size_t n;
};

/* The whole SVG document (caller frees).  Empty series are skipped; a
 * panel without points says "no data". */
char *svg_time_chart(const char *title, const struct svg_panel *panels, size_t n_panels);

/* The same with a context depth (tokens) on the x axis instead of a
 * time: each point's t is its depth (depth curves, report_html.c). */
char *svg_depth_chart(const char *title, const struct svg_panel *panels, size_t n_panels);

/* A deterministic colour for a name that has no fixed one: a hash into a
 * colour-blind-friendly palette. */
const char *svg_hash_color(const char *name);

#endif
