/* fuzz_index.c - the platforms of an image index (a registry's answer,
 * untrusted): registry_index_platforms.
 *
 * Checks: -1 only with a message; the platforms are unique, at most 256,
 * "os/arch[/variant]" of plain characters (or "?"); linux/amd64 is said to
 * be there exactly when it is listed.
 */
#include "fuzz.h"
#include "json.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	struct strv pf = { 0 };
	struct err e;
	err_clear(&e);
	bool amd64 = false;
	int rc = registry_index_platforms(text, size, &pf, &amd64, &e);
	if (rc < -1 || rc > 1)
		fuzz_fail("returned %d", rc);
	if (rc == -1 && !e.msg[0])
		fuzz_fail("failed without a message");
	if (rc != 1 && pf.n)
		fuzz_fail("not an index, yet %zu platforms", pf.n);
	if (pf.n > 256)
		fuzz_fail("%zu platforms", pf.n);
	for (size_t i = 0; i < pf.n; i++) {
		const char *p = pf.v[i];
		if (strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/?") !=
		    strlen(p))
			fuzz_fail("platform '%s' has other characters", p);
		for (size_t j = 0; j < i; j++)
			if (strcmp(p, pf.v[j]) == 0)
				fuzz_fail("platform '%s' twice", p);
	}
	bool listed = false; /* linux/amd64, with or without a variant */
	for (size_t i = 0; i < pf.n; i++)
		listed |= strcmp(pf.v[i], "linux/amd64") == 0 ||
			  strncmp(pf.v[i], "linux/amd64/", 12) == 0;
	if (amd64 != listed)
		fuzz_fail("linux/amd64 said %d, listed %d", amd64, listed);
	strv_free(&pf);
	free(text);
	return 0;
}
