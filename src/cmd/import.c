/* import.c - tbx import: llama-bench logs made outside tbx, and bundles
 * made by tbx export on another machine. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cmd.h"
#include "curve_import.h"
#include "importer.h"
#include "json.h"

struct tally {
	size_t added, failed_runs, skipped, errors;
};

static void add_rate(struct buf *b, const char *name, json_object *t)
{
	double mean = json_num(t, "mean", NAN);
	if (isfinite(mean))
		buf_addf(b, ", %s %.2f", name, mean);
}

/* File names and record fields are untrusted: printed via print_line(). */
static void print_log_line(const char *path, const struct import_result *r)
{
	json_object *rec = r->record;
	const char *backend = json_str(rec, "backend"), *model = json_str(rec, "model");
	struct buf b = BUF_INIT;
	buf_init(&b);
	switch (r->outcome) {
	case IMPORT_ADDED:
		buf_addf(&b, "imported %s: %s %s", path, backend, model);
		add_rate(&b, "pp512", json_obj(rec, "pp512"));
		add_rate(&b, "tg128", json_obj(rec, "tg128"));
		buf_addf(&b, " (run %s)", r->run_id);
		break;
	case IMPORT_ADDED_FAILED:
		buf_addf(&b, "failed run imported %s: %s %s: %s (run %s)", path, backend, model,
			 json_str(rec, "error"), r->run_id);
		break;
	case IMPORT_DUPLICATE:
		buf_addf(&b, "skipped %s: already imported (run %s)", path, r->run_id);
		break;
	}
	print_line("%s", b.p);
	buf_free(&b);
}

static json_object *log_json(const char *path, const struct import_result *r)
{
	static const char *const names[] = { "imported", "failed run imported", "skipped" };
	json_object *j = json_object_new_object();
	json_add_str(j, "file", path);
	json_add_str(j, "outcome", names[r->outcome]);
	json_add_str(j, "reason", r->outcome == IMPORT_DUPLICATE ? "already imported" : NULL);
	json_add_str(j, "run_id", r->run_id);
	json_add_str(j, "backend", json_str(r->record, "backend"));
	json_add_str(j, "model", json_str(r->record, "model"));
	json_add_str(j, "record", r->path);
	return j;
}

static void import_log(struct ctx *c, const char *path, const struct import_opts *o,
		       struct tally *t, json_object *out)
{
	struct import_result r;
	struct err e = { 0 };
	if (import_log_file(c->home, path, o, &r, &e) < 0) {
		fprintf(stderr, "tbx: %s\n", e.msg); /* sanitized by err_set */
		t->errors++;
		import_result_free(&r);
		return;
	}
	if (r.outcome == IMPORT_ADDED)
		t->added++;
	else if (r.outcome == IMPORT_ADDED_FAILED)
		t->failed_runs++;
	else
		t->skipped++;
	if (out)
		json_object_array_add(out, log_json(path, &r));
	else if (g_verbosity >= 0)
		print_log_line(path, &r);
	import_result_free(&r);
}

/* A campaign folder or one curve file: one line per curve. */
static void import_curves(struct ctx *c, const char *path, const struct import_opts *o,
			  struct tally *t, json_object *out)
{
	struct curve_import_result r;
	struct err e = { 0 };
	if (curve_import_path(c->home, path, o, &r, &e) < 0) {
		fprintf(stderr, "tbx: %s\n", e.msg); /* sanitized by err_set */
		t->errors++;
		return;
	}
	t->added += r.added;
	t->failed_runs += r.failed;
	t->skipped += r.duplicates;
	for (size_t i = 0; i < r.n; i++) {
		const struct curve_import_item *it = &r.v[i];
		json_object *curve = json_obj(it->record, "curve");
		json_object *pp = json_arr(json_obj(curve, "prefill"), "points");
		json_object *gp = json_arr(json_obj(curve, "generation"), "points");
		size_t np = pp ? json_object_array_length(pp) : 0;
		size_t ng = gp ? json_object_array_length(gp) : 0;
		if (out) {
			struct import_result ir = { .outcome = it->outcome, .record = it->record };
			snprintf(ir.run_id, sizeof(ir.run_id), "%s", it->run_id);
			json_object *j = log_json(path, &ir);
			json_add_str(j, "curve", it->name);
			json_object_array_add(out, j);
		} else if (g_verbosity >= 0 && it->outcome == IMPORT_DUPLICATE) {
			print_line("skipped %s: curve %s already imported (run %s)", path, it->name,
				   it->run_id);
		} else if (g_verbosity >= 0) {
			print_line("imported %s: curve %s on %s: %zu prefill and %zu generation "
				   "points%s (run %s)", path, json_str(it->record, "model"),
				   json_str(it->record, "backend"), np, ng,
				   json_flag(curve, "partial", false) ? ", partial" : "", it->run_id);
		}
	}
	curve_import_result_free(&r);
}

static void print_bundle_line(const char *path, const struct bundle_import_result *r)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_addf(&b, "imported %s: %zu record%s", path, r->added, r->added == 1 ? "" : "s");
	if (r->host)
		buf_addf(&b, " from %s", r->host);
	if (r->duplicates)
		buf_addf(&b, ", skipped %zu already present", r->duplicates);
	if (r->definitions)
		buf_addf(&b, ", skipped %zu definition/manifest file%s (local ones kept)",
			 r->definitions, r->definitions == 1 ? "" : "s");
	if (r->reports)
		buf_addf(&b, ", skipped %zu report file%s", r->reports, r->reports == 1 ? "" : "s");
	if (r->other)
		buf_addf(&b, ", ignored %zu other entr%s", r->other, r->other == 1 ? "y" : "ies");
	if (r->invalid)
		buf_addf(&b, ", skipped %zu invalid record%s", r->invalid,
			 r->invalid == 1 ? "" : "s");
	print_line("%s", b.p);
	buf_free(&b);
}

static void import_bundle(struct ctx *c, const char *path, const struct bundle_import_opts *bo,
			  struct tally *t, json_object *out)
{
	struct bundle_import_result r;
	struct strv warnings = STRV_INIT;
	struct err e = { 0 };
	int rc = bundle_import(c->home, path, bo, &r, &warnings, &e);
	for (size_t i = 0; i < warnings.n; i++)
		warn("%s", warnings.v[i]);
	strv_free(&warnings);
	t->added += r.added;
	t->skipped += r.duplicates;
	if (rc < 0 || r.invalid)
		t->errors++;
	if (rc < 0)
		fprintf(stderr, "tbx: %s\n", e.msg); /* sanitized by err_set */
	if (out) {
		json_object *j = json_object_new_object();
		json_add_str(j, "file", path);
		json_add_str(j, "outcome", rc < 0 ? "refused" : "imported");
		json_add_str(j, "error", rc < 0 ? e.msg : NULL);
		json_add_str(j, "host", r.host);
		json_add_int(j, "added", (int64_t)r.added);
		json_add_int(j, "duplicates", (int64_t)r.duplicates);
		json_add_int(j, "invalid", (int64_t)r.invalid);
		json_add_int(j, "definitions_skipped", (int64_t)r.definitions);
		json_add_int(j, "reports_skipped", (int64_t)r.reports);
		json_object_array_add(out, j);
	} else if (rc == 0 && g_verbosity >= 0) {
		print_bundle_line(path, &r);
	}
	bundle_import_result_free(&r);
}

static int run_import(struct ctx *c, const struct cmd_args *a)
{
	struct import_opts o = { .backend = cmd_value(a, "backend"),
				 .model = cmd_value(a, "model"),
				 .host = cmd_value(a, "host") };
	const char *date = cmd_value(a, "date"), *max_records = cmd_value(a, "max-records");
	int argc = a->argc, first = 0;
	char **argv = a->argv;
	if (first < argc && strcmp(argv[first], "--") == 0)
		first++;
	if (first >= argc)
		return cmd_usage(&cmd_import, "import needs at least one FILE");
	if (date && parse_time(date, &o.date) < 0)
		return cmd_usage(&cmd_import, "bad --date '%s' (expected YYYY-MM-DD or RFC 3339)",
				 date);
	if (o.model && !o.model[0])
		return cmd_usage(&cmd_import, "--model needs a name");
	long max = 0;
	if (max_records && parse_long(max_records, 1, 10000000, &max) < 0)
		return cmd_usage(&cmd_import, "bad --max-records '%s' (expected 1 to 10000000)",
				 max_records);
	if (ctx_load(c) < 0)
		return -1;
	struct bundle_import_opts bo = {
		.max_records = max ? (size_t)max : c->cfg.import_max_records,
	};
	o.backends = &c->backends;
	if (o.backend) { /* an unknown backend is a usage error, said once */
		const struct backend *b = backend_resolve(&c->backends, o.backend, &c->err);
		if (!b)
			return -1;
		o.backend = b->id;
	}
	struct tally t = { 0 };
	json_object *out = c->json ? json_object_new_array() : NULL;
	for (int i = first; i < argc && !g_interrupted; i++) {
		if (bundle_detect(argv[i]))
			import_bundle(c, argv[i], &bo, &t, out);
		else if (curve_import_detect(argv[i]))
			import_curves(c, argv[i], &o, &t, out);
		else
			import_log(c, argv[i], &o, &t, out);
	}
	if (out) {
		cmd_print_json(out);
		json_object_put(out);
	} else if (g_verbosity >= 0 && argc - first > 1) {
		printf("%zu imported, %zu failed run%s imported, %zu skipped, %zu error%s\n", t.added,
		       t.failed_runs, t.failed_runs == 1 ? "" : "s", t.skipped, t.errors,
		       t.errors == 1 ? "" : "s");
	}
	return t.errors ? EXIT_FAIL : EXIT_OK;
}

static const struct cmd_option import_options[] = {
	{ "backend", 0, "B", "the backend that ran the logs (id or alias; default: from the file name)" },
	{ "model", 0, "M", "the model name (default: from the file name or llama-bench's output)" },
	{ "host", 0, "H", "the machine that ran the logs (default: unknown)" },
	{ "date", 0, "D", "when they ran, YYYY-MM-DD or RFC 3339 (default: each file's mtime)" },
	{ "json", 0, NULL, "print one JSON object per file" },
	{ "max-records", 0, "N",
	  "the most records one bundle may add (default: the config's import_max_records, 20000); "
	  "a bigger bundle is refused, nothing written" },
	{ NULL, 0, NULL, NULL },
};

const struct command cmd_import = {
	.name = "import",
	.args = "[--backend B] [--model M] [--host H] [--date D] [--max-records N] FILE|DIR...",
	.summary = "import llama-bench logs made outside tbx, or a bundle from tbx export",
	.description =
		"A FILE is llama-bench output (markdown with its device lines and build: trailer, "
		"jsonl or json) or a .tar.gz made by 'tbx export'. A log becomes one record marked "
		"imported, with no image digest, its llama.cpp build, device line and pp512/tg128; "
		"a crashed run (backtrace, exit 134) becomes a failed record with its error. "
		"Backend and model come from the options or from the file name "
		"MODEL__ENV__fa1.log (ENV: rocm6_4_4, rocm-7_2_3, rocm7-nightlies, vulkan_radv, "
		"vulkan_amdvlk). The run id derives from the content, so a file imported twice is "
		"skipped. A bundle adds its records only (never definitions or manifests), skips "
		"runs already present and keeps each run's host; an archive with absolute paths, "
		"'..', links, devices, oversized entries, more records than --max-records or an "
		"expansion of more than 100 times is refused with nothing written; its records are "
		"staged and moved in together, so an import is never half done. A directory is an "
		"upstream depth-curve campaign (docs/CURVES.md): each "
		"MODEL__llama-TOOLBOX__curve-{prefill,generation}__fa1__ubN.jsonl pair, with its "
		".stderr.log device lines, campaign_manifest.json (commands, return codes, "
		"statuses, depths), run_metadata.txt (host, kernel, image digest, cooldown) and "
		"ubatch-calibrations.json, becomes one curve record (all of the folder's or none); "
		"one such .jsonl file alone becomes a curve with one series. Exits 1 "
		"when a file could not be read or parsed (the others are still imported).",
	.options = import_options,
	.run = run_import,
};
