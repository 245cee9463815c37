/* curve_import.c - upstream's depth-curve campaign files as curve records. */
#define _GNU_SOURCE
#include "curve_import.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hoststate.h"
#include "imageref.h"
#include "json.h"
#include "llama_bench.h"
#include "record.h"
#include "sha256.h"
#include "store.h"

#define MAX_NAME 255

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* ---- file names ---- */

void curve_name_free(struct curve_name *n)
{
	free(n->model), free(n->env);
	memset(n, 0, sizeof(*n));
}

bool curve_name_parse(const char *name, struct curve_name *out)
{
	memset(out, 0, sizeof(*out));
	const char *s = base_name(name);
	size_t n = strlen(s);
	if (n > MAX_NAME)
		return false;
	if (n > 11 && strcmp(s + n - 11, ".stderr.log") == 0)
		n -= 11, out->stderr_log = true;
	else if (n > 6 && strcmp(s + n - 6, ".jsonl") == 0)
		n -= 6;
	else
		return false;
	/* MODEL __ ENV __ curve-SERIES __ faX __ ubN: split on "__" */
	const char *part[5];
	size_t len[5], k = 0;
	const char *p = s, *end = s + n;
	while (k < 5) {
		const char *sep = memmem(p, (size_t)(end - p), "__", 2);
		part[k] = p;
		len[k] = (size_t)((sep ? sep : end) - p);
		k++;
		if (!sep)
			break;
		p = sep + 2;
	}
	if (k != 5 || p + len[4] != end || !len[0] || !len[1])
		return false;
	bool gen = len[2] == 16 && memcmp(part[2], "curve-generation", 16) == 0;
	if (!gen && !(len[2] == 13 && memcmp(part[2], "curve-prefill", 13) == 0))
		return false;
	if (len[3] != 3 || memcmp(part[3], "fa", 2) != 0 || (part[3][2] != '0' && part[3][2] != '1'))
		return false;
	if (len[4] < 3 || len[4] > 9 || memcmp(part[4], "ub", 2) != 0)
		return false;
	long ub = 0;
	for (size_t i = 2; i < len[4]; i++) {
		if (part[4][i] < '0' || part[4][i] > '9')
			return false;
		ub = ub * 10 + (part[4][i] - '0');
	}
	if (ub < 1 || ub > 1 << 24)
		return false;
	out->model = xstrndup(part[0], import_without_shard(part[0], len[0]));
	out->env = xstrndup(part[1], len[1]);
	out->generation = gen;
	out->ubatch = ub;
	if (!out->model[0]) {
		curve_name_free(out);
		return false;
	}
	return true;
}

/* ---- campaign_manifest.json ---- */

static char *text_member(json_object *o, const char *key)
{
	const char *v = json_str(o, key);
	return v && strlen(v) <= RECORD_MAX_TEXT ? xstrdup(v) : NULL;
}

void campaign_free(struct campaign *c)
{
	free(c->id), free(c->toolbox), free(c->backend), free(c->platform), free(c->completed_at);
	free(c->depths);
	for (size_t i = 0; i < c->n_statuses; i++) {
		struct campaign_status *s = &c->statuses[i];
		free(s->model), free(s->series), free(s->status);
		strv_free(&s->command);
	}
	free(c->statuses);
	memset(c, 0, sizeof(*c));
}

static int status_parse(json_object *o, size_t i, struct campaign_status *s, struct err *e)
{
	memset(s, 0, sizeof(*s));
	s->return_code = -1;
	if (!json_object_is_type(o, json_type_object))
		return err_set(e, "statuses[%zu] is not an object", i);
	s->model = text_member(o, "model");
	s->series = text_member(o, "series");
	s->status = text_member(o, "status");
	json_object *rc = json_get(o, "return_code");
	if (json_object_is_type(rc, json_type_int)) {
		int64_t v = json_object_get_int64(rc);
		s->return_code = v < 0 || v > 255 ? 255 : (long)v;
	}
	json_object *cmd = json_get(o, "command");
	if (cmd && !json_object_is_type(cmd, json_type_array))
		return err_set(e, "statuses[%zu].command is not an array", i);
	size_t n = cmd ? json_object_array_length(cmd) : 0;
	if (n > RECORD_MAX_LIST)
		return err_set(e, "statuses[%zu].command has more than %d words", i, RECORD_MAX_LIST);
	for (size_t k = 0; k < n; k++) {
		json_object *w = json_object_array_get_idx(cmd, k);
		if (!json_object_is_type(w, json_type_string) ||
		    (size_t)json_object_get_string_len(w) > RECORD_MAX_TEXT)
			return err_set(e, "statuses[%zu].command[%zu] is not a string (of at most %d "
				       "bytes)", i, k, RECORD_MAX_TEXT);
		strv_push(&s->command, json_object_get_string(w));
	}
	return 0;
}

int campaign_manifest_parse(const char *text, size_t len, struct campaign *c, struct err *e)
{
	memset(c, 0, sizeof(*c));
	c->complete = -1;
	json_object *o = json_parse(text, len, "campaign_manifest.json", e);
	if (!o)
		return -1;
	int rc = 0;
	if (!json_object_is_type(o, json_type_object)) {
		rc = err_set(e, "campaign_manifest.json: not a JSON object");
		goto out;
	}
	c->id = text_member(o, "campaign_id");
	c->toolbox = text_member(o, "toolbox");
	c->backend = text_member(o, "backend");
	c->platform = text_member(o, "platform");
	c->completed_at = text_member(o, "completed_at");
	json_object *complete = json_get(o, "complete");
	if (json_object_is_type(complete, json_type_boolean))
		c->complete = json_object_get_boolean(complete);
	json_object *d = json_arr(o, "depths");
	size_t nd = d ? json_object_array_length(d) : 0;
	if (nd > RECORD_MAX_POINTS) {
		rc = err_set(e, "campaign_manifest.json: more than %d depths", RECORD_MAX_POINTS);
		goto out;
	}
	c->depths = nd ? xcalloc(nd, sizeof(long)) : NULL;
	for (size_t i = 0; i < nd; i++) {
		json_object *v = json_object_array_get_idx(d, i);
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > INT32_MAX) {
			rc = err_set(e, "campaign_manifest.json: depths[%zu] is not a depth", i);
			goto out;
		}
		c->depths[c->n_depths++] = (long)json_object_get_int64(v);
	}
	json_object *st = json_get(o, "statuses");
	if (st && !json_object_is_type(st, json_type_array)) {
		rc = err_set(e, "campaign_manifest.json: statuses is not an array");
		goto out;
	}
	size_t ns = st ? json_object_array_length(st) : 0;
	if (ns > CURVE_IMPORT_MAX_FILES) {
		rc = err_set(e, "campaign_manifest.json: more than %d statuses", CURVE_IMPORT_MAX_FILES);
		goto out;
	}
	c->statuses = ns ? xcalloc(ns, sizeof(*c->statuses)) : NULL;
	for (size_t i = 0; i < ns; i++) {
		c->n_statuses++;
		if (status_parse(json_object_array_get_idx(st, i), i, &c->statuses[i], e) < 0) {
			rc = err_wrap(e, "campaign_manifest.json");
			goto out;
		}
	}
out:
	json_object_put(o);
	if (rc < 0)
		campaign_free(c);
	return rc;
}

const struct campaign_status *campaign_status_find(const struct campaign *c, const char *model,
						   const char *series)
{
	for (size_t i = 0; i < c->n_statuses; i++)
		if (str_eq(c->statuses[i].model, model) && str_eq(c->statuses[i].series, series))
			return &c->statuses[i];
	return NULL;
}

/* ---- run_metadata.txt ---- */

void run_metadata_free(struct run_metadata *m)
{
	free(m->host), free(m->kernel), free(m->image), free(m->image_digest);
	free(m->host_profile), free(m->firmware);
	memset(m, 0, sizeof(*m));
	m->cooldown_s = -1;
}

void run_metadata_parse(const char *text, size_t len, struct run_metadata *m)
{
	memset(m, 0, sizeof(*m));
	m->cooldown_s = -1;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *colon = memchr(p, ':', (size_t)(le - p));
		if (colon && le - colon > 2 && colon[1] == ' ' && le - colon - 2 <= 1024) {
			size_t klen = (size_t)(colon - p);
			char *val = sanitize_line(colon + 2, (size_t)(le - colon - 2), 1024);
			char **slot = NULL;
			if (klen == 4 && memcmp(p, "host", 4) == 0)
				slot = &m->host;
			else if (klen == 6 && memcmp(p, "kernel", 6) == 0)
				slot = &m->kernel;
			else if (klen == 12 && memcmp(p, "host_profile", 12) == 0)
				slot = &m->host_profile;
			else if ((klen == 14 && memcmp(p, "linux_firmware", 14) == 0) ||
				 (klen == 8 && memcmp(p, "firmware", 8) == 0))
				slot = &m->firmware;
			else if (klen == 5 && memcmp(p, "image", 5) == 0)
				slot = &m->image;
			else if (klen == 12 && memcmp(p, "image_digest", 12) == 0 && digest_is_valid(val))
				slot = &m->image_digest;
			else if (klen == 16 && memcmp(p, "cooldown_seconds", 16) == 0)
				parse_long(val, 0, 86400, &m->cooldown_s);
			if (slot && !*slot && *val) {
				*slot = val;
				val = NULL;
			}
			free(val);
		}
		p = le + 1;
	}
}

/* ---- ubatch-calibrations.json ---- */

json_object *calibrations_parse(const char *text, size_t len, struct err *e)
{
	json_object *o = json_parse(text, len, "ubatch-calibrations.json", e);
	if (o && !json_obj(o, "profiles")) {
		json_object_put(o);
		err_set(e, "ubatch-calibrations.json: no 'profiles' object");
		return NULL;
	}
	return o;
}

static json_object *calibration_of(json_object *entry)
{
	json_object *latest = json_obj(entry, "latest_run");
	json_object *ub = json_get(entry, "selected_ubatch");
	if (!json_object_is_type(ub, json_type_int))
		ub = json_get(latest, "selected_ubatch");
	if (!json_object_is_type(ub, json_type_int) || json_object_get_int64(ub) < 1 ||
	    json_object_get_int64(ub) > 1 << 24)
		return NULL;
	json_object *c = json_object_new_object();
	json_add_int(c, "ubatch", json_object_get_int64(ub));
	const char *at = json_str(latest, "calibrated_at");
	json_add_str(c, "calibrated_at", at && strlen(at) <= 64 ? at : NULL);
	json_object *cands = json_arr(latest, "candidates");
	json_object_object_add(c, "candidates", cands ? json_object_get(cands) : NULL);
	json_add_str(c, "source", "ubatch-calibrations.json");
	return c;
}

json_object *calibrations_find(json_object *root, const char *backend, const char *model)
{
	json_object *profiles = json_obj(root, "profiles");
	if (!profiles)
		return NULL;
	json_object_object_foreach(profiles, platform, per_platform)
	{
		(void)platform;
		if (!json_object_is_type(per_platform, json_type_object))
			continue;
		json_object_object_foreach(per_platform, be, models)
		{
			if ((backend && strcmp(be, backend) != 0) ||
			    !json_object_is_type(models, json_type_object))
				continue;
			json_object *entry = json_obj(models, model);
			json_object *c = entry ? calibration_of(entry) : NULL;
			if (c)
				return c;
		}
	}
	return NULL;
}

/* ---- building a record ---- */

bool curve_import_detect(const char *path)
{
	struct curve_name n;
	if (curve_name_parse(path, &n)) {
		curve_name_free(&n);
		return true;
	}
	return is_dir(path);
}

void curve_import_result_free(struct curve_import_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		json_object_put(r->v[i].record);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* The files of one curve: at most a prefill and a generation series. */
struct curve_files {
	struct curve_name name;      /* of the first file seen */
	char *jsonl[2], *stderr_log[2]; /* [0] prefill, [1] generation: paths or NULL */
};

/* The campaign's side files, read once. */
struct side {
	const char *dir_name;
	struct campaign manifest;
	bool has_manifest;
	struct run_metadata meta;
	json_object *calibrations;
};

static int read_text(const char *path, struct buf *out, struct err *e)
{
	buf_init(out);
	if (read_file(path, CURVE_IMPORT_MAX_FILE, out, e) < 0)
		return -1;
	return 0;
}

/* The earliest test_time of the rows: when the series ran. */
static int64_t first_test_time(const char *text, size_t len)
{
	int64_t best = 0;
	const char *p = text, *end = text + len;
	for (int lines = 0; p < end && lines < RECORD_MAX_POINTS; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct err ignore = { 0 };
		json_object *o = le > p ? json_parse(p, (size_t)(le - p), "row", &ignore) : NULL;
		int64_t t;
		const char *ts = json_str(o, "test_time");
		if (ts && parse_time(ts, &t) == 0 && t > 0 && t < 4102444800 && (!best || t < best))
			best = t;
		json_object_put(o);
		p = le + 1;
	}
	return best;
}

/* "-r 3" in a command: its value, else 0. */
static long command_value(const struct strv *cmd, const char *flag)
{
	long v = 0;
	for (size_t i = 0; i + 1 < cmd->n; i++)
		if (strcmp(cmd->v[i], flag) == 0 && parse_long(cmd->v[i + 1], 1, 1 << 24, &v) == 0)
			return v;
	return 0;
}

static char *command_load_flag(const struct strv *cmd)
{
	for (size_t i = 0; i + 1 < cmd->n; i++)
		if ((strcmp(cmd->v[i], "-mmp") == 0 || strcmp(cmd->v[i], "--load-mode") == 0) &&
		    strlen(cmd->v[i + 1]) < 32)
			return xasprintf("%s %s", cmd->v[i], cmd->v[i + 1]);
	return NULL;
}

struct series_data {
	struct lb_run run;
	bool parsed;
	struct buf text, err_text;
};

static int series_load(const char *jsonl, const char *err_log, struct series_data *d,
		       struct rec_series *s, bool generation, struct err *e)
{
	lb_run_init(&d->run);
	s->present = true;
	s->n_prompt = generation ? 0 : 2048;
	s->n_gen = generation ? 128 : 0;
	if (read_text(jsonl, &d->text, e) < 0)
		return -1;
	if (err_log && path_exists(err_log)) {
		if (read_text(err_log, &d->err_text, e) < 0)
			return -1;
	} else {
		buf_init(&d->err_text);
	}
	lb_parse_devices(d->err_text.p, d->err_text.len, &d->run.devices);
	struct err pe = { 0 };
	bool has_row = d->text.len && memchr(d->text.p, '{', d->text.len);
	if (has_row && lb_parse_jsonl(d->text.p, d->text.len, &d->run, &pe) < 0)
		return err_set(e, "%s: %s", base_name(jsonl), pe.msg);
	d->parsed = has_row;
	for (size_t i = 0; has_row && i < d->run.n_tests; i++) {
		const struct lb_test *t = &d->run.tests[i];
		if (t->n_prompt == 0 && t->n_gen > 0)
			s->n_gen = t->n_gen, s->n_prompt = 0;
		else if (t->n_gen == 0 && t->n_prompt > 0)
			s->n_prompt = t->n_prompt, s->n_gen = 0;
	}
	if (has_row)
		rec_series_from_lb(s, &d->run);
	char *why = lb_error_summary(d->err_text.p, d->err_text.len);
	if (why) {
		s->partial = true;
		s->error = why;
	} else if (!has_row) {
		s->partial = true;
		s->error = xstrdup("no result in the file");
	}
	return 0;
}

static void series_data_free(struct series_data *d)
{
	lb_run_free(&d->run);
	buf_free(&d->text), buf_free(&d->err_text);
}

static const char *pick_backend(const struct import_opts *o, const char *env,
				const struct backend **def, struct err *e)
{
	*def = NULL;
	if (o->backend) {
		*def = o->backends ? backend_find(o->backends, o->backend) : NULL;
		return *def ? (*def)->id : o->backend;
	}
	const char *tag = str_starts_with(env, "llama-") ? env + 6 : env;
	*def = o->backends ? backend_find(o->backends, tag) : NULL;
	if (*def)
		return (*def)->id;
	size_t n = strlen(tag);
	for (size_t i = 0; i < n; i++)
		if (!((tag[i] >= 'a' && tag[i] <= 'z') || (tag[i] >= 'A' && tag[i] <= 'Z') ||
		      (tag[i] >= '0' && tag[i] <= '9') || tag[i] == '-' || tag[i] == '_' ||
		      tag[i] == '.'))
			n = 0;
	if (!n || n > 64 || str_eq(tag, ".") || str_eq(tag, "..")) {
		err_set(e, "cannot tell the backend from '%s': name it with --backend", env);
		return NULL;
	}
	return tag;
}

static json_object *campaign_json(const struct side *sd, const struct campaign_status *st[2])
{
	json_object *j = json_object_new_object();
	json_add_str(j, "id", sd->manifest.id);
	json_add_str(j, "folder", sd->dir_name);
	json_add_str(j, "toolbox", sd->manifest.toolbox);
	json_add_str(j, "backend", sd->manifest.backend);
	json_add_str(j, "platform", sd->manifest.platform);
	json_object_object_add(j, "complete", sd->manifest.complete < 0
						      ? NULL
						      : json_object_new_boolean(sd->manifest.complete));
	json_add_str(j, "completed_at", sd->manifest.completed_at);
	static const char *const names[2] = { "prefill", "generation" };
	for (int s = 0; s < 2; s++) {
		json_object *x = NULL;
		if (st[s]) {
			x = json_object_new_object();
			json_add_str(x, "status", st[s]->status);
			json_object_object_add(x, "return_code",
					       st[s]->return_code < 0
						       ? NULL
						       : json_object_new_int64(st[s]->return_code));
		}
		json_object_object_add(j, names[s], x);
	}
	return j;
}

static json_object *build_record(const struct curve_files *f, const struct side *sd,
				 const struct import_opts *o, struct err *e)
{
	struct series_data d[2];
	memset(d, 0, sizeof(d));
	struct record r;
	record_init(&r);
	json_object *j = NULL;
	const struct backend *def = NULL;
	const char *backend = pick_backend(o, f->name.env, &def, e);
	if (!backend)
		goto out;
	struct rec_series *series[2] = { &r.curve.prefill, &r.curve.generation };
	const struct campaign_status *st[2] = { NULL, NULL };
	struct sha256 h;
	sha256_init(&h);
	int64_t started = 0;
	for (int s = 0; s < 2; s++) {
		lb_run_init(&d[s].run);
		if (!f->jsonl[s])
			continue;
		if (series_load(f->jsonl[s], f->stderr_log[s], &d[s], series[s], s == 1, e) < 0)
			goto out;
		sha256_update(&h, base_name(f->jsonl[s]), strlen(base_name(f->jsonl[s])) + 1);
		sha256_update(&h, d[s].text.p ? d[s].text.p : "", d[s].text.len);
		int64_t t = first_test_time(d[s].text.p, d[s].text.len);
		if (t && (!started || t < started))
			started = t;
		if (sd->has_manifest)
			st[s] = campaign_status_find(&sd->manifest, f->name.model,
						     s ? "generation" : "prefill");
		if (st[s]) {
			for (size_t i = 0; i < st[s]->command.n; i++)
				strv_push(&series[s]->command, st[s]->command.v[i]);
			if (st[s]->return_code > 0 && !series[s]->partial) {
				series[s]->partial = true;
				series[s]->error = xasprintf("exit %ld (%s)", st[s]->return_code,
							     st[s]->status ? st[s]->status : "?");
			}
		}
	}
	char hex[65];
	sha256_hex(&h, hex);
	/* the run id: from the series' names and contents */
	r.run_id = xcalloc(37, 1);
	import_run_id(hex, 64, r.run_id);
	r.imported = true;
	r.source_sha256 = xasprintf("sha256:%s", hex);
	r.source = xasprintf("%s%s%s", sd->dir_name ? sd->dir_name : "", sd->dir_name ? "/" : "",
			     base_name(f->jsonl[0] ? f->jsonl[0] : f->jsonl[1]));
	r.source_env = xstrdup(f->name.env);
	r.started_at = started ? started : o->date;
	if (!r.started_at) {
		struct stat stt;
		r.started_at = stat(f->jsonl[0] ? f->jsonl[0] : f->jsonl[1], &stt) == 0
				       ? (int64_t)stt.st_mtime
				       : 1;
	}
	r.backend = xstrdup(backend);
	r.lineage = xstrdup(def && def->lineage ? def->lineage : "llama.cpp");
	r.model = xstrdup(o->model ? o->model : f->name.model);
	r.run_kind = xstrdup(RECORD_RUN_CURVE);
	r.tbx_version = xstrdup(TBX_VERSION);
	const struct lb_run *run = d[0].parsed ? &d[0].run : &d[1].run;
	record_set_results(&r, run, NULL);
	rec_test_free(&r.pp512), rec_test_free(&r.tg128);
	r.model_path = run->model_filename ? xstrdup(run->model_filename) : NULL;
	const char *dev = import_pick_device(def, &d[0].run);
	if (!dev)
		dev = import_pick_device(def, &d[1].run);
	free(r.device);
	r.device = dev ? xstrdup(dev) : NULL;
	strv_free(&r.devices);
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < d[s].run.devices.n; i++)
			if (!strv_contains(&r.devices, d[s].run.devices.v[i]))
				strv_push(&r.devices, d[s].run.devices.v[i]);
	const struct strv *cmd = series[0]->command.n ? &series[0]->command : &series[1]->command;
	for (size_t i = 0; i < cmd->n; i++)
		strv_push(&r.command, cmd->v[i]);
	r.host = o->host ? xstrdup(o->host) : sd->meta.host ? xstrdup(sd->meta.host) : NULL;
	r.kernel = sd->meta.kernel ? xstrdup(sd->meta.kernel) : NULL;
	json_object *hs = hoststate_from_metadata(sd->meta.kernel, sd->meta.host_profile,
						  sd->meta.firmware);
	r.host_state = record_obj_text(hs);
	json_object_put(hs);
	r.image_ref = sd->meta.image ? xstrdup(sd->meta.image) : NULL;
	r.image_digest = sd->meta.image_digest ? xstrdup(sd->meta.image_digest) : NULL;
	r.container = xstrdup(f->name.env);
	struct rec_curve *c = &r.curve;
	c->present = true;
	if (sd->has_manifest && sd->manifest.n_depths) {
		c->n_depths = sd->manifest.n_depths;
		c->depths = xcalloc(c->n_depths, sizeof(long));
		memcpy(c->depths, sd->manifest.depths, c->n_depths * sizeof(long));
	} else {
		for (int s = 0; s < 2; s++)
			for (size_t i = 0; i < series[s]->n_points; i++) {
				bool seen = false;
				for (size_t k = 0; k < c->n_depths; k++)
					seen |= c->depths[k] == series[s]->points[i].depth;
				if (!seen && c->n_depths < RECORD_MAX_POINTS) {
					c->depths = xrealloc(c->depths, (c->n_depths + 1) * sizeof(long));
					c->depths[c->n_depths++] = series[s]->points[i].depth;
				}
			}
	}
	for (int s = 0; s < 2; s++)
		if (f->jsonl[s] && !series[s]->partial && series[s]->n_points < c->n_depths) {
			series[s]->partial = true;
			series[s]->error = xasprintf("%zu of %zu depths in the file",
						     series[s]->n_points, c->n_depths);
		}
	c->ubatch = f->name.ubatch;
	c->ubatch_from = xstrdup("file name");
	c->repetitions = command_value(cmd, "-r");
	for (int s = 0; s < 2 && !c->repetitions; s++)
		if (series[s]->n_points)
			c->repetitions = (long)series[s]->points[0].t.n_samples;
	c->cooldown_s = sd->meta.cooldown_s;
	c->load_flag = command_load_flag(cmd);
	c->partial = series[0]->partial || series[1]->partial;
	json_object *cal = sd->calibrations
				   ? calibrations_find(sd->calibrations, sd->manifest.backend,
						       f->name.model)
				   : NULL;
	c->calibration = record_obj_text(cal);
	json_object_put(cal);
	if (sd->has_manifest) {
		json_object *cj = campaign_json(sd, st);
		c->campaign = record_obj_text(cj);
		json_object_put(cj);
	}
	if (!series[0]->n_points && !series[1]->n_points) {
		r.failed = true;
		r.error = xstrdup(series[0]->error ? series[0]->error
				  : series[1]->error ? series[1]->error
						     : "no result");
	}
	j = record_to_json(&r);
out:
	series_data_free(&d[0]), series_data_free(&d[1]);
	record_free(&r);
	return j;
}

/* ---- a folder or a file ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The curve files of path: a folder's (sorted), or path itself. */
static int list_files(const char *path, struct strv *files, struct err *e)
{
	if (!is_dir(path)) {
		strv_push(files, path);
		return 0;
	}
	DIR *d = opendir(path);
	if (!d)
		return err_set(e, "cannot open '%s': %s", path, strerror(errno));
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		struct curve_name n;
		if (de->d_name[0] == '.' || !curve_name_parse(de->d_name, &n))
			continue;
		curve_name_free(&n);
		if (files->n == CURVE_IMPORT_MAX_FILES) {
			rc = err_set(e, "'%s' holds more than %d curve files", path,
				     CURVE_IMPORT_MAX_FILES);
			break;
		}
		char *full = path_join(path, de->d_name);
		strv_push(files, full);
		free(full);
	}
	closedir(d);
	if (files->n)
		qsort(files->v, files->n, sizeof(char *), cmp_str);
	return rc;
}

static void group_free(struct curve_files *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		curve_name_free(&g[i].name);
		for (int s = 0; s < 2; s++)
			free(g[i].jsonl[s]), free(g[i].stderr_log[s]);
	}
	free(g);
}

/* Files into curves: one per (model, env, micro-batch). */
static struct curve_files *group_files(const struct strv *files, size_t *n)
{
	struct curve_files *g = NULL;
	*n = 0;
	for (size_t i = 0; i < files->n; i++) {
		struct curve_name nm;
		if (!curve_name_parse(files->v[i], &nm))
			continue;
		size_t k = 0;
		while (k < *n && !(str_eq(g[k].name.model, nm.model) && str_eq(g[k].name.env, nm.env) &&
				   g[k].name.ubatch == nm.ubatch))
			k++;
		if (k == *n) {
			g = xrealloc(g, (*n + 1) * sizeof(*g));
			memset(&g[k], 0, sizeof(g[k]));
			(*n)++;
		}
		char **slot = nm.stderr_log ? &g[k].stderr_log[nm.generation] : &g[k].jsonl[nm.generation];
		if (!*slot)
			*slot = xstrdup(files->v[i]);
		if (!g[k].name.model)
			g[k].name = nm; /* owned by the group now */
		else
			curve_name_free(&nm);
	}
	return g;
}

static int load_side(const char *dir, struct side *sd, struct err *e)
{
	memset(sd, 0, sizeof(*sd));
	sd->meta.cooldown_s = -1;
	struct buf t;
	char *p = path_join(dir, "campaign_manifest.json");
	int rc = 0;
	if (path_exists(p)) {
		if (read_text(p, &t, e) < 0 || campaign_manifest_parse(t.p, t.len, &sd->manifest, e) < 0)
			rc = err_wrap(e, "'%s'", p);
		else
			sd->has_manifest = true;
		buf_free(&t);
	}
	free(p);
	p = path_join(dir, "run_metadata.txt");
	if (rc == 0 && path_exists(p)) {
		if (read_text(p, &t, e) < 0)
			rc = -1;
		else
			run_metadata_parse(t.p, t.len, &sd->meta);
		buf_free(&t);
	}
	free(p);
	p = path_join(dir, "ubatch-calibrations.json");
	if (rc == 0 && path_exists(p)) {
		if (read_text(p, &t, e) < 0 || !(sd->calibrations = calibrations_parse(t.p, t.len, e)))
			rc = err_wrap(e, "'%s'", p);
		buf_free(&t);
	}
	free(p);
	return rc;
}

static void side_free(struct side *sd)
{
	campaign_free(&sd->manifest);
	run_metadata_free(&sd->meta);
	json_object_put(sd->calibrations);
}

int curve_import_path(const char *home, const char *path, const struct import_opts *o,
		      struct curve_import_result *res, struct err *e)
{
	memset(res, 0, sizeof(*res));
	struct strv files = STRV_INIT;
	struct side sd;
	memset(&sd, 0, sizeof(sd));
	sd.meta.cooldown_s = -1;
	struct curve_files *g = NULL;
	size_t ng = 0;
	int rc = -1;
	bool dir = is_dir(path);
	char *folder = xstrdup(path);
	while (strlen(folder) > 1 && folder[strlen(folder) - 1] == '/')
		folder[strlen(folder) - 1] = '\0';
	if (list_files(folder, &files, e) < 0)
		goto out;
	if (!files.n) {
		err_set(e, "'%s' holds no curve file (MODEL__llama-TOOLBOX__curve-prefill__fa1__ubN.jsonl)",
			path);
		goto out;
	}
	g = group_files(&files, &ng);
	if (dir) {
		if (load_side(folder, &sd, e) < 0)
			goto out;
		sd.dir_name = base_name(folder);
	}
	for (size_t i = 0; i < ng; i++) {
		if (!g[i].jsonl[0] && !g[i].jsonl[1])
			continue; /* a stderr log alone */
		json_object *rec = build_record(&g[i], &sd, o, e);
		if (!rec) {
			err_wrap(e, "'%s'", path);
			goto out;
		}
		res->v = xrealloc(res->v, (res->n + 1) * sizeof(*res->v));
		struct curve_import_item *it = &res->v[res->n++];
		memset(it, 0, sizeof(*it));
		it->name = xasprintf("%s__%s__ub%ld", g[i].name.model, g[i].name.env, g[i].name.ubatch);
		it->record = rec;
		snprintf(it->run_id, sizeof(it->run_id), "%s", json_str(rec, "run_id"));
		bool failed = str_eq(json_str(rec, "status"), "failed");
		it->outcome = store_has_run(home, it->run_id) ? IMPORT_DUPLICATE
			      : failed			      ? IMPORT_ADDED_FAILED
								      : IMPORT_ADDED;
	}
	if (!res->n) {
		err_set(e, "'%s' holds no curve result (.jsonl)", path);
		goto out;
	}
	/* all curves or none */
	struct store_batch b;
	size_t adds = 0;
	for (size_t i = 0; i < res->n; i++)
		adds += res->v[i].outcome != IMPORT_DUPLICATE;
	rc = adds ? store_batch_begin(home, &b, e) : 0;
	for (size_t i = 0; rc == 0 && i < res->n; i++)
		if (res->v[i].outcome != IMPORT_DUPLICATE)
			rc = store_batch_add(&b, res->v[i].record, e);
	size_t added = 0;
	if (adds && rc == 0)
		rc = store_batch_commit(&b, &added, e);
	else if (adds && b.stage)
		store_batch_abort(&b);
	if (rc < 0) {
		err_wrap(e, "cannot import '%s', nothing imported", path);
		goto out;
	}
	for (size_t i = 0; i < res->n; i++) {
		res->duplicates += res->v[i].outcome == IMPORT_DUPLICATE;
		res->failed += res->v[i].outcome == IMPORT_ADDED_FAILED;
	}
	res->added = adds - res->failed;
	rc = 0;
out:
	if (rc < 0)
		curve_import_result_free(res);
	free(folder);
	strv_free(&files);
	group_free(g, ng);
	side_free(&sd);
	return rc;
}
