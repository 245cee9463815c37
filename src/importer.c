/* importer.c - llama-bench logs made outside tbx, as result records. */
#define _GNU_SOURCE
#include "importer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "llama_bench.h"
#include "sha256.h"
#include "store.h"

/* Upstream's benchmark environments (kyuz0/amd-strix-halo-toolboxes,
 * benchmark/results/) and the backends they ran. */
static const struct {
	const char *env, *backend;
} env_backends[] = {
	{ "rocm6_4_4", "rocm-6.4.4" },
	{ "rocm-6_4_4", "rocm-6.4.4" },
	{ "rocm-7_2", "rocm-7.2" },
	{ "rocm-7_2_3", "rocm-7.2" }, /* rocm-7.2 tag, ROCm 7.2.3 inside */
	{ "rocm7-nightlies", "rocm7-nightlies" },
	{ "vulkan_radv", "vulkan-radv" },
	{ "vulkan_amdvlk", "vulkan-amdvlk" },
};

static const char *const log_extensions[] = { ".log", ".txt", ".md", ".out", ".jsonl", ".json" };

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Length of s without a split-GGUF suffix "-00001-of-00003". */
size_t import_without_shard(const char *s, size_t n)
{
	static const char pat[] = "-#####-of-#####";
	size_t k = sizeof(pat) - 1;
	if (n <= k)
		return n;
	for (size_t i = 0; i < k; i++) {
		char c = s[n - k + i];
		if (pat[i] == '#' ? !(c >= '0' && c <= '9') : c != pat[i])
			return n;
	}
	return n - k;
}

void import_name_free(struct import_name *n)
{
	free(n->model);
	free(n->env);
	memset(n, 0, sizeof(*n));
}

bool import_name_parse(const char *name, struct import_name *out)
{
	memset(out, 0, sizeof(*out));
	const char *s = base_name(name);
	size_t n = strlen(s);
	for (size_t i = 0; i < sizeof(log_extensions) / sizeof(log_extensions[0]); i++) {
		size_t k = strlen(log_extensions[i]);
		if (n > k && strcmp(s + n - k, log_extensions[i]) == 0) {
			n -= k;
			break;
		}
	}
	const char *sep1 = memmem(s, n, "__", 2);
	if (!sep1 || sep1 == s)
		return false;
	const char *env = sep1 + 2;
	const char *sep2 = memmem(env, n - (size_t)(env - s), "__", 2);
	size_t env_len = (size_t)((sep2 ? sep2 : s + n) - env);
	if (!env_len)
		return false;
	if (sep2) { /* flags ("fa1"): one more part, not empty, no further "__" */
		const char *flags = sep2 + 2;
		size_t flags_len = n - (size_t)(flags - s);
		if (!flags_len || memmem(flags, flags_len, "__", 2))
			return false;
	}
	out->model = xstrndup(s, import_without_shard(s, (size_t)(sep1 - s)));
	out->env = xstrndup(env, env_len);
	for (size_t i = 0; i < sizeof(env_backends) / sizeof(env_backends[0]); i++)
		if (strcmp(out->env, env_backends[i].env) == 0)
			out->backend = env_backends[i].backend;
	return true;
}

void import_run_id(const void *data, size_t len, char out[37])
{
	/* a name-based uuid (version 5 layout over SHA-256): same bytes, same id */
	static const char ns[] = "tbx-import-v1";
	struct sha256 h;
	char hex[65];
	unsigned char u[16];
	sha256_init(&h);
	sha256_update(&h, ns, sizeof(ns));
	sha256_update(&h, data, len);
	sha256_hex(&h, hex);
	for (int i = 0; i < 16; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		u[i] = (unsigned char)v;
	}
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x50);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
}

void import_content_sha256(const void *data, size_t len, char out[72])
{
	struct sha256 h;
	char hex[65];
	sha256_init(&h);
	sha256_update(&h, data, len);
	sha256_hex(&h, hex);
	snprintf(out, 72, "sha256:%s", hex);
}

/* The backend: --backend, else what the file name's environment stands
 * for.  Returns the id (owned by o->backends or static) or NULL. */
static const char *pick_backend(const struct import_opts *o, const struct import_name *nm,
				bool named, const struct backend **def, struct err *e)
{
	*def = NULL;
	if (o->backend) {
		if (!o->backends)
			return o->backend;
		*def = backend_resolve(o->backends, o->backend, e);
		return *def ? (*def)->id : NULL;
	}
	if (!named) {
		err_set(e, "cannot tell the backend from the file name (expected "
			   "MODEL__ENV__fa1.log): name it with --backend");
		return NULL;
	}
	const char *id = nm->backend;
	if (o->backends) {
		*def = backend_find(o->backends, id ? id : nm->env);
		if (!*def && !id) {
			/* "vulkan_radv"-like spellings of an id */
			char *alt = xstrdup(nm->env);
			for (char *p = alt; *p; p++)
				if (*p == '_')
					*p = '-';
			*def = backend_find(o->backends, alt);
			free(alt);
		}
		if (*def)
			return (*def)->id;
	}
	if (!id)
		err_set(e, "unknown environment '%s' in the file name: name the backend with "
			   "--backend",
			nm->env);
	return id;
}

/* The model: --model, else the file name's model part, else llama-bench's
 * model_filename (without directory, .gguf and shard suffix). */
static char *pick_model(const struct import_opts *o, const struct import_name *nm, bool named,
			const struct lb_run *r, struct err *e)
{
	if (o->model)
		return xstrdup(o->model);
	if (named && nm->model[0])
		return xstrdup(nm->model);
	if (r->model_filename) {
		const char *b = base_name(r->model_filename);
		size_t n = strlen(b);
		if (n > 5 && strcmp(b + n - 5, ".gguf") == 0)
			n -= 5;
		n = import_without_shard(b, n);
		if (n)
			return xstrndup(b, n);
	}
	err_set(e, "cannot tell the model from the file name (expected MODEL__ENV__fa1.log) or "
		   "the output: name it with --model");
	return NULL;
}

/* Parse the text; a run that died (crash, no rows but an error) is
 * returned as r->failed.  -1 when nothing in it is a result or a failure. */
static int parse_log(const char *text, size_t len, struct lb_run *r, struct err *e)
{
	struct err pe = { 0 };
	if (lb_parse_any(text, len, r, &pe) < 0) {
		char *why = lb_error_summary(text, len);
		if (!why)
			return err_set(e, "%s", pe.msg);
		r->failed = true;
		free(r->error);
		r->error = why;
		return 0;
	}
	bool complete = lb_find(r, 512, 0, 0) && lb_find(r, 0, 128, 0);
	if (!r->failed && !complete) {
		/* jsonl/json with stderr: rows before the crash, then a backtrace */
		char *why = lb_error_summary(text, len);
		if (why) {
			r->failed = true;
			free(r->error);
			r->error = why;
		}
	}
	if (r->failed && !r->error)
		r->error = xstrdup("llama-bench failed");
	if (!r->failed && !lb_find(r, 512, 0, 0) && !lb_find(r, 0, 128, 0))
		return err_set(e, "no pp512 or tg128 result in llama-bench's output (%zu other test%s)",
			       r->n_tests, r->n_tests == 1 ? "" : "s");
	return 0;
}

const char *import_pick_device(const struct backend *def, const struct lb_run *r)
{
	if (def && def->expect_device)
		for (size_t i = 0; i < r->devices.n; i++)
			if (expect_matches(def->expect_device, r->devices.v[i]))
				return r->devices.v[i];
	return r->devices.n ? r->devices.v[0] : NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static json_object *record_json(const struct lb_run *lr, const char *run_id, int64_t started,
				const char *backend, const struct backend *def, const char *model,
				const char *name, const struct import_name *nm, bool named,
				const char *sha, const struct import_opts *o)
{
	struct record r;
	record_init(&r);
	r.run_id = xstrdup(run_id);
	r.failed = lr->failed;
	r.error = dup_or_null(lr->error);
	r.started_at = started;
	r.backend = xstrdup(backend);
	r.lineage = xstrdup(def && def->lineage ? def->lineage : "llama.cpp");
	r.model = xstrdup(model);
	r.model_path = dup_or_null(lr->model_filename);
	r.host = dup_or_null(o->host);
	r.tbx_version = xstrdup(TBX_VERSION);
	/* nothing in a log tells which image ran: never pretend */
	record_set_results(&r, lr, NULL);
	r.device = dup_or_null(import_pick_device(def, lr));
	r.imported = true;
	r.source = xstrdup(name);
	r.source_env = named ? xstrdup(nm->env) : NULL;
	r.source_sha256 = xstrdup(sha);
	json_object *j = record_to_json(&r);
	record_free(&r);
	return j;
}

json_object *import_record(const char *text, size_t len, const char *name, int64_t mtime,
			   const struct import_opts *o, struct err *e)
{
	const char *base = base_name(name);
	struct import_name nm;
	bool named = import_name_parse(base, &nm);
	struct lb_run r;
	lb_run_init(&r);
	json_object *rec = NULL;
	char *model = NULL;
	const struct backend *def = NULL;
	const char *backend = pick_backend(o, &nm, named, &def, e);
	if (!backend)
		goto out;
	if (parse_log(text, len, &r, e) < 0)
		goto out;
	if (!(model = pick_model(o, &nm, named, &r, e)))
		goto out;
	char run_id[37], sha[72];
	import_run_id(text, len, run_id);
	import_content_sha256(text, len, sha);
	rec = record_json(&r, run_id, o->date ? o->date : mtime, backend, def, model, base, &nm,
			  named, sha, o);
out:
	free(model);
	lb_run_free(&r);
	import_name_free(&nm);
	return rec;
}

void import_result_free(struct import_result *r)
{
	json_object_put(r->record);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

int import_log_file(const char *home, const char *path, const struct import_opts *o,
		    struct import_result *res, struct err *e)
{
	memset(res, 0, sizeof(*res));
	struct stat st;
	struct buf text = BUF_INIT;
	if (stat(path, &st) < 0)
		return err_set(e, "cannot open '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(e, "cannot import '%s': not a regular file", path);
	buf_init(&text);
	if (read_file(path, IMPORT_MAX_LOG_BYTES, &text, e) < 0) {
		buf_free(&text);
		return -1;
	}
	res->record = import_record(text.p, text.len, path, (int64_t)st.st_mtime, o, e);
	buf_free(&text);
	if (!res->record)
		return err_wrap(e, "cannot import '%s'", path);
	snprintf(res->run_id, sizeof(res->run_id), "%s", json_str(res->record, "run_id"));
	bool failed = str_eq(json_str(res->record, "status"), "failed");
	if (store_has_run(home, res->run_id)) {
		res->outcome = IMPORT_DUPLICATE;
		return 0;
	}
	/* what the store will read back must be valid before it is written */
	struct record check;
	if (record_from_json(res->record, path, &check, e) < 0)
		return -1;
	record_free(&check);
	if (store_write(home, res->record, &res->path, e) < 0)
		return -1;
	res->outcome = failed ? IMPORT_ADDED_FAILED : IMPORT_ADDED;
	return 0;
}
