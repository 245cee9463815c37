/* fuzz_mirrors.c - the registry mirror list (TBX_REGISTRY_MIRROR, the
 * config file's registry_mirror): registry_mirror_find and
 * registry_base_url.
 *
 * The input, up to its first NUL, is the list.  Checks: the verdict does
 * not depend on which registry is asked (every entry is validated); an
 * error has a message of one printable line without '@' (userinfo never
 * reaches a message) and leaves no URL; a mirror found is an http(s) URL
 * with a host, no userinfo, query, fragment, blank, control character or
 * trailing '/'; registry_base_url agrees (NULL exactly on an invalid list,
 * else the mirror or https://).
 */
#include <strings.h>

#include "fuzz.h"
#include "registry.h"

static void check_url(const char *list, const char *reg, const char *url)
{
	size_t sl = strncasecmp(url, "http://", 7) == 0	    ? 7
		    : strncasecmp(url, "https://", 8) == 0 ? 8
							    : 0;
	size_t n = strlen(url);
	if (!sl || n == sl || url[sl] == '/')
		fuzz_fail("mirror of %s in '%s': '%s' is not http(s)://HOST", reg, list, url);
	if (url[n - 1] == '/')
		fuzz_fail("mirror of %s in '%s': '%s' ends with '/'", reg, list, url);
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '@' || *p == '?' || *p == '#')
			fuzz_fail("mirror of %s in '%s': '%s' holds 0x%02x", reg, list, url, *p);
}

/* The first entry's registry (before '='), trimmed: ask for it too, so the
 * "found" path is reached whatever the fuzzer writes. */
static char *first_key(const char *list)
{
	size_t n = strcspn(list, ",=");
	while (n && (*list == ' ' || *list == '\t'))
		list++, n--;
	while (n && (list[n - 1] == ' ' || list[n - 1] == '\t'))
		n--;
	return xstrndup(list, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *list = fuzz_cstr(data, size);
	char *key = first_key(list);
	const char *regs[] = { "docker.io", "index.docker.io", "quay.io", "127.0.0.1:5000", key };
	int verdict = 2;
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		struct err e;
		err_clear(&e);
		char *url = (char *)1;
		int rc = registry_mirror_find(list, regs[i], &url, &e);
		if (rc != 0 && rc != -1)
			fuzz_fail("registry_mirror_find returned %d", rc);
		if (verdict != 2 && rc != verdict)
			fuzz_fail("'%s': valid for one registry, invalid for %s", list, regs[i]);
		verdict = rc;
		struct registry_opts o = { .mirrors = list };
		char *base = registry_base_url(&o, regs[i]);
		if (rc < 0) {
			if (url)
				fuzz_fail("registry_mirror_find failed but set a URL");
			if (!e.msg[0])
				fuzz_fail("registry_mirror_find failed without a message");
			fuzz_check_line("mirror error", e.msg, sizeof(e.msg));
			if (strchr(e.msg, '@'))
				fuzz_fail("the message may show credentials: '%s'", e.msg);
			if (base)
				fuzz_fail("registry_base_url('%s') = '%s' for an invalid list", list,
					  base);
		} else {
			if (url)
				check_url(list, regs[i], url);
			if (!base)
				fuzz_fail("registry_base_url('%s') is NULL for a valid list", list);
			if (url && strcmp(base, url) != 0)
				fuzz_fail("registry_base_url '%s' is not the mirror '%s'", base, url);
			if (!url && strncmp(base, "https://", 8) != 0)
				fuzz_fail("registry_base_url without a mirror: '%s'", base);
		}
		free(base);
		free(url);
	}
	free(key);
	free(list);
	return 0;
}
