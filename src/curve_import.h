/* curve_import.h - upstream's depth-curve campaigns as curve records.
 *
 * A campaign folder (kyuz0/amd-strix-halo-toolboxes,
 * benchmark/toolbox_performance/<toolbox>/) holds per model and series
 * `<model>__llama-<toolbox>__curve-{prefill,generation}__fa1__ub<N>.jsonl`
 * (llama-bench -o jsonl) and its `.stderr.log` (device lines), and per
 * campaign `campaign_manifest.json` (commands, return codes, statuses,
 * depths), `ubatch-calibrations.json` (candidates and the selected
 * micro-batch per model) and `run_metadata.txt` (host, kernel, image and
 * its digest, cooldown).  Each (model, toolbox, micro-batch) becomes one
 * curve record (docs/CURVES.md) marked imported; its numbers are the
 * files' (means recomputed from samples_ns as llama-bench computes
 * avg_ts).  Every file is untrusted: sizes are bounded, types checked,
 * strings limited; a file that does not parse is named in the error. */
#ifndef TBX_CURVE_IMPORT_H
#define TBX_CURVE_IMPORT_H

#include <json-c/json.h>
#include "importer.h"

#define CURVE_IMPORT_MAX_FILE ((size_t)16 << 20)
#define CURVE_IMPORT_MAX_FILES 4096

/* What a curve file's name says. */
struct curve_name {
	char *model;   /* shard suffix ("-00001-of-00003") removed */
	char *env;     /* "llama-rocm-7.2.4" */
	bool generation; /* curve-generation (else curve-prefill) */
	long ubatch;   /* ub<N> */
	bool stderr_log; /* .stderr.log (else .jsonl) */
};
/* `<model>__<env>__curve-(prefill|generation)__fa<0|1>__ub<N>(.jsonl|.stderr.log)`
 * (a path is fine: only its last part counts).  false otherwise. */
bool curve_name_parse(const char *name, struct curve_name *out);
void curve_name_free(struct curve_name *n);

/* campaign_manifest.json */
struct campaign_status {
	char *model, *series, *status; /* as written: "prefill", "completed" */
	long return_code;              /* -1: absent */
	struct strv command;
};
struct campaign {
	char *id, *toolbox, *backend, *platform, *completed_at;
	int complete; /* 1, 0, -1 unknown */
	long *depths;
	size_t n_depths;
	struct campaign_status *statuses;
	size_t n_statuses;
};
int campaign_manifest_parse(const char *text, size_t len, struct campaign *c, struct err *e);
void campaign_free(struct campaign *c);
const struct campaign_status *campaign_status_find(const struct campaign *c, const char *model,
						   const char *series);

/* run_metadata.txt: "key: value" lines; unknown keys ignored. */
struct run_metadata {
	char *host, *kernel, *image, *image_digest; /* digest only when valid */
	char *host_profile;                         /* "... (accelerator-performance), amd_iommu=off" */
	char *firmware;                             /* linux_firmware: when the file says it */
	long cooldown_s;                            /* -1: absent */
};
void run_metadata_parse(const char *text, size_t len, struct run_metadata *m);
void run_metadata_free(struct run_metadata *m);

/* ubatch-calibrations.json: the calibration of one model as a record's
 * curve.calibration ({ubatch, calibrated_at, candidates, source}), or
 * NULL.  backend ("rocm", "vulkan": the manifest's) may be NULL: any. */
json_object *calibrations_find(json_object *root, const char *backend, const char *model);
/* Parse and check the shape (an object with "profiles" of objects). */
json_object *calibrations_parse(const char *text, size_t len, struct err *e);

/* Is path a campaign folder or one curve file? */
bool curve_import_detect(const char *path);

struct curve_import_item {
	char *name;       /* "MODEL__ENV__ubN", shown */
	enum import_outcome outcome;
	char run_id[37];
	json_object *record;
};
struct curve_import_result {
	struct curve_import_item *v;
	size_t n;
	size_t added, duplicates, failed;
};
void curve_import_result_free(struct curve_import_result *r);
/* Build every curve of a folder (or the one series of a file) and add
 * them to home's results/ together (all or none).  -1 when a file cannot
 * be read or parsed, or nothing is a curve. */
int curve_import_path(const char *home, const char *path, const struct import_opts *o,
		      struct curve_import_result *res, struct err *e);

#endif
