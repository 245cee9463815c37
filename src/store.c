/* store.c - the results store. */
#define _GNU_SOURCE
#include "store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "json.h"
#include "reccache.h"

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

/* The record's text, if the store will read it back: checked with the
 * reader's own rules and the one size limit before anything is written. */
static char *record_text(json_object *rec, const char *name, struct err *e)
{
	if (record_check(rec, name, e) < 0)
		return NULL;
	char *text = json_pretty(rec);
	if (strlen(text) > RECORD_MAX_BYTES) {
		err_set(e, "%s: the record is larger than %zu MiB, the most the store reads", name,
			RECORD_MAX_BYTES >> 20);
		free(text);
		return NULL;
	}
	return text;
}

int store_write(const char *home, json_object *rec, char **path, struct err *e)
{
	char *name = store_file_name(rec);
	if (!name)
		return err_set(e, "record without run_id or started_at");
	char *text = record_text(rec, name, e);
	char *dir = store_dir(home);
	int rc = text ? mkdir_p(dir, 0775, e) : -1; /* never o+w, whatever the umask: see trust.h */
	char *full = path_join(dir, name);
	if (rc == 0)
		rc = write_file_atomic(full, text, strlen(text), 0664, e);
	if (rc == 0 && path)
		*path = full;
	else
		free(full);
	free(text);
	free(name);
	free(dir);
	return rc;
}

/* ---- batches ---- */

#define STAGE_PREFIX ".import-"

/* Staging directories of processes that died (kill -9) mid-import. */
static void remove_stale_stages(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		long pid;
		if (!str_starts_with(de->d_name, STAGE_PREFIX))
			continue;
		const char *p = de->d_name + strlen(STAGE_PREFIX);
		char *digits = xstrndup(p, strcspn(p, "-"));
		int bad = parse_long(digits, 1, 1L << 30, &pid);
		free(digits);
		if (bad < 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		char *stage = path_join(dir, de->d_name);
		DIR *sd = opendir(stage);
		struct dirent *se;
		while (sd && (se = readdir(sd)))
			if (se->d_name[0] != '.')
				unlinkat(dirfd(sd), se->d_name, 0);
		if (sd)
			closedir(sd);
		rmdir(stage);
		free(stage);
	}
	closedir(d);
}

int store_batch_begin(const char *home, struct store_batch *b, struct err *e)
{
	memset(b, 0, sizeof(*b));
	b->dir = store_dir(home);
	if (mkdir_p(b->dir, 0775, e) < 0) {
		store_batch_abort(b);
		return -1;
	}
	remove_stale_stages(b->dir);
	char *tmpl = xasprintf("%s/" STAGE_PREFIX "%ld-XXXXXX", b->dir, (long)getpid());
	if (!mkdtemp(tmpl)) {
		err_set(e, "cannot create a staging directory in '%s': %s", b->dir, strerror(errno));
		free(tmpl);
		store_batch_abort(b);
		return -1;
	}
	b->stage = tmpl;
	return 0;
}

int store_batch_add(struct store_batch *b, json_object *rec, struct err *e)
{
	char *name = store_file_name(rec);
	if (!name)
		return err_set(e, "record without run_id or started_at");
	if (strv_contains(&b->names, name)) {
		free(name);
		return 0;
	}
	char *text = record_text(rec, name, e);
	char *path = path_join(b->stage, name);
	int rc = text ? write_file_atomic(path, text, strlen(text), 0664, e) : -1;
	if (rc == 0)
		strv_push(&b->names, name);
	free(path);
	free(text);
	free(name);
	return rc;
}

/* Undo the first n renames of a commit that failed. */
static void unmove(struct store_batch *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *dst = path_join(b->dir, b->names.v[i]);
		unlink(dst);
		free(dst);
	}
}

int store_batch_commit(struct store_batch *b, size_t *added, struct err *e)
{
	size_t moved = 0;
	/* each staged file is complete and synced: renames are all that is left */
	for (size_t i = 0; i < b->names.n; i++) {
		char *src = path_join(b->stage, b->names.v[i]);
		char *dst = path_join(b->dir, b->names.v[i]);
		int rc = renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE);
		int saved = errno;
		free(src);
		free(dst);
		if (rc == 0) {
			/* keep the moved ones first, so unmove() finds them */
			char *t = b->names.v[moved];
			b->names.v[moved++] = b->names.v[i];
			b->names.v[i] = t;
		} else if (saved != EEXIST) { /* EEXIST: the same run, imported meanwhile */
			unmove(b, moved);
			err_set(e, "cannot move the imported records into '%s': %s", b->dir,
				strerror(saved));
			store_batch_abort(b);
			return -1;
		}
	}
	int fd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	if (added)
		*added = moved;
	store_batch_abort(b); /* removes the (now empty) staging directory */
	return 0;
}

void store_batch_abort(struct store_batch *b)
{
	if (b->stage) {
		for (size_t i = 0; i < b->names.n; i++) {
			char *p = path_join(b->stage, b->names.v[i]);
			unlink(p);
			free(p);
		}
		rmdir(b->stage);
	}
	free(b->stage);
	free(b->dir);
	strv_free(&b->names);
	memset(b, 0, sizeof(*b));
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

/* One copy of each text that many records repeat (settings, host state,
 * keys): 10,000 records of a few hosts and builds hold a few hundred. */
struct text_pool {
	char **slot; /* open addressing, NULL = free */
	size_t cap, n;
};

static uint64_t text_hash(const char *s)
{
	uint64_t h = 14695981039346656037u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* The pool's copy of s (s freed when a copy was there already). */
static char *pool_intern(struct text_pool *p, char *s)
{
	if (!s)
		return NULL;
	if (2 * (p->n + 1) > p->cap) {
		struct text_pool bigger = { .cap = p->cap ? 2 * p->cap : 256 };
		bigger.slot = xcalloc(bigger.cap, sizeof(char *));
		for (size_t i = 0; i < p->cap; i++) {
			if (!p->slot[i])
				continue;
			size_t k = text_hash(p->slot[i]) & (bigger.cap - 1);
			while (bigger.slot[k])
				k = (k + 1) & (bigger.cap - 1);
			bigger.slot[k] = p->slot[i];
		}
		bigger.n = p->n;
		free(p->slot);
		*p = bigger;
	}
	size_t k = text_hash(s) & (p->cap - 1);
	for (; p->slot[k]; k = (k + 1) & (p->cap - 1))
		if (strcmp(p->slot[k], s) == 0) {
			free(s);
			return p->slot[k];
		}
	p->n++;
	return p->slot[k] = s;
}

static void pool_share(struct text_pool *p, struct record *r)
{
	r->settings = pool_intern(p, r->settings);
	r->host_state = pool_intern(p, r->host_state);
	r->upstream = pool_intern(p, r->upstream);
	r->config_key = pool_intern(p, r->config_key);
	r->config_variant = pool_intern(p, r->config_variant);
	r->shared_text = true;
}

void records_free(struct records *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		record_free(&rs->v[i]);
	free(rs->v);
	if (rs->pool) {
		for (size_t i = 0; i < rs->pool->cap; i++)
			free(rs->pool->slot[i]);
		free(rs->pool->slot);
		free(rs->pool);
	}
	rs->v = NULL;
	rs->n = 0;
	rs->pool = NULL;
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
	if (f->config_key && !str_eq(f->config_key, r->config_key))
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

static char *pool_intern_cb(void *pool, char *s)
{
	return pool_intern(pool, s);
}

/* A record file's summary (r), its identity (st) taken from the descriptor
 * read; -1 after a warning when it is not a record the store reads. */
static int parse_file(struct json_tokener *tok, const char *path, struct buf *text,
		      struct stat *st, struct record *r, struct strv *warnings)
{
	struct err re = { 0 };
	json_object *o = NULL;
	if (read_file_nofollow_stat(path, RECORD_MAX_BYTES, text, st, &re) < 0) {
		if (warnings) /* a FIFO, link or device: never waited on */
			strv_pushf(warnings, "skipping %s", re.msg);
		return -1;
	}
	if (!(o = tok ? json_parse_with(tok, buf_str(text), text->len, path, &re)
		      : json_parse(buf_str(text), text->len, path, &re)) ||
	    record_read(o, path, RECORD_SUMMARY, r, &re) < 0) {
		if (warnings)
			strv_pushf(warnings, "skipping corrupt record %s", re.msg[0] ? re.msg : path);
		json_object_put(o);
		return -1;
	}
	json_object_put(o);
	return 0;
}

/* The cached summary of a record file whose identity is unchanged. */
static bool from_cache(struct reccache *c, DIR *d, const char *name, struct reccache_key *k,
		       struct record *r, size_t *entry, struct text_pool *pool)
{
	struct stat st;
	if (!reccache_has(c, name) || fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return false;
	reccache_key_of(&st, k);
	return reccache_get(c, name, k, r, entry, pool_intern_cb, pool) == 1;
}

/* A record file read, in directory order: its record is v[at], or (a
 * cached one the filter does not want, not kept) the cache's entry at. */
struct seen {
	struct reccache_key key;
	size_t at;
	bool dropped;
};

/* Save the cache when it differs from what was loaded: best-effort. */
static void save_cache(struct reccache *c, const char *path, size_t dir_len,
		       const struct record *v, const struct seen *seen, size_t n,
		       struct store_load_stats *st)
{
	if (!reccache_dirty(c))
		return;
	struct reccache_item *keep = xcalloc(n ? n : 1, sizeof(*keep));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const struct seen *s = &seen[i];
		if (!reccache_cacheable(c, &s->key))
			continue;
		if (s->dropped) /* decoded again when written */
			keep[m++] = (struct reccache_item){ reccache_name(c, s->at), s->key, NULL, s->at };
		else /* file: DIR/NAME */
			keep[m++] = (struct reccache_item){ v[s->at].file + dir_len + 1, s->key,
							    &v[s->at], 0 };
	}
	struct err e = { 0 };
	if (reccache_save(path, keep, m, c, &e) == 0)
		st->cache_written = true;
	else
		verbose("not saving the record cache: %s", e.msg);
	free(keep);
}

int store_load(const char *home, const struct record_filter *f, struct records *out,
	       struct strv *warnings, struct err *e)
{
	return store_load_counted(home, f, out, warnings, NULL, e);
}

int store_load_counted(const char *home, const struct record_filter *f, struct records *out,
		       struct strv *warnings, struct store_load_stats *stats, struct err *e)
{
	struct store_load_stats ignored;
	struct store_load_stats *st = stats ? stats : &ignored;
	memset(st, 0, sizeof(*st));
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
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char *cache_path = path_join(home, RECCACHE_FILE);
	struct reccache *c = reccache_open(cache_path, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
	/* the records the filter wants, and every one parsed (for the cache;
	 * filtered below) */
	struct text_pool *pool = xcalloc(1, sizeof(*pool));
	struct record *v = NULL;
	struct seen *seen = NULL;
	size_t n = 0, cap = 0, n_seen = 0, seen_cap = 0;
	struct buf text = BUF_INIT;
	struct json_tokener *tok = NULL; /* one parser for every file parsed */
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !str_ends_with(de->d_name, ".json"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		if (n_seen == seen_cap) {
			seen_cap = seen_cap ? seen_cap * 2 : 64;
			seen = xrealloc(seen, seen_cap * sizeof(*seen));
		}
		/* straight into place: a record is 840 bytes, 10,000 of them */
		struct record *r = &v[n];
		struct seen *s = &seen[n_seen];
		*s = (struct seen){ .at = n };
		char *path = path_join(dir, de->d_name);
		if (from_cache(c, d, de->d_name, &s->key, r, &s->at, pool)) {
			st->cached++;
			n_seen++;
			if (!matches(r, f)) {
				s->dropped = true;
				record_free(r);
				free(path);
				continue;
			}
			s->at = n;
			r->file = path;
		} else {
			struct stat sb;
			if (!tok)
				tok = json_parser_new();
			int rc = parse_file(tok, path, &text, &sb, r, warnings);
			free(path);
			if (rc < 0)
				continue;
			reccache_key_of(&sb, &s->key);
			reccache_note_parsed(c, &s->key);
			pool_share(pool, r);
			st->parsed++;
			n_seen++;
		}
		n++;
	}
	closedir(d);
	buf_free(&text);
	if (tok)
		json_tokener_free(tok);
	save_cache(c, cache_path, strlen(dir), v, seen, n_seen, st);
	reccache_free(c);
	free(cache_path);
	free(seen);
	free(dir);
	for (size_t i = 0; i < n; i++) {
		if (matches(&v[i], f)) {
			if (out->n != i)
				v[out->n] = v[i];
			out->n++;
		} else {
			record_free(&v[i]);
		}
	}
	out->v = v;
	out->pool = pool;
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_record);
	return 0;
}
