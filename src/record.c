/* record.c - the result record's one writer and one reader. */
#define _GNU_SOURCE
#include "record.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imageref.h"
#include "json.h"
#include "llama_bench.h"

const char *const record_doc_intro =
	"Each run is one JSON file in results/, written by tbx bench or tbx import "
	"(src/record.c writes and reads them all). null means unknown: never guessed. "
	"Schema 1 records (before effective settings, host state and configuration keys) "
	"stay readable: what they lack is unknown, and reports compare them only with "
	"runs of the same configuration. Fields of schema 2:";

const char *const record_fields_doc[][2] = {
	{ "schema", "2 (1 for older records)" },
	{ "run_id", "a uuid; for an imported log, derived from its content (importing it "
		    "twice finds the first record)" },
	{ "status, error", "\"ok\", or \"failed\" with a one-line error" },
	{ "started_at, finished_at", "UTC, RFC 3339 (finished_at null for imported logs)" },
	{ "backend, lineage", "the backend id and its toolchain lineage (llama.cpp, lemonade)" },
	{ "model, model_path, model_bytes",
	  "the alias or file name, the file, and the size of all its shards" },
	{ "command, extra_args", "the exact argv run (null for imported logs: unknown) and "
				 "what came after \"--\"" },
	{ "host.name, host.kernel", "the machine (uname, or the remote engine's) and its kernel" },
	{ "host.*", "the host state at bench time, read below TBX_HOST_ROOT (default /); each "
		    "is null when absent, unreadable or garbage, never guessed: state_read (false "
		    "for a remote engine: nothing read), kernel_release (/proc/sys/kernel/osrelease, else /proc/version), "
		    "kernel_params ({name: value} of amd_iommu, iommu, amdgpu.*, amdttm.*, ttm.* "
		    "from /proc/cmdline; a bare flag is \"\"), ttm_pages_limit, ttm_page_pool_size "
		    "(/sys/module/ttm/parameters), amdgpu_gttsize (/sys/module/amdgpu/parameters/"
		    "gttsize, MiB), platform_profile (/sys/firmware/acpi/platform_profile), "
		    "tuned_profile (/etc/tuned/active_profile), firmware ({package: version} of "
		    "linux-firmware, amd-gpu-firmware, firmware-amd-graphics, linux-firmware-amdgpu "
		    "from dpkg, pacman or rpm; else {\"amdgpu-files-newest\": TIME} from "
		    "/usr/lib/firmware/amdgpu), cpu_model (/proc/cpuinfo), mem_total_bytes "
		    "(/proc/meminfo); and from where llama-bench runs (inside the container, or the "
		    "host for a native backend): mesa (the mesa-vulkan-drivers package, else the "
		    "\"Mesa X.Y.Z\" in its Vulkan driver file), rocm "
		    "(/opt/rocm/.info/version, else the HIP runtime's libamdhip64.so.X.Y.Z), limits ({memlock, nofile}: {soft, hard}), gpu_env "
		    "({name: value} of HSA_*, HIP_*, ROCR_*, VK_*, GGML_*, RADV_*, AMD_* and other "
		    "GPU variables). An imported upstream campaign holds what its run_metadata.txt "
		    "says: kernel_release, kernel_params (from host_profile's words, e.g. "
		    "amd_iommu=off), firmware ({\"linux-firmware\": ...}) and host_profile as it "
		    "came; an imported log holds none (host.* null). An item null or missing in "
		    "one of two runs is unknown there: no change" },
	{ "tbx_version, kind", "the tbx that wrote it; \"container\" or \"native\" (null for "
			       "imported logs)" },
	{ "image_ref, image_digest, image_id, container, container_id",
	  "what ran, for containers (image_digest null for native and imported runs)" },
	{ "binary_path, binary_sha256", "what ran, for native backends" },
	{ "build_commit, build_number", "the llama.cpp build llama-bench reported" },
	{ "device, devices, backends, gpu_info, model_type",
	  "the device line that matched the definition's expect, every device line, and "
	  "llama-bench's own fields" },
	{ "pp512, tg128", "{mean, stddev, samples}: tokens per second, recomputed from "
			  "llama-bench's per-repetition times; null when not measured" },
	{ "warmup", "the discarded first run's pp512 and tg128, \"discarded\": true" },
	{ "stale, stale_reason", "run with --allow-stale on a stale container, and why" },
	{ "imported, source, source_env, source_sha256",
	  "an imported log: its file name, the environment its name says, its content hash" },
	{ "run_kind", "\"bench\" (the canonical pp512/tg128 run) or \"curve\" (a depth curve, "
		      "tbx curve or an imported upstream campaign: pp512 and tg128 are null, the "
		      "numbers are in curve)" },
	{ "curve", "depths, ubatch, ubatch_from (calibration, option, default, file name), "
		   "repetitions, cooldown_s, load_flag, partial; prefill and generation {n_prompt, "
		   "n_gen, partial, error, command, points: [{depth, mean, stddev, samples}]}; "
		   "warmup (discarded), calibration {ubatch, calibrated_at, candidates}, campaign "
		   "(imported). Schema: docs/CURVES.md" },
	{ "config_key", "\"KIND|BACKEND|MODEL-FILE|BYTES|EXTRA-ARGS\" (\"?\" where unknown; KIND "
			"bench or curve): "
			"only runs with the same key are compared (matrix rows, history, "
			"regressions, the line after tbx bench)" },
	{ "settings", "llama-bench's effective settings as it printed them (null when its "
		      "output has none): flash_attn (-1 auto, 0, 1; older bools normalised), "
		      "n_batch, n_ubatch, type_k, type_v, n_threads, n_gpu_layers, load_mode "
		      "(\"none\", \"mmap\", \"direct-io\", \"auto\"; older use_mmap/use_direct_io "
		      "folded into it), n_depth, devices, split_mode, main_gpu, n_cpu_moe, "
		      "cpu_mask, cpu_strict, poll, no_kv_offload, tensor_split, "
		      "tensor_buft_overrides, embeddings, no_op_offload, no_host, fit_target, "
		      "fit_min_ctx (markdown logs: from their columns, under these names), and every field "
		      "tbx does not know, kept as it came. A known field of the wrong type, or "
		      "rows of one run that disagree, refuse the run" },
	{ "upstream", "{state, last_build, successor} of the backend's tag upstream at bench "
		      "time: state live, frozen (not rebuilt for frozen_after while its "
		      "repository was) or retired (the definition says so), last_build the "
		      "newest stamp tag's time (RFC 3339) or null; null when unknown" },
	{ NULL, NULL },
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void rec_test_free(struct rec_test *t)
{
	free(t->samples);
	memset(t, 0, sizeof(*t));
}

void rec_series_free(struct rec_series *s)
{
	for (size_t i = 0; i < s->n_points; i++)
		rec_test_free(&s->points[i].t);
	free(s->points);
	free(s->error);
	strv_free(&s->command);
	memset(s, 0, sizeof(*s));
}

static void rec_curve_free(struct rec_curve *c)
{
	free(c->depths), free(c->ubatch_from), free(c->load_flag);
	free(c->calibration), free(c->campaign);
	rec_series_free(&c->prefill), rec_series_free(&c->generation);
	rec_test_free(&c->warmup);
	memset(c, 0, sizeof(*c));
	c->cooldown_s = -1;
}

bool record_is_curve(const struct record *r)
{
	return str_eq(r->run_kind, RECORD_RUN_CURVE);
}

const struct rec_point *rec_series_point(const struct rec_series *s, long depth)
{
	for (size_t i = 0; i < s->n_points; i++)
		if (s->points[i].depth == depth)
			return &s->points[i];
	return NULL;
}

void rec_series_add(struct rec_series *s, long depth, const struct rec_test *t)
{
	s->points = xrealloc(s->points, (s->n_points + 1) * sizeof(*s->points));
	struct rec_point *p = &s->points[s->n_points++];
	memset(p, 0, sizeof(*p));
	p->depth = depth;
	rec_test_set(&p->t, t->mean, t->stddev, t->samples, t->n_samples);
}

void rec_series_from_lb(struct rec_series *s, const struct lb_run *r)
{
	for (size_t i = 0; i < r->n_tests; i++) {
		const struct lb_test *lt = &r->tests[i];
		if (lt->n_prompt != s->n_prompt || lt->n_gen != s->n_gen)
			continue;
		struct rec_test t = { .present = true, .mean = lt->mean, .stddev = lt->stddev,
				      .samples = lt->samples, .n_samples = lt->n_samples };
		rec_series_add(s, lt->n_depth, &t);
	}
}

void record_init(struct record *r)
{
	memset(r, 0, sizeof(*r));
	r->schema = RECORD_SCHEMA;
	r->model_bytes = -1;
	r->curve.cooldown_s = -1;
}

void record_free(struct record *r)
{
	char **strs[] = { &r->file,	     &r->run_id,	&r->error,	    &r->backend,
			  &r->lineage,	     &r->model,		&r->model_path,	    &r->host,
			  &r->kernel,	     &r->tbx_version,	&r->kind,	    &r->image_ref,
			  &r->image_digest,  &r->image_id,	&r->container,	    &r->container_id,
			  &r->binary_path,   &r->binary_sha256, &r->build_commit,   &r->device,
			  &r->backends,	     &r->gpu_info,	&r->model_type,	    &r->stale_reason,
			  &r->source,	     &r->source_env,	&r->source_sha256,  &r->run_kind,
			  &r->image_platform_digest };
	char **shared[] = { &r->settings, &r->host_state, &r->upstream, &r->config_key,
			    &r->config_variant };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	for (size_t i = 0; !r->shared_text && i < sizeof(shared) / sizeof(shared[0]); i++)
		free(*shared[i]);
	strv_free(&r->command), strv_free(&r->extra_args), strv_free(&r->devices);
	rec_test_free(&r->pp512), rec_test_free(&r->tg128);
	rec_test_free(&r->warmup_pp512), rec_test_free(&r->warmup_tg128);
	rec_curve_free(&r->curve);
	memset(r, 0, sizeof(*r));
}

void rec_test_set(struct rec_test *t, double mean, double stddev, const double *samples,
		  size_t n)
{
	rec_test_free(t);
	t->present = true;
	t->mean = mean;
	t->stddev = stddev;
	if (n) {
		t->samples = xcalloc(n, sizeof(double));
		memcpy(t->samples, samples, n * sizeof(double));
		t->n_samples = n;
	}
}

/* ---- objects kept as they came ---- */

char *record_obj_text(json_object *o)
{
	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	return xstrdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

json_object *record_obj_parse(const char *text)
{
	return text ? json_tokener_parse(text) : NULL;
}

/* ---- the configuration key ---- */

static const char *last_part(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static char *args_display(const struct strv *extra)
{
	return extra->n ? argv_to_display(extra->v) : xstrdup("");
}

/* One derivation for producers and the reader. */
static void key_of(struct record *r, const char *kind, const char *model_path,
		   const char *model, int64_t bytes, const struct strv *extra, bool args_known)
{
	char size[24];
	if (bytes >= 0)
		snprintf(size, sizeof(size), "%lld", (long long)bytes);
	else
		snprintf(size, sizeof(size), "?");
	char *args = args_known ? args_display(extra) : xstrdup("?");
	const char *file = model_path && *model_path ? last_part(model_path) : model ? model : "?";
	free(r->config_key), free(r->config_variant);
	r->config_variant = xasprintf("%s|%s|%s|%s", kind ? kind : RECORD_RUN_BENCH, file, size, args);
	r->config_key = xasprintf("%s|%s|%s|%s|%s", kind ? kind : RECORD_RUN_BENCH,
				  r->backend ? r->backend : "?", file, size, args);
	r->args_unknown = !args_known;
	free(args);
}

void record_update_key(struct record *r)
{
	if (r->shared_text)
		return;
	key_of(r, r->run_kind, r->model_path, r->model, r->model_bytes, &r->extra_args,
	       r->command.n > 0 || record_is_curve(r));
}

char *record_label(const struct record *r)
{
	if (r->args_unknown)
		return xasprintf("%s (arguments unknown)", r->model);
	if (!r->extra_args.n)
		return xstrdup(r->model);
	char *args = args_display(&r->extra_args);
	char *label = xasprintf("%s (%s)", r->model, args);
	free(args);
	return label;
}

/* ---- writer ---- */

/* A number written as its shortest exact form: a log's "16.61" stays
 * 16.61 in the record, not 16.609999999999999.  NaN/inf become null. */
static json_object *shortest_json(double v)
{
	char text[40];
	if (!isfinite(v))
		return NULL;
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(text, sizeof(text), "%.*g", prec, v);
		if (strtod(text, NULL) == v)
			break;
	}
	if (!strpbrk(text, ".eEn")) /* keep it a JSON double: "1692" -> "1692.0" */
		strcat(text, ".0");
	return json_object_new_double_s(v, text);
}

static json_object *num_json(const struct record *r, double v)
{
	if (!isfinite(v)) /* JSON has no NaN: null, so jq and every reader accept the file */
		return NULL;
	return r->imported ? shortest_json(v) : json_object_new_double(v);
}

static json_object *test_json(const struct record *r, const struct rec_test *t)
{
	if (!t->present)
		return NULL;
	json_object *j = json_object_new_object();
	json_object_object_add(j, "mean", num_json(r, t->mean));
	json_object_object_add(j, "stddev", num_json(r, t->stddev));
	json_object *s = json_object_new_array();
	for (size_t i = 0; i < t->n_samples; i++) /* llama_bench.c keeps finite ones only */
		if (isfinite(t->samples[i]))
			json_object_array_add(s, num_json(r, t->samples[i]));
	json_object_object_add(j, "samples", s);
	return j;
}

static json_object *longs_json(const long *v, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int64(v[i]));
	return a;
}

static json_object *series_json(const struct record *r, const struct rec_series *s)
{
	if (!s->present)
		return NULL;
	json_object *j = json_object_new_object();
	json_add_int(j, "n_prompt", s->n_prompt);
	json_add_int(j, "n_gen", s->n_gen);
	json_add_bool(j, "partial", s->partial);
	json_add_str(j, "error", s->error);
	json_object_object_add(j, "command", s->command.n ? json_strv_array(&s->command) : NULL);
	json_object *pts = json_object_new_array();
	for (size_t i = 0; i < s->n_points; i++) {
		json_object *p = test_json(r, &s->points[i].t);
		json_object *q = json_object_new_object();
		json_add_int(q, "depth", s->points[i].depth);
		json_object_object_foreach(p, k, v) json_object_object_add(q, k, json_object_get(v));
		json_object_put(p);
		json_object_array_add(pts, q);
	}
	json_object_object_add(j, "points", pts);
	return j;
}

static json_object *curve_json(const struct record *r)
{
	const struct rec_curve *c = &r->curve;
	if (!c->present)
		return NULL;
	json_object *j = json_object_new_object();
	json_object_object_add(j, "depths", longs_json(c->depths, c->n_depths));
	json_object_object_add(j, "ubatch", c->ubatch > 0 ? json_object_new_int64(c->ubatch) : NULL);
	json_add_str(j, "ubatch_from", c->ubatch_from);
	json_object_object_add(j, "repetitions",
			       c->repetitions > 0 ? json_object_new_int64(c->repetitions) : NULL);
	json_object_object_add(j, "cooldown_s",
			       c->cooldown_s >= 0 ? json_object_new_int64(c->cooldown_s) : NULL);
	json_add_str(j, "load_flag", c->load_flag);
	json_add_bool(j, "partial", c->partial);
	json_object_object_add(j, "prefill", series_json(r, &c->prefill));
	json_object_object_add(j, "generation", series_json(r, &c->generation));
	json_object_object_add(j, "warmup", test_json(r, &c->warmup));
	json_object_object_add(j, "calibration", record_obj_parse(c->calibration));
	json_object_object_add(j, "campaign", record_obj_parse(c->campaign));
	return j;
}

static void add_time(json_object *j, const char *key, int64_t t)
{
	char ts[32];
	if (t)
		format_time(t, ts);
	json_add_str(j, key, t ? ts : NULL);
}

json_object *record_to_json(const struct record *r)
{
	json_object *j = json_object_new_object();
	json_add_int(j, "schema", r->schema);
	json_add_str(j, "run_id", r->run_id);
	json_add_str(j, "status", r->failed ? "failed" : "ok");
	if (r->failed)
		json_add_str(j, "error", r->error);
	add_time(j, "started_at", r->started_at);
	add_time(j, "finished_at", r->finished_at);
	json_add_str(j, "backend", r->backend);
	json_add_str(j, "lineage", r->lineage);
	json_add_str(j, "model", r->model);
	json_add_str(j, "model_path", r->model_path);
	json_object_object_add(j, "model_bytes",
			       r->model_bytes >= 0 ? json_object_new_int64(r->model_bytes) : NULL);
	json_object_object_add(j, "command", r->command.n ? json_strv_array(&r->command) : NULL);
	json_object_object_add(j, "extra_args", json_strv_array(&r->extra_args));
	json_object *host = json_object_new_object();
	json_add_str(host, "name", r->host);
	json_add_str(host, "kernel", r->kernel);
	json_object *state = record_obj_parse(r->host_state);
	if (json_object_is_type(state, json_type_object)) {
		json_object_object_foreach(state, key, val)
		{
			if (strcmp(key, "name") != 0 && strcmp(key, "kernel") != 0)
				json_object_object_add(host, key, json_object_get(val));
		}
	}
	json_object_put(state);
	json_object_object_add(j, "host", host);
	json_add_str(j, "tbx_version", r->tbx_version);
	json_add_str(j, "kind", r->kind);
	json_add_str(j, "image_ref", r->image_ref);
	json_add_str(j, "image_digest", r->image_digest);
	if (r->image_platform_digest)
		json_add_str(j, "image_platform_digest", r->image_platform_digest);
	json_add_str(j, "image_id", r->image_id);
	json_add_str(j, "container", r->container);
	json_add_str(j, "container_id", r->container_id);
	json_add_str(j, "binary_path", r->binary_path);
	json_add_str(j, "binary_sha256", r->binary_sha256);
	json_add_str(j, "build_commit", r->build_commit);
	json_add_int(j, "build_number", r->build_number);
	json_add_str(j, "device", r->device);
	json_object_object_add(j, "devices", json_strv_array(&r->devices));
	json_add_str(j, "backends", r->backends);
	json_add_str(j, "gpu_info", r->gpu_info);
	json_add_str(j, "model_type", r->model_type);
	json_object_object_add(j, "pp512", test_json(r, &r->pp512));
	json_object_object_add(j, "tg128", test_json(r, &r->tg128));
	json_object *w = NULL;
	if (r->has_warmup) {
		w = json_object_new_object();
		json_object_object_add(w, "pp512", test_json(r, &r->warmup_pp512));
		json_object_object_add(w, "tg128", test_json(r, &r->warmup_tg128));
		json_add_bool(w, "discarded", true);
	}
	json_object_object_add(j, "warmup", w);
	json_add_bool(j, "stale", r->stale);
	json_add_str(j, "stale_reason", r->stale_reason);
	json_add_bool(j, "imported", r->imported);
	if (r->imported) {
		json_add_str(j, "source", r->source);
		json_add_str(j, "source_env", r->source_env);
		json_add_str(j, "source_sha256", r->source_sha256);
	}
	if (r->schema >= 2) {
		json_add_str(j, "run_kind", r->run_kind ? r->run_kind : RECORD_RUN_BENCH);
		struct record k = *r; /* the key of these fields, whatever was set */
		k.config_key = k.config_variant = NULL;
		k.shared_text = false;
		record_update_key(&k);
		json_add_str(j, "config_key", k.config_key);
		free(k.config_key), free(k.config_variant);
		json_object_object_add(j, "settings", record_obj_parse(r->settings));
		json_object_object_add(j, "upstream", record_obj_parse(r->upstream));
		if (r->curve.present)
			json_object_object_add(j, "curve", curve_json(r));
	}
	return j;
}

static void test_from_lb(struct rec_test *t, const struct lb_test *lt)
{
	rec_test_free(t);
	if (lt)
		rec_test_set(t, lt->mean, lt->stddev, lt->samples, lt->n_samples);
}

void record_set_results(struct record *r, const struct lb_run *m, const struct lb_run *warmup)
{
	free(r->build_commit), free(r->backends), free(r->gpu_info), free(r->model_type);
	r->build_commit = dup_or_null(m->build_commit);
	r->build_number = m->build_number;
	strv_free(&r->devices);
	for (size_t i = 0; i < m->devices.n; i++)
		strv_push(&r->devices, m->devices.v[i]);
	r->backends = dup_or_null(m->backends);
	r->gpu_info = dup_or_null(m->gpu_info);
	r->model_type = dup_or_null(m->model_type);
	free(r->settings);
	r->settings = record_obj_text(m->settings);
	test_from_lb(&r->pp512, lb_find(m, 512, 0, 0));
	test_from_lb(&r->tg128, lb_find(m, 0, 128, 0));
	r->has_warmup = warmup != NULL;
	if (warmup) {
		test_from_lb(&r->warmup_pp512, lb_find(warmup, 512, 0, 0));
		test_from_lb(&r->warmup_tg128, lb_find(warmup, 0, 128, 0));
	}
}

/* ---- checks ---- */

enum key_type { K_STR, K_NAME, K_DIGEST, K_SHA256, K_TIME, K_STATUS, K_ERROR, K_INT, K_BOOL,
		K_STRINGS, K_OBJECT, K_HOST, K_TEST, K_WARMUP, K_CURVE };

static const struct {
	const char *key;
	enum key_type type;
} record_keys[] = {
	{ "run_id", K_NAME },        { "status", K_STATUS },       { "error", K_ERROR },
	{ "started_at", K_TIME },    { "finished_at", K_STR },    { "backend", K_NAME },
	{ "lineage", K_STR },        { "model", K_STR },           { "model_path", K_STR },
	{ "model_bytes", K_INT },    { "command", K_STRINGS },     { "extra_args", K_STRINGS },
	{ "host", K_HOST },          { "tbx_version", K_STR },     { "kind", K_STR },
	{ "image_ref", K_STR },      { "image_digest", K_DIGEST }, { "image_id", K_STR },
	{ "container", K_STR },      { "container_id", K_STR },    { "binary_path", K_STR },
	{ "binary_sha256", K_SHA256 }, { "build_commit", K_STR },  { "build_number", K_INT },
	{ "device", K_STR },         { "devices", K_STRINGS },     { "backends", K_STR },
	{ "gpu_info", K_STR },       { "model_type", K_STR },      { "pp512", K_TEST },
	{ "tg128", K_TEST },         { "warmup", K_WARMUP },       { "stale", K_BOOL },
	{ "stale_reason", K_STR },   { "imported", K_BOOL },       { "source", K_STR },
	{ "source_env", K_STR },     { "source_sha256", K_SHA256 }, { "schema", K_INT },
	{ "run_kind", K_STR },       { "config_key", K_STR },      { "settings", K_OBJECT },
	{ "host_state", K_OBJECT },  { "upstream", K_OBJECT },    { "image_platform_digest", K_DIGEST },
	{ "curve", K_CURVE },
};

static bool is_name(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return false;
	return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* 64 hex digits, "sha256:" before them or not (a binary's hash). */
static bool is_sha256(const char *s)
{
	if (strncmp(s, "sha256:", 7) == 0)
		s += 7;
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
			return false;
	return true;
}

static int check_text(json_object *v, const char *file, const char *key, size_t max,
		      struct err *e)
{
	if (!json_object_is_type(v, json_type_string))
		return err_set(e, "%s: '%s' must be a string", file, key);
	if ((size_t)json_object_get_string_len(v) > max)
		return err_set(e, "%s: '%s' is longer than %zu bytes", file, key, max);
	return 0;
}

static bool rate_ok(json_object *v, bool zero_ok)
{
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return false;
	double x = json_object_get_double(v);
	return isfinite(x) && (zero_ok ? x >= 0 : x > 0) && x <= LB_MAX_RATE;
}

/* {"mean": rate, "stddev": rate or 0, "samples": [rate...]}, each may be null. */
static int check_test(json_object *t, const char *file, const char *key, struct err *e)
{
	if (!json_object_is_type(t, json_type_object))
		return err_set(e, "%s: '%s' must be an object", file, key);
	json_object *mean = json_get(t, "mean"), *sd = json_get(t, "stddev");
	if (mean && !rate_ok(mean, false))
		return err_set(e, "%s: %s.mean must be a rate in (0, %.0e] t/s", file, key, LB_MAX_RATE);
	if (sd && !rate_ok(sd, true))
		return err_set(e, "%s: %s.stddev must be in [0, %.0e] t/s", file, key, LB_MAX_RATE);
	json_object *s = json_get(t, "samples");
	if (!s)
		return 0;
	if (!json_object_is_type(s, json_type_array))
		return err_set(e, "%s: %s.samples must be an array of rates", file, key);
	size_t n = json_object_array_length(s);
	if (n > RECORD_MAX_SAMPLES)
		return err_set(e, "%s: %s has more than %d samples", file, key, RECORD_MAX_SAMPLES);
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(s, i);
		if (!rate_ok(x, false))
			return err_set(e, "%s: %s.samples[%zu] must be a rate in (0, %.0e] t/s", file,
				       key, i, LB_MAX_RATE);
	}
	return 0;
}

static int check_strings(json_object *a, const char *file, const char *key, struct err *e)
{
	if (!json_object_is_type(a, json_type_array))
		return err_set(e, "%s: '%s' must be an array of strings", file, key);
	size_t n = json_object_array_length(a);
	if (n > RECORD_MAX_LIST)
		return err_set(e, "%s: '%s' has more than %d entries", file, key, RECORD_MAX_LIST);
	for (size_t i = 0; i < n; i++)
		if (check_text(json_object_array_get_idx(a, i), file, key, RECORD_MAX_TEXT, e) < 0)
			return -1;
	return 0;
}

static bool is_count(json_object *v, int64_t max)
{
	return json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0 &&
	       json_object_get_int64(v) <= max;
}

/* A member that must be absent, null, or pass ok. */
#define CURVE_MEMBER(obj, name, ok, what)                                                    \
	do {                                                                                 \
		json_object *m_ = json_get(obj, name);                                       \
		if (m_ && !(ok))                                                              \
			return err_set(e, "%s: %s.%s must be %s", file, key, name, what);     \
	} while (0)

static int check_series(json_object *s, const char *file, const char *key, struct err *e)
{
	if (!json_object_is_type(s, json_type_object))
		return err_set(e, "%s: %s must be an object", file, key);
	json_object *m;
	CURVE_MEMBER(s, "n_prompt", is_count(m_, 1 << 24), "a whole number of tokens");
	CURVE_MEMBER(s, "n_gen", is_count(m_, 1 << 24), "a whole number of tokens");
	CURVE_MEMBER(s, "partial", json_object_is_type(m_, json_type_boolean), "true or false");
	if ((m = json_get(s, "error")) && check_text(m, file, "error", RECORD_MAX_ERROR, e) < 0)
		return err_wrap(e, "in %s", key);
	if ((m = json_get(s, "command")) && check_strings(m, file, "command", e) < 0)
		return err_wrap(e, "in %s", key);
	json_object *pts = json_get(s, "points");
	if (!pts)
		return 0;
	if (!json_object_is_type(pts, json_type_array))
		return err_set(e, "%s: %s.points must be an array", file, key);
	size_t n = json_object_array_length(pts);
	if (n > RECORD_MAX_POINTS)
		return err_set(e, "%s: %s has more than %d points", file, key, RECORD_MAX_POINTS);
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(pts, i);
		char what[96];
		snprintf(what, sizeof(what), "%s.points[%zu]", key, i);
		if (!json_object_is_type(p, json_type_object))
			return err_set(e, "%s: %s must be an object", file, what);
		if (!is_count(json_get(p, "depth"), INT32_MAX))
			return err_set(e, "%s: %s.depth must be a whole number of tokens", file, what);
		if (check_test(p, file, what, e) < 0)
			return -1;
	}
	return 0;
}

static int check_curve(json_object *c, const char *file, struct err *e)
{
	const char *key = "curve";
	if (!json_object_is_type(c, json_type_object))
		return err_set(e, "%s: 'curve' must be an object", file);
	json_object *d = json_get(c, "depths"), *m;
	if (d) {
		if (!json_object_is_type(d, json_type_array) ||
		    json_object_array_length(d) > RECORD_MAX_POINTS)
			return err_set(e, "%s: curve.depths must be an array of at most %d depths",
				       file, RECORD_MAX_POINTS);
		for (size_t i = 0; i < json_object_array_length(d); i++)
			if (!is_count(json_object_array_get_idx(d, i), INT32_MAX))
				return err_set(e, "%s: curve.depths[%zu] must be a whole number of "
					       "tokens", file, i);
	}
	CURVE_MEMBER(c, "ubatch", is_count(m_, 1 << 24), "a whole number");
	CURVE_MEMBER(c, "repetitions", is_count(m_, RECORD_MAX_SAMPLES), "a whole number");
	CURVE_MEMBER(c, "cooldown_s", is_count(m_, 86400), "seconds (0 to 86400)");
	CURVE_MEMBER(c, "partial", json_object_is_type(m_, json_type_boolean), "true or false");
	CURVE_MEMBER(c, "calibration", json_object_is_type(m_, json_type_object), "an object");
	CURVE_MEMBER(c, "campaign", json_object_is_type(m_, json_type_object), "an object");
	static const char *const texts[] = { "ubatch_from", "load_flag" };
	for (size_t i = 0; i < 2; i++)
		if ((m = json_get(c, texts[i])) && check_text(m, file, texts[i], RECORD_MAX_TEXT, e) < 0)
			return err_wrap(e, "in curve");
	if ((m = json_get(c, "prefill")) && check_series(m, file, "curve.prefill", e) < 0)
		return -1;
	if ((m = json_get(c, "generation")) && check_series(m, file, "curve.generation", e) < 0)
		return -1;
	if ((m = json_get(c, "warmup")) && check_test(m, file, "curve.warmup", e) < 0)
		return -1;
	return 0;
}

static int check_value(json_object *v, enum key_type type, const char *file, const char *key,
		       struct err *e)
{
	int64_t t;
	switch (type) {
	case K_STR: return check_text(v, file, key, RECORD_MAX_TEXT, e);
	case K_ERROR: return check_text(v, file, key, RECORD_MAX_ERROR, e);
	case K_NAME:
		if (check_text(v, file, key, RECORD_MAX_TEXT, e) < 0)
			return -1;
		if (!is_name(json_object_get_string(v)))
			return err_set(e, "%s: '%s' must be at most 64 letters, digits, '.', '_' or '-'",
				       file, key);
		return 0;
	case K_DIGEST:
	case K_SHA256:
		if (check_text(v, file, key, RECORD_MAX_TEXT, e) < 0)
			return -1;
		if (type == K_DIGEST ? !digest_is_valid(json_object_get_string(v))
				     : !is_sha256(json_object_get_string(v)))
			return err_set(e, "%s: '%s' is not a sha256 digest", file, key);
		return 0;
	case K_TIME:
		if (check_text(v, file, key, 64, e) < 0)
			return -1;
		if (parse_time(json_object_get_string(v), &t) < 0 || t < 0 ||
		    t >= 4102444800) /* 2100-01-01 */
			return err_set(e, "%s: '%s' is not a time between 1970 and 2100", file, key);
		return 0;
	case K_STATUS:
		if (check_text(v, file, key, 16, e) < 0)
			return -1;
		if (!str_eq(json_object_get_string(v), "ok") &&
		    !str_eq(json_object_get_string(v), "failed"))
			return err_set(e, "%s: 'status' must be \"ok\" or \"failed\"", file);
		return 0;
	case K_INT:
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > ((int64_t)1 << 53))
			return err_set(e, "%s: '%s' must be a whole number from 0 to 2^53", file, key);
		return 0;
	case K_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return err_set(e, "%s: '%s' must be true or false", file, key);
		return 0;
	case K_STRINGS: return check_strings(v, file, key, e);
	case K_OBJECT:
		if (!json_object_is_type(v, json_type_object))
			return err_set(e, "%s: '%s' must be an object", file, key);
		return 0;
	case K_HOST:
		if (json_object_is_type(v, json_type_string))
			return check_text(v, file, key, RECORD_MAX_TEXT, e);
		if (!json_object_is_type(v, json_type_object))
			return err_set(e, "%s: 'host' must be an object", file);
		json_object_object_foreach(v, hk, hv) {
			if ((strcmp(hk, "name") == 0 || strcmp(hk, "kernel") == 0) && hv &&
			    check_text(hv, file, "host.name/kernel", RECORD_MAX_TEXT, e) < 0)
				return -1;
		}
		return 0;
	case K_TEST: return check_test(v, file, key, e);
	case K_CURVE: return check_curve(v, file, e);
	case K_WARMUP:
		if (!json_object_is_type(v, json_type_object))
			return err_set(e, "%s: 'warmup' must be an object", file);
		json_object_object_foreach(v, wk, wv) {
			if ((strcmp(wk, "pp512") == 0 || strcmp(wk, "tg128") == 0) && wv &&
			    check_test(wv, file, wk, e) < 0)
				return err_wrap(e, "in warmup");
		}
		return 0;
	}
	return 0;
}

/* Does v have the JSON type of its key?  (null, "unknown", is not asked.) */
static bool has_type(json_object *v, enum key_type type)
{
	switch (type) {
	case K_INT: return json_object_is_type(v, json_type_int);
	case K_BOOL: return json_object_is_type(v, json_type_boolean);
	case K_STRINGS: return json_object_is_type(v, json_type_array);
	case K_OBJECT:
	case K_TEST:
	case K_CURVE:
	case K_WARMUP: return json_object_is_type(v, json_type_object);
	case K_HOST:
		return json_object_is_type(v, json_type_object) ||
		       json_object_is_type(v, json_type_string);
	default: return json_object_is_type(v, json_type_string);
	}
}

static const char *type_name(enum key_type type)
{
	switch (type) {
	case K_INT: return "a whole number";
	case K_BOOL: return "true or false";
	case K_STRINGS: return "an array of strings";
	case K_HOST: return "an object or a string";
	case K_OBJECT:
	case K_TEST:
	case K_CURVE:
	case K_WARMUP: return "an object";
	default: return "a string";
	}
}

int record_check(json_object *o, const char *file, struct err *e)
{
	if (!json_object_is_type(o, json_type_object))
		return err_set(e, "%s: a record must be a JSON object", file);
	for (size_t i = 0; i < sizeof(record_keys) / sizeof(record_keys[0]); i++) {
		json_object *v = json_get(o, record_keys[i].key);
		if (!v) /* absent or null: unknown */
			continue;
		if (!has_type(v, record_keys[i].type))
			return err_set(e, "%s: '%s' must be %s (or null)", file, record_keys[i].key,
				       type_name(record_keys[i].type));
		if (check_value(v, record_keys[i].type, file, record_keys[i].key, e) < 0)
			return -1;
	}
	return 0;
}

/* ---- reader ---- */

static void test_from_json(json_object *o, struct rec_test *t)
{
	if (!o || !json_object_is_type(o, json_type_object))
		return;
	t->present = true;
	t->mean = json_num(o, "mean", NAN);
	t->stddev = json_num(o, "stddev", NAN);
	json_object *s = json_arr(o, "samples");
	size_t n = s ? json_object_array_length(s) : 0;
	if (n > RECORD_MAX_SAMPLES)
		n = RECORD_MAX_SAMPLES;
	t->samples = n ? xcalloc(n, sizeof(double)) : NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(s, i);
		if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))
			t->samples[t->n_samples++] = json_object_get_double(v);
	}
}

static void series_from_json(json_object *o, struct rec_series *s)
{
	if (!json_object_is_type(o, json_type_object))
		return;
	s->present = true;
	s->n_prompt = (int)json_int(o, "n_prompt", 0);
	s->n_gen = (int)json_int(o, "n_gen", 0);
	s->partial = json_flag(o, "partial", false);
	s->error = json_str(o, "error") ? xstrdup(json_str(o, "error")) : NULL;
	json_object *c = json_arr(o, "command");
	for (size_t i = 0; c && i < json_object_array_length(c); i++)
		if (json_object_is_type(json_object_array_get_idx(c, i), json_type_string))
			strv_push(&s->command, json_object_get_string(json_object_array_get_idx(c, i)));
	json_object *pts = json_arr(o, "points");
	size_t n = pts ? json_object_array_length(pts) : 0;
	for (size_t i = 0; i < n && i < RECORD_MAX_POINTS; i++) {
		json_object *p = json_object_array_get_idx(pts, i);
		struct rec_test t = { 0 };
		test_from_json(p, &t);
		rec_series_add(s, (long)json_int(p, "depth", 0), &t);
		rec_test_free(&t);
	}
}

static void curve_from_json(json_object *o, struct rec_curve *c)
{
	if (!json_object_is_type(o, json_type_object))
		return;
	c->present = true;
	json_object *d = json_arr(o, "depths");
	c->n_depths = d ? json_object_array_length(d) : 0;
	if (c->n_depths > RECORD_MAX_POINTS)
		c->n_depths = RECORD_MAX_POINTS;
	c->depths = c->n_depths ? xcalloc(c->n_depths, sizeof(long)) : NULL;
	for (size_t i = 0; i < c->n_depths; i++)
		c->depths[i] = (long)json_object_get_int64(json_object_array_get_idx(d, i));
	c->ubatch = (long)json_int(o, "ubatch", 0);
	c->ubatch_from = dup_or_null(json_str(o, "ubatch_from"));
	c->repetitions = (long)json_int(o, "repetitions", 0);
	c->cooldown_s = (long)json_int(o, "cooldown_s", -1);
	c->load_flag = dup_or_null(json_str(o, "load_flag"));
	c->partial = json_flag(o, "partial", false);
	series_from_json(json_get(o, "prefill"), &c->prefill);
	series_from_json(json_get(o, "generation"), &c->generation);
	test_from_json(json_obj(o, "warmup"), &c->warmup);
	c->calibration = record_obj_text(json_get(o, "calibration"));
	c->campaign = record_obj_text(json_get(o, "campaign"));
}

static void strv_from_json(struct strv *out, json_object *a)
{
	size_t n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(a, i);
		if (json_object_is_type(v, json_type_string))
			strv_push(out, json_object_get_string(v));
	}
}

/* The host object's members other than name and kernel; NULL if none. */
static char *host_state_text(json_object *host)
{
	if (!host)
		return NULL;
	json_object *state = json_object_new_object();
	json_object_object_foreach(host, key, val)
	{
		if (strcmp(key, "name") != 0 && strcmp(key, "kernel") != 0)
			json_object_object_add(state, key, json_object_get(val));
	}
	char *text = json_object_object_length(state) ? record_obj_text(state) : NULL;
	json_object_put(state);
	return text;
}

int record_from_json(json_object *o, const char *file, struct record *r, struct err *e)
{
	return record_read(o, file, 0, r, e);
}

int record_read(json_object *o, const char *file, unsigned flags, struct record *r,
		struct err *e)
{
	bool full = !(flags & RECORD_SUMMARY);
	record_init(r);
	if (record_check(o, file, e) < 0)
		return -1;
	const char *run_id = json_str(o, "run_id");
	const char *backend = json_str(o, "backend");
	const char *started = json_str(o, "started_at");
	if (!run_id || !backend || !started)
		return err_set(e, "%s: missing run_id, backend or started_at", file);
	if (parse_time(started, &r->started_at) < 0)
		return err_set(e, "%s: bad started_at '%s'", file, started);
	const char *finished = json_str(o, "finished_at");
	if (finished && parse_time(finished, &r->finished_at) < 0)
		r->finished_at = 0;
	r->schema = (int)json_int(o, "schema", 1);
	r->file = xstrdup(file);
	r->run_id = xstrdup(run_id);
	r->backend = xstrdup(backend);
	r->lineage = xstrdup(json_str(o, "lineage") ? json_str(o, "lineage") : "llama.cpp");
	r->model = xstrdup(json_str(o, "model") ? json_str(o, "model") : "unknown");
	if (full)
		r->model_path = dup_or_null(json_str(o, "model_path"));
	json_object *bytes = json_get(o, "model_bytes");
	r->model_bytes = json_object_is_type(bytes, json_type_int) ? json_object_get_int64(bytes) : -1;
	json_object *command = json_arr(o, "command");
	if (full)
		strv_from_json(&r->command, command);
	strv_from_json(&r->extra_args, json_get(o, "extra_args"));
	json_object *host = json_get(o, "host");
	r->host = dup_or_null(json_object_is_type(host, json_type_string)
				      ? json_object_get_string(host)
				      : json_str(host, "name"));
	r->kernel = dup_or_null(json_str(json_obj(o, "host"), "kernel"));
	if (full)
		r->tbx_version = dup_or_null(json_str(o, "tbx_version"));
	r->kind = dup_or_null(json_str(o, "kind"));
	r->image_digest = dup_or_null(json_str(o, "image_digest"));
	r->image_platform_digest = dup_or_null(json_str(o, "image_platform_digest"));
	r->binary_sha256 = dup_or_null(json_str(o, "binary_sha256"));
	if (full) {
		r->image_ref = dup_or_null(json_str(o, "image_ref"));
		r->image_id = dup_or_null(json_str(o, "image_id"));
		r->container = dup_or_null(json_str(o, "container"));
		r->container_id = dup_or_null(json_str(o, "container_id"));
		r->binary_path = dup_or_null(json_str(o, "binary_path"));
	}
	r->build_commit = dup_or_null(json_str(o, "build_commit"));
	r->build_number = (long)json_int(o, "build_number", 0);
	r->device = dup_or_null(json_str(o, "device"));
	if (full) {
		strv_from_json(&r->devices, json_get(o, "devices"));
		r->backends = dup_or_null(json_str(o, "backends"));
		r->gpu_info = dup_or_null(json_str(o, "gpu_info"));
		r->model_type = dup_or_null(json_str(o, "model_type"));
	}
	r->error = dup_or_null(json_str(o, "error"));
	r->failed = str_eq(json_str(o, "status"), "failed");
	r->imported = json_flag(o, "imported", false);
	r->stale = json_flag(o, "stale", false);
	r->stale_reason = dup_or_null(json_str(o, "stale_reason")); /* reports say why */
	if (full) {
		r->source = dup_or_null(json_str(o, "source"));
		r->source_env = dup_or_null(json_str(o, "source_env"));
		r->source_sha256 = dup_or_null(json_str(o, "source_sha256"));
	}
	test_from_json(json_obj(o, "pp512"), &r->pp512);
	test_from_json(json_obj(o, "tg128"), &r->tg128);
	json_object *w = full ? json_obj(o, "warmup") : NULL;
	r->has_warmup = w != NULL;
	test_from_json(json_obj(w, "pp512"), &r->warmup_pp512);
	test_from_json(json_obj(w, "tg128"), &r->warmup_tg128);
	r->run_kind = dup_or_null(json_str(o, "run_kind"));
	r->settings = record_obj_text(json_get(o, "settings"));
	r->host_state = host_state_text(json_obj(o, "host"));
	r->upstream = record_obj_text(json_get(o, "upstream"));
	bool curve = record_is_curve(r);
	if (curve) { /* curves came with schema 2: a record without "schema" is one too */
		curve_from_json(json_get(o, "curve"), &r->curve);
		if (r->schema < 2)
			r->schema = 2;
	}
	key_of(r, r->run_kind, json_str(o, "model_path"), r->model, r->model_bytes, &r->extra_args,
	       curve || (command && json_object_array_length(command) > 0));
	if (curve && !r->failed && !r->curve.prefill.n_points && !r->curve.generation.n_points) {
		record_free(r);
		return err_set(e, "%s: a successful curve record without a point", file);
	}
	if (!curve && !r->failed && !r->pp512.present && !r->tg128.present) {
		record_free(r);
		return err_set(e, "%s: neither pp512 nor tg128 in a successful record", file);
	}
	return 0;
}
