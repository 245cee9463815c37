/* store.h - results/: one JSON document per run, written atomically.
 *
 * Records are read and written by record.c (one model); loading keeps the
 * struct record, never the whole JSON, so 10,000 records fit in a few
 * megabytes.  A corrupt record is reported by
 * name and skipped, never fatal. */
#ifndef TBX_STORE_H
#define TBX_STORE_H

#include <json-c/json.h>
#include "record.h"
#include "util.h"

struct text_pool;

struct records {
	struct record *v;
	size_t n;
	struct text_pool *pool; /* the records' shared texts (record.shared_text) */
};

struct record_filter {
	const char *backend; /* id; NULL = any */
	const char *model;
	const char *host;
	const char *config_key; /* record_update_key's; NULL = any */
	int64_t since;       /* 0 = any */
	int64_t until;       /* 0 = any (exclusive) */
};

/* The results directory of a home (created on demand by store_write). */
char *store_dir(const char *home);
/* Write a record as results/<time>-<backend>-<model>-<run_id>.json;
 * *path (optional) gets the file written.  A record the store would not
 * read back (record_check, RECORD_MAX_BYTES) is refused before writing. */
int store_write(const char *home, json_object *rec, char **path, struct err *e);
/* The file name store_write gives a record, or NULL without a run_id or
 * a valid started_at. */
char *store_file_name(json_object *rec);
/* A batch of records that appear in results/ together or not at all
 * (an import): each is checked (record_check, RECORD_MAX_BYTES) and
 * written, synced, into a staging directory on the same filesystem
 * (results/.import-<pid>-XXXXXX, which readers skip); commit renames them
 * all in, and on a failure removes those it had moved, so a full disk
 * leaves results/ as it was.  A staging directory left by a killed
 * process is removed by the next batch. */
struct store_batch {
	char *dir, *stage;
	struct strv names; /* staged file names */
};
int store_batch_begin(const char *home, struct store_batch *b, struct err *e);
int store_batch_add(struct store_batch *b, json_object *rec, struct err *e);
/* *added: records moved in (one already present under its name is not). */
int store_batch_commit(struct store_batch *b, size_t *added, struct err *e);
/* Remove the staging directory and what it holds; b is empty again. */
void store_batch_abort(struct store_batch *b);

/* Is there already a record with this run_id? */
bool store_has_run(const char *home, const char *run_id);
/* Load matching records, sorted by (started_at, run_id).  Corrupt files
 * are named in warnings (one line each) and skipped.  What each file
 * holds is kept in the home's record cache (reccache.h) and parsed again
 * only when the file changed; the cache is written when it differs,
 * best-effort (no cache directory, a read-only home: no cache).  One
 * cache serves every filter: a record the filter leaves out is not kept
 * in memory. */
int store_load(const char *home, const struct record_filter *f, struct records *out,
	       struct strv *warnings, struct err *e);
/* The same, saying how: records from the cache (cache/records.cache,
 * reccache.h) and parsed from their files, and whether the cache was
 * written.  The records and warnings are the same with or without it. */
struct store_load_stats {
	size_t cached, parsed;
	bool cache_written;
};
int store_load_counted(const char *home, const struct record_filter *f, struct records *out,
		       struct strv *warnings, struct store_load_stats *stats, struct err *e);
void records_free(struct records *r);

/* A new run id (uuid v4, lowercase). out must hold 37 bytes. */
void new_run_id(char out[37]);

#endif
