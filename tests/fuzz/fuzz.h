/* fuzz.h - helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * A target checks the documented contract of what it calls, not only that
 * it does not crash: fuzz_fail() prints why and aborts, so libFuzzer saves
 * the input as a crash.
 */
#ifndef TBX_FUZZ_H
#define TBX_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_fail(const char *fmt, ...) PRINTF_LIKE(1, 2);
static void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz: contract violated: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* The input as a C string (it ends at its first NUL, as a header or an
 * argument would).  Caller frees. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The input as an exact-size heap copy with no terminating NUL, so that
 * AddressSanitizer catches any read past the length a parser was given. */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size ? size : 1);
	if (size)
		memcpy(s, data, size);
	return s;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static inline size_t fuzz_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return len;
}

/* What sanitize_line() promises: one printable line of valid UTF-8, at
 * most max bytes plus a final partial character and "...". */
static inline void fuzz_check_line(const char *what, const char *s, size_t max)
{
	if (!s)
		return;
	size_t n = strlen(s);
	if (n > max + 3 + 3)
		fuzz_fail("%s: %zu bytes, over the limit of %zu", what, n, max);
	for (size_t i = 0; i < n;) {
		const unsigned char *u = (const unsigned char *)s + i;
		size_t k = fuzz_utf8_len(u, n - i);
		if (!k)
			fuzz_fail("%s: invalid UTF-8 at byte %zu: '%s'", what, i, s);
		if (k == 1 && (u[0] < 0x20 || u[0] == 0x7f))
			fuzz_fail("%s: control character 0x%02x at byte %zu", what, u[0], i);
		i += k;
	}
}

#endif
