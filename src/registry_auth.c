/* registry_auth.c - how tbx authenticates to a registry: base64, the
 * credentials in Podman's auth.json, WWW-Authenticate challenges and
 * bearer tokens.  Credentials and tokens never reach an error message, and
 * credentials go to a token service only over https, or in clear only to
 * the registry's own plain-http host (which gets them anyway). */
#define _GNU_SOURCE
#include "registry_auth.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "registry.h"
#include "registry_tokens.h"

#define CHALLENGE_VALUE_MAX 4096
#define CHALLENGES_MAX 16
#define TOKEN_BODY_MAX ((size_t)1 << 20)
#define AUTH_FILE_MAX ((size_t)4 << 20)

/* ASCII only: no locale surprises */
static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
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

void registry_secret_free(char *s)
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

/* ---- base64 ---- */

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

/* ---- auth.json ---- */

/* "https://index.docker.io/v1/" -> "docker.io"; "docker.io/kyuz0/" ->
 * "docker.io/kyuz0" (Podman's rules: a key with a scheme names a host only). */
static char *auth_key_normalise(const char *key)
{
	size_t sl = http_url_scheme_len(key);
	char *k = sl ? xstrndup(key + sl, strcspn(key + sl, "/")) : xstrdup(key);
	size_t n = strlen(k);
	while (n && k[n - 1] == '/')
		k[--n] = '\0';
	size_t hl = strcspn(k, "/");
	char *host = xstrndup(k, hl);
	char *res = xasprintf("%s%s", registry_normal_host(host), k + hl);
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
			registry_secret_free(*userpwd);
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
	const char *nhost = registry_normal_host(host);
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
	if (n == 5 && strncasecmp(k, "error", 5) == 0)
		return &c->error;
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
	free(c->error);
	memset(c, 0, sizeof(*c));
}

/* The best challenge of a 401: Bearer with a realm, else Basic.
 * Returns 0 with c filled, -1 when there is none. */
int registry_pick_challenge(const struct http_resp *resp, struct auth_challenge *out)
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

/* ---- tokens ---- */

/* The host of an http(s) URL, lowercased, without userinfo or port. */
static char *url_host(const char *url)
{
	const char *a = url + http_url_scheme_len(url);
	size_t n = strcspn(a, "/?#");
	const char *at = memrchr(a, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - a);
		a = at + 1;
	}
	size_t hl = a[0] == '[' ? strcspn(a, "]") + (a[strcspn(a, "]")] == ']') : strcspn(a, ":");
	char *h = xstrndup(a, hl < n ? hl : n);
	for (char *p = h; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return h;
}

bool registry_realm_gets_credentials(const char *realm, const char *base)
{
	if (strncasecmp(realm, "https://", 8) == 0)
		return true;
	if (strncasecmp(realm, "http://", 7) != 0 || strncasecmp(base, "http://", 7) != 0)
		return false;
	char *rh = url_host(realm), *bh = url_host(base);
	bool same = *rh && strcmp(rh, bh) == 0;
	free(rh), free(bh);
	return same;
}

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
	if (!http_url_scheme_len(r) || strlen(r) > CHALLENGE_VALUE_MAX)
		return false;
	for (const char *p = r; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '#')
			return false;
	return true;
}

static int token_status_error(const struct registry_auth_req *r, long status, bool with_creds,
			      struct err *e)
{
	const char *reg = r->registry;
	if (status == 401 || status == 403)
		return err_set(e, "access denied by the token service of %s (HTTP %ld)%s", reg,
			       status, with_creds ? "; check the credentials in auth.json" : "");
	if (status == 429)
		return err_set(e, "rate limited by %s (HTTP 429)", reg);
	return err_set(e, "the token service of %s answered HTTP %ld", reg, status);
}

/* The token request for f (its realm checked), or -1 with f->err set. */
static int token_request(struct registry_token_fetch *f, struct http_req *req, struct buf *url,
			 char **creds)
{
	const struct registry_auth_req *r = &f->r;
	const struct auth_challenge *ch = &f->ch;
	struct err *e = &f->err;
	const char *reg = r->registry;
	*creds = NULL;
	if (!ch->realm || !valid_realm(ch->realm)) {
		char *s = shown(ch->realm ? ch->realm : "");
		err_set(e, "%s asks for a token from an invalid realm '%s'", reg, s);
		free(s);
		return -1;
	}
	if (registry_find_credentials(r->auth_file, r->cred_host, r->repo, creds, e) < 0)
		return err_wrap(e, "cannot read the credentials for %s", r->cred_host);
	if (*creds && !registry_realm_gets_credentials(ch->realm, r->base)) {
		verbose("not sending credentials for %s to %s over plain http", reg, ch->realm);
		registry_secret_free(*creds);
		*creds = NULL;
		f->withheld = true;
	}
	buf_adds(url, ch->realm);
	char sep = strchr(ch->realm, '?') ? '&' : '?';
	if (ch->service) {
		buf_addc(url, sep);
		add_query(url, "service", ch->service);
		sep = '&';
	}
	buf_addc(url, sep);
	if (ch->scope) {
		add_query(url, "scope", ch->scope);
	} else {
		char *scope = xasprintf("repository:%s:pull", r->repo);
		add_query(url, "scope", scope);
		free(scope);
	}
	http_req_init(req, "GET", buf_str(url));
	strv_push(&req->headers, "Accept: application/json");
	req->userpwd = *creds;
	req->timeout_s = r->timeout_s;
	req->connect_timeout_s = r->timeout_s < 10 ? r->timeout_s : 10;
	req->max_body = TOKEN_BODY_MAX;
	req->interruptible = true;
	return 0;
}

void registry_fetch_tokens(struct registry_token_fetch *f, size_t n)
{
	struct http_req *reqs = xcalloc(n + 1, sizeof(*reqs));
	struct http_resp *resps = xcalloc(n + 1, sizeof(*resps));
	struct err *errs = xcalloc(n + 1, sizeof(*errs));
	struct buf *urls = xcalloc(n + 1, sizeof(*urls));
	char **creds = xcalloc(n + 1, sizeof(*creds));
	size_t *which = xcalloc(n + 1, sizeof(*which));
	int *rcs = xcalloc(n + 1, sizeof(*rcs));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		f[i].token = NULL;
		f[i].expires_in = 0;
		f[i].with_creds = false;
		f[i].unreachable = false;
		f[i].withheld = false;
		memset(&f[i].err, 0, sizeof(f[i].err));
		buf_init(&urls[k]);
		f[i].rc = token_request(&f[i], &reqs[k], &urls[k], &creds[k]);
		if (f[i].rc == 0)
			which[k++] = i;
		else
			buf_free(&urls[k]);
	}
	http_do_many(reqs, k, resps, errs, rcs);
	for (size_t j = 0; j < k; j++) {
		struct registry_token_fetch *t = &f[which[j]];
		struct err *e = &t->err;
		const char *reg = t->r.registry;
		t->with_creds = creds[j] != NULL;
		t->rc = -1;
		if (rcs[j] < 0) {
			*e = errs[j];
			t->unreachable = true;
			err_wrap(e, "cannot get a token for %s", reg);
		} else if (resps[j].status != 200) {
			token_status_error(&t->r, resps[j].status, t->with_creds, e);
		} else if (registry_token_parse(buf_str(&resps[j].body), resps[j].body.len, &t->token,
						&t->expires_in, e) < 0) {
			char *realm = shown(t->ch.realm);
			err_wrap(e, "cannot get a token for %s from %s", reg, realm);
			free(realm);
		} else {
			t->rc = 0;
		}
		if (resps[j].body.p)
			explicit_bzero(resps[j].body.p, resps[j].body.cap);
		http_resp_free(&resps[j]);
		http_req_free(&reqs[j]);
		buf_free(&urls[j]);
		registry_secret_free(creds[j]);
	}
	free(reqs), free(resps), free(errs), free(urls), free(creds), free(which), free(rcs);
}

int registry_basic_auth(const struct registry_auth_req *r, char **userpwd, struct err *e)
{
	*userpwd = NULL;
	if (registry_find_credentials(r->auth_file, r->cred_host, r->repo, userpwd, e) < 0)
		return err_wrap(e, "cannot read the credentials for %s", r->cred_host);
	if (!*userpwd)
		return err_set(e, "access denied to %s/%s (HTTP 401; no credentials for %s in "
			       "auth.json)", r->registry, r->repo, r->cred_host);
	return 0;
}
