/* fuzz_registry.c - what a registry or a user hands tbx as text:
 * registry_parse_challenge (a WWW-Authenticate value), image_ref_parse, and
 * registry_realm_gets_credentials (a token realm against a registry URL).
 *
 * The input, up to its first NUL, is given to both.  Checks: a parsed
 * challenge has a scheme and no control characters in the fields kept;
 * a parsed reference has a valid shape, and its name parses back to the
 * same registry, repository and tag.
 */
#include <strings.h>

#include "fuzz.h"
#include "registry.h"

#define CHALLENGE_VALUE_MAX 4096 /* as in registry.c */

static void check_field(const char *what, const char *s)
{
	if (!s)
		return;
	if (!*s)
		fuzz_fail("challenge %s is empty rather than absent", what);
	if (strlen(s) > CHALLENGE_VALUE_MAX)
		fuzz_fail("challenge %s is %zu bytes", what, strlen(s));
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fuzz_fail("challenge %s holds control character 0x%02x", what, *p);
}

static void fuzz_challenge(const char *header)
{
	struct auth_challenge c;
	memset(&c, 0xa5, sizeof(c)); /* the parser must set every field */
	int rc = registry_parse_challenge(header, &c);
	if (rc == 0) {
		if (!c.scheme || !*c.scheme)
			fuzz_fail("challenge parsed without a scheme");
		check_field("realm", c.realm);
		check_field("service", c.service);
		check_field("scope", c.scope);
		check_field("error", c.error);
	} else if (rc != -1) {
		fuzz_fail("registry_parse_challenge returned %d", rc);
	} else if (c.scheme || c.realm || c.service || c.scope || c.error) {
		fuzz_fail("registry_parse_challenge failed but left fields set");
	}
	auth_challenge_free(&c);
	auth_challenge_free(&c); /* freeing twice is allowed: it clears */
}

static void fuzz_image_ref(const char *s)
{
	struct image_ref r, again;
	struct err e;
	err_clear(&e);
	int rc = image_ref_parse(s, &r, &e);
	if (rc < 0) {
		if (rc != -1 || !e.msg[0])
			fuzz_fail("image_ref_parse returned %d with message '%s'", rc, e.msg);
		if (r.registry || r.repo || r.tag || r.digest)
			fuzz_fail("image_ref_parse failed but left fields set");
		fuzz_check_line("image_ref_parse message", e.msg, sizeof(e.msg));
		return;
	}
	if (rc != 0 || !r.registry || !r.repo || (!r.tag && !r.digest))
		fuzz_fail("image_ref_parse('%s') returned %d with a missing part", s, rc);
	if (r.digest && (strncmp(r.digest, "sha256:", 7) != 0 || strlen(r.digest) != 71))
		fuzz_fail("image_ref_parse('%s'): digest '%s'", s, r.digest);
	char *name = image_ref_name(&r);
	err_clear(&e);
	if (image_ref_parse(name, &again, &e) != 0)
		fuzz_fail("image_ref_name '%s' of '%s' does not parse: %s", name, s, e.msg);
	if (strcmp(again.registry, r.registry) != 0 || strcmp(again.repo, r.repo) != 0 ||
	    (r.tag && !str_eq(again.tag, r.tag)))
		fuzz_fail("'%s' -> '%s' -> %s/%s:%s", s, name, again.registry, again.repo,
			  again.tag ? again.tag : "(none)");
	free(name);
	image_ref_free(&again);
	image_ref_free(&r);
}

/* Credentials go to a realm only over https or to a plain-http
 * registry's own host: never to an http realm whose host is not the
 * registry's. */
static void fuzz_realm(const char *realm)
{
	static const char *const bases[] = { "http://mirror.lan:5000", "https://mirror.lan",
					     "http://127.0.0.1" };
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		bool yes = registry_realm_gets_credentials(realm, bases[i]);
		bool https = strncasecmp(realm, "https://", 8) == 0;
		if (yes && !https && strncmp(bases[i], "https", 5) == 0)
			fuzz_fail("credentials for %s would go to '%s' in clear", bases[i], realm);
		if (yes && !https && strncasecmp(realm, "http://", 7) != 0)
			fuzz_fail("credentials would go to '%s'", realm);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	fuzz_realm(s);
	fuzz_challenge(s);
	fuzz_image_ref(s);
	free(s);
	return 0;
}
