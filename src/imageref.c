/* imageref.c - image references ("docker.io/kyuz0/x:tag@sha256:..."),
 * parsed once when definitions load. */
#define _GNU_SOURCE
#include "imageref.h"

#include <stdlib.h>
#include <string.h>

#define REF_MAX 1024
#define REPO_MAX 255
#define TAG_MAX 128
#define HOST_MAX 255

/* ASCII only: no locale surprises */
static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* An untrusted string fit for a one-line message. */
static char *shown(const char *s)
{
	return sanitize_line(s, strlen(s), 200);
}

bool digest_is_valid(const char *d)
{
	if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64)
		return false;
	for (size_t i = 7; i < 7 + 64; i++)
		if (!is_hex_lower(d[i]))
			return false;
	return true;
}

bool registry_tag_is_valid(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > TAG_MAX || !(is_alnum(t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(is_alnum(t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return false;
	return true;
}

/* host[:port] or [v6]:port; labels of letters, digits and '-'. */
bool registry_host_is_valid(const char *h)
{
	size_t n = strlen(h);
	const char *port = NULL;
	if (n == 0 || n > HOST_MAX)
		return false;
	if (h[0] == '[') {
		const char *end = strchr(h, ']');
		if (!end || end == h + 1)
			return false;
		for (const char *p = h + 1; p < end; p++)
			if (!(is_hex_lower(*p) || (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.'))
				return false;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return false;
	} else {
		const char *colon = strchr(h, ':');
		size_t hl = colon ? (size_t)(colon - h) : n;
		if (hl == 0 || h[0] == '.' || h[0] == '-' || h[hl - 1] == '.' || h[hl - 1] == '-')
			return false;
		for (size_t i = 0; i < hl; i++)
			if (!(is_alnum(h[i]) || h[i] == '.' || h[i] == '-'))
				return false;
		if (colon)
			port = colon + 1;
	}
	if (port) {
		size_t pl = strlen(port);
		if (pl == 0 || pl > 5)
			return false;
		for (size_t i = 0; i < pl; i++)
			if (port[i] < '0' || port[i] > '9')
				return false;
	}
	return true;
}

/* path-component ("/"-separated): [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static const char *repo_problem(const char *r)
{
	size_t n = strlen(r);
	if (n == 0)
		return "empty repository name";
	if (n > REPO_MAX)
		return "repository name longer than 255 characters";
	for (size_t i = 0; i < n; i++)
		if (r[i] >= 'A' && r[i] <= 'Z')
			return "repository name must be lowercase";
	const char *p = r;
	for (;;) {
		if (!is_lower_alnum(*p))
			return "invalid repository name";
		while (*p) {
			while (is_lower_alnum(*p))
				p++;
			if (*p == '/' || !*p)
				break;
			if (*p == '.' || (*p == '_' && p[1] != '_'))
				p++;
			else if (*p == '_')
				p += 2;
			else if (*p == '-')
				while (*p == '-')
					p++;
			else
				return "invalid repository name";
			if (!is_lower_alnum(*p))
				return "invalid repository name";
		}
		if (!*p)
			return NULL;
		p++; /* '/' */
	}
}

const char *registry_normal_host(const char *host)
{
	if (strcmp(host, "index.docker.io") == 0 || strcmp(host, "registry-1.docker.io") == 0)
		return "docker.io";
	return host;
}

static int ref_error(struct err *e, const char *ref, const char *why)
{
	char *s = shown(ref);
	err_set(e, "invalid image reference '%s': %s", s, why);
	free(s);
	return -1;
}

int image_ref_parse(const char *ref, struct image_ref *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (!ref || !*ref)
		return err_set(e, "empty image reference");
	if (strlen(ref) > REF_MAX)
		return ref_error(e, ref, "too long");
	for (const char *p = ref; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return ref_error(e, ref, "whitespace or control characters");

	cleanup(free_ptr) char *name = NULL;
	const char *at = strchr(ref, '@');
	if (at) {
		if (!digest_is_valid(at + 1))
			return ref_error(e, ref, "invalid digest (expected sha256: and 64 lowercase hex digits)");
		name = xstrndup(ref, (size_t)(at - ref));
	} else {
		name = xstrdup(ref);
	}
	char *slash = strrchr(name, '/');
	char *colon = strrchr(name, ':');
	const char *tag = NULL;
	if (colon && (!slash || colon > slash)) {
		*colon = '\0';
		tag = colon + 1;
		if (!registry_tag_is_valid(tag))
			return ref_error(e, ref, "invalid tag");
	}
	const char *registry = "docker.io", *repo = name;
	char *first = strchr(name, '/');
	if (first) {
		*first = '\0';
		if (strchr(name, '.') || strchr(name, ':') || strcmp(name, "localhost") == 0) {
			if (!registry_host_is_valid(name))
				return ref_error(e, ref, "invalid registry host");
			registry = registry_normal_host(name);
			repo = first + 1;
		} else {
			*first = '/';
		}
	}
	cleanup(free_ptr) char *full_repo = NULL;
	if (strcmp(registry, "docker.io") == 0 && !strchr(repo, '/'))
		repo = full_repo = xasprintf("library/%s", repo);
	const char *why = repo_problem(repo);
	if (why)
		return ref_error(e, ref, why);

	out->registry = xstrdup(registry);
	out->repo = xstrdup(repo);
	out->digest = at ? xstrdup(at + 1) : NULL;
	out->tag = tag ? xstrdup(tag) : at ? NULL : xstrdup("latest");
	return 0;
}

void image_ref_free(struct image_ref *r)
{
	if (!r)
		return;
	free(r->registry);
	free(r->repo);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

char *image_ref_repo_name(const struct image_ref *r)
{
	return xasprintf("%s/%s", r->registry, r->repo);
}

char *image_ref_name(const struct image_ref *r)
{
	char *name = image_ref_repo_name(r);
	if (!r->tag)
		return name;
	char *with_tag = xasprintf("%s:%s", name, r->tag);
	free(name);
	return with_tag;
}
