/* reccache.c - the parsed-summary cache of results/ (format and rules in
 * reccache.h).  One walk over struct record (io_record) both writes and
 * reads an entry, so the two cannot disagree on the order of fields. */
#define _GNU_SOURCE
#include "reccache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Bump when what an entry holds changes: a field of struct record, its
 * meaning, or what record_read keeps of a file. */
#define RECCACHE_FORMAT 1u
#define MAGIC "TBXRECC\n"
#define MAGIC_LEN 8
#define NONE 0xffffffffu /* no text yet */
#define MAX_TEXTS (1u << 24)
#define MAX_ENTRIES (1u << 22)
#define MAX_NAME 255
#define MAX_PLAIN RECORD_MAX_ERROR /* a record's own strings */
#define MAX_BIG RECORD_MAX_BYTES   /* object texts and derived keys */

#if defined(__x86_64__) && defined(__LP64__)
_Static_assert(sizeof(struct record) == 840 && sizeof(struct rec_curve) == 256 &&
		       sizeof(struct rec_series) == 64 && sizeof(struct rec_test) == 40,
	       "struct record changed: walk the new field in io_record (reccache.c), bump "
	       "RECCACHE_FORMAT and update these sizes");
#endif

/* 10,000 of these are in memory while records load: an entry's key and
 * payload place are read again from the table (checked when indexed) when
 * it is looked up, and its payload from the file. */
struct entry {
	uint32_t name; /* a text */
	uint32_t off;  /* of its key in meta */
};

struct reccache {
	int fd;             /* the file, for payloads; -1 for reccache_parse */
	unsigned char *mem; /* reccache_parse's copy of the bytes */
	uint64_t size;
	uint64_t payload_base, payloads_len;
	unsigned char *meta; /* the texts and the table, read whole */
	size_t texts_len, meta_len;
	bool valid, existed;
	bool verify; /* check the checksums (the fuzz target does not) */
	int64_t now_ns;
	const char **text; /* into meta */
	uint32_t *text_len;
	uint32_t n_texts;
	char **interned; /* text i through the load's intern function */
	struct entry *e;
	bool *used;
	size_t n;
	size_t *slot; /* open addressing by name: entry index + 1, 0 = free */
	size_t cap;
	size_t hits;
	bool parsed, failed;
	struct buf scratch; /* one payload larger than the window */
	unsigned char *win; /* WINDOW bytes of payloads from win_off: lookups go in */
	uint64_t win_off;   /* the order entries were written, so few reads */
	size_t win_len;
};

void reccache_key_of(const struct stat *st, struct reccache_key *k)
{
	memset(k, 0, sizeof(*k));
	k->dev = (uint64_t)st->st_dev;
	k->ino = (uint64_t)st->st_ino;
	k->size = (uint64_t)st->st_size;
	k->mtime_s = (int64_t)st->st_mtim.tv_sec;
	k->mtime_ns = (uint32_t)st->st_mtim.tv_nsec;
	k->ctime_s = (int64_t)st->st_ctim.tv_sec;
	k->ctime_ns = (uint32_t)st->st_ctim.tv_nsec;
}

static bool key_eq(const struct reccache_key *a, const struct reccache_key *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns &&
	       a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns;
}

/* Corruption check, not a defence: whoever can write the cache can
 * write results/ too.  Eight bytes at a time, in pieces of any size. */
struct hasher {
	uint64_t h;
	unsigned char tail[8];
	size_t n;
};

static void hash_init(struct hasher *s)
{
	s->h = 0xcbf29ce484222325u;
	s->n = 0;
}

static void hash_word(struct hasher *s, const unsigned char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	s->h = (s->h ^ w) * 0x100000001b3u;
	s->h ^= s->h >> 29;
}

static void hash_add(struct hasher *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	while (n && s->n) {
		s->tail[s->n++] = *p++;
		n--;
		if (s->n == 8) {
			hash_word(s, s->tail);
			s->n = 0;
		}
	}
	for (; n >= 8; p += 8, n -= 8)
		hash_word(s, p);
	while (n--)
		s->tail[s->n++] = *p++;
}

static uint64_t hash_end(const struct hasher *s)
{
	uint64_t h = s->h;
	for (size_t i = 0; i < s->n; i++)
		h = (h ^ s->tail[i]) * 0x100000001b3u;
	return h;
}

static uint64_t hash_of(const void *data, size_t n)
{
	struct hasher s;
	hash_init(&s);
	hash_add(&s, data, n);
	return hash_end(&s);
}

uint64_t reccache_checksum(const void *data, size_t n)
{
	return hash_of(data, n);
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 14695981039346656037u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* ---- bytes ---- */

struct rd {
	const unsigned char *p, *end;
	bool bad;
};

static bool rd_need(struct rd *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return false;
	}
	return true;
}

static uint64_t rd_le(struct rd *r, size_t n)
{
	uint64_t v = 0;
	if (!rd_need(r, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

/* LEB128, canonical only (no 0x80 padding), at most 10 bytes. */
static uint64_t rd_var(struct rd *r)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (!rd_need(r, 1))
			return 0;
		unsigned char b = *r->p++;
		if ((shift == 63 && b > 1) || (shift && b == 0))
			break;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

static void put_var(struct buf *b, uint64_t v)
{
	unsigned char bytes[10];
	size_t n = 0;
	do {
		bytes[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		bytes[n++] |= v ? 0x80 : 0;
	} while (v);
	buf_add(b, bytes, n);
}

static void put_le(struct buf *b, uint64_t v, size_t n)
{
	unsigned char bytes[8];
	for (size_t i = 0; i < n; i++)
		bytes[i] = (unsigned char)(v >> (8 * i));
	buf_add(b, bytes, n);
}

/* ---- the text table of a file being written ---- */

struct texts {
	struct buf table;
	uint32_t n;
	/* by content: the text's offset in table + 1 (0 = free) and its index */
	size_t *off;
	uint32_t *idx;
	size_t cap;
	/* by address: the store's shared texts, alive while the file is written
	 * (no hashing of those) */
	const char **pkey;
	uint32_t *pidx;
	size_t pcap, pn;
};

static uint64_t ptr_hash(const char *p)
{
	return (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15u;
}

static void texts_grow(struct texts *t)
{
	size_t ncap = t->cap ? 2 * t->cap : 1024;
	size_t *no = xcalloc(ncap, sizeof(*no));
	uint32_t *ni = xcalloc(ncap, sizeof(*ni));
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->off[i])
			continue;
		size_t k = name_hash(t->table.p + t->off[i] - 1) & (ncap - 1);
		while (no[k])
			k = (k + 1) & (ncap - 1);
		no[k] = t->off[i];
		ni[k] = t->idx[i];
	}
	free(t->off), free(t->idx);
	t->off = no, t->idx = ni, t->cap = ncap;
}

static void texts_grow_ptr(struct texts *t)
{
	size_t ncap = t->pcap ? 2 * t->pcap : 1024;
	const char **nk = xcalloc(ncap, sizeof(*nk));
	uint32_t *ni = xcalloc(ncap, sizeof(*ni));
	for (size_t i = 0; i < t->pcap; i++) {
		if (!t->pkey[i])
			continue;
		size_t k = ptr_hash(t->pkey[i]) & (ncap - 1);
		while (nk[k])
			k = (k + 1) & (ncap - 1);
		nk[k] = t->pkey[i];
		ni[k] = t->pidx[i];
	}
	free(t->pkey), free(t->pidx);
	t->pkey = nk, t->pidx = ni, t->pcap = ncap;
}

/* The index of text s in the table (added if new).  by_address: s is one
 * of the store's shared texts, looked up by address first. */
static uint32_t texts_add(struct texts *t, const char *s, bool by_address)
{
	size_t pk = 0;
	if (by_address) {
		if (2 * (t->pn + 1) > t->pcap)
			texts_grow_ptr(t);
		pk = ptr_hash(s) & (t->pcap - 1);
		for (; t->pkey[pk]; pk = (pk + 1) & (t->pcap - 1))
			if (t->pkey[pk] == s)
				return t->pidx[pk];
	}
	if (2 * (t->n + 1) > t->cap)
		texts_grow(t);
	size_t k = name_hash(s) & (t->cap - 1);
	uint32_t i = NONE;
	for (; t->off[k]; k = (k + 1) & (t->cap - 1))
		if (strcmp(t->table.p + t->off[k] - 1, s) == 0) {
			i = t->idx[k];
			break;
		}
	if (i == NONE) {
		size_t len = strlen(s);
		i = t->n++;
		put_var(&t->table, len);
		t->off[k] = t->table.len + 1;
		t->idx[k] = i;
		buf_add(&t->table, s, len + 1);
	}
	if (by_address) {
		t->pkey[pk] = s;
		t->pidx[pk] = i;
		t->pn++;
	}
	return i;
}

static void texts_free(struct texts *t)
{
	buf_free(&t->table);
	free(t->off), free(t->idx), free(t->pkey), free(t->pidx);
}

/* ---- one walk for both directions ---- */

struct codec {
	bool reading, bad;
	struct rd rd; /* reading */
	const struct reccache *c;
	reccache_intern_fn intern;
	void *ctx;
	struct buf *out; /* writing */
	struct texts *t;
	bool by_address; /* the record's shared texts outlive the writing */
};

/* Fixed-width bytes (booleans, doubles). */
static void io_raw(struct codec *x, uint64_t *v, size_t n)
{
	if (x->reading) {
		*v = rd_le(&x->rd, n);
		x->bad |= x->rd.bad;
	} else {
		put_le(x->out, *v, n);
	}
}

/* Counts, references and integers: LEB128. */
static void io_var(struct codec *x, uint64_t *v)
{
	if (x->reading) {
		*v = rd_var(&x->rd);
		x->bad |= x->rd.bad;
	} else {
		put_var(x->out, *v);
	}
}

static void io_i64(struct codec *x, int64_t *v)
{
	uint64_t u = ((uint64_t)*v << 1) ^ (uint64_t)(*v >> 63); /* zigzag: small negatives short */
	io_var(x, &u);
	if (x->reading)
		*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* An integer of a narrower type: read back only within [min, max]. */
static int64_t io_ranged(struct codec *x, int64_t v, int64_t min, int64_t max)
{
	io_i64(x, &v);
	if (x->reading && (v < min || v > max))
		x->bad = true;
	return v;
}

static void io_long(struct codec *x, long *v)
{
	int64_t w = io_ranged(x, *v, LONG_MIN, LONG_MAX);
	if (x->reading)
		*v = (long)w;
}

static void io_int(struct codec *x, int *v)
{
	int64_t w = io_ranged(x, *v, INT_MIN, INT_MAX);
	if (x->reading)
		*v = (int)w;
}

static void io_bool(struct codec *x, bool *v)
{
	uint64_t u = *v;
	io_raw(x, &u, 1);
	if (x->reading) {
		if (u > 1)
			x->bad = true;
		*v = u == 1;
	}
}

static void io_f64(struct codec *x, double *v)
{
	uint64_t u = 0;
	if (!x->reading)
		memcpy(&u, v, 8);
	io_raw(x, &u, 8);
	if (x->reading)
		memcpy(v, &u, 8);
}

/* A count of items of item_size bytes each, at most max. */
static size_t io_count(struct codec *x, size_t n, size_t max, size_t item_size)
{
	uint64_t u = n;
	if (!x->reading && n > max)
		x->bad = true;
	io_var(x, &u);
	if (x->reading && (u > max || (size_t)(x->rd.end - x->rd.p) / item_size < u))
		x->bad = true;
	return x->bad ? 0 : (size_t)u;
}

/* The text behind an index read, or NULL (bad set) when out of bounds. */
static const char *text_at(struct codec *x, uint64_t i, size_t max)
{
	if (i >= x->c->n_texts || x->c->text_len[i] > max) {
		x->bad = true;
		return NULL;
	}
	return x->c->text[i];
}

/* A text: its index + 1 in the table, 0 for NULL. */
static void io_text(struct codec *x, char **s, size_t max, bool shared)
{
	uint64_t u = 0;
	if (!x->reading) {
		if (*s && strlen(*s) > max)
			x->bad = true; /* and not in the table, whose texts are bounded too */
		else if (*s)
			u = (uint64_t)texts_add(x->t, *s, shared && x->by_address) + 1;
		io_var(x, &u);
		return;
	}
	io_var(x, &u);
	*s = NULL;
	const char *t = x->bad || u == 0 ? NULL : text_at(x, u - 1, max);
	if (t)
		*s = xstrdup(t);
}

static void io_str(struct codec *x, char **s, size_t max)
{
	io_text(x, s, max, false);
}

/* A text record_free leaves to the store's pool when there is one. */
static void io_shared(struct codec *x, char **s)
{
	if (!x->reading || !x->intern) {
		io_text(x, s, MAX_BIG, true);
		return;
	}
	uint64_t u = 0;
	io_var(x, &u);
	*s = NULL;
	if (x->bad || u == 0 || !text_at(x, u - 1, MAX_BIG))
		return;
	char **slot = &x->c->interned[u - 1];
	if (!*slot)
		*slot = x->intern(x->ctx, xstrdup(x->c->text[u - 1]));
	*s = *slot;
}

static void io_strv(struct codec *x, struct strv *v)
{
	size_t n = io_count(x, v->n, RECORD_MAX_LIST, 1);
	for (size_t i = 0; i < n && !x->bad; i++) {
		char *s = x->reading ? NULL : v->v[i];
		io_str(x, &s, MAX_PLAIN);
		if (x->reading && s) {
			strv_push(v, s);
			free(s);
		} else if (x->reading) {
			x->bad = true; /* a list holds no null */
		}
	}
}

/* Is *p all zero bytes (a part record_init left as it was)? */
static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void io_test(struct codec *x, struct rec_test *t)
{
	bool set = !x->reading && !all_zero(t, sizeof(*t));
	io_bool(x, &set); /* most records have no warmup: one byte then */
	if (!set)
		return;
	io_bool(x, &t->present);
	io_f64(x, &t->mean);
	io_f64(x, &t->stddev);
	size_t n = io_count(x, t->n_samples, RECORD_MAX_SAMPLES, 8);
	if (x->reading && n) {
		t->samples = xcalloc(n, sizeof(double));
		t->n_samples = n;
	}
	for (size_t i = 0; i < n && !x->bad; i++)
		io_f64(x, &t->samples[i]);
}

static void io_series(struct codec *x, struct rec_series *s)
{
	io_bool(x, &s->present);
	io_int(x, &s->n_prompt);
	io_int(x, &s->n_gen);
	io_bool(x, &s->partial);
	io_str(x, &s->error, MAX_PLAIN);
	io_strv(x, &s->command);
	size_t n = io_count(x, s->n_points, RECORD_MAX_POINTS, 1 + 1 + 8 + 8 + 1);
	if (x->reading && n) {
		s->points = xcalloc(n, sizeof(*s->points));
		s->n_points = n;
	}
	for (size_t i = 0; i < n && !x->bad; i++) {
		io_long(x, &s->points[i].depth);
		io_test(x, &s->points[i].t);
		if (!s->points[i].t.present)
			x->bad = true; /* record_read's points always are (record_to_json counts on it) */
	}
}

static void io_curve(struct codec *x, struct rec_curve *c)
{
	struct rec_curve init;
	memset(&init, 0, sizeof(init));
	init.cooldown_s = -1;
	bool set = !x->reading && memcmp(c, &init, sizeof(init)) != 0;
	io_bool(x, &set); /* a bench record's curve is as record_init left it */
	if (!set)
		return;
	io_bool(x, &c->present);
	size_t n = io_count(x, c->n_depths, RECORD_MAX_POINTS, 1);
	if (x->reading && n) {
		c->depths = xcalloc(n, sizeof(long));
		c->n_depths = n;
	}
	for (size_t i = 0; i < n && !x->bad; i++)
		io_long(x, &c->depths[i]);
	io_long(x, &c->ubatch);
	io_str(x, &c->ubatch_from, MAX_PLAIN);
	io_long(x, &c->repetitions);
	io_long(x, &c->cooldown_s);
	io_str(x, &c->load_flag, MAX_PLAIN);
	io_bool(x, &c->partial);
	io_series(x, &c->prefill);
	io_series(x, &c->generation);
	io_str(x, &c->calibration, MAX_BIG);
	io_str(x, &c->campaign, MAX_BIG);
	io_test(x, &c->warmup);
}

/* Every field of struct record but file (the store's path) and
 * shared_text (who owns the shared texts). */
static void io_record(struct codec *x, struct record *r)
{
	io_int(x, &r->schema);
	io_str(x, &r->run_id, MAX_PLAIN);
	io_bool(x, &r->failed);
	io_str(x, &r->error, MAX_PLAIN);
	io_i64(x, &r->started_at);
	io_i64(x, &r->finished_at);
	io_str(x, &r->backend, MAX_PLAIN);
	io_str(x, &r->lineage, MAX_PLAIN);
	io_str(x, &r->model, MAX_PLAIN);
	io_str(x, &r->model_path, MAX_PLAIN);
	io_i64(x, &r->model_bytes);
	io_strv(x, &r->command);
	io_strv(x, &r->extra_args);
	char **plain[] = { &r->host,	     &r->kernel,	 &r->tbx_version,
			   &r->kind,	     &r->image_ref,	 &r->image_digest,
			   &r->image_platform_digest, &r->image_id, &r->container,
			   &r->container_id, &r->binary_path,	 &r->binary_sha256,
			   &r->build_commit };
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		io_str(x, plain[i], MAX_PLAIN);
	io_long(x, &r->build_number);
	io_str(x, &r->device, MAX_PLAIN);
	io_strv(x, &r->devices);
	io_str(x, &r->backends, MAX_PLAIN);
	io_str(x, &r->gpu_info, MAX_PLAIN);
	io_str(x, &r->model_type, MAX_PLAIN);
	io_test(x, &r->pp512);
	io_test(x, &r->tg128);
	io_bool(x, &r->has_warmup);
	io_test(x, &r->warmup_pp512);
	io_test(x, &r->warmup_tg128);
	io_bool(x, &r->stale);
	io_str(x, &r->stale_reason, MAX_PLAIN);
	io_bool(x, &r->imported);
	io_str(x, &r->source, MAX_PLAIN);
	io_str(x, &r->source_env, MAX_PLAIN);
	io_str(x, &r->source_sha256, MAX_PLAIN);
	io_str(x, &r->run_kind, MAX_PLAIN);
	io_shared(x, &r->settings);
	io_shared(x, &r->host_state);
	io_shared(x, &r->upstream);
	io_curve(x, &r->curve);
	io_shared(x, &r->config_key);
	io_shared(x, &r->config_variant);
	io_bool(x, &r->args_unknown);
}

/* ---- reading a file ---- */

#define HEADER_FIXED (MAGIC_LEN + 16)
#define MAX_VERSION 64
#define TRAILER_LEN (3 * 8 + 2 * 4 + 8)

/* n bytes at off of the file (or of reccache_parse's copy). */
static int read_at(const struct reccache *c, uint64_t off, void *dst, size_t n)
{
	if (off > c->size || n > c->size - off)
		return -1;
	if (c->mem) {
		memcpy(dst, c->mem + off, n);
		return 0;
	}
	for (size_t done = 0; done < n;) {
		ssize_t k = pread(c->fd, (char *)dst + done, n - done, (off_t)(off + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1; /* truncated meanwhile: not a cache any more */
		done += (size_t)k;
	}
	return 0;
}

static bool index_entry(struct reccache *c, size_t i)
{
	const char *name = c->text[c->e[i].name];
	size_t k = name_hash(name) & (c->cap - 1);
	for (; c->slot[k]; k = (k + 1) & (c->cap - 1))
		if (strcmp(c->text[c->e[c->slot[k] - 1].name], name) == 0)
			return false; /* a name twice */
	c->slot[k] = i + 1;
	return true;
}

static bool valid_name(const char *s, size_t len)
{
	return len > 0 && len <= MAX_NAME && !strchr(s, '/') && strcmp(s, ".") != 0 &&
	       strcmp(s, "..") != 0;
}

static bool parse_texts(struct reccache *c, struct rd *r, uint64_t n)
{
	if (n > MAX_TEXTS || n > (size_t)(r->end - r->p) / 2)
		return false;
	c->n_texts = (uint32_t)n;
	c->text = xcalloc(n ? n : 1, sizeof(*c->text));
	c->text_len = xcalloc(n ? n : 1, sizeof(*c->text_len));
	c->interned = xcalloc(n ? n : 1, sizeof(*c->interned));
	for (uint32_t i = 0; i < n; i++) {
		uint64_t len = rd_var(r);
		if (r->bad || len > MAX_BIG || !rd_need(r, len + 1) || r->p[len] != '\0' ||
		    memchr(r->p, '\0', len))
			return false;
		c->text[i] = (const char *)r->p;
		c->text_len[i] = (uint32_t)len;
		r->p += len + 1;
	}
	return r->p == r->end;
}

/* An entry of the table: its key and where its payload is. */
struct place {
	uint64_t off, len, sum;
};

static void read_entry(const struct reccache *c, struct rd *r, struct reccache_key *k,
		       struct place *pl)
{
	k->dev = rd_var(r);
	k->ino = rd_var(r);
	k->size = rd_var(r);
	k->mtime_s = (int64_t)rd_var(r);
	uint64_t mns = rd_var(r);
	k->ctime_s = (int64_t)rd_var(r);
	uint64_t cns = rd_var(r);
	pl->off = rd_var(r);
	pl->len = rd_var(r);
	pl->sum = rd_le(r, 8);
	if (mns >= 1000000000 || cns >= 1000000000 || pl->len > RECORD_MAX_BYTES ||
	    pl->off > c->payloads_len || pl->len > c->payloads_len - pl->off)
		r->bad = true;
	k->mtime_ns = (uint32_t)mns;
	k->ctime_ns = (uint32_t)cns;
}

static bool parse_table(struct reccache *c, struct rd *r, uint64_t n)
{
	if (n > MAX_ENTRIES || n > (size_t)(r->end - r->p) / 17)
		return false;
	c->n = n;
	c->e = xcalloc(n ? n : 1, sizeof(*c->e));
	c->used = xcalloc(n ? n : 1, sizeof(*c->used));
	for (c->cap = 16; c->cap < 2 * n; c->cap *= 2)
		;
	c->slot = xcalloc(c->cap, sizeof(*c->slot));
	for (size_t i = 0; i < n; i++) {
		uint64_t name = rd_var(r);
		if (r->bad || name >= c->n_texts || !valid_name(c->text[name], c->text_len[name]))
			return false;
		c->e[i].name = (uint32_t)name;
		c->e[i].off = (uint32_t)(r->p - c->meta);
		struct reccache_key k;
		struct place pl;
		read_entry(c, r, &k, &pl);
		if (r->bad || !index_entry(c, i))
			return false;
	}
	return r->p == r->end;
}

/* The checksum over everything before it, the payloads read in pieces. */
static bool checksum_ok(const struct reccache *c, const unsigned char *head, size_t head_len,
			const unsigned char *trailer)
{
	struct hasher h;
	hash_init(&h);
	hash_add(&h, head, head_len);
	unsigned char chunk[65536];
	for (uint64_t done = 0; done < c->payloads_len;) {
		size_t k = c->payloads_len - done < sizeof(chunk) ? (size_t)(c->payloads_len - done)
								  : sizeof(chunk);
		if (read_at(c, c->payload_base + done, chunk, k) < 0)
			return false;
		hash_add(&h, chunk, k);
		done += k;
	}
	hash_add(&h, c->meta, c->meta_len);
	hash_add(&h, trailer, TRAILER_LEN - 8);
	struct rd r = { trailer + TRAILER_LEN - 8, trailer + TRAILER_LEN, false };
	return rd_le(&r, 8) == hash_end(&h);
}

static bool parse_file(struct reccache *c)
{
	unsigned char head[HEADER_FIXED + MAX_VERSION], trailer[TRAILER_LEN];
	size_t head_max = c->size < sizeof(head) ? (size_t)c->size : sizeof(head);
	if (c->size < HEADER_FIXED + TRAILER_LEN || read_at(c, 0, head, head_max) < 0 ||
	    read_at(c, c->size - TRAILER_LEN, trailer, TRAILER_LEN) < 0 ||
	    memcmp(head, MAGIC, MAGIC_LEN) != 0)
		return false;
	struct rd r = { head + MAGIC_LEN, head + head_max, false };
	uint64_t format = rd_le(&r, 4), schema = rd_le(&r, 4), layout = rd_le(&r, 4);
	uint64_t vlen = rd_le(&r, 4);
	if (r.bad || format != RECCACHE_FORMAT || schema != RECORD_SCHEMA ||
	    layout != sizeof(struct record) || vlen != strlen(TBX_VERSION) || vlen > MAX_VERSION ||
	    !rd_need(&r, vlen) || memcmp(r.p, TBX_VERSION, vlen) != 0)
		return false;
	size_t head_len = HEADER_FIXED + vlen;
	struct rd t = { trailer, trailer + TRAILER_LEN, false };
	uint64_t payloads = rd_le(&t, 8), texts = rd_le(&t, 8), table = rd_le(&t, 8);
	uint64_t n_texts = rd_le(&t, 4), n_entries = rd_le(&t, 4);
	uint64_t room = c->size - head_len - TRAILER_LEN;
	if (payloads > room || texts > room - payloads || table != room - payloads - texts)
		return false;
	c->payload_base = head_len;
	c->payloads_len = payloads;
	c->texts_len = texts;
	c->meta_len = texts + table;
	c->meta = xmalloc(c->meta_len ? c->meta_len : 1);
	if (read_at(c, head_len + payloads, c->meta, c->meta_len) < 0 ||
	    (c->verify && !checksum_ok(c, head, head_len, trailer)))
		return false;
	struct rd tr = { c->meta, c->meta + texts, false };
	struct rd tb = { c->meta + texts, c->meta + c->meta_len, false };
	return parse_texts(c, &tr, n_texts) && parse_table(c, &tb, n_entries);
}

/* Back to an empty cache (a file that failed a check). */
static void drop_index(struct reccache *c)
{
	free(c->text), free(c->text_len), free(c->interned), free(c->e), free(c->used);
	free(c->slot), free(c->meta);
	c->text = NULL, c->text_len = NULL, c->interned = NULL, c->e = NULL, c->used = NULL;
	c->slot = NULL, c->meta = NULL;
	c->n_texts = 0, c->n = 0, c->cap = 0, c->meta_len = 0;
}

static struct reccache *cache_new(int64_t now_ns)
{
	struct reccache *c = xcalloc(1, sizeof(*c));
	c->fd = -1;
	c->now_ns = now_ns;
	buf_init(&c->scratch);
	return c;
}

static void cache_index(struct reccache *c)
{
	c->existed = true;
	c->valid = parse_file(c);
	if (!c->valid)
		drop_index(c);
}

struct reccache *reccache_parse(const void *data, size_t len, int64_t now_ns, bool verify)
{
	struct reccache *c = cache_new(now_ns);
	c->verify = verify;
	c->mem = xmalloc(len ? len : 1);
	if (len)
		memcpy(c->mem, data, len);
	c->size = len;
	cache_index(c);
	return c;
}

struct reccache *reccache_open(const char *path, int64_t now_ns)
{
	struct reccache *c = cache_new(now_ns);
	if (!path)
		return c;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0) {
		c->existed = errno != ENOENT;
		if (c->existed)
			verbose("ignoring the record cache %s: %s", path, strerror(errno));
		return c;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > RECCACHE_MAX_BYTES) {
		close(fd);
		c->existed = true;
		verbose("ignoring the record cache %s: not a regular file of at most %zu MiB", path,
			RECCACHE_MAX_BYTES >> 20);
		return c;
	}
	c->fd = fd;
	c->size = (uint64_t)st.st_size;
	c->verify = true;
	cache_index(c);
	if (!c->valid)
		verbose("ignoring the record cache %s: not a valid cache of this tbx", path);
	return c;
}

void reccache_free(struct reccache *c)
{
	if (!c)
		return;
	drop_index(c);
	if (c->fd >= 0)
		close(c->fd);
	free(c->mem);
	buf_free(&c->scratch);
	free(c->win);
	free(c);
}

bool reccache_valid(const struct reccache *c)
{
	return c->valid;
}

size_t reccache_count(const struct reccache *c)
{
	return c->n;
}

const char *reccache_name(const struct reccache *c, size_t i)
{
	return i < c->n ? c->text[c->e[i].name] : NULL;
}

/* Entry i's key and payload place (checked when indexed). */
static void entry_at(const struct reccache *c, size_t i, struct reccache_key *k, struct place *pl)
{
	struct rd r = { c->meta + c->e[i].off, c->meta + c->meta_len, false };
	read_entry(c, &r, k, pl);
}

int reccache_entry_key(const struct reccache *c, size_t i, struct reccache_key *k)
{
	struct place pl;
	if (i >= c->n)
		return -1;
	entry_at(c, i, k, &pl);
	return 0;
}

#define WINDOW 65536

/* A payload's bytes (checked against its sum by the caller), or NULL. */
static const unsigned char *payload_bytes(struct reccache *c, const struct place *pl)
{
	if (c->mem)
		return c->mem + c->payload_base + pl->off; /* bounds checked when indexed */
	if (c->win && pl->off >= c->win_off && pl->off + pl->len <= c->win_off + c->win_len)
		return c->win + (pl->off - c->win_off);
	if (pl->len <= WINDOW) {
		if (!c->win)
			c->win = xmalloc(WINDOW);
		uint64_t left = c->payloads_len - pl->off;
		c->win_off = pl->off;
		c->win_len = left < WINDOW ? (size_t)left : WINDOW;
		if (read_at(c, c->payload_base + pl->off, c->win, c->win_len) < 0) {
			c->win_len = 0;
			return NULL;
		}
		return c->win;
	}
	buf_reset(&c->scratch);
	if (c->scratch.cap < pl->len) {
		buf_free(&c->scratch);
		c->scratch.p = xmalloc(pl->len);
		c->scratch.cap = pl->len;
	}
	if (read_at(c, c->payload_base + pl->off, c->scratch.p, pl->len) < 0)
		return NULL;
	return (const unsigned char *)c->scratch.p;
}

static int decode_at(struct reccache *c, size_t i, struct record *r, reccache_intern_fn intern,
		     void *ctx)
{
	record_init(r);
	if (i >= c->n)
		return -1;
	struct reccache_key k;
	struct place pl;
	entry_at(c, i, &k, &pl);
	const unsigned char *p = payload_bytes(c, &pl);
	if (!p)
		return -1;
	if (c->verify && hash_of(p, pl.len) != pl.sum)
		return -1; /* the file changed since it was checked */
	struct codec x = { .reading = true, .c = c, .intern = intern, .ctx = ctx };
	x.rd.p = p;
	x.rd.end = p + pl.len;
	r->shared_text = intern != NULL;
	io_record(&x, r);
	if (x.bad || x.rd.p != x.rd.end || !r->run_id || !r->backend || !r->lineage || !r->model ||
	    !r->config_key || !r->config_variant) {
		record_free(r);
		return -1;
	}
	return 0;
}

int reccache_decode(struct reccache *c, size_t i, struct record *r, reccache_intern_fn intern,
		    void *ctx)
{
	return decode_at(c, i, r, intern, ctx);
}

static bool find(const struct reccache *c, const char *name, size_t *i)
{
	if (!c->n)
		return false;
	for (size_t k = name_hash(name) & (c->cap - 1); c->slot[k]; k = (k + 1) & (c->cap - 1))
		if (strcmp(c->text[c->e[c->slot[k] - 1].name], name) == 0) {
			*i = c->slot[k] - 1;
			return true;
		}
	return false;
}

bool reccache_has(const struct reccache *c, const char *name)
{
	size_t i;
	return find(c, name, &i);
}

int reccache_get(struct reccache *c, const char *name, const struct reccache_key *k,
		 struct record *r, size_t *entry, reccache_intern_fn intern, void *ctx)
{
	size_t i;
	struct reccache_key stored;
	struct place pl;
	if (!find(c, name, &i) || c->used[i])
		return 0;
	entry_at(c, i, &stored, &pl);
	if (!key_eq(&stored, k))
		return 0;
	if (decode_at(c, i, r, intern, ctx) < 0) {
		c->failed = true;
		return 0;
	}
	c->used[i] = true;
	c->hits++;
	if (entry)
		*entry = i;
	return 1;
}

bool reccache_cacheable(const struct reccache *c, const struct reccache_key *k)
{
	int64_t limit = c->now_ns - RECCACHE_RACY_NS;
	int64_t m = k->mtime_s * 1000000000 + k->mtime_ns, t = k->ctime_s * 1000000000 + k->ctime_ns;
	return m < limit && t < limit;
}

void reccache_note_parsed(struct reccache *c, const struct reccache_key *k)
{
	if (reccache_cacheable(c, k))
		c->parsed = true;
}

bool reccache_dirty(const struct reccache *c)
{
	return c->parsed || c->failed || c->hits != c->n || (c->existed && !c->valid);
}

/* ---- writing ---- */

/* Bytes going to a buffer, or to a file through a buffer; hashed. */
struct writer {
	struct buf *out;
	struct atomic_file *f;
	struct buf pending;
	struct hasher h;
	struct err *e;
	bool failed;
};

static void w_flush(struct writer *w)
{
	if (w->f && !w->failed && w->pending.len &&
	    atomic_file_write(w->f, w->pending.p, w->pending.len, w->e) < 0)
		w->failed = true;
	buf_reset(&w->pending);
}

static void w_add(struct writer *w, const void *p, size_t n, bool hashed)
{
	if (hashed)
		hash_add(&w->h, p, n);
	if (!w->f) {
		buf_add(w->out, p, n);
		return;
	}
	buf_add(&w->pending, p, n);
	if (w->pending.len >= 65536)
		w_flush(w);
}

static void w_le(struct writer *w, uint64_t v, size_t n)
{
	unsigned char b[8];
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	w_add(w, b, n, true);
}

static void write_cache(struct writer *w, const struct reccache_item *items, size_t n,
			struct reccache *from)
{
	struct texts t = { 0 };
	struct buf table = BUF_INIT, payload = BUF_INIT;
	buf_init(&t.table), buf_init(&table), buf_init(&payload);
	hash_init(&w->h);
	w_add(w, MAGIC, MAGIC_LEN, true);
	w_le(w, RECCACHE_FORMAT, 4);
	w_le(w, RECORD_SCHEMA, 4);
	w_le(w, sizeof(struct record), 4);
	w_le(w, strlen(TBX_VERSION), 4);
	w_add(w, TBX_VERSION, strlen(TBX_VERSION), true);
	uint64_t off = 0;
	uint32_t count = 0;
	for (size_t i = 0; i < n && count < MAX_ENTRIES; i++) {
		const struct reccache_item *it = &items[i];
		struct record again;
		const struct record *r = it->r;
		if (!valid_name(it->name, strlen(it->name)))
			continue;
		if (!r && (!from || reccache_decode(from, it->entry, &again, NULL, NULL) < 0))
			continue;
		buf_reset(&payload);
		struct codec x = { .out = &payload, .t = &t, .by_address = r != NULL };
		io_record(&x, (struct record *)(r ? r : &again)); /* writing: only read */
		if (!r)
			record_free(&again); /* the table holds copies of its texts */
		if (x.bad || payload.len > RECORD_MAX_BYTES)
			continue; /* beyond what the decoder takes: parsed each time */
		w_add(w, payload.p, payload.len, true);
		put_var(&table, texts_add(&t, it->name, false));
		put_var(&table, it->key.dev);
		put_var(&table, it->key.ino);
		put_var(&table, it->key.size);
		put_var(&table, (uint64_t)it->key.mtime_s);
		put_var(&table, it->key.mtime_ns);
		put_var(&table, (uint64_t)it->key.ctime_s);
		put_var(&table, it->key.ctime_ns);
		put_var(&table, off);
		put_var(&table, payload.len);
		put_le(&table, hash_of(payload.p, payload.len), 8);
		off += payload.len;
		count++;
	}
	w_add(w, t.table.p, t.table.len, true);
	w_add(w, table.p, table.len, true);
	w_le(w, off, 8);
	w_le(w, t.table.len, 8);
	w_le(w, table.len, 8);
	w_le(w, t.n, 4);
	w_le(w, count, 4);
	unsigned char sum[8];
	uint64_t h = hash_end(&w->h);
	for (size_t i = 0; i < 8; i++)
		sum[i] = (unsigned char)(h >> (8 * i));
	w_add(w, sum, 8, false);
	w_flush(w);
	texts_free(&t);
	buf_free(&table), buf_free(&payload);
}

void reccache_encode(const struct reccache_item *items, size_t n, struct buf *out)
{
	buf_reset(out);
	struct writer w = { .out = out };
	write_cache(&w, items, n, NULL);
}

int reccache_save(const char *path, const struct reccache_item *items, size_t n,
		  struct reccache *from, struct err *e)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int rc = slash ? mkdir_p(dir, 0700, e) : 0;
	if (rc == 0 && slash)
		remove_stale_temp_files(dir); /* a save cut short by kill -9 left one */
	free(dir);
	if (rc < 0)
		return -1;
	struct atomic_file f;
	if (atomic_file_begin(&f, AT_FDCWD, path, 0600, e) < 0)
		return -1;
	struct writer w = { .f = &f, .e = e };
	buf_init(&w.pending);
	write_cache(&w, items, n, from);
	buf_free(&w.pending);
	if (w.failed) {
		atomic_file_abort(&f);
		return -1;
	}
	return atomic_file_commit(&f, e);
}
