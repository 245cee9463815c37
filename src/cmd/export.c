/* export.c - tbx export: the results (and definitions) as one .tar.gz. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cmd.h"

static int run_export(struct ctx *c, const struct cmd_args *a)
{
	struct bundle_export_opts o = { 0 };
	const char *out = cmd_value(a, "output"), *since = cmd_value(a, "since");
	if (a->argc > 0)
		return cmd_usage(&cmd_export, "unexpected argument '%s'", a->argv[0]);
	if (!out || !out[0])
		return cmd_usage(&cmd_export, "export needs -o FILE.tar.gz");
	if (since && parse_time(since, &o.since) < 0)
		return cmd_usage(&cmd_export, "bad --since '%s' (expected YYYY-MM-DD or RFC 3339)",
				 since);
	if (ctx_load(c) < 0)
		return -1;
	struct bundle_counts n;
	struct strv warnings = STRV_INIT;
	int rc = bundle_export(c->home, out, &o, &n, &warnings, &c->err);
	for (size_t i = 0; i < warnings.n; i++)
		warn("%s", warnings.v[i]);
	strv_free(&warnings);
	if (rc < 0)
		return -1;
	if (g_verbosity >= 0)
		printf("exported %zu record%s, %zu manifest%s, %zu definition%s, %zu report file%s "
		       "to %s\n",
		       n.results, n.results == 1 ? "" : "s", n.manifests, n.manifests == 1 ? "" : "s",
		       n.containers, n.containers == 1 ? "" : "s", n.reports,
		       n.reports == 1 ? "" : "s", out);
	return EXIT_OK;
}

static const struct cmd_option export_options[] = {
	{ "output", 'o', "FILE", "the archive to write (.tar.gz), replaced atomically" },
	{ "since", 0, "D", "only records started at or after D (YYYY-MM-DD or RFC 3339)" },
	{ NULL, 0, NULL, NULL },
};

const struct command cmd_export = {
	.name = "export",
	.args = "[--since D] -o FILE.tar.gz",
	.summary = "bundle results, definitions and reports for another machine",
	.description =
		"Writes a gzip tar with everything under tbx-export/: results/*.json (those started "
		"since D with --since), manifests/*.json, containers/*.json, reports/ when present, "
		"and MANIFEST.json (version, created_at, host, counts). Corrupt records are left "
		"out with a warning. The file is written to a temporary name and renamed. 'tbx "
		"import FILE.tar.gz' on the other machine merges the records.",
	.options = export_options,
	.run = run_export,
};
