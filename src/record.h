/* record.h - the result record: one model, one writer, one reader.
 *
 * Every producer (tbx bench, tbx import, the perf generator in
 * tests/tools/mkrecord.c) fills a struct record and writes it with
 * record_to_json(); every consumer (the store, results, reports, bundles)
 * reads it with record_from_json().  The JSON keys, their order and the
 * way numbers are written live here and nowhere else.
 *
 * Unknown values are unknown, never guessed: NULL strings, 0 times and -1
 * sizes are written as JSON null.  Objects that tbx keeps as they came
 * (llama-bench's effective settings, the host state, the upstream state)
 * are held as their compact JSON text, so 10,000 records stay small in
 * memory; record_member() reads one member. */
#ifndef TBX_RECORD_H
#define TBX_RECORD_H

#include <json-c/json.h>
#include "util.h"

#define RECORD_SCHEMA 2
#define RECORD_RUN_BENCH "bench" /* the canonical pp512/tg128 run */
#define RECORD_RUN_CURVE "curve" /* a depth curve (upstream's method): see struct rec_curve */
#define RECORD_MAX_POINTS 256    /* depths in one curve series */
#define RECORD_MAX_SAMPLES 10000
/* The one size limit of a record file: the store reads no bigger one, so
 * none is written (store_write) or imported (bundles).  Strings are
 * limited too: RECORD_MAX_TEXT bytes, RECORD_MAX_ERROR for the error. */
#define RECORD_MAX_BYTES ((size_t)4 << 20)
#define RECORD_MAX_TEXT 4096
#define RECORD_MAX_ERROR 16384
#define RECORD_MAX_LIST 1024 /* command, extra_args, devices entries */

struct lb_run;

struct rec_test {
	bool present;
	double mean, stddev; /* t/s; NaN when unknown */
	double *samples;     /* t/s; only finite ones are written and read */
	size_t n_samples;
};

/* One point of a depth curve: t/s at a context depth (n_depth). */
struct rec_point {
	long depth;
	struct rec_test t;
};

/* One series of a depth curve: one llama-bench invocation over every depth. */
struct rec_series {
	bool present;
	int n_prompt, n_gen;  /* prefill 2048/0, generation 0/128 */
	bool partial;         /* it stopped before its last depth */
	char *error;          /* why it stopped (partial or no point), else NULL */
	struct strv command;  /* the exact argv of this series; empty = unknown */
	struct rec_point *points; /* by depth, as run */
	size_t n_points;
};

/* The curve of a "curve" record (docs/CURVES.md): the settings asked for
 * and the two series.  The calibration that chose the micro-batch is kept
 * as compact JSON text (NULL when none ran or was reused). */
struct rec_curve {
	bool present;
	long *depths;         /* asked for, in order */
	size_t n_depths;
	long ubatch;          /* -ub; 0 = unknown */
	char *ubatch_from;    /* "calibration", "option", "default", "file name" */
	long repetitions;     /* -r; 0 = unknown */
	long cooldown_s;      /* pause between series; -1 = unknown */
	char *load_flag;      /* "--load-mode none" or "-mmp 0"; NULL = unknown */
	bool partial;         /* a series stopped part-way */
	struct rec_series prefill, generation;
	char *calibration;    /* {"ubatch", "calibrated_at", "candidates": [...]} */
	char *campaign;       /* imported: {"id", "status", ...} from campaign_manifest.json */
	struct rec_test warmup; /* the discarded warmup (prefill at the first depth) */
};

struct record {
	int schema;
	char *file;          /* path it was loaded from (not written) */
	char *run_id;
	bool failed;         /* "status": "failed" (else "ok") */
	char *error;         /* written only for a failed run */
	int64_t started_at;
	int64_t finished_at; /* 0 = unknown */
	char *backend;
	char *lineage;
	char *model;         /* alias, or the file name */
	char *model_path;
	int64_t model_bytes; /* -1 = unknown */
	struct strv command; /* the exact argv; empty = unknown (null) */
	struct strv extra_args;
	char *host;          /* host.name */
	char *kernel;        /* host.kernel */
	char *tbx_version;
	char *kind;          /* "container", "native"; NULL for imported logs */
	char *image_ref;
	char *image_digest;  /* the tag's; NULL for native and imported runs */
	char *image_platform_digest; /* the linux/amd64 manifest's when the tag is an
				      * image index (written only then) */
	char *image_id;
	char *container;
	char *container_id;
	char *binary_path;
	char *binary_sha256; /* native */
	char *build_commit;
	long build_number;
	char *device;
	struct strv devices;
	char *backends;
	char *gpu_info;
	char *model_type;
	struct rec_test pp512, tg128;
	bool has_warmup;     /* the discarded run's results ("warmup") */
	struct rec_test warmup_pp512, warmup_tg128;
	bool stale;
	char *stale_reason;
	bool imported;
	char *source;        /* imported: the log's file name */
	char *source_env;    /* imported: the environment its name said */
	char *source_sha256; /* imported: the log's content */
	/* schema 2; the objects are compact JSON text, NULL when unknown */
	char *run_kind;   /* "bench" (NULL: a schema-1 record, a bench too) */
	char *settings;   /* llama-bench's effective settings (llama_bench.h) */
	char *host_state; /* host and container state: the "host" object's
			   * members other than name and kernel (hoststate.c) */
	char *upstream;   /* the tag's upstream state: state, last_build,
			   * successor (upstream.c) */
	struct rec_curve curve; /* run_kind "curve" only */
	/* derived, never read from the file: what must be equal for two runs
	 * to be compared (record_update_key) */
	char *config_key;     /* "bench|BACKEND|FILE|BYTES|ARGS" */
	char *config_variant; /* the same without the backend: a report row */
	bool args_unknown;    /* no command recorded (imported logs) */
	/* settings, host_state, upstream, config_key and config_variant are
	 * shared with other records (store_load keeps one copy of each text):
	 * record_free leaves them to their owner */
	bool shared_text;
};

/* Every field of a record file, for the man page's RECORDS section:
 * {name, meaning} pairs ending with {NULL, NULL}; record_doc_intro says
 * what holds for all of them. */
extern const char *const record_doc_intro;
extern const char *const record_fields_doc[][2];

/* An empty record: every value unknown. */
void record_init(struct record *r);
void record_free(struct record *r);

/* The record as its JSON document (keys in schema order).  Numbers of
 * imported records keep the log's shortest exact decimal form. */
json_object *record_to_json(const struct record *r);

/* Read a record from its JSON.  Every field of r is set (r is cleared on
 * error); a record without run_id, backend or a valid started_at, or a
 * successful one without pp512 and tg128, is an error naming file.
 * Every record read is checked first (record_check), whoever wrote it: a
 * bundle from another machine, a hand-edited file, an older tbx. */
int record_from_json(json_object *o, const char *file, struct record *r, struct err *e);
/* The same, leaving out (as unknown) with RECORD_SUMMARY what listings,
 * reports and comparisons never use: model_path, command, extra_args,
 * tbx_version, the image, container and binary details beyond digests,
 * devices, backends, gpu_info, model_type, the warmup and the import
 * source. */
#define RECORD_SUMMARY 1u
/* The checks every record passes before anything reads it: each known
 * key has its type (strings, numbers, booleans, arrays, objects, or null),
 * strings are within RECORD_MAX_TEXT (RECORD_MAX_ERROR for error), run_id
 * and backend are plain names ([A-Za-z0-9._-], what a file name may
 * hold), digests are sha256 digests, status is "ok" or "failed", rates
 * are finite and within (0, LB_MAX_RATE] as a bench's are, samples at most
 * RECORD_MAX_SAMPLES.  -1 with a message naming file and the key. */
int record_check(json_object *o, const char *file, struct err *e);
int record_read(json_object *o, const char *file, unsigned flags, struct record *r,
		struct err *e);

/* Compute config_key and config_variant from the record's fields: the
 * run kind, backend, model file name (model_path's last part, else the
 * model), its size in bytes ("?" unknown) and the extra arguments after
 * "--" as a shell would show them ("?" when no command was recorded:
 * an imported log's arguments are unknown).  Records of store_load share
 * their key texts: their keys are already computed and are not updated. */
void record_update_key(struct record *r);
/* A row label: the model, then " (ARGS)" or " (arguments unknown)". */
char *record_label(const struct record *r);

/* Fill the results that come from llama-bench's output: build, devices,
 * backends, gpu_info, model_type, the effective settings, pp512 and tg128
 * (and, with warmup, the discarded run's pp512 and tg128). */
void record_set_results(struct record *r, const struct lb_run *measured,
			const struct lb_run *warmup);

/* Is this a curve record (run_kind "curve")? */
bool record_is_curve(const struct record *r);
/* The point of a series at a depth, or NULL. */
const struct rec_point *rec_series_point(const struct rec_series *s, long depth);
/* Free what a test or series holds; it is empty again. */
void rec_test_free(struct rec_test *t);
void rec_series_free(struct rec_series *s);
/* Append a point (its samples copied). */
void rec_series_add(struct rec_series *s, long depth, const struct rec_test *t);
/* The series' points from one llama-bench run: each row with the
 * series' (n_prompt, n_gen), in the order of depths. */
void rec_series_from_lb(struct rec_series *s, const struct lb_run *r);

/* Set a test's samples (mean and stddev as given). */
void rec_test_set(struct rec_test *t, double mean, double stddev, const double *samples,
		  size_t n);

/* Compact JSON text of an object (NULL unless o is an object), and a
 * new object from such text (NULL for NULL). */
char *record_obj_text(json_object *o);
json_object *record_obj_parse(const char *text);

#endif
