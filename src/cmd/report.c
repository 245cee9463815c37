/* report.c - tbx report: the rebench matrix, the history and the charts. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "report.h"
#include "store.h"

struct report_args {
	const char *date, *baseline, *out_dir, *host, *html;
	bool check, print;
};

static int run_report(struct ctx *c, const struct cmd_args *args)
{
	struct report_args a = { .date = cmd_value(args, "date"),
				 .baseline = cmd_value(args, "baseline"),
				 .out_dir = cmd_value(args, "output"),
				 .host = cmd_value(args, "host"),
				 .html = cmd_value(args, "html"),
				 .check = cmd_has(args, "check"),
				 .print = cmd_has(args, "print") };
	int rc;
	if (args->argc > 0)
		return cmd_usage(&cmd_report, "unexpected argument '%s'", args->argv[0]);
	char today[11];
	int64_t day_end;
	if (!a.date) {
		report_today(today);
		a.date = today;
	}
	if (report_parse_date(a.date, &day_end) < 0)
		return cmd_usage(&cmd_report, "bad --date '%s' (expected YYYY-MM-DD)", a.date);
	if (ctx_load(c) < 0)
		return -1;
	/* an alias names the backend; an unknown name may be a deleted definition */
	const struct backend *b = a.baseline ? backend_find(&c->backends, a.baseline) : NULL;
	struct report_opts o = { .date = a.date, .baseline = b ? b->id : a.baseline };

	struct record_filter f = { .host = a.host, .until = day_end };
	struct records rs;
	struct strv warnings = STRV_INIT;
	if (store_load(c->home, &f, &rs, &warnings, &c->err) < 0)
		return -1;
	for (size_t i = 0; i < warnings.n; i++)
		warn("%s", warnings.v[i]);
	strv_free(&warnings);

	struct report r;
	char *dir = NULL, *matrix_path = NULL;
	rc = -1;
	if (report_build(&rs, &o, &r, &c->err) < 0)
		goto out_records;
	if (a.out_dir || (!a.check && !a.html)) {
		dir = a.out_dir ? xstrdup(a.out_dir) : path_join(c->home, "reports");
		if (report_write(&r, dir, &matrix_path, &c->err) < 0) {
			err_wrap(&c->err, "cannot write the report to '%s'", dir);
			goto out;
		}
		note("wrote %s, BENCHMARKS.md, %sindex.html and %zu chart%s in %s", matrix_path,
		     r.n_curve_models ? "DEPTH-CURVES.md, " : "", r.n_models + r.n_curve_models,
		     r.n_models + r.n_curve_models == 1 ? "" : "s", dir);
	}
	if (a.html) {
		if (report_write_html(&r, a.html, &c->err) < 0) {
			err_wrap(&c->err, "cannot write the page '%s'", a.html);
			goto out;
		}
		note("wrote %s", a.html);
	}
	if (a.print) {
		char *md = report_matrix_md(&r);
		fputs(md, stdout);
		free(md);
	}
	rc = EXIT_OK;
	if (a.check) {
		struct strv lines = STRV_INIT;
		if (report_regressions(&r, &lines) > 0) {
			for (size_t i = 0; i < lines.n; i++)
				print_line("REGRESSION: %s", lines.v[i]);
			rc = EXIT_FAIL;
		} else {
			note("no significant regression in the latest results up to %s", a.date);
		}
		strv_free(&lines);
	}
out:
	report_free(&r);
	free(dir);
	free(matrix_path);
out_records:
	records_free(&rs);
	return rc;
}

static const struct cmd_option report_options[] = {
	{ "date", 0, "YYYY-MM-DD",
	  "report as of that day (UTC; runs up to and including it count); default today" },
	{ "baseline", 0, "BACKEND",
	  "the backend percentages are taken against (default " REPORT_DEFAULT_BASELINE ")" },
	{ "output", 'o', "DIR", "where to write the files (default <home>/reports)" },
	{ "html", 0, "FILE",
	  "write just the page (index.html's content) as FILE; the other files only with -o" },
	{ "host", 0, "HOST", "only runs recorded on that host" },
	{ "check", 0, NULL,
	  "exit 1 when a latest result is a significant regression, and print it; writes no "
	  "files unless -o or --html is given" },
	{ "print", 0, NULL, "print the matrix (markdown) on stdout too" },
	{ NULL, 0, NULL, NULL },
};

const struct command cmd_report = {
	.name = "report",
	.args = "[--date YYYY-MM-DD] [--baseline BACKEND] [-o DIR] [--html FILE] [--host HOST] "
		"[--check] [--print]",
	.summary = "write the rebench matrix, the run history and charts from results/",
	.description =
		"Writes REBENCH-MATRIX-<date>.md (the latest pp512 and tg128 of every model on "
		"every backend, with the difference from the baseline, the fastest backend, and "
		"the image digest and llama.cpp build behind each number; other lineages such as "
		"lemonade in their own tables), BENCHMARKS.md (every run per model, newest first), "
		"charts/<model>.svg and index.html: one self-contained page (inline CSS and SVG "
		"charts, nothing loaded from the network, readable without JavaScript) with the "
		"matrix, each number's digest, build and settings key, the warnings (regressions "
		"with what changed, failed and stale runs, frozen or retired channels, imported "
		"and native rows) and the per-model history. A row is one configuration: a model run with the same "
		"arguments (\"qwen (-fa 1)\" is another row; an imported log, whose arguments are "
		"unknown, one of its own); runs are compared only within one row and backend. When "
		"a backend's latest run differs from its previous one in image digest, build, "
		"llama-bench's effective settings or host state (kernel and its parameters, "
		"firmware, Mesa/ROCm, power profile), a change beyond 3 standard errors and 3% is "
		"flagged with what differed and its attribution (the image, the host, or both); "
		"--check prints these lines and exits 1. Depth curves (tbx curve, imported upstream "
		"campaigns) go to DEPTH-CURVES.md (per model a table with a row per depth and "
		"charts/curve-<model>.svg, t/s against depth with the samples' range) and the "
		"matrix's \"at 32k\" columns; a curve is judged per depth against the backend's "
		"previous curve of the same configuration, with the same rule. The same records always give the same "
		"files, byte for byte. Corrupt records are named and skipped.",
	.options = report_options,
	.run = run_report,
};
