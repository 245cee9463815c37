/* fuzz_base64.c - registry_base64_decode (auth.json's "auth" values).
 *
 * Two uses of the input: as text to decode, compared with a reference
 * decoder written from RFC 4648 (standard alphabet, padding optional, at
 * most two '=' and only at the end, no other characters); and as bytes to
 * encode here and decode back, with and without padding, which must give
 * the bytes again.
 */
#include "fuzz.h"
#include "registry_auth.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *encode(const uint8_t *d, size_t n, bool pad, size_t *len)
{
	char *s = xmalloc(n / 3 * 4 + 5);
	size_t k = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16;
		size_t m = n - i < 3 ? n - i : 3;
		if (m > 1)
			v |= (uint32_t)d[i + 1] << 8;
		if (m > 2)
			v |= d[i + 2];
		for (size_t j = 0; j < 4; j++) {
			if (j <= m)
				s[k++] = ALPHABET[(v >> (18 - 6 * j)) & 63];
			else if (pad)
				s[k++] = '=';
		}
	}
	s[k] = '\0';
	*len = k;
	return s;
}

/* The reference: -1, or the decoded length with the bytes in out. */
static long reference(const char *in, size_t len, uint8_t *out)
{
	size_t pad = 0;
	while (len && in[len - 1] == '=' && pad < 2)
		len--, pad++;
	if (len % 4 == 1 || (pad && (len + pad) % 4 != 0))
		return -1;
	size_t k = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		const char *c = in[i] ? strchr(ALPHABET, in[i]) : NULL;
		if (!c)
			return -1;
		acc = (acc << 6) | (uint32_t)(c - ALPHABET);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	char *text = fuzz_copy(data, size);
	uint8_t *want = xmalloc(size + 1);
	long wn = reference(text, size, want);
	int rc = registry_base64_decode(text, size, &out);
	if (rc != 0 && rc != -1)
		fuzz_fail("registry_base64_decode returned %d", rc);
	if ((rc == 0) != (wn >= 0))
		fuzz_fail("registry_base64_decode says %s, the reference %s", rc ? "invalid" : "valid",
			  wn < 0 ? "invalid" : "valid");
	if (rc == 0 && (out.len != (size_t)wn || (wn && memcmp(out.p, want, (size_t)wn) != 0)))
		fuzz_fail("decoded %zu bytes, the reference %ld (or other bytes)", out.len, wn);
	for (int pad = 0; pad < 2; pad++) {
		size_t n;
		char *enc = encode(data, size, pad, &n);
		if (registry_base64_decode(enc, n, &out) != 0)
			fuzz_fail("base64 of %zu bytes (%s padding) refused: '%.80s'", size,
				  pad ? "with" : "without", enc);
		if (out.len != size || (size && memcmp(out.p, data, size) != 0))
			fuzz_fail("base64 of %zu bytes decodes to %zu other bytes", size, out.len);
		free(enc);
	}
	buf_free(&out);
	free(want);
	free(text);
	return 0;
}
