/* importer.h - llama-bench output made outside tbx, as result records.
 *
 * A log (markdown with its device lines and `build:` trailer, jsonl or
 * json) becomes one record shaped like bench_record()'s, marked
 * "imported": true, with "image_digest": null (nothing tells which image
 * ran), "source" (the file name) and "source_sha256".  The run id is a
 * uuid derived from the content, so importing the same log twice finds
 * the first record instead of adding a second.  Backend and model come
 * from the options or from upstream's file name pattern
 * `<model>__<env>__fa1.log`.  A log of a run that crashed becomes a record
 * with "status": "failed" and a one-line "error". */
#ifndef TBX_IMPORTER_H
#define TBX_IMPORTER_H

#include <json-c/json.h>
#include "defs.h"
#include "util.h"

#define IMPORT_MAX_LOG_BYTES ((size_t)64 << 20)

struct import_opts {
	const struct backends *backends; /* resolves ids and aliases; may be NULL */
	const char *backend;             /* id or alias; NULL: from the file name */
	const char *model;               /* NULL: from the file name or the output */
	const char *host;                /* the machine that ran it; NULL: unknown */
	int64_t date;                    /* started_at; 0: the file's mtime */
};

/* What a file name says: `<model>__<env>__<flags>.log`. */
struct import_name {
	char *model;       /* shard suffix ("-00001-of-00003") removed */
	char *env;         /* "rocm-7_2_3", as written */
	const char *backend; /* the backend id env stands for; NULL if unknown */
};

/* Parse a file name (a path is fine: only its last part counts).
 * Returns false when the name does not follow the pattern. */
bool import_name_parse(const char *name, struct import_name *out);
void import_name_free(struct import_name *n);

/* Length of a model name without a split-GGUF suffix "-00001-of-00003". */
size_t import_without_shard(const char *s, size_t n);
/* The device line the definition expects (else the first), or NULL. */
struct lb_run;
const char *import_pick_device(const struct backend *def, const struct lb_run *r);
/* "sha256:<hex>" of data into out[72]. */
void import_content_sha256(const void *data, size_t len, char out[72]);
/* The uuid (lowercase, 36 chars) derived from a file's content. */
void import_run_id(const void *data, size_t len, char out[37]);

/* Build the record for one log's text.  name is the file's name (for
 * "source" and the pattern), mtime its modification time.  -1 when the
 * text holds no result and no failure, or backend or model is unknown
 * (exit code 2 for an unknown --backend). */
json_object *import_record(const char *text, size_t len, const char *name, int64_t mtime,
			   const struct import_opts *o, struct err *e);

enum import_outcome {
	IMPORT_ADDED,      /* a successful run was recorded */
	IMPORT_ADDED_FAILED, /* a failed run was recorded */
	IMPORT_DUPLICATE,  /* its run id is already in the store */
};

struct import_result {
	enum import_outcome outcome;
	char run_id[37];
	json_object *record; /* owned: the record built (also for duplicates) */
	char *path;          /* the record file written; NULL for a duplicate */
};
void import_result_free(struct import_result *r);

/* Read one log and record it in home's results/.  -1 when the file
 * cannot be read or parsed, or the record cannot be written. */
int import_log_file(const char *home, const char *path, const struct import_opts *o,
		    struct import_result *res, struct err *e);

#endif
