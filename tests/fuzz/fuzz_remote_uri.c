/* fuzz_remote_uri.c - remote_uri_parse, the URI of a Podman system
 * connection (from containers.conf or podman-connections.json), which
 * becomes ssh's argv.
 *
 * The input, up to its first NUL, is the URI.  Checks: a failure sets
 * nothing and says why in one printable line (exit 2); unix:// gives an
 * absolute path only; ssh:// gives a host (and user) that cannot be read
 * as an ssh option (no leading '-') and holds no blank, control character,
 * '@', '/' or quote, a port in 1..65535 or 0, and an absolute socket path
 * without ':', blanks, '?' or '#'; the parts put back together parse to
 * the same parts.
 */
#include "fuzz.h"
#include "remote.h"

static void check_word(const char *what, const char *uri, const char *s)
{
	if (!s)
		return;
	if (!*s || *s == '-')
		fuzz_fail("'%s': %s '%s' is empty or starts with '-'", uri, what, s);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f || strchr("@/'\"\\;`", *p))
			fuzz_fail("'%s': %s '%s' holds 0x%02x", uri, what, s, *p);
}

static void check_parts(const char *uri, const struct remote_uri *u)
{
	if (!u->path || u->path[0] != '/')
		fuzz_fail("'%s': socket path '%s' is not absolute", uri, u->path ? u->path : "(null)");
	if (!u->ssh) {
		if (u->user || u->host || u->port)
			fuzz_fail("'%s': a unix URI with a user, host or port", uri);
		return;
	}
	if (!u->host)
		fuzz_fail("'%s': an ssh URI without a host", uri);
	check_word("host", uri, u->host);
	check_word("user", uri, u->user);
	if (u->port < 0 || u->port > 65535)
		fuzz_fail("'%s': port %d", uri, u->port);
	if (strpbrk(u->path, ": \t\n?#"))
		fuzz_fail("'%s': socket path '%s' cannot be forwarded", uri, u->path);
}

static char *rebuild(const struct remote_uri *u)
{
	if (!u->ssh)
		return xasprintf("unix://%s", u->path);
	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_adds(&b, "ssh://");
	if (u->user)
		buf_addf(&b, "%s@", u->user);
	buf_addf(&b, strchr(u->host, ':') ? "[%s]" : "%s", u->host);
	if (u->port)
		buf_addf(&b, ":%d", u->port);
	buf_adds(&b, u->path);
	return buf_detach(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *uri = fuzz_cstr(data, size);
	struct remote_uri u, again;
	struct err e;
	err_clear(&e);
	memset(&u, 0xa5, sizeof(u)); /* the parser must set every field */
	int rc = remote_uri_parse(uri, &u, &e);
	if (rc == -1) {
		if (u.user || u.host || u.path || u.port || u.ssh)
			fuzz_fail("remote_uri_parse failed but left fields set");
		if (!e.msg[0] || e.exit_code != EXIT_USAGE)
			fuzz_fail("remote_uri_parse failed with exit %d, message '%s'", e.exit_code,
				  e.msg);
		fuzz_check_line("remote_uri_parse message", e.msg, sizeof(e.msg));
	} else if (rc != 0) {
		fuzz_fail("remote_uri_parse returned %d", rc);
	} else {
		check_parts(uri, &u);
		char *back = rebuild(&u);
		err_clear(&e);
		if (remote_uri_parse(back, &again, &e) != 0)
			fuzz_fail("'%s' -> '%s' does not parse: %s", uri, back, e.msg);
		if (again.ssh != u.ssh || !str_eq(again.user, u.user) ||
		    !str_eq(again.host, u.host) || again.port != u.port ||
		    !str_eq(again.path, u.path))
			fuzz_fail("'%s' -> '%s' parses to other parts", uri, back);
		remote_uri_free(&again);
		free(back);
	}
	remote_uri_free(&u);
	remote_uri_free(&u); /* freeing twice is allowed: it clears */
	free(uri);
	return 0;
}
