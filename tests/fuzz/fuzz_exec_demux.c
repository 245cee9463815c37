/* fuzz_exec_demux.c - Podman's exec stream demultiplexer
 * (exec_demux_init, exec_demux_feed).
 *
 * The input is the raw stream.  It is fed whole, byte by byte, and in
 * three pseudo-random chunkings (seeded from the input, so a crash
 * replays), with empty feeds mixed in.  Every chunking must give what a
 * straightforward reference reading of the whole stream gives: the same
 * bytes per stream, the same verdict, the same partial-frame state.
 */
#include "fuzz.h"
#include "podman.h"

#define EXEC_MAX_FRAME ((uint32_t)16 << 20) /* as in podman.c */

struct sink {
	struct buf out[4];
	size_t calls;
};

static void sink_init(struct sink *s)
{
	for (int i = 0; i < 4; i++)
		buf_init(&s->out[i]);
	s->calls = 0;
}

static void sink_free(struct sink *s)
{
	for (int i = 0; i < 4; i++)
		buf_free(&s->out[i]);
}

static void on_output(int stream, const char *data, size_t len, void *ctx)
{
	struct sink *s = ctx;
	if (stream < 0 || stream > 3)
		fuzz_fail("callback for stream %d", stream);
	if (!data)
		fuzz_fail("callback with NULL data");
	buf_add(&s->out[stream], data, len);
	s->calls++;
}

struct verdict {
	bool broken;
	size_t hdr_len; /* bytes of an unfinished header */
	uint32_t left;  /* payload bytes still expected */
};

/* The reference: one pass over the whole stream. */
static struct verdict reference(const uint8_t *p, size_t n, struct sink *s)
{
	struct verdict v = { false, 0, 0 };
	size_t i = 0;
	while (i < n) {
		if (n - i < 8) {
			v.hdr_len = n - i;
			break;
		}
		const uint8_t *h = p + i;
		uint32_t len = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
		i += 8;
		if (h[0] > 3 || h[1] || h[2] || h[3] || len > EXEC_MAX_FRAME) {
			v.broken = true;
			break;
		}
		size_t take = len < n - i ? len : n - i;
		buf_add(&s->out[h[0]], p + i, take);
		i += take;
		v.left = (uint32_t)(len - take);
	}
	return v;
}

static uint64_t next_rand(uint64_t *x)
{
	/* xorshift64* */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

/* mode 0: whole, 1: byte by byte, 2..: random chunks. */
static struct verdict feed(const uint8_t *p, size_t n, int mode, uint64_t seed, struct sink *s)
{
	struct exec_demux d;
	bool failed = false;
	exec_demux_init(&d, on_output, s);
	/* each chunk gets its own exact-size copy so ASan sees overreads */
	size_t i = 0;
	uint64_t x = seed * 2654435761u + (uint64_t)mode + 1;
	while (i < n || mode == 0) {
		size_t take;
		if (mode == 0) {
			take = n;
		} else if (mode == 1) {
			take = 1;
		} else {
			uint64_t r = next_rand(&x);
			take = (r & 3) == 0 ? (size_t)(r >> 8) % (n - i + 1) : (size_t)(r >> 8) % 17;
		}
		if (take > n - i)
			take = n - i;
		char *chunk = fuzz_copy(p + i, take);
		int rc = exec_demux_feed(&d, chunk, take);
		free(chunk);
		if (rc != 0 && rc != -1)
			fuzz_fail("exec_demux_feed returned %d", rc);
		if (failed && rc == 0)
			fuzz_fail("exec_demux_feed recovered after a malformed frame");
		failed = failed || rc < 0;
		i += take;
		if (mode == 0)
			break;
	}
	struct verdict v = { failed, d.hdr_len, d.left };
	if (failed != d.broken)
		fuzz_fail("returned %s but broken is %d", failed ? "-1" : "0", d.broken);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t seed = 1469598103934665603ULL; /* FNV-1a of the input */
	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 1099511628211ULL;

	struct sink want;
	sink_init(&want);
	struct verdict ref = reference(data, size, &want);
	for (int mode = 0; mode < 5; mode++) {
		struct sink got;
		sink_init(&got);
		struct verdict v = feed(data, size, mode, seed, &got);
		if (v.broken != ref.broken)
			fuzz_fail("chunking %d: broken %d, reference %d", mode, v.broken, ref.broken);
		if (!ref.broken && (v.hdr_len != ref.hdr_len || v.left != ref.left))
			fuzz_fail("chunking %d: state (%zu, %u), reference (%zu, %u)", mode, v.hdr_len,
				  v.left, ref.hdr_len, ref.left);
		for (int k = 0; k < 4; k++)
			if (got.out[k].len != want.out[k].len ||
			    memcmp(got.out[k].p, want.out[k].p, want.out[k].len) != 0)
				fuzz_fail("chunking %d: stream %d got %zu bytes, reference %zu", mode, k,
					  got.out[k].len, want.out[k].len);
		sink_free(&got);
	}
	sink_free(&want);
	return 0;
}
