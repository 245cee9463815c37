/* benchrun.h - one canonical bench: the command, the two runs (warmup
 * discarded, then measured), the device check, and the record. */
#ifndef TBX_BENCHRUN_H
#define TBX_BENCHRUN_H

#include <json-c/json.h>
#include "defs.h"
#include "llama_bench.h"
#include "podman.h"

struct bench_plan {
	const struct backend *b;
	const char *model_alias; /* may be NULL */
	const char *model_path;
	struct strv argv;        /* the exact command run (llama-bench argv) */
	struct strv extra;       /* what came after "--" */
	char run_id[37];
	/* provenance, filled before running */
	char *image_ref, *image_digest, *image_id, *container_id;
	char *image_platform_digest; /* when the tag is an index, else NULL */
	char *binary_path, *binary_sha256;
	char *host, *kernel;
	json_object *host_state; /* hoststate.h: the record's "host" items */
	bool stale;
	char *stale_reason;
	/* set when the channel is frozen or retired upstream (else NULL):
	 * "frozen"/"retired", RFC 3339 time of the last build, successor id */
	char *upstream_state, *upstream_last_build, *upstream_successor;
};

/* The canonical argv: the definition's bench prefix + -m MODEL
 * --n-gpu-layers 99 -p 512 -n 128 -o jsonl + extra. */
void bench_plan_init(struct bench_plan *pl, const struct backend *b, const char *alias,
		     const char *model_path, char *const *extra, int n_extra);
void bench_plan_free(struct bench_plan *pl);
/* Replace the command: the definition's bench prefix + args + the extra
 * arguments (tbx curve runs several commands under one plan). */
void bench_plan_set_args(struct bench_plan *pl, char *const *args);

struct bench_output {
	struct buf out, err;
	int exit_code;
	bool truncated;
};
void bench_output_free(struct bench_output *o);

/* Run the command once (in the container through podman, or natively).
 * Returns -1 on a transport error or an interruption (130/143). */
int bench_run_once(struct podman *p, const struct bench_plan *pl, struct bench_output *o,
		   bool echo_stderr, struct err *e);

/* Turn one run's output into results: a non-zero exit, a signal or
 * missing rows is a failure (-1) whose message says what llama-bench
 * said. */
int bench_parse(const struct bench_output *o, struct lb_run *r, struct err *e);
/* The same for a run that may stop part-way (a depth curve): the rows it
 * printed before failing are kept.  -1 (message as bench_parse's) when
 * there is no row; else 0, with *failure the reason when llama-bench
 * failed after some rows (caller frees), NULL when it finished. */
int bench_parse_partial(const struct bench_output *o, struct lb_run *r, char **failure,
			struct err *e);

/* Check the device lines and backends against the definition's expect.
 * -1 with exit 3 on a mismatch, showing what was seen.  *device gets the
 * matching device line (or NULL when no device is expected). */
int bench_verify_device(const struct backend *b, const struct lb_run *r, char **device,
			struct err *e);

/* The warmup and the measured run must have run with the same settings:
 * -1 naming the first that differs otherwise. */
int bench_same_settings(const struct lb_run *warmup, const struct lb_run *measured,
			struct err *e);

/* The provenance every record of a run shares (bench and curve): ids,
 * times, backend, model and its size, command, host, image or binary,
 * device, stale and upstream state, host state.  r is initialised. */
struct record;
void bench_record_fill(struct record *r, const struct bench_plan *pl, const char *device,
		       int64_t started, int64_t finished);

/* Build the record. */
json_object *bench_record(const struct bench_plan *pl, const struct lb_run *warmup,
			  const struct lb_run *measured, const char *device, int64_t started,
			  int64_t finished);

#endif
