/* store.h - results/: one JSON document per run, written atomically.
 *
 * Loading keeps only the fields reports need (never the whole JSON), so
 * 10,000 records fit in a few megabytes.  A corrupt record is reported by
 * name and skipped, never fatal. */
#ifndef TBX_STORE_H
#define TBX_STORE_H

#include <json-c/json.h>
#include "util.h"

struct rec_test {
	bool present;
	double mean, stddev; /* t/s */
	double *samples;     /* t/s */
	size_t n_samples;
};

struct record {
	char *file;          /* path it was loaded from */
	char *run_id;
	int64_t started_at;
	char *backend;
	char *lineage;
	char *model;         /* alias, or the file name */
	char *host;
	char *image_digest;  /* NULL for native and imported runs */
	char *binary_sha256; /* native */
	char *build_commit;
	long build_number;
	char *device;
	bool failed;
	char *error;
	bool imported;
	bool stale;
	struct rec_test pp512, tg128;
};

struct records {
	struct record *v;
	size_t n;
};

struct record_filter {
	const char *backend; /* id; NULL = any */
	const char *model;
	const char *host;
	int64_t since;       /* 0 = any */
	int64_t until;       /* 0 = any (exclusive) */
};

/* The results directory of a home (created on demand by store_write). */
char *store_dir(const char *home);
/* Write a record as results/<time>-<backend>-<model>-<run_id>.json;
 * *path (optional) gets the file written. */
int store_write(const char *home, json_object *rec, char **path, struct err *e);
/* Is there already a record with this run_id? */
bool store_has_run(const char *home, const char *run_id);
/* Load matching records, sorted by (started_at, run_id).  Corrupt files
 * are named in warnings (one line each) and skipped. */
int store_load(const char *home, const struct record_filter *f, struct records *out,
	       struct strv *warnings, struct err *e);
void records_free(struct records *r);
/* Extract a record from its JSON (for tests and fuzzing). */
int record_from_json(json_object *o, const char *file, struct record *r, struct err *e);
void record_free(struct record *r);

/* A new run id (uuid v4, lowercase). out must hold 37 bytes. */
void new_run_id(char out[37]);

#endif
