/* registry.c - a tag's digest from a registry by manifest HEAD: image
 * references, mirrors and the requests (authentication is in
 * registry_auth.c).  Everything a registry sends is
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

#define MANIFEST_MAX ((size_t)4 << 20) /* what registries accept */
#define INDEX_ENTRIES_MAX 256
#define HEAD_MANY_THREADS 8
#define DEFAULT_TIMEOUT_S 10L

#define MANIFEST_ACCEPT                                                             \
	"Accept: application/vnd.oci.image.index.v1+json, "                         \
	"application/vnd.oci.image.manifest.v1+json, "                              \
	"application/vnd.docker.distribution.manifest.list.v2+json, "               \
	"application/vnd.docker.distribution.manifest.v2+json"

/* An untrusted string fit for a one-line message. */
static char *shown(const char *s)
{
	return sanitize_line(s, strlen(s), 200);
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

static bool valid_mirror_url(const char *u)
{
	size_t sl = http_url_scheme_len(u);
	if (!sl)
		return false;
	for (const char *p = u; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '?' || *p == '#')
			return false;
	const char *auth = u + sl;
	size_t al = strcspn(auth, "/");
	char *host = xstrndup(auth, al);
	bool ok = registry_host_is_valid(host);
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
			const char *nkey = registry_normal_host(key);
			if (!registry_host_is_valid(key) || !valid_mirror_url(val)) {
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

int registry_mirror_find(const char *mirrors, const char *registry, char **url, struct err *e)
{
	return mirror_find(mirrors, registry_normal_host(registry), url, e);
}

char *registry_base_url(const struct registry_opts *o, const char *registry)
{
	struct err e = { 0 };
	char *url = NULL;
	const char *reg = registry_normal_host(registry);
	if (mirror_find(o ? o->mirrors : NULL, reg, &url, &e) < 0)
		return NULL;
	return url ? url : default_base(reg);
}

/* "host:port" of a base URL, the auth.json key for a mirror. */
static char *url_authority(const char *url)
{
	const char *a = url + http_url_scheme_len(url);
	return xstrndup(a, strcspn(a, "/"));
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
	bool get;              /* GET the manifest (counts as a pull) instead of HEAD */
};

static int manifest_head(const struct lookup *l, const char *token, const char *userpwd,
			 struct http_resp *resp, struct err *e)
{
	char *url = xasprintf("%s/v2/%s/manifests/%s", l->base, l->ref->repo, l->reference);
	struct http_req req;
	http_req_init(&req, l->get ? "GET" : "HEAD", url);
	req.max_body = MANIFEST_MAX;
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
	/* a mirror's credentials are its own, not the registry's */
	char *host = l->mirrored ? url_authority(l->base) : xstrdup(l->ref->registry);
	struct registry_auth_req r = {
		.registry = l->ref->registry,
		.repo = l->ref->repo,
		.base = l->base,
		.cred_host = host,
		.auth_file = l->o ? l->o->auth_file : NULL,
		.timeout_s = l->timeout_s,
	};
	char *token = NULL, *userpwd = NULL;
	int ret = registry_authenticate(&r, resp, &token, &userpwd, with_creds, e);
	if (ret == 0)
		ret = manifest_head(l, token, userpwd, resp, e);
	registry_secret_free(token);
	registry_secret_free(userpwd);
	free(host);
	return ret;
}

/* The Content-Type of a manifest answer when it is a plain media type
 * (letters, digits, ".+-/"), else NULL. */
static char *media_type_of(const struct http_resp *resp)
{
	char mt[256];
	if (!http_header(resp, "Content-Type", mt, sizeof(mt)))
		return NULL;
	mt[strcspn(mt, "; \t")] = '\0';
	if (!mt[0] || strspn(mt, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-/") !=
			      strlen(mt))
		return NULL;
	return xstrdup(mt);
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
		ans->media_type = media_type_of(resp);
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

static int manifest_lookup(const struct registry_opts *o, const struct image_ref *ref, bool get,
			   struct registry_answer *ans, struct buf *body);

int registry_head_digest(const struct registry_opts *o, const struct image_ref *ref,
			 struct registry_answer *ans)
{
	return manifest_lookup(o, ref, false, ans, NULL);
}

int registry_get_manifest(const struct registry_opts *o, const struct image_ref *ref,
			  struct registry_answer *ans, struct buf *body)
{
	return manifest_lookup(o, ref, true, ans, body);
}

static int manifest_lookup(const struct registry_opts *o, const struct image_ref *ref, bool get,
			   struct registry_answer *ans, struct buf *body)
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
		.get = get,
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
	if (ret == 0 && body) {
		buf_reset(body);
		buf_add(body, resp.body.p ? resp.body.p : "", resp.body.len);
	}
	http_resp_free(&resp);
	free(l.base);
	return ret;
}

/* ---- other GETs (tags/list) with the same auth ---- */

struct registry_session {
	struct lookup l;
	char *token;   /* Bearer token once a 401 asked for one */
	char *userpwd; /* Basic credentials once a 401 asked for them */
	bool authed;   /* a challenge was answered: a second 401 is final */
};

int registry_session_open(const struct registry_opts *o, const struct image_ref *ref,
			  struct registry_session **out, struct err *e)
{
	*out = NULL;
	if (!ref || !ref->registry || !ref->repo)
		return err_set(e, "incomplete image reference");
	struct registry_session *s = xcalloc(1, sizeof(*s));
	s->l.o = o;
	s->l.ref = ref;
	s->l.reference = "";
	s->l.sep = ':';
	s->l.timeout_s = o && o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S;
	if (mirror_find(o ? o->mirrors : NULL, ref->registry, &s->l.base, e) < 0) {
		free(s);
		return -1;
	}
	s->l.mirrored = s->l.base != NULL;
	if (!s->l.base)
		s->l.base = default_base(ref->registry);
	*out = s;
	return 0;
}

void registry_session_close(struct registry_session *s)
{
	if (!s)
		return;
	registry_secret_free(s->token);
	registry_secret_free(s->userpwd);
	free(s->l.base);
	free(s);
}

static int session_get_once(struct registry_session *s, const char *url, size_t max_body,
			    struct http_resp *resp, struct err *e)
{
	struct http_req req;
	http_req_init(&req, "GET", url);
	strv_push(&req.headers, "Accept: application/json");
	if (s->token)
		strv_pushf(&req.headers, "Authorization: Bearer %s", s->token);
	req.userpwd = s->userpwd;
	req.timeout_s = s->l.timeout_s;
	req.connect_timeout_s = s->l.timeout_s < 10 ? s->l.timeout_s : 10;
	req.max_body = max_body;
	req.interruptible = true;
	http_resp_free(resp);
	memset(resp, 0, sizeof(*resp));
	int rc = http_do(&req, resp, e);
	if (rc < 0)
		err_wrap(e, "cannot reach %s (%s)", s->l.ref->registry, s->l.base);
	if (s->token)
		explicit_bzero(req.headers.v[1], strlen(req.headers.v[1]));
	http_req_free(&req);
	return rc;
}

int registry_session_get(struct registry_session *s, const char *path, size_t max_body,
			 struct http_resp *resp, struct err *e)
{
	if (path[0] != '/')
		return err_set(e, "registry path must start with '/'");
	char *url = xasprintf("%s%s", s->l.base, path);
	int rc = session_get_once(s, url, max_body, resp, e);
	if (rc == 0 && resp->status == 401 && !s->authed) {
		/* a mirror's credentials are its own, not the registry's */
		char *host = s->l.mirrored ? url_authority(s->l.base) : xstrdup(s->l.ref->registry);
		struct registry_auth_req r = {
			.registry = s->l.ref->registry,
			.repo = s->l.ref->repo,
			.base = s->l.base,
			.cred_host = host,
			.auth_file = s->l.o ? s->l.o->auth_file : NULL,
			.timeout_s = s->l.timeout_s,
		};
		bool with_creds = false;
		s->authed = true;
		rc = registry_authenticate(&r, resp, &s->token, &s->userpwd, &with_creds, e);
		free(host);
		if (rc == 0)
			rc = session_get_once(s, url, max_body, resp, e);
	}
	free(url);
	return rc;
}

void registry_answer_free(struct registry_answer *a)
{
	if (!a)
		return;
	free(a->digest);
	free(a->media_type);
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

/* ---- image indexes ---- */

bool registry_media_type_is_index(const char *mt)
{
	return str_eq(mt, "application/vnd.oci.image.index.v1+json") ||
	       str_eq(mt, "application/vnd.docker.distribution.manifest.list.v2+json");
}

/* A platform field as shown: short, plain, else "?". */
static const char *platform_part(json_object *platform, const char *key)
{
	const char *v = json_str(platform, key);
	if (!v || !*v || strlen(v) > 32 ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		    strlen(v))
		return v && *v ? "?" : NULL;
	return v;
}

int registry_index_platforms(const char *text, size_t len, struct strv *platforms,
			     bool *has_linux_amd64, struct err *e)
{
	*has_linux_amd64 = false;
	json_object *doc = json_parse(text, len, "image index", e);
	if (!doc)
		return -1;
	json_object *m = json_arr(doc, "manifests");
	int rc = m ? 1 : 0;
	size_t n = m ? json_object_array_length(m) : 0;
	for (size_t i = 0; i < n && i < INDEX_ENTRIES_MAX; i++) {
		json_object *entry = json_object_array_get_idx(m, i);
		json_object *pf = json_obj(entry, "platform");
		const char *os = platform_part(pf, "os"), *arch = platform_part(pf, "architecture");
		const char *variant = platform_part(pf, "variant");
		const char *ref_type =
			json_str(json_obj(entry, "annotations"), "vnd.docker.reference.type");
		/* attestations (buildx: unknown/unknown) are not images to run */
		if (str_eq(ref_type, "attestation-manifest") ||
		    (str_eq(os, "unknown") && str_eq(arch, "unknown")))
			continue;
		if (str_eq(os, "linux") && str_eq(arch, "amd64"))
			*has_linux_amd64 = true;
		char *name = xasprintf("%s/%s%s%s", os ? os : "?", arch ? arch : "?",
				       variant ? "/" : "", variant ? variant : "");
		if (!strv_contains(platforms, name))
			strv_push(platforms, name);
		free(name);
	}
	json_object_put(doc);
	return rc;
}
