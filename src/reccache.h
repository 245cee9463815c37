/* reccache.h - the parsed-summary cache of results/ (<home>/cache/records.cache).
 *
 * store_load parses each record file once: what record_read(RECORD_SUMMARY)
 * made of it is kept here, keyed by the file's name and its stat identity
 * (device, inode, size, mtime and ctime to the nanosecond), as git's index
 * keeps the stat of each tracked file.  Any difference in that identity
 * means the file is parsed again; ctime changes on every write and cannot
 * be set back (touch -d sets mtime only).  A file whose mtime or ctime is
 * less than RECCACHE_RACY_NS older than the load is not cached: a write in
 * the same clock tick as the read would keep its timestamps (git's "racy
 * clean" entries).
 *
 * The file is a cache of outside text like the records it mirrors: it is
 * checked whole (magic, format, RECORD_SCHEMA, tbx version, record layout,
 * a checksum, every length, count and reference bounded by the RECORD_MAX_*
 * limits) and a file that fails any check is ignored as if absent, never
 * an error.  A record that fails to decode is parsed from its file instead.
 * Records that fail to parse are never cached, so their warnings come on
 * every load exactly as without a cache.  Saving is best-effort and atomic
 * (a temporary file, fsync, rename; mode 0600): a read-only home or a full
 * disk means no cache, nothing else.
 *
 * Format (fixed-width integers little-endian, "var" LEB128; reccache.c):
 *   header  "TBXRECC\n" u32 format u32 RECORD_SCHEMA u32 sizeof(struct record)
 *           u32 len + the tbx version
 *   payloads  each record's fields in io_record's order (strings as a var
 *           text index + 1, 0 = NULL; doubles as their 8 bytes)
 *   texts   {var len, bytes, NUL}: every string once (names, digests,
 *           settings...), so what 10,000 records repeat is stored once
 *   table   {var name, var dev, ino, size, mtime_s, mtime_ns, ctime_s,
 *           ctime_ns, var payload offset, var payload length, u64 its checksum}
 *   trailer u64 payloads, texts and table lengths, u32 texts, u32 entries,
 *           u64 checksum of everything before it
 * Loading keeps the texts and the table in memory and reads payloads as
 * they are looked up (checked against their own checksum). */
#ifndef TBX_RECCACHE_H
#define TBX_RECCACHE_H

#include <sys/stat.h>

#include "record.h"
#include "util.h"

#define RECCACHE_FILE "cache/records.cache"
#define RECCACHE_MAX_BYTES ((size_t)512 << 20)
/* Kernel timestamps move in clock ticks; FAT's in 2 s steps. */
#define RECCACHE_RACY_NS ((int64_t)2000000000)

struct reccache;

/* A file's identity as the cache compares it. */
struct reccache_key {
	uint64_t dev, ino, size;
	int64_t mtime_s, ctime_s;
	uint32_t mtime_ns, ctime_ns;
};
void reccache_key_of(const struct stat *st, struct reccache_key *k);

/* The cache at path (NULL: none), or an empty one when there is no valid
 * cache there.  Never NULL.  now_ns: the load's start (CLOCK_REALTIME),
 * for the racy rule. */
struct reccache *reccache_open(const char *path, int64_t now_ns);
/* The same from bytes in memory (copied): for tests and the fuzz target,
 * which passes verify false to reach the parser past the checksums. */
struct reccache *reccache_parse(const void *data, size_t len, int64_t now_ns, bool verify);
/* The checksum the file ends with, over the bytes before it (tests make
 * files that pass it to reach the other checks). */
uint64_t reccache_checksum(const void *data, size_t n);
void reccache_free(struct reccache *c);
/* Did the file pass every check? */
bool reccache_valid(const struct reccache *c);
size_t reccache_count(const struct reccache *c);
const char *reccache_name(const struct reccache *c, size_t i);

/* Callback that takes ownership of s and returns the shared copy of it
 * (store.c's text pool): the texts record_free leaves to their owner. */
typedef char *(*reccache_intern_fn)(void *ctx, char *s);

/* Decode entry i into r (record_init'ed first); settings, host_state,
 * upstream, config_key and config_variant go through intern when given
 * (r->shared_text is then true), else are owned by r.  r->file is NULL.
 * -1 (r empty) if the entry is malformed. */
int reccache_decode(struct reccache *c, size_t i, struct record *r, reccache_intern_fn intern,
		    void *ctx);
/* Entry i's file identity; -1 when there is no entry i. */
int reccache_entry_key(const struct reccache *c, size_t i, struct reccache_key *k);
/* Is there an entry for this file name (then its identity is worth a stat)? */
bool reccache_has(const struct reccache *c, const char *name);
/* The entry for a file name whose identity is k: 1 and r filled (as
 * reccache_decode), or 0 (r untouched) when there is none, it is
 * stale, or it does not decode. */
int reccache_get(struct reccache *c, const char *name, const struct reccache_key *k,
		 struct record *r, size_t *entry, reccache_intern_fn intern, void *ctx);
/* Note a record parsed from its file because the cache had no usable
 * entry: whether a save is due. */
void reccache_note_parsed(struct reccache *c, const struct reccache_key *k);
/* May a file of this identity be cached (not "racy")? */
bool reccache_cacheable(const struct reccache *c, const struct reccache_key *k);

/* One record to save: its file name and identity, and the record, or
 * (r NULL) the entry of the cache given to reccache_save that holds it:
 * a load keeps only the records its filter wants and the rest are
 * decoded again, one at a time, when the cache is written. */
struct reccache_item {
	const char *name;
	struct reccache_key key;
	const struct record *r;
	size_t entry;
};
/* Is a save due (a record parsed, one gone, the file invalid)? */
bool reccache_dirty(const struct reccache *c);
/* The cache file's bytes for these records (the caller leaves out the
 * ones reccache_cacheable refuses); a record beyond the decoder's limits
 * is left out too. */
void reccache_encode(const struct reccache_item *items, size_t n, struct buf *out);
/* Write the cache atomically (mode 0600, the directory made 0700).
 * Best-effort: 0 written, -1 not (e says why; nothing else happened). */
int reccache_save(const char *path, const struct reccache_item *items, size_t n,
		  struct reccache *from, struct err *e);

#endif
