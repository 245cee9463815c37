/* test_reccache.c - the record cache (src/reccache.c) under store_load:
 * what store_load returns (records in order, every field, the warnings)
 * is the same byte for byte with no cache, a cold one, a warm one, a stale
 * one and a corrupt one.
 *
 * The records: the report fixtures (tests/fixtures/records: bench runs,
 * imported, failed, stale), two curve records written here through
 * record_to_json (points with samples, a partial series with an error, a
 * calibration), a corrupt JSON file, a record without run_id and a
 * symbolic link (all three warned about on every load).
 *
 * The cache leaves out files changed less than RECCACHE_RACY_NS ago and
 * ctime cannot be set back, so the homes are made once, one per test, and
 * the group setup waits that long once. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "reccache.h"
#include "record.h"
#include "store.h"
#include "util.h"

#define FIXTURES "tests/fixtures/records"
#define N_HOMES 9 /* the last: test_many's */
#define N_GOOD 12 /* 10 fixtures and 2 curves */
#define N_WARN 3

static char *homes[N_HOMES];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void write_text(const char *path, const char *text)
{
	struct err e = { 0 };
	if (write_file_atomic(path, text, strlen(text), 0644, &e) < 0) {
		print_error("%s\n", e.msg);
		fail();
	}
}

static void write_text_bytes(const char *path, const void *data, size_t len)
{
	struct err e = { 0 };
	if (write_file_atomic(path, data, len, 0644, &e) < 0) {
		print_error("%s\n", e.msg);
		fail();
	}
}

static void copy_file(const char *from, const char *to)
{
	struct buf b = BUF_INIT;
	struct err e = { 0 };
	buf_init(&b);
	assert_int_equal(read_file(from, 1 << 22, &b, &e), 0);
	write_text(to, b.p);
	buf_free(&b);
}

static void add_point(struct rec_series *s, long depth, double a, double b)
{
	double samples[] = { a, b };
	struct rec_test t = { 0 };
	rec_test_set(&t, (a + b) / 2, fabs(a - b) / 2, samples, 2);
	rec_series_add(s, depth, &t);
	rec_test_free(&t);
}

/* A curve record as tbx curve writes one. */
static void write_curve(const char *home, const char *run_id, bool partial)
{
	struct record r;
	record_init(&r);
	r.run_id = xstrdup(run_id);
	r.started_at = partial ? 1778900000 : 1778800000;
	r.finished_at = r.started_at + 600;
	r.backend = xstrdup("rocm-7.2");
	r.lineage = xstrdup("llama.cpp");
	r.model = xstrdup("Qwen3.6-35B-A3B-UD-Q4_K_XL");
	r.model_path = xstrdup("/models/qwen/Qwen3.6-35B-A3B-UD-Q4_K_XL.gguf");
	r.model_bytes = 22016020384;
	r.host = xstrdup("strix \"halo\" <box>");
	r.kernel = xstrdup("6.19.12");
	r.kind = xstrdup("container");
	r.image_digest = xstrdup("sha256:587be1cc62ac4b2c1b0b5a3d86c8e7a5e0d9b2b3d4f5e6a7b8c9d0e1f2a3b4c5");
	r.build_commit = xstrdup("abc1234");
	r.build_number = 9193;
	r.run_kind = xstrdup(RECORD_RUN_CURVE);
	r.settings = xstrdup("{\"n_batch\":2048,\"flash_attn\":true}");
	r.upstream = xstrdup("{\"state\":\"current\"}");
	struct rec_curve *c = &r.curve;
	c->present = true;
	long depths[] = { 0, 4096, 16384 };
	c->depths = xcalloc(3, sizeof(long));
	memcpy(c->depths, depths, sizeof(depths));
	c->n_depths = 3;
	c->ubatch = 512;
	c->ubatch_from = xstrdup("calibration");
	c->repetitions = 2;
	c->cooldown_s = 30;
	c->load_flag = xstrdup("--load-mode none");
	c->partial = partial;
	c->calibration = xstrdup("{\"ubatch\":512,\"candidates\":[256,512,1024]}");
	c->prefill = (struct rec_series){ .present = true, .n_prompt = 2048 };
	c->generation = (struct rec_series){ .present = true, .n_gen = 128 };
	strv_push(&c->prefill.command, "llama-bench");
	strv_push(&c->prefill.command, "-d");
	strv_push(&c->prefill.command, "0,4096,16384");
	for (size_t i = 0; i < 3; i++)
		add_point(&c->prefill, depths[i], 900.125 - 100.0 * (double)i, 905.5 - 99.0 * (double)i);
	for (size_t i = 0; i < (partial ? 1u : 3u); i++)
		add_point(&c->generation, depths[i], 50.25 - (double)i, 49.75 - (double)i);
	if (partial) {
		c->generation.partial = true;
		c->generation.error = xstrdup("llama-bench: out of memory at depth 4096");
	}
	double w[] = { 880.0, 881.5 };
	rec_test_set(&c->warmup, 880.75, 0.75, w, 2);
	json_object *o = record_to_json(&r);
	char *name = store_file_name(o);
	char *dir = store_dir(home), *path = path_join(dir, name);
	char *text = json_pretty(o);
	write_text(path, text);
	free(text), free(path), free(dir), free(name);
	json_object_put(o);
	record_free(&r);
}

static char *make_home(void)
{
	char tmpl[] = "/tmp/tbx-test-reccache.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *home = xstrdup(tmpl);
	char *dir = store_dir(home);
	assert_int_equal(mkdir(dir, 0700), 0);
	DIR *d = opendir(FIXTURES);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!str_ends_with(de->d_name, ".json"))
			continue;
		char *from = path_join(FIXTURES, de->d_name), *to = path_join(dir, de->d_name);
		copy_file(from, to);
		free(from), free(to);
	}
	closedir(d);
	write_curve(home, "11111111-2222-4333-8444-555555555555", false);
	write_curve(home, "66666666-7777-4888-9999-aaaaaaaaaaaa", true);
	char *p = path_join(dir, "20260101T000000Z-x-y-broken.json");
	write_text(p, "{\"run_id\": \"broken\", \"backend\": ");
	free(p);
	p = path_join(dir, "20260101T000000Z-x-y-norunid.json");
	write_text(p, "{\"backend\": \"rocm-7.2\", \"started_at\": \"2026-01-01T00:00:00Z\"}");
	free(p);
	p = path_join(dir, "20260101T000000Z-x-y-link.json");
	assert_int_equal(symlink("/etc/hostname", p), 0);
	free(p);
	free(dir);
	return home;
}

/* Many records (two threads parse them on a cold load): copies of a
 * fixture under other run ids, corrupt files between them, and runs
 * stored twice under two names (the same run id and start: their order
 * is the order they were read in). */
#define MANY 300
static void add_many(const char *home)
{
	char *dir = store_dir(home);
	char *from = path_join(FIXTURES, "20260510T030000Z-rocm-7.2-Qwen3.6-35B-A3B-UD-Q4_K_XL-"
					 "df77df4c-3289-4689-ab61-94aec96d5d7c.json");
	struct buf b = BUF_INIT;
	struct err e = { 0 };
	buf_init(&b);
	assert_int_equal(read_file(from, 1 << 22, &b, &e), 0);
	const char *id = "df77df4c-3289-4689-ab61-94aec96d5d7c";
	char *at = strstr(b.p, id);
	assert_non_null(at);
	for (int i = 0; i < MANY; i++) {
		char nid[40];
		snprintf(nid, sizeof(nid), "df77df4c-3289-4689-ab61-%012d", i / 2 * 2);
		memcpy(at, nid, strlen(nid));
		char *name = xasprintf("20260601T%06dZ-many-%s-%d.json", i, nid, i);
		char *path = path_join(dir, name);
		write_text(path, i % 25 == 7 ? "{\"run_id\": 1}" : b.p);
		free(name), free(path);
	}
	buf_free(&b);
	free(from), free(dir);
}

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_HOMES; i++)
		homes[i] = make_home();
	add_many(homes[N_HOMES - 1]);
	/* every file older than the racy window */
	struct timespec t = { RECCACHE_RACY_NS / 1000000000, RECCACHE_RACY_NS % 1000000000 };
	t.tv_nsec += 200000000;
	nanosleep(&t, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_HOMES; i++) {
		nftw(homes[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(homes[i]);
	}
	return 0;
}

/* Everything store_load returned, as text: each record's JSON and the
 * fields record_to_json does not write, then the warnings. */
static char *load_dump(const char *home, const struct record_filter *f,
		       struct store_load_stats *st)
{
	struct records rs;
	struct strv warnings = STRV_INIT;
	struct err e = { 0 };
	assert_int_equal(store_load_counted(home, f, &rs, &warnings, st, &e), 0);
	struct buf b = BUF_INIT;
	buf_init(&b);
	for (size_t i = 0; i < rs.n; i++) {
		const struct record *r = &rs.v[i];
		json_object *o = record_to_json(r);
		char *s = json_pretty(o);
		buf_addf(&b, "%s\nfile %s\nkey %s\nvariant %s\nargs_unknown %d shared %d\n", s, r->file,
			 r->config_key, r->config_variant, r->args_unknown, r->shared_text);
		free(s);
		json_object_put(o);
	}
	for (size_t i = 0; i < warnings.n; i++)
		buf_addf(&b, "warning %s\n", warnings.v[i]);
	strv_free(&warnings);
	records_free(&rs);
	return buf_detach(&b);
}

static char *cache_path(const char *home)
{
	return path_join(home, RECCACHE_FILE);
}

static void remove_cache(const char *home)
{
	char *p = cache_path(home);
	unlink(p);
	free(p);
}

static void check_same(const char *want, const char *got)
{
	if (strcmp(want, got) == 0)
		return;
	size_t i = 0;
	while (want[i] && want[i] == got[i])
		i++;
	print_error("differs at byte %zu:\n--- want ---\n%.300s\n--- got ---\n%.300s\n", i,
		    want + (i > 100 ? i - 100 : 0), got + (i > 100 ? i - 100 : 0));
	fail();
}

static void test_cold_warm(void **state)
{
	(void)state;
	const char *home = homes[0];
	struct store_load_stats st;
	char *cold = load_dump(home, NULL, &st);
	assert_int_equal(st.parsed, N_GOOD);
	assert_int_equal(st.cached, 0);
	assert_true(st.cache_written);
	assert_non_null(strstr(cold, "\"run_kind\": \"curve\""));
	assert_non_null(strstr(cold, "out of memory at depth 4096"));
	assert_non_null(strstr(cold, "\"status\": \"failed\""));
	assert_non_null(strstr(cold, "warning skipping corrupt record"));
	assert_non_null(strstr(cold, "is a symbolic link"));
	char *path = cache_path(home);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* a save killed half-way (pid 2^30 - 1 does not run) left its temporary file */
	char *stale = xasprintf("%s.tmp.1073741823.abcdef", path);
	write_text(stale, "half a cache");
	free(path);
	for (int i = 0; i < 2; i++) {
		char *warm = load_dump(home, NULL, &st);
		assert_int_equal(st.cached, N_GOOD);
		assert_int_equal(st.parsed, 0);
		assert_false(st.cache_written); /* nothing changed */
		check_same(cold, warm);
		free(warm);
	}
	assert_true(path_exists(stale)); /* nothing saved: nothing cleaned */
	/* the filter applies after loading: one cache serves every filter */
	struct record_filter f = { .backend = "rocm-7.2", .since = 1778000000 };
	char *fwarm = load_dump(home, &f, &st);
	assert_int_equal(st.cached, N_GOOD);
	remove_cache(home);
	char *fcold = load_dump(home, &f, &st);
	assert_int_equal(st.cached, 0);
	assert_true(st.cache_written);
	assert_false(path_exists(stale));
	free(stale);
	check_same(fcold, fwarm);
	assert_non_null(strstr(fwarm, "rocm-7.2"));
	assert_null(strstr(fwarm, "\"backend\": \"vulkan-radv\""));
	free(fwarm), free(fcold), free(cold);
}

/* The record file named like run_id, in home/results. */
static char *record_path(const char *home, const char *run_id)
{
	char *dir = store_dir(home);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	char *found = NULL;
	while (!found && (de = readdir(d)))
		if (strstr(de->d_name, run_id))
			found = path_join(dir, de->d_name);
	closedir(d);
	free(dir);
	assert_non_null(found);
	return found;
}

static void test_edit_in_place(void **state)
{
	(void)state;
	const char *home = homes[1];
	struct store_load_stats st;
	free(load_dump(home, NULL, &st)); /* the cache */
	char *path = record_path(home, "11111111-2222-4333-8444-555555555555");
	struct stat before;
	assert_int_equal(stat(path, &before), 0);
	/* same size, same mtime: only ctime (and the text) changes */
	struct buf b = BUF_INIT;
	struct err e = { 0 };
	buf_init(&b);
	assert_int_equal(read_file(path, 1 << 22, &b, &e), 0);
	char *at = strstr(b.p, "900.125");
	assert_non_null(at);
	memcpy(at, "777.125", 7);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, b.p, b.len, 0), (ssize_t)b.len);
	struct timespec times[2] = { before.st_atim, before.st_mtim };
	assert_int_equal(futimens(fd, times), 0);
	close(fd);
	struct stat after;
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	assert_int_equal(after.st_ino, before.st_ino);
	char *warm = load_dump(home, NULL, &st);
	assert_int_equal(st.parsed, 1);
	assert_int_equal(st.cached, N_GOOD - 1);
	assert_non_null(strstr(warm, "777.125")); /* the other curve keeps its 900.125 */
	remove_cache(home);
	char *cold = load_dump(home, NULL, &st);
	check_same(cold, warm);
	/* changed within the racy window: not cached, so parsed again */
	free(warm);
	warm = load_dump(home, NULL, &st);
	assert_int_equal(st.parsed, 1);
	check_same(cold, warm);
	free(warm), free(cold), free(path);
	buf_free(&b);
}

static void test_delete_and_add(void **state)
{
	(void)state;
	const char *home = homes[2];
	struct store_load_stats st;
	char *full = load_dump(home, NULL, &st);
	char *path = record_path(home, "66666666-7777-4888-9999-aaaaaaaaaaaa");
	assert_int_equal(unlink(path), 0);
	/* a filtered load keeps only what it wants; the cache it writes (an
	 * entry dropped) has the others too, decoded again from the old one */
	struct record_filter f = { .backend = "vulkan-radv" };
	char *fwarm = load_dump(home, &f, &st);
	assert_true(st.cache_written);
	assert_int_equal(st.cached, N_GOOD - 1);
	char *warm = load_dump(home, NULL, &st);
	assert_int_equal(st.cached, N_GOOD - 1);
	assert_int_equal(st.parsed, 0);
	assert_false(st.cache_written);
	assert_null(strstr(warm, "66666666-7777"));
	char *p = cache_path(home);
	char *saved = path_join(home, "cache/saved");
	assert_int_equal(rename(p, saved), 0);
	char *cold = load_dump(home, NULL, &st);
	assert_int_equal(st.cached, 0);
	check_same(cold, warm);
	char *fcold = load_dump(home, &f, &st);
	check_same(fcold, fwarm);
	assert_int_equal(rename(saved, p), 0);
	free(p), free(saved), free(cold), free(fcold), free(fwarm);
	char *again = load_dump(home, NULL, &st);
	assert_int_equal(st.cached, N_GOOD - 1);
	assert_false(st.cache_written);
	check_same(warm, again);
	/* a new file (an import, a bench) is picked up */
	write_curve(home, "66666666-7777-4888-9999-aaaaaaaaaaaa", true);
	char *back = load_dump(home, NULL, &st);
	assert_int_equal(st.cached, N_GOOD - 1);
	assert_int_equal(st.parsed, 1);
	check_same(full, back);
	free(full), free(warm), free(again), free(back), free(path);
}

static void write_cache_bytes(const char *home, const void *data, size_t len)
{
	char *p = cache_path(home);
	struct err e = { 0 };
	assert_int_equal(write_file_atomic(p, data, len, 0600, &e), 0);
	free(p);
}

static char *read_cache(const char *home, size_t *len)
{
	char *p = cache_path(home);
	struct buf b = BUF_INIT;
	struct err e = { 0 };
	buf_init(&b);
	assert_int_equal(read_file(p, RECCACHE_MAX_BYTES, &b, &e), 0);
	free(p);
	*len = b.len;
	return buf_detach(&b);
}

/* A cache that fails a check is ignored and rewritten: same records. */
static void check_ignored(const char *home, const char *want, const void *data, size_t len)
{
	struct store_load_stats st;
	write_cache_bytes(home, data, len);
	char *got = load_dump(home, NULL, &st);
	assert_int_equal(st.cached, 0);
	assert_int_equal(st.parsed, N_GOOD);
	assert_true(st.cache_written);
	check_same(want, got);
	free(got);
	got = load_dump(home, NULL, &st);
	assert_int_equal(st.cached, N_GOOD);
	check_same(want, got);
	free(got);
}

static void put_u32(char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char)(v >> (8 * i));
}

static void put_u64(char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (char)(v >> (8 * i));
}

static void test_corrupt_cache(void **state)
{
	(void)state;
	const char *home = homes[3];
	struct store_load_stats st;
	char *want = load_dump(home, NULL, &st);
	size_t len;
	char *good = read_cache(home, &len);
	assert_true(len > 100);
	check_ignored(home, want, good, len / 2);		 /* truncated */
	check_ignored(home, want, good, 7);			 /* shorter than a header */
	check_ignored(home, want, "", 0);			 /* empty */
	check_ignored(home, want, "TBXRECC\ngarbage", 15); /* garbage */
	char *bad = xmalloc(len);
	memcpy(bad, good, len);
	bad[len / 2] ^= 0x40; /* one bit: the checksum */
	check_ignored(home, want, bad, len);
	/* huge counts and lengths with a right checksum: the bounds */
	size_t trailer = len - 40;
	uint32_t huge[] = { 0xffffffffu, 1u << 30, 1u << 22 };
	for (size_t i = 0; i < 3; i++) {
		for (size_t field = 0; field < 2; field++) {
			memcpy(bad, good, len);
			put_u32(bad + trailer + 24 + 4 * field, huge[i]);
			put_u64(bad + len - 8, reccache_checksum(bad, len - 8));
			check_ignored(home, want, bad, len);
		}
		memcpy(bad, good, len);
		put_u64(bad + trailer, (uint64_t)huge[i] << 8); /* payload bytes */
		put_u64(bad + len - 8, reccache_checksum(bad, len - 8));
		check_ignored(home, want, bad, len);
	}
	/* another format version */
	memcpy(bad, good, len);
	bad[8] = 99;
	put_u64(bad + len - 8, reccache_checksum(bad, len - 8));
	check_ignored(home, want, bad, len);
	/* a payload changed behind a right file checksum: that record is parsed */
	memcpy(bad, good, len);
	bad[40] ^= 1;
	put_u64(bad + len - 8, reccache_checksum(bad, len - 8));
	write_cache_bytes(home, bad, len);
	char *got = load_dump(home, NULL, &st);
	assert_true(st.parsed >= 1);
	assert_true(st.cache_written);
	check_same(want, got);
	free(got);
	free(bad), free(good), free(want);
}

static void test_unwritable(void **state)
{
	(void)state;
	struct store_load_stats st;
	/* no cache directory possible: cache/ is a file */
	const char *home = homes[4];
	char *want = load_dump(homes[4], NULL, &st);
	remove_cache(home);
	char *dir = path_join(home, "cache");
	assert_int_equal(rmdir(dir), 0);
	write_text(dir, "not a directory\n");
	for (int i = 0; i < 2; i++) {
		char *got = load_dump(home, NULL, &st);
		assert_int_equal(st.parsed, N_GOOD);
		assert_false(st.cache_written);
		check_same(want, got);
		free(got);
	}
	free(dir);
	free(want);
	/* the cache's place is a directory */
	home = homes[5];
	want = load_dump(home, NULL, &st);
	remove_cache(home);
	char *p = cache_path(home);
	assert_int_equal(mkdir(p, 0700), 0);
	char *got = load_dump(home, NULL, &st);
	assert_int_equal(st.parsed, N_GOOD);
	assert_false(st.cache_written);
	check_same(want, got);
	free(got), free(p), free(want);
	/* a symbolic link in its place is not followed when read */
	home = homes[6];
	want = load_dump(home, NULL, &st);
	remove_cache(home);
	p = cache_path(home);
	char *target = path_join(homes[0], RECCACHE_FILE);
	assert_int_equal(symlink(target, p), 0);
	got = load_dump(home, NULL, &st);
	assert_int_equal(st.cached, 0);
	check_same(want, got);
	free(got), free(p), free(target);
	free(want);
}

/* No results directory: no cache either. */
static void test_no_results(void **state)
{
	(void)state;
	const char *home = homes[7];
	char *dir = store_dir(home);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	struct store_load_stats st;
	char *got = load_dump(home, NULL, &st);
	assert_string_equal(got, "");
	assert_false(st.cache_written);
	char *p = cache_path(home);
	assert_false(path_exists(p));
	free(p), free(got), free(dir);
}

/* Every entry decodes to the record it was made from, and encoding the
 * decoded records gives the same file. */
static void test_round_trip(void **state)
{
	(void)state;
	const char *home = homes[0];
	struct store_load_stats st;
	free(load_dump(home, NULL, &st));
	size_t len;
	char *bytes = read_cache(home, &len);
	const char *seed = getenv("TBX_RECCACHE_SEED"); /* tests/fuzz/mkseed-reccache.py */
	if (seed)
		write_text_bytes(seed, bytes, len);
	struct reccache *c = reccache_parse(bytes, len, 0, true);
	assert_true(reccache_valid(c));
	size_t n = reccache_count(c);
	assert_int_equal(n, N_GOOD);
	struct record *v = xcalloc(n, sizeof(*v));
	struct reccache_item *items = xcalloc(n, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(reccache_decode(c, i, &v[i], NULL, NULL), 0);
		items[i].name = reccache_name(c, i);
		assert_int_equal(reccache_entry_key(c, i, &items[i].key), 0);
		items[i].r = &v[i];
	}
	struct buf again = BUF_INIT;
	buf_init(&again);
	reccache_encode(items, n, &again);
	assert_int_equal(again.len, len);
	assert_memory_equal(again.p, bytes, len);
	for (size_t i = 0; i < n; i++)
		record_free(&v[i]);
	free(v), free(items);
	buf_free(&again);
	reccache_free(c);
	free(bytes);
}

/* Two threads parse (cold), one answers from the cache (warm): the
 * same records in the same order and the same warnings in directory
 * order, the corrupt files parsed again by one thread. */
static void test_many(void **state)
{
	(void)state;
	const char *home = homes[N_HOMES - 1];
	struct store_load_stats st;
	char *cold = load_dump(home, NULL, &st);
	size_t bad = (MANY - 7 + 24) / 25;
	assert_int_equal(st.parsed, N_GOOD + MANY - bad);
	char *warm = load_dump(home, NULL, &st);
	assert_int_equal(st.cached, N_GOOD + MANY - bad);
	assert_int_equal(st.parsed, 0);
	check_same(cold, warm);
	struct strv order = STRV_INIT;
	for (const char *p = strstr(cold, "warning "); p; p = strstr(p + 1, "\nwarning "))
		strv_push(&order, p);
	assert_int_equal(order.n, bad + N_WARN);
	strv_free(&order);
	free(cold), free(warm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cold_warm),      cmocka_unit_test(test_edit_in_place),
		cmocka_unit_test(test_delete_and_add), cmocka_unit_test(test_corrupt_cache),
		cmocka_unit_test(test_unwritable),     cmocka_unit_test(test_no_results),
		cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
