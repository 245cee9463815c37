/* results.c - tbx results: list the recorded runs. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "escape.h"
#include "json.h"
#include "record.h"
#include "report.h"
#include "store.h"

#define NAME_SHOWN_MAX 40
#define ERROR_SHOWN_MAX 80

static json_object *test_json(const struct rec_test *t)
{
	if (!t->present)
		return NULL;
	json_object *j = json_object_new_object();
	json_add_num(j, "mean", t->mean);
	json_add_num(j, "stddev", t->stddev);
	json_add_int(j, "n_samples", (int64_t)t->n_samples);
	return j;
}

static json_object *record_json(const struct record *r)
{
	char ts[32];
	json_object *j = json_object_new_object();
	json_add_str(j, "run_id", r->run_id);
	format_time(r->started_at, ts);
	json_add_str(j, "started_at", ts);
	json_add_str(j, "status", r->failed ? "failed" : "ok");
	json_add_str(j, "backend", r->backend);
	json_add_str(j, "lineage", r->lineage);
	json_add_str(j, "model", r->model);
	json_add_str(j, "host", r->host);
	json_add_str(j, "image_digest", r->image_digest);
	if (r->image_platform_digest)
		json_add_str(j, "image_platform_digest", r->image_platform_digest);
	json_add_str(j, "binary_sha256", r->binary_sha256);
	json_add_str(j, "build_commit", r->build_commit);
	json_add_int(j, "build_number", r->build_number);
	json_add_str(j, "device", r->device);
	json_add_bool(j, "imported", r->imported);
	json_add_str(j, "config_key", r->config_key);
	json_object_object_add(j, "settings", record_obj_parse(r->settings));
	json_add_bool(j, "stale", r->stale);
	json_add_str(j, "error", r->error);
	json_object_object_add(j, "pp512", test_json(&r->pp512));
	json_object_object_add(j, "tg128", test_json(&r->tg128));
	json_add_str(j, "file", r->file);
	return j;
}

/* One array, streamed: 10,000 records never sit in memory as JSON. */
static void print_json(const struct records *rs)
{
	fputs(rs->n ? "[\n" : "[]\n", stdout);
	for (size_t i = 0; i < rs->n; i++) {
		json_object *j = record_json(&rs->v[i]);
		char *pretty = json_pretty(j), *s = esc_json_out(pretty);
		free(pretty);
		json_object_put(j);
		size_t len = strlen(s);
		while (len && s[len - 1] == '\n')
			s[--len] = '\0';
		fputs("  ", stdout);
		for (const char *p = s; *p; p++) {
			putchar(*p);
			if (*p == '\n')
				fputs("  ", stdout);
		}
		fputs(i + 1 < rs->n ? ",\n" : "\n]\n", stdout);
		free(s);
	}
}

/* Printed width of UTF-8 text (code points; "±" is one column). */
static size_t text_width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void put_cell(const char *s, size_t width)
{
	fputs(s, stdout);
	for (size_t w = text_width(s); w < width; w++)
		putchar(' ');
	putchar(' ');
}

static void format_test(const struct record *r, const struct rec_test *t, char out[64])
{
	if (r->failed || !t->present || !isfinite(t->mean))
		snprintf(out, 64, "-");
	else if (isfinite(t->stddev))
		snprintf(out, 64, "%.2f \xc2\xb1 %.2f", t->mean, t->stddev);
	else
		snprintf(out, 64, "%.2f", t->mean);
}

static char *shown(const char *s, size_t max)
{
	return sanitize_line(s ? s : "-", strlen(s ? s : "-"), max);
}

/* Runs of one key together (keys in order of their first run), each
 * group oldest first. */
static int cmp_key_then_time(const void *a, const void *b)
{
	const struct record *x = *(const struct record *const *)a;
	const struct record *y = *(const struct record *const *)b;
	int c = strcmp(x->config_key, y->config_key);
	return c ? c : (x < y ? -1 : x > y);
}

static void group_by_key(struct records *rs)
{
	if (rs->n < 2)
		return;
	const struct record **by = xcalloc(rs->n, sizeof(*by));
	for (size_t i = 0; i < rs->n; i++)
		by[i] = &rs->v[i];
	qsort(by, rs->n, sizeof(*by), cmp_key_then_time);
	struct record *v = xcalloc(rs->n, sizeof(*v));
	for (size_t i = 0; i < rs->n; i++)
		v[i] = *by[i];
	free(by);
	free(rs->v);
	rs->v = v;
}

static void print_table(const struct records *rs, bool grouped)
{
	size_t wb = strlen("BACKEND"), wm = strlen("MODEL");
	for (size_t i = 0; i < rs->n; i++) {
		size_t b = text_width(rs->v[i].backend), m = text_width(rs->v[i].model);
		wb = b > wb ? b : wb;
		wm = m > wm ? m : wm;
	}
	wb = wb > NAME_SHOWN_MAX ? NAME_SHOWN_MAX + 3 : wb;
	wm = wm > NAME_SHOWN_MAX ? NAME_SHOWN_MAX + 3 : wm;
	put_cell("DATE", 16), put_cell("BACKEND", wb), put_cell("MODEL", wm);
	put_cell("DIGEST", 19), put_cell("BUILD", 8), put_cell("PP512 (t/s)", 18);
	put_cell("TG128 (t/s)", 16);
	puts("FLAGS");
	for (size_t i = 0; i < rs->n; i++) {
		const struct record *r = &rs->v[i];
		char t[32], ts[32], src[24], build[24], pp[64], tg[64];
		if (grouped && (i == 0 || strcmp(r->config_key, rs->v[i - 1].config_key) != 0)) {
			char *key = shown(r->config_key, 300);
			printf("configuration: %s\n", key);
			free(key);
		}
		format_time(r->started_at, t);
		snprintf(ts, sizeof(ts), "%.10s %.5s", t, t + 11);
		char *backend = shown(r->backend, NAME_SHOWN_MAX), *model = shown(r->model, NAME_SHOWN_MAX);
		format_test(r, &r->pp512, pp);
		format_test(r, &r->tg128, tg);
		put_cell(ts, 16), put_cell(backend, wb), put_cell(model, wm);
		put_cell(report_source(r, src), 19), put_cell(report_build_name(r, build), 8);
		put_cell(pp, 18);
		if (!r->stale && !r->failed) {
			puts(tg); /* no trailing blanks */
		} else {
			put_cell(tg, 16);
			char *why = r->failed ? shown(r->error ? r->error : "no error message",
						      ERROR_SHOWN_MAX)
					      : NULL;
			printf("%s%s%s%s\n", r->stale ? "STALE" : "", r->stale && why ? " " : "",
			       why ? "FAILED: " : "", why ? why : "");
			free(why);
		}
		free(backend), free(model);
	}
}

static int run_results(struct ctx *c, const struct cmd_args *a)
{
	struct record_filter f = { .backend = cmd_value(a, "backend"),
				   .model = cmd_value(a, "model"),
				   .host = cmd_value(a, "host"),
				   .config_key = cmd_value(a, "key") };
	const char *since = cmd_value(a, "since");
	bool group = cmd_has(a, "group");
	if (a->argc > 0)
		return cmd_usage(&cmd_results, "unexpected argument '%s'", a->argv[0]);
	if (since && parse_time(since, &f.since) < 0)
		return cmd_usage(&cmd_results, "bad --since '%s' (expected YYYY-MM-DD or RFC 3339)",
				 since);
	if (ctx_load(c) < 0)
		return -1;
	/* an alias names the backend; an unknown name may be a deleted definition */
	const struct backend *b = f.backend ? backend_find(&c->backends, f.backend) : NULL;
	if (b)
		f.backend = b->id;

	struct records rs;
	struct strv warnings = STRV_INIT;
	if (store_load(c->home, &f, &rs, &warnings, &c->err) < 0)
		return -1;
	for (size_t i = 0; i < warnings.n; i++)
		warn("%s", warnings.v[i]);
	strv_free(&warnings);
	if (group)
		group_by_key(&rs);
	if (c->json)
		print_json(&rs);
	else if (rs.n)
		print_table(&rs, group);
	else
		note("no results%s",
		     f.backend || f.model || f.since || f.host || f.config_key ? " match" : " yet");
	records_free(&rs);
	return EXIT_OK;
}

static const struct cmd_option results_options[] = {
	{ "backend", 0, "BACKEND",
	  "only runs of that backend (id or alias; a deleted definition's id works too)" },
	{ "model", 0, "MODEL", "only runs of that model (alias or file name)" },
	{ "since", 0, "DATE", "only runs started at or after DATE (YYYY-MM-DD or RFC 3339)" },
	{ "host", 0, "HOST", "only runs recorded on that host" },
	{ "key", 0, "KEY",
	  "only runs of that configuration key (as `results --json` or --group shows it: "
	  "\"bench|BACKEND|MODEL-FILE|BYTES|EXTRA-ARGS\"; \"?\" where unknown)" },
	{ "group", 0, NULL,
	  "runs of one configuration together, each group under a \"configuration: KEY\" line "
	  "(in --json: the same order)" },
	{ "json", 0, NULL,
	  "print the runs as a JSON array (with each run's config_key and effective settings)" },
	{ NULL, 0, NULL, NULL },
};

const struct command cmd_results = {
	.name = "results",
	.args = "[--backend BACKEND] [--model MODEL] [--since DATE] [--host HOST] [--key KEY] "
		"[--group] [--json]",
	.summary = "list recorded benchmark runs",
	.description =
		"Lists the runs in results/, oldest first: date (UTC), backend, model, the image "
		"digest (\"native\" for host builds, \"imported\" for imported logs without one), "
		"the llama.cpp build, pp512 and tg128 in tokens per second (mean \xc2\xb1 standard "
		"deviation), and flags (STALE: run on a stale container; FAILED with the error). "
		"A corrupt record is named on stderr and skipped. Runs are comparable only "
		"within one configuration key: kind of run, backend, model file and size, and the "
		"extra arguments after \"--\" (reports never compare across keys).",
	.options = results_options,
	.run = run_results,
};
