/*
 * mkrecord - write result records through tbx's own record writer.
 *
 * usage: mkrecord DIR < RECORDS
 *
 * Reads records as blocks of "KEY<TAB>VALUE[<TAB>VALUE...]" lines, each
 * block ended by an empty line, fills a struct record (src/record.h) and
 * writes it into DIR as `tbx bench` would (record_to_json, store_file_name),
 * so generated records (tests/perf/gen-records.sh) cannot drift from real
 * ones.  KEY is a record field name; lists (command, extra_args, devices)
 * take one VALUE per element; tests (pp512, tg128, warmup_pp512,
 * warmup_tg128) take their samples, mean and standard deviation computed
 * as llama-bench's are; objects (settings, host_state, upstream) take
 * compact JSON; an empty VALUE is null.  An unknown key or a bad
 * number stops with exit 2 naming the line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "llama_bench.h"
#include "record.h"
#include "store.h"

static long line_no;

static void die(const char *what, const char *key)
{
	fprintf(stderr, "mkrecord: line %ld: %s '%s'\n", line_no, what, key);
	exit(2);
}

static char *val_or_null(const char *v)
{
	return *v ? xstrdup(v) : NULL;
}

static int64_t number(const char *key, const char *v)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v || *end)
		die("bad number for", key);
	return n;
}

static void set_test(struct rec_test *t, const char *key, char **vals, size_t n)
{
	double *x = xcalloc(n ? n : 1, sizeof(double));
	for (size_t i = 0; i < n; i++) {
		char *end;
		x[i] = strtod(vals[i], &end);
		if (end == vals[i] || *end)
			die("bad sample for", key);
	}
	double mean, sd;
	lb_stats(x, n, &mean, &sd);
	rec_test_set(t, mean, sd, x, n);
	free(x);
}

static void set_field(struct record *r, const char *key, char **vals, size_t n)
{
	const char *v = n ? vals[0] : "";
	struct {
		const char *name;
		char **field;
	} strs[] = {
		{ "run_id", &r->run_id },
		{ "error", &r->error },
		{ "backend", &r->backend },
		{ "lineage", &r->lineage },
		{ "model", &r->model },
		{ "model_path", &r->model_path },
		{ "host", &r->host },
		{ "kernel", &r->kernel },
		{ "tbx_version", &r->tbx_version },
		{ "kind", &r->kind },
		{ "image_ref", &r->image_ref },
		{ "image_digest", &r->image_digest },
		{ "image_id", &r->image_id },
		{ "container", &r->container },
		{ "container_id", &r->container_id },
		{ "binary_path", &r->binary_path },
		{ "binary_sha256", &r->binary_sha256 },
		{ "build_commit", &r->build_commit },
		{ "device", &r->device },
		{ "backends", &r->backends },
		{ "gpu_info", &r->gpu_info },
		{ "model_type", &r->model_type },
		{ "stale_reason", &r->stale_reason },
		{ "source", &r->source },
		{ "source_env", &r->source_env },
		{ "source_sha256", &r->source_sha256 },
		{ "run_kind", &r->run_kind },
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcmp(key, strs[i].name) == 0) {
			free(*strs[i].field);
			*strs[i].field = val_or_null(v);
			return;
		}
	struct {
		const char *name;
		struct strv *field;
	} lists[] = { { "command", &r->command },
		      { "extra_args", &r->extra_args },
		      { "devices", &r->devices } };
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (strcmp(key, lists[i].name) == 0) {
			for (size_t k = 0; k < n; k++)
				if (*vals[k])
					strv_push(lists[i].field, vals[k]);
			return;
		}
	struct {
		const char *name;
		struct rec_test *field;
	} tests[] = { { "pp512", &r->pp512 },
		      { "tg128", &r->tg128 },
		      { "warmup_pp512", &r->warmup_pp512 },
		      { "warmup_tg128", &r->warmup_tg128 } };
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strcmp(key, tests[i].name) == 0) {
			if (n && *v)
				set_test(tests[i].field, key, vals, n);
			if (strncmp(key, "warmup_", 7) == 0)
				r->has_warmup = true;
			return;
		}
	struct {
		const char *name;
		char **field;
	} objects[] = { { "settings", &r->settings },
			{ "host_state", &r->host_state },
			{ "upstream", &r->upstream } };
	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		if (strcmp(key, objects[i].name) == 0) {
			json_object *o = json_tokener_parse(v);
			if (*v && !json_object_is_type(o, json_type_object))
				die("not a JSON object for", key);
			free(*objects[i].field);
			*objects[i].field = record_obj_text(o);
			json_object_put(o);
			return;
		}
	int64_t t;
	if (strcmp(key, "schema") == 0)
		r->schema = (int)number(key, v);
	else if (strcmp(key, "status") == 0)
		r->failed = strcmp(v, "failed") == 0;
	else if (strcmp(key, "started_at") == 0 || strcmp(key, "finished_at") == 0) {
		if (*v && parse_time(v, &t) < 0)
			die("bad time for", key);
		*(key[0] == 's' ? &r->started_at : &r->finished_at) = *v ? t : 0;
	} else if (strcmp(key, "model_bytes") == 0)
		r->model_bytes = *v ? number(key, v) : -1;
	else if (strcmp(key, "build_number") == 0)
		r->build_number = (long)number(key, v);
	else if (strcmp(key, "stale") == 0)
		r->stale = strcmp(v, "true") == 0;
	else if (strcmp(key, "imported") == 0)
		r->imported = strcmp(v, "true") == 0;
	else
		die("unknown key", key);
}

/* Plainly written (no fsync: 10,000 of them must be quick), named and
 * shaped as the store writes them. */
static void write_record(const char *dir, struct record *r)
{
	json_object *j = record_to_json(r);
	char *name = store_file_name(j);
	if (!name) {
		fprintf(stderr, "mkrecord: line %ld: record without run_id or started_at\n",
			line_no);
		exit(2);
	}
	char *path = path_join(dir, name);
	char *text = json_pretty(j);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "mkrecord: cannot write '%s': %s\n", path, strerror(errno));
		exit(1);
	}
	free(text), free(path), free(name);
	json_object_put(j);
	record_free(r);
	record_init(r);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkrecord DIR < RECORDS\n");
		return 2;
	}
	struct record r;
	record_init(&r);
	bool pending = false;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		line_no++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len) {
			if (pending)
				write_record(argv[1], &r);
			pending = false;
			continue;
		}
		struct strv f = STRV_INIT;
		char *save = line;
		for (char *tok; (tok = strsep(&save, "\t"));)
			strv_push(&f, tok);
		set_field(&r, f.v[0], f.v + 1, f.n - 1);
		strv_free(&f);
		pending = true;
	}
	if (pending)
		write_record(argv[1], &r);
	record_free(&r);
	free(line);
	return 0;
}
