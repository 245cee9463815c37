/* curve.h - depth curves, upstream's current benchmark method
 * (docs/CURVES.md): the two series' commands, the load flag a build
 * understands, the stored micro-batch calibrations, and the record.
 *
 * A curve is a prefill series (-p 2048 -n 0) and a generation series
 * (-p 0 -n 128), each over every depth in one llama-bench invocation
 * (-d LIST), with -ngl 99 -fa 1 -b 2048 -ub N -r R and --load-mode none
 * (-mmp 0 on builds without --load-mode). */
#ifndef TBX_CURVE_H
#define TBX_CURVE_H

#include <json-c/json.h>
#include "benchrun.h"
#include "record.h"

#define CURVE_DEFAULT_DEPTHS "0,8192,16384,24576,32768,40960,49152,57344,65536"
#define CURVE_PREFILL_TOKENS 2048
#define CURVE_GEN_TOKENS 128
#define CURVE_BATCH 2048
#define CURVE_DEFAULT_UBATCH 512 /* llama-bench's own default */
#define CURVE_DEFAULT_REPETITIONS 3
#define CURVE_DEFAULT_COOLDOWN 10 /* seconds between series, as upstream */
#define CURVE_MAX_DEPTH 1073741824 /* 2^30 tokens: llama-bench takes an int */
/* the micro-batches --calibrate tries, as upstream */
extern const long curve_calibration_ubatches[4];

/* "0,8192,16384": whole numbers in [0, CURVE_MAX_DEPTH], no repeats, at
 * most RECORD_MAX_POINTS.  -1 naming the bad item. */
int curve_parse_depths(const char *text, long **depths, size_t *n, struct err *e);
/* "0,8192,16384" (caller frees). */
char *curve_depths_text(const long *depths, size_t n);

/* The arguments of one series (what follows the definition's bench
 * prefix; bench_plan_set_args adds the prefix and the extra arguments). */
struct curve_series_args {
	const char *model_path;
	int n_prompt, n_gen;
	const long *depths;
	size_t n_depths;
	long ubatch, repetitions;
	const char *load_flag; /* "--load-mode none" or "-mmp 0" */
};
void curve_series_argv(const struct curve_series_args *a, struct strv *out);

/* The load flag a build takes, from its --help text: "--load-mode none"
 * when it names --load-mode, else "-mmp 0". */
const char *curve_load_flag_from_help(const char *help, size_t len);
/* The cache of that answer by image ID (or a native binary's sha256),
 * cache/llama-bench-flags.json: NULL when not cached. */
const char *curve_load_flag_cached(const char *home, const char *key);
int curve_load_flag_store(const char *home, const char *key, const char *flag,
			  struct err *e);

/* Stored calibrations (calibrations.json in the home, like upstream's
 * ubatch-calibrations.json): the micro-batch chosen per backend and model
 * file.  0 when none is stored; *calibrated_at (optional) its time. */
long curve_calibration_find(const char *home, const char *backend, const char *model_file,
			    char *calibrated_at);
/* Store (replace) one calibration: {"ubatch", "calibrated_at",
 * "candidates": [...]} as the record's curve.calibration has it. */
int curve_calibration_store(const char *home, const char *backend, const char *model_file,
			    json_object *calibration, struct err *e);

/* One candidate of a calibration: its micro-batch and prefill point. */
struct curve_candidate {
	long ubatch;
	struct rec_test t; /* t.present false: the candidate failed */
	char *error;
};
/* The fastest candidate's micro-batch (highest mean), 0 if none ran;
 * *calibration gets the object to store and record. */
long curve_calibration_choose(const struct curve_candidate *c, size_t n, int64_t when,
			      json_object **calibration);

/* What one curve measured, to become its record. */
struct curve_result {
	const long *depths;
	size_t n_depths;
	long ubatch;
	const char *ubatch_from;
	long repetitions, cooldown_s;
	const char *load_flag;
	struct rec_series prefill, generation; /* points, partial, error, command */
	struct rec_test warmup;
	json_object *calibration; /* borrowed; NULL when reused */
	const struct lb_run *run; /* build, devices, settings: a series' run */
};
/* The curve record (record.c writes it). */
json_object *curve_record(const struct bench_plan *pl, const struct curve_result *cr,
			  const char *device, int64_t started, int64_t finished);

#endif
