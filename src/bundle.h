/* bundle.h - moving results between machines as one .tar.gz.
 *
 * An export holds, under the top directory tbx-export/: the records of
 * results/ (optionally only those started since a date), the JSON files of
 * manifests/ and containers/, reports/ when present, and MANIFEST.json
 * (version, created_at, host, counts).  It is written to a temporary file and
 * renamed, so FILE is either the old one or the complete new one.
 *
 * An import takes records only: definitions, manifests and reports of the
 * other machine never replace local ones (they are counted as skipped), a
 * run already present (same run_id) is skipped, and each record keeps the
 * host it names.  Nothing is extracted to disk: every entry is read into
 * memory, the whole archive is checked first, and a hostile one (absolute
 * path, "..", link, device, oversized entry, too many entries) is refused
 * before any record is written, as is one with more records than an import
 * may add or that expands too much.  A record that is not valid JSON or not
 * a valid record is reported and skipped. */
#ifndef TBX_BUNDLE_H
#define TBX_BUNDLE_H

#include "util.h"

#define BUNDLE_TOP "tbx-export"
#define BUNDLE_VERSION 1
#define BUNDLE_MAX_ENTRY ((size_t)16 << 20)   /* one entry; a record: RECORD_MAX_BYTES */
#define BUNDLE_MAX_TOTAL ((size_t)256 << 20)  /* all entries, uncompressed */
#define BUNDLE_MAX_ENTRIES 100000
/* One import writes at most this many records unless the config says
 * otherwise (import_max_records), and an archive may expand at most
 * BUNDLE_MAX_RATIO times once past BUNDLE_RATIO_FLOOR uncompressed bytes:
 * a 1 MB download never turns into 100,000 fsynced files. */
#define BUNDLE_MAX_RECORDS_DEFAULT 20000
#define BUNDLE_MAX_RATIO 100
#define BUNDLE_RATIO_FLOOR ((size_t)8 << 20)

struct bundle_counts {
	size_t results, manifests, containers, reports;
};

struct bundle_export_opts {
	int64_t since;    /* only records started at or after; 0 = all */
	const char *host; /* for MANIFEST.json; NULL = this machine's name */
};

/* Write home's bundle to out_path.  Corrupt records are not exported; a
 * line naming each is appended to warnings. */
int bundle_export(const char *home, const char *out_path, const struct bundle_export_opts *o,
		  struct bundle_counts *counts, struct strv *warnings, struct err *e);

struct bundle_import_result {
	size_t added;      /* records written */
	size_t duplicates; /* run already present (or twice in the bundle) */
	size_t invalid;    /* records reported in warnings and skipped */
	size_t definitions; /* containers/ and manifests/ entries not taken */
	size_t reports;     /* reports/ entries not taken */
	size_t other;       /* other entries ignored */
	char *host;         /* MANIFEST.json's host, NULL if absent */
	char *created_at;   /* MANIFEST.json's created_at, NULL if absent */
};
void bundle_import_result_free(struct bundle_import_result *r);

/* Does the file look like a bundle (gzip or tar magic, or a .tar.gz,
 * .tgz or .tar name)? */
bool bundle_detect(const char *path);

struct bundle_import_opts {
	size_t max_records; /* records one import may add (BUNDLE_MAX_RECORDS_DEFAULT) */
};

/* Merge the bundle's records into home.  -1 (nothing written) for a file
 * that cannot be read or an archive that is refused; invalid records are
 * warnings. */
int bundle_import(const char *home, const char *path, const struct bundle_import_opts *o,
		  struct bundle_import_result *res, struct strv *warnings, struct err *e);

/* Every check of bundle_import() on an archive in memory, writing
 * nothing (home is not consulted: no record counts as already present);
 * res->added is how many records an import would write.  For fuzzing. */
int bundle_check_mem(const void *data, size_t len, const struct bundle_import_opts *o,
		     struct bundle_import_result *res, struct strv *warnings, struct err *e);

#endif
