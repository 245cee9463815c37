/* fuzz_token.c - what a token service and the token cache hand tbx:
 * registry_token_parse (a token endpoint's answer) and
 * registry_tokens_load_text (cache/registry-tokens.json, written by an
 * earlier run or by anyone who could write the home).
 *
 * The input is given to both.  Checks: a parsed token is non-empty,
 * visible ASCII, at most REGISTRY_TOKEN_MAX bytes, its lifetime positive
 * and at most a week, and a failure leaves no token; a loaded cache dumps
 * to text that loads again to the same dump (nothing expired, invalid or
 * obtained with credentials survives a round trip it did not have).
 */
#include "fuzz.h"
#include "registry_auth.h"
#include "registry_tokens.h"

#define NOW ((int64_t)1800000000)

static void fuzz_answer(const uint8_t *data, size_t size)
{
	char *token = (char *)1;
	long expires_in = -5;
	struct err e = { 0 };
	int rc = registry_token_parse((const char *)data, size, &token, &expires_in, &e);
	if (rc == 0) {
		size_t n = token ? strlen(token) : 0;
		if (n == 0 || n > REGISTRY_TOKEN_MAX)
			fuzz_fail("token of %zu bytes accepted", n);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)token[i] <= ' ' || (unsigned char)token[i] >= 0x7f)
				fuzz_fail("token holds byte 0x%02x", (unsigned char)token[i]);
		if (expires_in <= 0 || expires_in > 7L * 24 * 3600)
			fuzz_fail("expires_in %ld", expires_in);
		registry_secret_free(token);
	} else if (rc != -1) {
		fuzz_fail("registry_token_parse returned %d", rc);
	} else if (token) {
		fuzz_fail("failed parse left a token");
	} else if (!e.msg[0] || strchr(e.msg, '\n')) {
		fuzz_fail("bad error message '%s'", e.msg);
	}
}

static void fuzz_cache(const uint8_t *data, size_t size)
{
	struct err e = { 0 };
	if (registry_tokens_load_text((const char *)data, size, NOW, &e) < 0) {
		char *d = registry_tokens_dump(NOW);
		if (strstr(d, "\"base\""))
			fuzz_fail("a cache that failed to load left entries");
		free(d);
		return;
	}
	char *d1 = registry_tokens_dump(NOW);
	if (registry_tokens_load_text(d1, strlen(d1), NOW, &e) < 0)
		fuzz_fail("own dump does not load: %s", e.msg);
	char *d2 = registry_tokens_dump(NOW);
	if (strcmp(d1, d2) != 0)
		fuzz_fail("dump, load, dump differs:\n%s\n---\n%s", d1, d2);
	free(d1);
	free(d2);
	registry_tokens_reset();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_answer(data, size);
	fuzz_cache(data, size);
	return 0;
}
