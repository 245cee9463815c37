/* llama_bench.h - parsing llama-bench's output (all of it is untrusted).
 *
 * Three formats: `-o jsonl` (what tbx runs), `-o json`, and the default
 * markdown table (what users' old logs hold).  Device lines come from
 * stderr ("ggml_vulkan: 0 = ...", "  Device 0: ..., gfx1151 ...").
 */
#ifndef TBX_LLAMA_BENCH_H
#define TBX_LLAMA_BENCH_H

/* No machine does a billion tokens a second: a rate above this (or not
 * positive, or not finite) is garbage, in a log or in a record. */
#define LB_MAX_RATE 1e9 /* tokens/s */

#include <json-c/json.h>
#include "util.h"

/* One test row: pp512, tg128, "pp512 @ d4096"... identified by the
 * (n_prompt, n_gen, n_depth) triple, never by position. */
struct lb_test {
	char name[48];     /* "pp512", "tg128", "pp512 @ d4096", "pp512+tg128" */
	int n_prompt, n_gen, n_depth;
	double mean, stddev; /* tokens/s; recomputed from samples when present */
	double *samples;     /* tokens/s per repetition, may be NULL */
	size_t n_samples;
};

struct lb_run {
	char *build_commit; /* "0253fb21f", "Debian"; NULL if unknown */
	long build_number;  /* 9187; 0 if unknown */
	char *backends;     /* "Vulkan", "ROCm", "CPU", "Vulkan,BLAS"... */
	char *gpu_info;
	char *model_filename;
	char *model_type;   /* "llama 7B Q4_K", "gpt-oss 20B MXFP4 MoE" */
	int64_t model_size, model_n_params;
	int n_gpu_layers;
	struct lb_test *tests;
	size_t n_tests;
	struct strv devices; /* device lines, trimmed, in order seen */
	/* The effective settings llama-bench printed (the same on every row,
	 * n_depth aside: it names the test): known fields with their types
	 * checked and normalised (flash_attn -1/0/1; use_mmap and
	 * use_direct_io folded into load_mode "none"/"mmap"/"direct-io"; 0/1
	 * flags as booleans), unknown fields as they came.  NULL when the
	 * output has none (a markdown table without setting columns). */
	json_object *settings;
	bool failed;         /* backtrace, exit line, no rows */
	char *error;         /* one-line reason when failed */
};

void lb_run_init(struct lb_run *r);
void lb_run_free(struct lb_run *r);

/* Parsers.  Each fills r (initialised by the caller) and returns 0, or -1
 * with a message for input that holds no usable result.  Unknown fields
 * are kept in r->settings; unquoted nan/inf are tolerated; flash_attn may
 * be a bool, an int or "auto"/"on"/"off"; lines may be huge (they are
 * bounded) or invalid UTF-8.  Rows with the same (n_prompt, n_gen,
 * n_depth) twice are an error, and so are a known setting of the wrong
 * type and rows whose settings contradict each other (the message names
 * the setting). */
int lb_parse_jsonl(const char *text, size_t len, struct lb_run *r, struct err *e);
int lb_parse_json(const char *text, size_t len, struct lb_run *r, struct err *e);
/* Markdown logs: device lines, the table, the "build: <commit> (<n>)"
 * trailer; a backtrace, "terminate called", "failed (exit N)" or a table
 * without rows mark the run failed (r->failed, r->error) and return 0. */
int lb_parse_markdown(const char *text, size_t len, struct lb_run *r, struct err *e);
/* Guess the format from the content and call one of the above. */
int lb_parse_any(const char *text, size_t len, struct lb_run *r, struct err *e);

/* Collect device lines from stderr text into out (appends). */
void lb_parse_devices(const char *text, size_t len, struct strv *out);
/* A one-line failure summary from stderr ("terminate called after throwing
 * an instance of 'vk::DeviceLostError'", "failed to load model ..."), or
 * NULL when nothing looks like an error. Caller frees. */
char *lb_error_summary(const char *text, size_t len);

/* The settings' fields tbx knows: NULL when name is none of them, else
 * "int", "string", "bool", "flash_attn" or "load_mode". */
const char *lb_setting_type(const char *name);

/* Find a test by its triple; NULL if absent. */
const struct lb_test *lb_find(const struct lb_run *r, int n_prompt, int n_gen, int n_depth);

/* Statistics over samples: mean and sample standard deviation (n-1);
 * stddev 0 for one sample. NaN/inf samples are skipped. */
void lb_stats(const double *x, size_t n, double *mean, double *stddev);

#endif
