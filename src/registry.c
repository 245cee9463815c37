/* registry.c - a tag's digest from a registry by manifest HEAD, with
 * Bearer/Basic auth from auth.json.  Everything a registry sends is
 * untrusted; credentials and tokens never reach an error message (no URL
 * built here carries them, and messages never quote them). */
#define _GNU_SOURCE
#include "registry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "json.h"

#define REF_MAX 1024
#define REPO_MAX 255
#define TAG_MAX 128
#define HOST_MAX 255
#define CHALLENGE_VALUE_MAX 4096
#define CHALLENGES_MAX 16
#define TOKEN_MAX (64 * 1024)
#define TOKEN_BODY_MAX ((size_t)1 << 20)
#define AUTH_FILE_MAX ((size_t)4 << 20)
#define HEAD_MANY_THREADS 8
#define DEFAULT_TIMEOUT_S 10L

#define MANIFEST_ACCEPT                                                             \
	"Accept: application/vnd.oci.image.index.v1+json, "                         \
	"application/vnd.oci.image.manifest.v1+json, "                              \
	"application/vnd.docker.distribution.manifest.list.v2+json, "               \
	"application/vnd.docker.distribution.manifest.v2+json"

/* ---- small character classes (ASCII only: no locale surprises) ---- */

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

/* RFC 9110 tchar */
static bool is_tchar(char c)
{
	return c && (is_alnum(c) || strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token68(char c)
{
	return c && (is_alnum(c) || strchr("-._~+/", c));
}

static void secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* An untrusted string fit for a one-line message. */
static char *shown(const char *s)
{
	return sanitize_line(s, strlen(s), 200);
}

/* ---- references ---- */

bool digest_is_valid(const char *d)
{
	if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64)
		return false;
	for (size_t i = 7; i < 7 + 64; i++)
		if (!is_hex_lower(d[i]))
			return false;
	return true;
}

static bool valid_tag(const char *t)
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
static bool valid_host(const char *h)
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

static const char *normal_registry(const char *host)
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
		if (!valid_tag(tag))
			return ref_error(e, ref, "invalid tag");
	}
	const char *registry = "docker.io", *repo = name;
	char *first = strchr(name, '/');
	if (first) {
		*first = '\0';
		if (strchr(name, '.') || strchr(name, ':') || strcmp(name, "localhost") == 0) {
			if (!valid_host(name))
				return ref_error(e, ref, "invalid registry host");
			registry = normal_registry(name);
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

char *image_ref_name(const struct image_ref *r)
{
	if (r->tag)
		return xasprintf("%s/%s:%s", r->registry, r->repo, r->tag);
	return xasprintf("%s/%s", r->registry, r->repo);
}

/* ---- mirrors ---- */

static char *trimmed(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

/* "http(s)://authority[/path]" without userinfo, query or fragment.
 * Returns the scheme's length or 0. */
static size_t url_scheme_len(const char *u)
{
	if (strncasecmp(u, "http://", 7) == 0)
		return 7;
	if (strncasecmp(u, "https://", 8) == 0)
		return 8;
	return 0;
}

static bool valid_mirror_url(const char *u)
{
	size_t sl = url_scheme_len(u);
	if (!sl)
		return false;
	for (const char *p = u; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '?' || *p == '#')
			return false;
	const char *auth = u + sl;
	size_t al = strcspn(auth, "/");
	char *host = xstrndup(auth, al);
	bool ok = valid_host(host);
	free(host);
	return ok;
}

/* Finds registry's mirror in the "host=url,..." list, validating every
 * entry so that a typo is reported even when it concerns another host.
 * *url is NULL when there is no mirror for this registry. */
static int mirror_find(const char *mirrors, const char *registry, char **url, struct err *e)
{
	struct strv seen = STRV_INIT;
	int ret = 0, entry_no = 0;
	*url = NULL;
	for (const char *p = mirrors ? mirrors : ""; *p && ret == 0;) {
		size_t n = strcspn(p, ",");
		char *entry = trimmed(p, n);
		p += n + (p[n] == ',');
		entry_no++;
		if (!*entry) {
			free(entry);
			continue;
		}
		char *eq = strchr(entry, '=');
		if (strchr(entry, '@')) {
			/* userinfo in a URL would end up in error messages */
			ret = err_set(e, "registry mirror entry %d must not contain credentials "
				      "(put them in auth.json)", entry_no);
		} else if (!eq) {
			char *s = shown(entry);
			ret = err_set(e, "invalid registry mirror entry '%s': expected "
				      "REGISTRY=http(s)://HOST[:PORT]", s);
			free(s);
		} else {
			char *key = trimmed(entry, (size_t)(eq - entry));
			char *val = trimmed(eq + 1, strlen(eq + 1));
			const char *nkey = normal_registry(key);
			if (!valid_host(key) || !valid_mirror_url(val)) {
				char *s = shown(entry);
				ret = err_set(e, "invalid registry mirror entry '%s': expected "
					      "REGISTRY=http(s)://HOST[:PORT]", s);
				free(s);
			} else if (strv_contains(&seen, nkey)) {
				ret = err_set(e, "registry mirror for '%s' is given twice", nkey);
			} else {
				strv_push(&seen, nkey);
				if (!*url && strcmp(nkey, registry) == 0) {
					size_t vl = strlen(val);
					while (vl && val[vl - 1] == '/')
						vl--;
					*url = xstrndup(val, vl);
				}
			}
			free(key);
			free(val);
		}
		free(entry);
	}
	strv_free(&seen);
	if (ret < 0) {
		free(*url);
		*url = NULL;
	}
	return ret;
}

static char *default_base(const char *registry)
{
	if (strcmp(registry, "docker.io") == 0)
		return xstrdup("https://registry-1.docker.io");
	return xasprintf("https://%s", registry);
}

char *registry_base_url(const struct registry_opts *o, const char *registry)
{
	struct err e = { 0 };
	char *url = NULL;
	const char *reg = normal_registry(registry);
	if (mirror_find(o ? o->mirrors : NULL, reg, &url, &e) < 0)
		return NULL;
	return url ? url : default_base(reg);
}

/* "host:port" of a base URL, the auth.json key for a mirror. */
static char *url_authority(const char *url)
{
	const char *a = url + url_scheme_len(url);
	return xstrndup(a, strcspn(a, "/"));
}

/* ---- auth.json ---- */

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int registry_base64_decode(const char *in, size_t len, struct buf *out)
{
	buf_reset(out);
	size_t pad = 0;
	while (len && in[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if (len % 4 == 1 || (pad && (len + pad) % 4 != 0))
		return -1;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
	return 0;
}

/* "https://index.docker.io/v1/" -> "docker.io"; "docker.io/kyuz0/" ->
 * "docker.io/kyuz0" (Podman's rules: a key with a scheme names a host only). */
static char *auth_key_normalise(const char *key)
{
	size_t sl = url_scheme_len(key);
	char *k = sl ? xstrndup(key + sl, strcspn(key + sl, "/")) : xstrdup(key);
	size_t n = strlen(k);
	while (n && k[n - 1] == '/')
		k[--n] = '\0';
	size_t hl = strcspn(k, "/");
	char *host = xstrndup(k, hl);
	char *res = xasprintf("%s%s", normal_registry(host), k + hl);
	free(host);
	free(k);
	return res;
}

/* Does key ("host" or "host/namespace...") cover host/repo? */
static bool auth_key_matches(const char *key, const char *host, const char *repo)
{
	size_t hl = strlen(host);
	if (strncmp(key, host, hl) != 0)
		return false;
	if (key[hl] == '\0')
		return true;
	if (key[hl] != '/' || !repo)
		return false;
	const char *ns = key + hl + 1;
	size_t nl = strlen(ns);
	return nl && strncmp(repo, ns, nl) == 0 && (repo[nl] == '\0' || repo[nl] == '/');
}

static bool valid_userpwd(const char *s, size_t n)
{
	if (n < 2 || !memchr(s, ':', n) || s[0] == ':')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int auth_entry_creds(json_object *entry, const char *path, const char *key, char **userpwd,
			    struct err *e)
{
	const char *auth = json_str(entry, "auth");
	const char *user = json_str(entry, "username");
	const char *pass = json_str(entry, "password");
	if (auth && *auth) {
		struct buf b = BUF_INIT;
		buf_init(&b);
		int rc = registry_base64_decode(auth, strlen(auth), &b);
		if (rc == 0 && valid_userpwd(b.p, b.len))
			*userpwd = xstrndup(b.p, b.len);
		explicit_bzero(b.p, b.cap);
		buf_free(&b);
		if (!*userpwd) {
			char *s = shown(key);
			err_set(e, "'%s': the credentials for '%s' are not base64 of "
				"\"user:password\"", path, s);
			free(s);
			return -1;
		}
	} else if (user && pass && *user) {
		*userpwd = xasprintf("%s:%s", user, pass);
		if (!valid_userpwd(*userpwd, strlen(*userpwd))) {
			secret_free(*userpwd);
			*userpwd = NULL;
			char *s = shown(key);
			err_set(e, "'%s': invalid username or password for '%s'", path, s);
			free(s);
			return -1;
		}
	}
	return 0;
}

/* The most specific entry of one file (*userpwd stays NULL without one). */
static int auth_lookup_file(const char *path, const char *host, const char *repo,
			    char **userpwd, struct err *e)
{
	json_object *root = json_parse_file(path, AUTH_FILE_MAX, e);
	if (!root)
		return -1;
	json_object *auths = json_obj(root, "auths");
	json_object *best = NULL;
	char *best_key = NULL;
	size_t best_len = 0;
	if (auths) {
		json_object_object_foreach(auths, key, val)
		{
			char *nk = auth_key_normalise(key);
			size_t nl = strlen(nk);
			if (json_object_is_type(val, json_type_object) &&
			    auth_key_matches(nk, host, repo) && (!best || nl > best_len)) {
				best = val;
				best_len = nl;
				free(best_key);
				best_key = xstrdup(key);
			}
			free(nk);
		}
	}
	int ret = 0;
	if (best) {
		ret = auth_entry_creds(best, path, best_key, userpwd, e);
	}
	free(best_key);
	json_object_put(root);
	return ret;
}

int registry_find_credentials(const char *auth_file, const char *host, const char *repo,
			      char **userpwd, struct err *e)
{
	struct strv files = STRV_INIT;
	bool must_exist = true;
	const char *env = getenv("REGISTRY_AUTH_FILE");
	*userpwd = NULL;
	if (auth_file) {
		strv_push(&files, auth_file);
	} else if (env && *env) {
		strv_push(&files, env);
	} else {
		const char *xdg = getenv("XDG_RUNTIME_DIR");
		const char *home = getenv("HOME");
		if (xdg && *xdg)
			strv_pushf(&files, "%s/containers/auth.json", xdg);
		if (home && *home) {
			strv_pushf(&files, "%s/.config/containers/auth.json", home);
			strv_pushf(&files, "%s/.docker/config.json", home);
		}
		must_exist = false;
	}
	int ret = 0;
	const char *nhost = normal_registry(host);
	for (size_t i = 0; i < files.n && ret == 0 && !*userpwd; i++) {
		if (!must_exist && !path_exists(files.v[i]))
			continue;
		ret = auth_lookup_file(files.v[i], nhost, repo, userpwd, e);
	}
	strv_free(&files);
	return ret;
}

/* ---- WWW-Authenticate ---- */

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static char *canonical_scheme(const char *s, size_t n)
{
	if (n == 6 && strncasecmp(s, "bearer", 6) == 0)
		return xstrdup("Bearer");
	if (n == 5 && strncasecmp(s, "basic", 5) == 0)
		return xstrdup("Basic");
	return xstrndup(s, n);
}

/* A parameter value, quoted (with backslash escapes) or bare.  Copies at
 * most CHALLENGE_VALUE_MAX bytes to val; *too_long or *bad (control
 * characters) flag what was not copied.  Returns the end or NULL when a
 * quote is not closed. */
static const char *challenge_value(const char *p, char *val, size_t *len, bool *too_long,
				   bool *bad)
{
	*len = 0;
	*too_long = *bad = false;
	bool quoted = *p == '"';
	if (quoted)
		p++;
	while (*p) {
		char c = *p;
		if (quoted && c == '"')
			break;
		if (!quoted && (c == ',' || c == ' ' || c == '\t'))
			break;
		if (quoted && c == '\\' && p[1])
			c = *++p;
		if ((unsigned char)c < 0x20 || c == 0x7f)
			*bad = true;
		if (*len < CHALLENGE_VALUE_MAX)
			val[(*len)++] = c;
		else
			*too_long = true;
		p++;
	}
	if (quoted) {
		if (*p != '"')
			return NULL;
		p++;
	}
	val[*len] = '\0';
	return p;
}

static char **challenge_field(struct auth_challenge *c, const char *k, size_t n)
{
	if (n == 5 && strncasecmp(k, "realm", 5) == 0)
		return &c->realm;
	if (n == 7 && strncasecmp(k, "service", 7) == 0)
		return &c->service;
	if (n == 5 && strncasecmp(k, "scope", 5) == 0)
		return &c->scope;
	return NULL;
}

/* One challenge from *pp; on success *pp points past it (at the next
 * challenge's scheme, or the end). */
static int parse_one_challenge(const char **pp, struct auth_challenge *c)
{
	char val[CHALLENGE_VALUE_MAX + 1];
	const char *p = *pp;
	memset(c, 0, sizeof(*c));
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	const char *s = p;
	while (is_tchar(*p))
		p++;
	size_t n = (size_t)(p - s);
	if (n == 0 || n > 64 || (*p && *p != ' ' && *p != '\t' && *p != ','))
		return -1;
	c->scheme = canonical_scheme(s, n);
	p = skip_blanks(p);

	/* token68 ("Basic dXNlcg==") is ignored */
	const char *t = p;
	while (is_token68(*t))
		t++;
	if (t > p) {
		while (*t == '=')
			t++;
		const char *u = skip_blanks(t);
		if (*u == '\0' || *u == ',') {
			*pp = u;
			return 0;
		}
	}
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *k = p;
		while (is_tchar(*p))
			p++;
		size_t kl = (size_t)(p - k);
		if (kl == 0)
			goto fail;
		p = skip_blanks(p);
		if (*p != '=') {
			p = k; /* the next challenge's scheme */
			break;
		}
		p = skip_blanks(p + 1);
		size_t vl;
		bool too_long, bad;
		p = challenge_value(p, val, &vl, &too_long, &bad);
		if (!p)
			goto fail;
		char **field = challenge_field(c, k, kl);
		if (field && (too_long || bad))
			goto fail;
		if (field && !*field && vl)
			*field = xstrndup(val, vl);
	}
	*pp = p;
	return 0;
fail:
	auth_challenge_free(c);
	return -1;
}

int registry_parse_challenge(const char *header, struct auth_challenge *c)
{
	memset(c, 0, sizeof(*c));
	if (!header)
		return -1;
	const char *p = header;
	return parse_one_challenge(&p, c);
}

void auth_challenge_free(struct auth_challenge *c)
{
	if (!c)
		return;
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	memset(c, 0, sizeof(*c));
}

/* The best challenge of a 401: Bearer with a realm, else Basic.
 * Returns 0 with c filled, -1 when there is none. */
static int pick_challenge(const struct http_resp *resp, struct auth_challenge *out)
{
	static const char name[] = "www-authenticate:";
	struct auth_challenge basic = { 0 };
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < resp->headers.n; i++) {
		const char *h = resp->headers.v[i];
		if (strncasecmp(h, name, sizeof(name) - 1) != 0)
			continue;
		const char *p = h + sizeof(name) - 1;
		for (int k = 0; k < CHALLENGES_MAX && *skip_blanks(p); k++) {
			struct auth_challenge c;
			if (parse_one_challenge(&p, &c) < 0)
				break;
			if (strcmp(c.scheme, "Bearer") == 0 && c.realm) {
				auth_challenge_free(&basic);
				*out = c;
				return 0;
			}
			if (strcmp(c.scheme, "Basic") == 0 && !basic.scheme)
				basic = c;
			else
				auth_challenge_free(&c);
		}
	}
	if (!basic.scheme)
		return -1;
	*out = basic;
	return 0;
}

/* ---- requests ---- */

struct lookup {
	const struct registry_opts *o;
	const struct image_ref *ref;
	const char *reference; /* tag or digest */
	char sep;              /* ':' before a tag, '@' before a digest */
	char *base;            /* "https://registry-1.docker.io" or the mirror */
	bool mirrored;
	long timeout_s;
};

static void add_query(struct buf *b, const char *key, const char *val)
{
	static const char hex[] = "0123456789ABCDEF";
	buf_addf(b, "%s=", key);
	for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
		if (is_alnum((char)*p) || strchr("-._~", *p))
			buf_addc(b, (char)*p);
		else
			buf_addf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
}

static bool valid_realm(const char *r)
{
	if (!url_scheme_len(r) || strlen(r) > CHALLENGE_VALUE_MAX)
		return false;
	for (const char *p = r; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '#')
			return false;
	return true;
}

/* A token is sent back in a header: visible ASCII only. */
static bool valid_token(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= ' ' || (unsigned char)t[i] >= 0x7f)
			return false;
	return true;
}

static int token_status_error(const struct lookup *l, long status, bool with_creds, struct err *e)
{
	const char *reg = l->ref->registry;
	if (status == 401 || status == 403)
		return err_set(e, "access denied by the token service of %s (HTTP %ld)%s", reg,
			       status, with_creds ? "; check the credentials in auth.json" : "");
	if (status == 429)
		return err_set(e, "rate limited by %s (HTTP 429)", reg);
	return err_set(e, "the token service of %s answered HTTP %ld", reg, status);
}

static int fetch_token(const struct lookup *l, const struct auth_challenge *ch,
		       const char *userpwd, char **token, struct err *e)
{
	*token = NULL;
	const char *reg = l->ref->registry;
	if (!valid_realm(ch->realm)) {
		char *s = shown(ch->realm);
		err_set(e, "%s asks for a token from an invalid realm '%s'", reg, s);
		free(s);
		return -1;
	}
	/* no password in clear text unless the registry itself is plain http */
	if (userpwd && strncasecmp(ch->realm, "http://", 7) == 0 &&
	    strncasecmp(l->base, "http://", 7) != 0) {
		verbose("not sending credentials for %s to %s over plain http", reg, ch->realm);
		userpwd = NULL;
	}
	struct buf url = BUF_INIT;
	buf_init(&url);
	buf_adds(&url, ch->realm);
	char sep = strchr(ch->realm, '?') ? '&' : '?';
	if (ch->service) {
		buf_addc(&url, sep);
		add_query(&url, "service", ch->service);
		sep = '&';
	}
	buf_addc(&url, sep);
	if (ch->scope) {
		add_query(&url, "scope", ch->scope);
	} else {
		char *scope = xasprintf("repository:%s:pull", l->ref->repo);
		add_query(&url, "scope", scope);
		free(scope);
	}

	struct http_req req;
	struct http_resp resp = { 0 };
	http_req_init(&req, "GET", buf_str(&url));
	strv_push(&req.headers, "Accept: application/json");
	req.userpwd = userpwd;
	req.timeout_s = l->timeout_s;
	req.connect_timeout_s = l->timeout_s < 10 ? l->timeout_s : 10;
	req.max_body = TOKEN_BODY_MAX;
	req.interruptible = true;
	int ret = -1;
	json_object *root = NULL;
	if (http_do(&req, &resp, e) < 0) {
		err_wrap(e, "cannot get a token for %s", reg);
		goto out;
	}
	if (resp.status != 200) {
		token_status_error(l, resp.status, userpwd != NULL, e);
		goto out;
	}
	char *what = xasprintf("token answer from %s", ch->realm);
	root = json_parse(buf_str(&resp.body), resp.body.len, what, e);
	free(what);
	if (!root) {
		err_wrap(e, "cannot get a token for %s", reg);
		goto out;
	}
	const char *tok = json_str(root, "token");
	if (!tok || !*tok)
		tok = json_str(root, "access_token");
	if (!tok || !valid_token(tok)) {
		err_set(e, "the token service of %s answered without a valid token", reg);
		goto out;
	}
	*token = xstrdup(tok);
	ret = 0;
out:
	if (root)
		json_object_put(root);
	if (resp.body.p)
		explicit_bzero(resp.body.p, resp.body.cap);
	http_resp_free(&resp);
	http_req_free(&req);
	buf_free(&url);
	return ret;
}

static int manifest_head(const struct lookup *l, const char *token, const char *userpwd,
			 struct http_resp *resp, struct err *e)
{
	char *url = xasprintf("%s/v2/%s/manifests/%s", l->base, l->ref->repo, l->reference);
	struct http_req req;
	http_req_init(&req, "HEAD", url);
	strv_push(&req.headers, MANIFEST_ACCEPT);
	if (token)
		strv_pushf(&req.headers, "Authorization: Bearer %s", token);
	req.userpwd = userpwd;
	req.timeout_s = l->timeout_s;
	req.connect_timeout_s = l->timeout_s < 10 ? l->timeout_s : 10;
	req.interruptible = true;
	http_resp_free(resp);
	int rc = http_do(&req, resp, e);
	if (rc < 0)
		err_wrap(e, "cannot reach %s (%s)", l->ref->registry, l->base);
	if (token)
		explicit_bzero(req.headers.v[1], strlen(req.headers.v[1]));
	http_req_free(&req);
	free(url);
	return rc;
}

/* After a 401: authenticate as the challenge says and ask again. */
static int manifest_head_authenticated(const struct lookup *l, struct http_resp *resp,
				       bool *with_creds, struct err *e)
{
	struct auth_challenge ch;
	const char *reg = l->ref->registry;
	*with_creds = false;
	if (pick_challenge(resp, &ch) < 0)
		return err_set(e, "access denied to %s/%s (HTTP 401 without a usable "
			       "WWW-Authenticate challenge)", reg, l->ref->repo);
	char *userpwd = NULL, *token = NULL;
	char *host = l->mirrored ? url_authority(l->base) : xstrdup(reg);
	int ret = registry_find_credentials(l->o ? l->o->auth_file : NULL, host, l->ref->repo,
					    &userpwd, e);
	if (ret < 0) {
		err_wrap(e, "cannot read the credentials for %s", host);
	} else if (strcmp(ch.scheme, "Bearer") == 0) {
		ret = fetch_token(l, &ch, userpwd, &token, e);
		*with_creds = userpwd != NULL;
		if (ret == 0)
			ret = manifest_head(l, token, NULL, resp, e);
	} else if (!userpwd) {
		ret = err_set(e, "access denied to %s/%s (HTTP 401; no credentials for %s in "
			      "auth.json)", reg, l->ref->repo, host);
	} else {
		*with_creds = true;
		ret = manifest_head(l, NULL, userpwd, resp, e);
	}
	secret_free(token);
	secret_free(userpwd);
	free(host);
	auth_challenge_free(&ch);
	return ret;
}

static int answer_from_status(const struct lookup *l, const struct http_resp *resp,
			      bool with_creds, struct registry_answer *ans)
{
	const char *reg = l->ref->registry, *repo = l->ref->repo;
	struct err *e = &ans->err;
	char digest[256];
	switch (resp->status) {
	case 200:
		if (!http_header(resp, "Docker-Content-Digest", digest, sizeof(digest)))
			return err_set(e, "registry %s answered without a Docker-Content-Digest "
				       "for %s%c%s (answer incomplete: connection closed early?)", reg,
				       repo, l->sep, l->reference);
		if (!digest_is_valid(digest)) {
			char *s = shown(digest);
			err_set(e, "registry %s answered an invalid digest '%s' for %s%c%s", reg, s,
				repo, l->sep, l->reference);
			free(s);
			return -1;
		}
		ans->digest = xstrdup(digest);
		ans->ok = 1;
		return 0;
	case 401:
	case 403:
		return err_set(e, "access denied to %s/%s (HTTP %ld)%s", reg, repo, resp->status,
			       with_creds ? "; check the credentials in auth.json"
					  : "; the repository may be private or may not exist");
	case 404:
		return err_set(e, "%s '%s' not found in %s/%s (HTTP 404)",
			       l->ref->tag ? "tag" : "digest", l->reference, reg, repo);
	case 429:
		return err_set(e, "rate limited by %s (HTTP 429)", reg);
	default:
		if (resp->status >= 500)
			return err_set(e, "registry %s answered HTTP %ld", reg, resp->status);
		return err_set(e, "registry %s answered HTTP %ld for %s%c%s", reg, resp->status,
			       repo, l->sep, l->reference);
	}
}

int registry_head_digest(const struct registry_opts *o, const struct image_ref *ref,
			 struct registry_answer *ans)
{
	memset(ans, 0, sizeof(*ans));
	struct err *e = &ans->err;
	if (!ref || !ref->registry || !ref->repo || (!ref->tag && !ref->digest))
		return err_set(e, "incomplete image reference");
	struct lookup l = {
		.o = o,
		.ref = ref,
		.reference = ref->tag ? ref->tag : ref->digest,
		.sep = ref->tag ? ':' : '@',
		.timeout_s = o && o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S,
	};
	if (mirror_find(o ? o->mirrors : NULL, ref->registry, &l.base, e) < 0)
		return -1;
	l.mirrored = l.base != NULL;
	if (!l.base)
		l.base = default_base(ref->registry);

	struct http_resp resp = { 0 };
	bool with_creds = false;
	int ret = manifest_head(&l, NULL, NULL, &resp, e);
	if (ret == 0 && resp.status == 401) {
		ans->status = 401;
		ret = manifest_head_authenticated(&l, &resp, &with_creds, e);
	}
	if (ret == 0) /* a transport error keeps the last complete answer's */
		ans->status = resp.status;
	if (ret == 0)
		ret = answer_from_status(&l, &resp, with_creds, ans);
	http_resp_free(&resp);
	free(l.base);
	return ret;
}

void registry_answer_free(struct registry_answer *a)
{
	if (!a)
		return;
	free(a->digest);
	memset(a, 0, sizeof(*a));
}

/* ---- many at once ---- */

struct head_many {
	const struct registry_opts *o;
	const struct image_ref *refs;
	struct registry_answer *ans;
	size_t n, next;
	pthread_mutex_t lock;
};

static void *head_many_worker(void *arg)
{
	struct head_many *m = arg;
	for (;;) {
		pthread_mutex_lock(&m->lock);
		size_t i = m->next++;
		pthread_mutex_unlock(&m->lock);
		if (i >= m->n)
			return NULL;
		registry_head_digest(m->o, &m->refs[i], &m->ans[i]);
	}
}

void registry_head_many(const struct registry_opts *o, const struct image_ref *refs, size_t n,
			struct registry_answer *ans)
{
	struct head_many m = { .o = o, .refs = refs, .ans = ans, .n = n };
	pthread_t threads[HEAD_MANY_THREADS - 1];
	size_t started = 0;
	pthread_mutex_init(&m.lock, NULL);
	/* the calling thread works too; a failed pthread_create only means
	 * less parallelism */
	while (started < HEAD_MANY_THREADS - 1 && started + 1 < n &&
	       pthread_create(&threads[started], NULL, head_many_worker, &m) == 0)
		started++;
	head_many_worker(&m);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&m.lock);
}
