/* bundle.c - results as one .tar.gz (libarchive), out and back in. */
#define _GNU_SOURCE
#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "store.h"

#define REPORTS_MAX_DEPTH 8

/* ---- export ---- */

struct entry {
	char *name; /* inside the archive, "tbx-export/..." */
	struct buf data;
	int64_t mtime;
	int kind; /* import: enum member_kind */
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

static struct entry *entries_push(struct entries *es, char *name, struct buf *data,
				   int64_t mtime)
{
	if (es->n == es->cap) {
		es->cap = es->cap ? es->cap * 2 : 64;
		es->v = xrealloc(es->v, es->cap * sizeof(*es->v));
	}
	es->v[es->n].name = name;
	es->v[es->n].data = *data;
	es->v[es->n].mtime = mtime;
	es->v[es->n].kind = 0;
	buf_init(data); /* ownership moved */
	return &es->v[es->n++];
}

static void entries_free(struct entries *es)
{
	for (size_t i = 0; i < es->n; i++) {
		free(es->v[i].name);
		buf_free(&es->v[i].data);
	}
	free(es->v);
	memset(es, 0, sizeof(*es));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in dir (not starting with '.'), sorted; a missing dir is empty. */
static int list_dir(const char *dir, struct strv *out, struct err *e)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return err_set(e, "cannot open '%s': %s", dir, strerror(errno));
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			strv_push(out, de->d_name);
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

/* Read a regular file (never following a symlink) for the archive.
 * 1: read; 0: not a regular file or too large (warned); -1: error. */
static int read_member(const char *path, struct buf *data, int64_t *mtime, struct strv *warnings,
		       struct err *e)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return err_set(e, "cannot read '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode)) {
		if (warnings && !S_ISDIR(st.st_mode))
			strv_pushf(warnings, "not exporting '%s': not a regular file", path);
		return 0;
	}
	if ((uint64_t)st.st_size > BUNDLE_MAX_ENTRY) {
		if (warnings)
			strv_pushf(warnings, "not exporting '%s': larger than %zu MiB", path,
				   BUNDLE_MAX_ENTRY >> 20);
		return 0;
	}
	*mtime = (int64_t)st.st_mtime;
	struct err re = { 0 };
	if (read_file_nofollow(path, BUNDLE_MAX_ENTRY, data, &re) < 0) {
		if (warnings)
			strv_pushf(warnings, "not exporting: %s", re.msg);
		return 0;
	}
	return 1;
}

/* Every regular *.json of home/sub as tbx-export/sub/NAME. */
static int collect_json_dir(const char *home, const char *sub, struct entries *es, size_t *count,
			    struct strv *warnings, struct err *e)
{
	char *dir = path_join(home, sub);
	struct strv names = STRV_INIT;
	int rc = list_dir(dir, &names, e);
	struct buf data = BUF_INIT;
	buf_init(&data);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		if (!str_ends_with(names.v[i], ".json"))
			continue;
		char *path = path_join(dir, names.v[i]);
		int64_t mtime = 0;
		int got = read_member(path, &data, &mtime, warnings, e);
		if (got < 0)
			rc = -1;
		else if (got > 0) {
			entries_push(es, xasprintf(BUNDLE_TOP "/%s/%s", sub, names.v[i]), &data, mtime);
			(*count)++;
		}
		free(path);
	}
	buf_free(&data);
	strv_free(&names);
	free(dir);
	return rc;
}

/* Records of home/results started at or after since; corrupt ones warned. */
static int collect_results(const char *home, int64_t since, struct entries *es, size_t *count,
			   struct strv *warnings, struct err *e)
{
	char *dir = store_dir(home);
	struct strv names = STRV_INIT;
	int rc = list_dir(dir, &names, e);
	struct buf data = BUF_INIT;
	buf_init(&data);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		if (!str_ends_with(names.v[i], ".json"))
			continue;
		char *path = path_join(dir, names.v[i]);
		int64_t mtime = 0;
		int got = read_member(path, &data, &mtime, warnings, e);
		if (got < 0)
			rc = -1;
		if (got <= 0) {
			free(path);
			continue;
		}
		struct err re = { 0 };
		struct record r;
		json_object *o = json_parse(data.p, data.len, path, &re);
		if (!o || record_from_json(o, path, &r, &re) < 0) {
			if (warnings)
				strv_pushf(warnings, "not exporting corrupt record %s", re.msg);
		} else {
			if (!since || r.started_at >= since) {
				entries_push(es, xasprintf(BUNDLE_TOP "/results/%s", names.v[i]), &data,
					     mtime);
				(*count)++;
			}
			record_free(&r);
		}
		json_object_put(o);
		free(path);
	}
	buf_free(&data);
	strv_free(&names);
	free(dir);
	return rc;
}

/* reports/, recursively: regular files and directories only. */
static int collect_reports(const char *dir, const char *rel, int depth, struct entries *es,
			   size_t *count, struct strv *warnings, struct err *e)
{
	struct strv names = STRV_INIT;
	if (list_dir(dir, &names, e) < 0)
		return -1;
	int rc = 0;
	struct buf data = BUF_INIT;
	buf_init(&data);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		char *path = path_join(dir, names.v[i]);
		char *sub = path_join(rel, names.v[i]);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < REPORTS_MAX_DEPTH)
				rc = collect_reports(path, sub, depth + 1, es, count, warnings, e);
		} else {
			int64_t mtime = 0;
			int got = read_member(path, &data, &mtime, warnings, e);
			if (got < 0)
				rc = -1;
			else if (got > 0) {
				entries_push(es, xasprintf(BUNDLE_TOP "/%s", sub), &data, mtime);
				(*count)++;
			}
		}
		free(path);
		free(sub);
	}
	buf_free(&data);
	strv_free(&names);
	return rc;
}

static char *this_host(void)
{
	char name[256] = "";
	if (gethostname(name, sizeof(name) - 1) < 0 || !name[0])
		return xstrdup("unknown");
	return xstrdup(name);
}

static char *manifest_text(const struct bundle_export_opts *o, const struct bundle_counts *c,
			   int64_t now)
{
	char ts[32];
	json_object *m = json_object_new_object();
	json_add_int(m, "version", BUNDLE_VERSION);
	json_add_str(m, "tbx_version", TBX_VERSION);
	format_time(now, ts);
	json_add_str(m, "created_at", ts);
	char *host = o->host ? xstrdup(o->host) : this_host();
	json_add_str(m, "host", host);
	free(host);
	if (o->since) {
		format_time(o->since, ts);
		json_add_str(m, "since", ts);
	} else {
		json_add_str(m, "since", NULL);
	}
	json_object *n = json_object_new_object();
	json_add_int(n, "results", (int64_t)c->results);
	json_add_int(n, "manifests", (int64_t)c->manifests);
	json_add_int(n, "containers", (int64_t)c->containers);
	json_add_int(n, "reports", (int64_t)c->reports);
	json_object_object_add(m, "counts", n);
	char *s = json_pretty(m);
	json_object_put(m);
	return s;
}

static int write_entry(struct archive *a, const char *name, const void *data, size_t len,
		       int64_t mtime, struct err *e)
{
	struct archive_entry *en = archive_entry_new();
	archive_entry_set_pathname(en, name);
	archive_entry_set_filetype(en, AE_IFREG);
	archive_entry_set_perm(en, 0644);
	archive_entry_set_size(en, (la_int64_t)len);
	archive_entry_set_mtime(en, (time_t)mtime, 0);
	int rc = 0;
	if (archive_write_header(a, en) != ARCHIVE_OK ||
	    (len && archive_write_data(a, data, len) != (la_ssize_t)len))
		rc = err_set(e, "cannot add '%s' to the archive: %s", name, archive_error_string(a));
	archive_entry_free(en);
	return rc;
}

static int write_archive(int fd, const struct entries *es, const char *manifest, int64_t now,
			 struct err *e)
{
	struct archive *a = archive_write_new();
	int rc = 0;
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = err_set(e, "cannot start the archive: %s", archive_error_string(a));
		archive_write_free(a);
		return rc;
	}
	rc = write_entry(a, BUNDLE_TOP "/MANIFEST.json", manifest, strlen(manifest), now, e);
	for (size_t i = 0; rc == 0 && i < es->n; i++)
		rc = write_entry(a, es->v[i].name, es->v[i].data.p, es->v[i].data.len, es->v[i].mtime,
				 e);
	if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
		rc = err_set(e, "cannot finish the archive: %s", archive_error_string(a));
	archive_write_free(a);
	return rc;
}

int bundle_export(const char *home, const char *out_path, const struct bundle_export_opts *o,
		  struct bundle_counts *counts, struct strv *warnings, struct err *e)
{
	memset(counts, 0, sizeof(*counts));
	struct entries es = { 0 };
	int rc = collect_results(home, o->since, &es, &counts->results, warnings, e);
	if (rc == 0)
		rc = collect_json_dir(home, "manifests", &es, &counts->manifests, warnings, e);
	if (rc == 0)
		rc = collect_json_dir(home, "containers", &es, &counts->containers, warnings, e);
	if (rc == 0) {
		char *dir = path_join(home, "reports");
		rc = collect_reports(dir, "reports", 0, &es, &counts->reports, warnings, e);
		free(dir);
	}
	if (rc < 0) {
		entries_free(&es);
		return err_wrap(e, "cannot export");
	}
	int64_t now = now_unix();
	char *manifest = manifest_text(o, counts, now);
	char *tmp = NULL;
	int fd = temp_file_create(AT_FDCWD, out_path, 0666, &tmp, e);
	if (fd < 0) {
		rc = -1;
	} else {
		rc = write_archive(fd, &es, manifest, now, e);
		if (rc == 0 && fsync(fd) < 0)
			rc = err_set(e, "cannot write '%s': %s", tmp, strerror(errno));
		if (close(fd) < 0 && rc == 0)
			rc = err_set(e, "cannot write '%s': %s", tmp, strerror(errno));
		if (rc == 0 && rename(tmp, out_path) < 0)
			rc = err_set(e, "cannot rename '%s' to '%s': %s", tmp, out_path,
				     strerror(errno));
		if (rc < 0)
			unlink(tmp);
	}
	free(tmp);
	free(manifest);
	entries_free(&es);
	return rc;
}

/* ---- import ---- */

enum member_kind {
	MEMBER_DIR,
	MEMBER_MANIFEST,
	MEMBER_RESULT,
	MEMBER_DEFINITION,
	MEMBER_REPORT,
	MEMBER_OTHER,
};

void bundle_import_result_free(struct bundle_import_result *r)
{
	free(r->host);
	free(r->created_at);
	memset(r, 0, sizeof(*r));
}

bool bundle_detect(const char *path)
{
	if (str_ends_with(path, ".tar.gz") || str_ends_with(path, ".tgz") ||
	    str_ends_with(path, ".tar"))
		return true;
	unsigned char head[512];
	struct err ignore = { 0 };
	int fd = open_file_regular(path, &ignore); /* a FIFO is not waited on */
	if (fd < 0)
		return false;
	ssize_t n = read(fd, head, sizeof(head));
	close(fd);
	if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
		return true;
	return n >= 262 && memcmp(head + 257, "ustar", 5) == 0;
}

/* Split a path into its components, ignoring "." and empty ones
 * ("./tbx-export//x").  -1 for an absolute path or a ".." component. */
static int split_path(const char *name, const char *shown, struct strv *parts, struct err *e)
{
	if (!name[0])
		return err_set(e, "an entry has an empty name");
	if (name[0] == '/')
		return err_set(e, "entry '%s' has an absolute path", shown);
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return err_set(e, "entry '%s' has a '..' component", shown);
		if (n && !(n == 1 && p[0] == '.')) {
			char *part = xstrndup(p, n);
			strv_push(parts, part);
			free(part);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

/* What an entry is, refusing paths that could escape a directory and
 * anything outside tbx-export/. */
static int classify(const char *name, const char *shown, bool is_dir, enum member_kind *kind,
		    struct err *e)
{
	struct strv parts = STRV_INIT;
	if (split_path(name, shown, &parts, e) < 0) {
		strv_free(&parts);
		return -1;
	}
	int rc = 0;
	const char *sub = parts.n > 1 ? parts.v[1] : "";
	if (!parts.n && is_dir)
		*kind = MEMBER_DIR; /* "./" */
	else if (!parts.n || strcmp(parts.v[0], BUNDLE_TOP) != 0)
		rc = err_set(e, "entry '%s' is outside " BUNDLE_TOP "/ (not a tbx export)", shown);
	else if (is_dir)
		*kind = MEMBER_DIR;
	else if (parts.n == 2 && strcmp(sub, "MANIFEST.json") == 0)
		*kind = MEMBER_MANIFEST;
	else if (parts.n == 3 && strcmp(sub, "results") == 0 && str_ends_with(parts.v[2], ".json"))
		*kind = MEMBER_RESULT;
	else if (parts.n > 2 && (strcmp(sub, "containers") == 0 || strcmp(sub, "manifests") == 0))
		*kind = MEMBER_DEFINITION;
	else if (parts.n > 2 && strcmp(sub, "reports") == 0)
		*kind = MEMBER_REPORT;
	else
		*kind = MEMBER_OTHER;
	strv_free(&parts);
	return rc;
}

/* Refuse links, devices, fifos; directories and regular files only. */
static int check_type(struct archive_entry *en, const char *shown, struct err *e)
{
	if (archive_entry_hardlink(en))
		return err_set(e, "entry '%s' is a hard link", shown);
	if (archive_entry_symlink(en) || archive_entry_filetype(en) == AE_IFLNK)
		return err_set(e, "entry '%s' is a symbolic link", shown);
	switch (archive_entry_filetype(en)) {
	case AE_IFREG:
	case AE_IFDIR:
		return 0;
	case AE_IFCHR:
	case AE_IFBLK:
		return err_set(e, "entry '%s' is a device", shown);
	default:
		return err_set(e, "entry '%s' is not a regular file or directory", shown);
	}
}

/* Read an entry's data into out, within the entry's limit (max) and the
 * total one. */
static int read_data(struct archive *a, struct archive_entry *en, const char *shown, size_t max,
		     size_t *total, struct buf *out, struct err *e)
{
	if (archive_entry_size_is_set(en) &&
	    (archive_entry_size(en) < 0 || (uint64_t)archive_entry_size(en) > max))
		return err_set(e, "entry '%s' is larger than %zu MiB%s", shown, max >> 20,
			       max == RECORD_MAX_BYTES ? ", the most the store reads in a record" : "");
	buf_reset(out);
	char chunk[65536];
	for (;;) {
		la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
		if (n < 0)
			return err_set(e, "cannot read entry '%s': %s", shown, archive_error_string(a));
		if (n == 0)
			break;
		if (out->len + (size_t)n > max)
			return err_set(e, "entry '%s' is larger than %zu MiB", shown, max >> 20);
		*total += (size_t)n;
		if (*total > BUNDLE_MAX_TOTAL)
			return err_set(e, "the archive holds more than %zu MiB", BUNDLE_MAX_TOTAL >> 20);
		buf_add(out, chunk, (size_t)n);
	}
	if (!out->p)
		buf_init(out);
	return 0;
}

/* The archive's uncompressed bytes against its compressed ones: a small
 * download must not become a flood of files.  Checked as it is read, once
 * past BUNDLE_RATIO_FLOOR (small bundles always pass). */
static int check_expansion(struct archive *a, struct err *e)
{
	la_int64_t raw = archive_filter_bytes(a, -1), plain = archive_filter_bytes(a, 0);
	if (plain > (la_int64_t)BUNDLE_RATIO_FLOOR && raw > 0 &&
	    plain / raw > (la_int64_t)BUNDLE_MAX_RATIO)
		return err_set(e, "the archive expands more than %d times (%lld bytes from %lld)",
			       BUNDLE_MAX_RATIO, (long long)plain, (long long)raw);
	return 0;
}

/* Pass 1: read the whole archive into memory, refusing it on the first
 * hostile entry.  Results and MANIFEST.json are kept in es. */
static int read_entries(struct archive *a, const struct bundle_import_opts *o,
			struct entries *es, struct bundle_import_result *res, struct err *e)
{
	struct archive_entry *en;
	struct buf data = BUF_INIT;
	buf_init(&data);
	size_t n = 0, total = 0, records = 0;
	int rc = 0, r;
	while (rc == 0 && (r = archive_read_next_header(a, &en)) != ARCHIVE_EOF) {
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = err_set(e, "not a readable tar.gz archive: %s", archive_error_string(a));
			break;
		}
		if (++n > BUNDLE_MAX_ENTRIES) {
			rc = err_set(e, "more than %d entries", BUNDLE_MAX_ENTRIES);
			break;
		}
		const char *name = archive_entry_pathname(en);
		if (!name) {
			rc = err_set(e, "entry %zu has no name", n);
			break;
		}
		char *shown = sanitize_line(name, strlen(name), 200);
		enum member_kind kind = MEMBER_OTHER;
		rc = check_type(en, shown, e);
		if (rc == 0)
			rc = classify(name, shown, archive_entry_filetype(en) == AE_IFDIR, &kind, e);
		if (rc == 0 && kind == MEMBER_RESULT && ++records > o->max_records)
			rc = err_set(e,
				     "more than %zu records, the limit of one import (--max-records N, "
				     "or import_max_records in the config file)",
				     o->max_records);
		if (rc == 0 && kind != MEMBER_DIR)
			rc = read_data(a, en, shown,
				       kind == MEMBER_RESULT ? RECORD_MAX_BYTES : BUNDLE_MAX_ENTRY, &total,
				       &data, e);
		if (rc == 0)
			rc = check_expansion(a, e);
		if (rc == 0) {
			switch (kind) {
			case MEMBER_MANIFEST:
			case MEMBER_RESULT:
				entries_push(es, xstrdup(name), &data, 0)->kind = (int)kind;
				break;
			case MEMBER_DEFINITION: res->definitions++; break;
			case MEMBER_REPORT: res->reports++; break;
			case MEMBER_OTHER: res->other++; break;
			case MEMBER_DIR: break;
			}
		}
		free(shown);
	}
	buf_free(&data);
	return rc;
}

static struct archive *archive_reader(void)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	return a;
}

static int read_bundle(const char *path, const struct bundle_import_opts *o, struct entries *es,
		       struct bundle_import_result *res, struct err *e)
{
	int fd = open_file_regular(path, e);
	if (fd < 0)
		return -1;
	struct archive *a = archive_reader();
	int rc;
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK)
		rc = err_set(e, "not a tar.gz archive: %s", archive_error_string(a));
	else
		rc = read_entries(a, o, es, res, e);
	archive_read_free(a);
	close(fd);
	return rc;
}

static void read_manifest(const struct entry *m, const char *path,
			  struct bundle_import_result *res, struct strv *warnings, struct err *e,
			  int *rc)
{
	struct err je = { 0 };
	char *where = xasprintf("%s:" BUNDLE_TOP "/MANIFEST.json", path);
	json_object *o = json_parse(m->data.p, m->data.len, where, &je);
	free(where);
	if (!o || !json_object_is_type(o, json_type_object)) {
		strv_pushf(warnings, "ignoring MANIFEST.json: %s", o ? "not an object" : je.msg);
		json_object_put(o);
		return;
	}
	int64_t version = json_int(o, "version", 0);
	if (version > BUNDLE_VERSION)
		*rc = err_set(e, "the bundle's version %lld is newer than this tbx reads (%d)",
			      (long long)version, BUNDLE_VERSION);
	const char *host = json_str(o, "host"), *created = json_str(o, "created_at");
	if (host && !res->host)
		res->host = sanitize_line(host, strlen(host), 200);
	if (created && !res->created_at)
		res->created_at = sanitize_line(created, strlen(created), 64);
	json_object_put(o);
}

/* Pass 2: parse and check every record; those to write go to keep. */
static void check_records(const char *home, const char *path, const struct entries *es,
			  json_object **keep, size_t *n_keep, struct bundle_import_result *res,
			  struct strv *warnings)
{
	struct strv seen = STRV_INIT;
	for (size_t i = 0; i < es->n; i++) {
		const struct entry *en = &es->v[i];
		if (en->kind != MEMBER_RESULT)
			continue;
		char *shown = sanitize_line(en->name, strlen(en->name), 200);
		char *where = xasprintf("%s:%s", path, shown);
		struct err re = { 0 };
		struct record r;
		json_object *o = json_parse(en->data.p, en->data.len, where, &re);
		if (!o || record_from_json(o, where, &r, &re) < 0) {
			strv_pushf(warnings, "skipping invalid record %s", re.msg);
			res->invalid++;
			json_object_put(o);
		} else if (strv_contains(&seen, r.run_id) || (home && store_has_run(home, r.run_id))) {
			res->duplicates++;
			json_object_put(o);
			record_free(&r);
		} else {
			strv_push(&seen, r.run_id);
			keep[(*n_keep)++] = o;
			record_free(&r);
		}
		free(where);
		free(shown);
	}
	strv_free(&seen);
}

/* Pass 2 on what pass 1 kept: the manifest, then every record.  -1 when
 * the bundle is refused as a whole. */
static int plan_import(const char *home, const char *path, struct entries *es,
		       json_object ***keep, size_t *n_keep, struct bundle_import_result *res,
		       struct strv *warnings, struct err *e)
{
	int rc = 0;
	bool manifest = false;
	for (size_t i = 0; i < es->n; i++) {
		if (es->v[i].kind == MEMBER_MANIFEST) {
			manifest = true;
			read_manifest(&es->v[i], path, res, warnings, e, &rc);
		}
	}
	if (!manifest)
		rc = err_set(e, "not a tbx export: no " BUNDLE_TOP "/MANIFEST.json");
	if (rc < 0)
		return -1;
	*keep = xcalloc(es->n + 1, sizeof(**keep));
	*n_keep = 0;
	check_records(home, path, es, *keep, n_keep, res, warnings);
	return 0;
}

static void keep_free(json_object **keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(keep[i]);
	free(keep);
}

int bundle_import(const char *home, const char *path, const struct bundle_import_opts *o,
		  struct bundle_import_result *res, struct strv *warnings, struct err *e)
{
	memset(res, 0, sizeof(*res));
	struct entries es = { 0 };
	json_object **keep = NULL;
	size_t n_keep = 0;
	if (read_bundle(path, o, &es, res, e) < 0 ||
	    plan_import(home, path, &es, &keep, &n_keep, res, warnings, e) < 0) {
		entries_free(&es);
		return err_wrap(e, "refusing '%s', nothing imported", path);
	}
	entries_free(&es);
	/* all records or none: staged, then moved in together */
	struct store_batch b;
	int rc = n_keep ? store_batch_begin(home, &b, e) : 0;
	for (size_t i = 0; rc == 0 && i < n_keep; i++)
		rc = store_batch_add(&b, keep[i], e);
	if (n_keep && rc == 0)
		rc = store_batch_commit(&b, &res->added, e);
	else if (n_keep && b.stage)
		store_batch_abort(&b);
	keep_free(keep, n_keep);
	if (rc < 0)
		return err_wrap(e, "cannot import '%s', nothing imported", path);
	return 0;
}

int bundle_check_mem(const void *data, size_t len, const struct bundle_import_opts *o,
		     struct bundle_import_result *res, struct strv *warnings, struct err *e)
{
	memset(res, 0, sizeof(*res));
	struct entries es = { 0 };
	json_object **keep = NULL;
	size_t n_keep = 0;
	struct archive *a = archive_reader();
	int rc;
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK)
		rc = err_set(e, "not a tar.gz archive: %s", archive_error_string(a));
	else
		rc = read_entries(a, o, &es, res, e);
	archive_read_free(a);
	if (rc == 0)
		rc = plan_import(NULL, "bundle", &es, &keep, &n_keep, res, warnings, e);
	entries_free(&es);
	res->added = n_keep;
	keep_free(keep, n_keep);
	return rc;
}
