/* store.c - the results store. */
#define _GNU_SOURCE
#include "store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "json.h"

#define RECORD_MAX_BYTES (4 << 20)

void new_run_id(char out[37])
{
	uuid_t u;
	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

char *store_dir(const char *home)
{
	return path_join(home, "results");
}

/* A file-name-safe version of s (letters, digits, '.', '_', '-'). */
static void safe_part(struct buf *b, const char *s, size_t max)
{
	size_t n = 0;
	for (const char *p = s ? s : "unknown"; *p && n < max; p++, n++)
		buf_addc(b, isalnum((unsigned char)*p) || strchr("._-", *p) ? *p : '_');
}

char *store_file_name(json_object *rec)
{
	const char *run_id = json_str(rec, "run_id");
	const char *started = json_str(rec, "started_at");
	int64_t t = 0;
	if (!run_id || !started || parse_time(started, &t) < 0)
		return NULL;
	char ts[32];
	format_time(t, ts);
	struct buf name = BUF_INIT;
	buf_init(&name);
	for (const char *p = ts; *p; p++)
		if (*p != '-' && *p != ':')
			buf_addc(&name, *p);
	buf_addc(&name, '-');
	safe_part(&name, json_str(rec, "backend"), 64);
	buf_addc(&name, '-');
	safe_part(&name, json_str(rec, "model"), 64);
	buf_addc(&name, '-');
	safe_part(&name, run_id, 64);
	buf_adds(&name, ".json");
	return buf_detach(&name);
}

int store_write(const char *home, json_object *rec, char **path, struct err *e)
{
	char *name = store_file_name(rec);
	if (!name)
		return err_set(e, "record without run_id or started_at");
	char *dir = store_dir(home);
	int rc = mkdir_p(dir, 0777, e);
	char *full = path_join(dir, name);
	if (rc == 0)
		rc = json_write_file(full, rec, e);
	if (rc == 0 && path)
		*path = full;
	else
		free(full);
	free(name);
	free(dir);
	return rc;
}

bool store_has_run(const char *home, const char *run_id)
{
	char *dir = store_dir(home);
	DIR *d = opendir(dir);
	free(dir);
	if (!d)
		return false;
	struct buf suffix = BUF_INIT;
	buf_init(&suffix);
	buf_addc(&suffix, '-');
	safe_part(&suffix, run_id, 64);
	buf_adds(&suffix, ".json");
	bool found = false;
	struct dirent *de;
	while (!found && (de = readdir(d)))
		found = str_ends_with(de->d_name, suffix.p);
	closedir(d);
	buf_free(&suffix);
	return found;
}

void records_free(struct records *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		record_free(&rs->v[i]);
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

static bool matches(const struct record *r, const struct record_filter *f)
{
	if (!f)
		return true;
	if (f->backend && strcmp(f->backend, r->backend) != 0)
		return false;
	if (f->model && strcmp(f->model, r->model) != 0)
		return false;
	if (f->host && !str_eq(f->host, r->host))
		return false;
	if (f->since && r->started_at < f->since)
		return false;
	if (f->until && r->started_at >= f->until)
		return false;
	return true;
}

static int cmp_record(const void *a, const void *b)
{
	const struct record *x = a, *y = b;
	if (x->started_at != y->started_at)
		return x->started_at < y->started_at ? -1 : 1;
	return strcmp(x->run_id, y->run_id);
}

int store_load(const char *home, const struct record_filter *f, struct records *out,
	       struct strv *warnings, struct err *e)
{
	memset(out, 0, sizeof(*out));
	char *dir = store_dir(home);
	DIR *d = opendir(dir);
	if (!d) {
		int saved = errno;
		free(dir);
		if (saved == ENOENT)
			return 0;
		return err_set(e, "cannot open results directory: %s", strerror(saved));
	}
	size_t cap = 0;
	struct buf text = BUF_INIT;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !str_ends_with(de->d_name, ".json"))
			continue;
		char *path = path_join(dir, de->d_name);
		struct err re = { 0 };
		struct record r;
		json_object *o = NULL;
		if (read_file_nofollow(path, RECORD_MAX_BYTES, &text, &re) < 0) {
			if (warnings) /* a FIFO, link or device: never waited on */
				strv_pushf(warnings, "skipping %s", re.msg);
			free(path);
			continue;
		}
		if (!(o = json_parse(buf_str(&text), text.len, path, &re)) ||
		    record_read(o, path, RECORD_SUMMARY, &r, &re) < 0) {
			if (warnings)
				strv_pushf(warnings, "skipping corrupt record %s", re.msg[0] ? re.msg : path);
			json_object_put(o);
			free(path);
			continue;
		}
		json_object_put(o);
		free(path);
		if (!matches(&r, f)) {
			record_free(&r);
			continue;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 64;
			out->v = xrealloc(out->v, cap * sizeof(*out->v));
		}
		out->v[out->n++] = r;
	}
	closedir(d);
	buf_free(&text);
	free(dir);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_record);
	return 0;
}
