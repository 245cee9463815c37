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
#include "registry_tokens.h"

#define MANIFEST_MAX ((size_t)4 << 20) /* what registries accept */
#define INDEX_ENTRIES_MAX 256
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

/* One question to a registry: a manifest HEAD (or GET), or another GET
 * (tags/list), answered through a 401's challenge when one comes.  Jobs
 * run in batches (run_jobs): every request of a round is in flight at
 * once, and jobs for the same repository share one token. */
#define JOB_MAX_TOKENS 3 /* tokens one question may fetch */

struct job {
	const struct registry_opts *o;
	const struct image_ref *ref;
	const char *reference; /* tag or digest, for messages */
	char sep;              /* ':' before a tag, '@' before a digest */
	char *base;            /* "https://registry-1.docker.io" or the mirror */
	char *cred_host;       /* the auth.json key: the registry, or the mirror's host:port */
	char *url;
	const char *method, *accept;
	size_t max_body;
	long timeout_s;
	enum { J_HEAD, J_TOKEN, J_DONE } state;
	char *token, *userpwd;   /* what the next request carries */
	struct auth_challenge ch; /* J_TOKEN: the challenge to answer */
	int fetched;             /* tokens fetched for this job */
	double token_from;       /* now_mono() when its token was asked for */
	long token_life;         /* and the seconds it was said to live */
	bool remembered;         /* its token answered a remembered challenge */
	bool with_creds;
	bool withheld;           /* credentials not sent: the realm is plain http elsewhere */
	long status;             /* of the last complete answer */
	struct http_resp resp;
	struct err err;
	int rc; /* J_DONE: 0 when resp is the answer to judge, -1 with err */
};

static int job_init(struct job *j, const struct registry_opts *o, const struct image_ref *ref)
{
	memset(j, 0, sizeof(*j));
	j->o = o;
	j->ref = ref;
	j->timeout_s = o && o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S;
	j->state = J_DONE;
	j->rc = -1;
	if (!ref || !ref->registry || !ref->repo)
		return err_set(&j->err, "incomplete image reference");
	if (mirror_find(o ? o->mirrors : NULL, ref->registry, &j->base, &j->err) < 0)
		return -1;
	/* a mirror's credentials are its own, not the registry's */
	j->cred_host = j->base ? url_authority(j->base) : xstrdup(ref->registry);
	if (!j->base)
		j->base = default_base(ref->registry);
	registry_tokens_use_cache(o ? o->token_cache : NULL);
	return 0;
}

/* Ready to send: with the token kept for the repository, or first a token
 * for the challenge this registry sent last time. */
static void job_start(struct job *j)
{
	if (!j->base)
		return;
	char *refused = registry_tokens_refused(j->base, j->ref->repo);
	if (refused) { /* said once per command, not asked again */
		err_set(&j->err, "%s", refused);
		free(refused);
		return;
	}
	j->rc = 0;
	j->state = J_HEAD;
	if (j->userpwd)
		return;
	j->token = registry_tokens_get(j->base, j->ref->repo);
	char *realm, *service;
	if (!j->token && registry_tokens_challenge(j->base, &realm, &service) == 0) {
		j->ch.scheme = xstrdup("Bearer");
		j->ch.realm = realm;
		j->ch.service = service;
		j->remembered = true;
		j->state = J_TOKEN;
	}
}

static void job_free(struct job *j)
{
	free(j->base);
	free(j->cred_host);
	free(j->url);
	registry_secret_free(j->token);
	registry_secret_free(j->userpwd);
	auth_challenge_free(&j->ch);
	http_resp_free(&j->resp);
}

static void job_fail(struct job *j)
{
	j->state = J_DONE;
	j->rc = -1;
}

static struct registry_auth_req job_auth_req(const struct job *j)
{
	return (struct registry_auth_req){
		.registry = j->ref->registry,
		.repo = j->ref->repo,
		.base = j->base,
		.cred_host = j->cred_host,
		.auth_file = j->o ? j->o->auth_file : NULL,
		.timeout_s = j->timeout_s,
	};
}

/* One token per repository for every job that waits for one. */
static void tokens_round(struct job **js, size_t n)
{
	struct registry_token_fetch *f = xcalloc(n + 1, sizeof(*f));
	size_t *slot = xcalloc(n + 1, sizeof(*slot));
	size_t nf = 0;
	for (size_t i = 0; i < n; i++) {
		struct job *j = js[i];
		if (j->state != J_TOKEN)
			continue;
		size_t k;
		for (k = 0; k < nf; k++)
			if (strcmp(f[k].r.base, j->base) == 0 && strcmp(f[k].r.repo, j->ref->repo) == 0)
				break;
		if (k == nf) {
			f[nf].r = job_auth_req(j);
			f[nf].ch = j->ch;
			memset(&j->ch, 0, sizeof(j->ch));
			nf++;
		}
		slot[i] = k;
	}
	if (nf == 0) {
		free(f), free(slot);
		return;
	}
	double asked = now_mono();
	registry_fetch_tokens(f, nf);
	for (size_t k = 0; k < nf; k++)
		if (f[k].rc == 0)
			registry_tokens_put(f[k].r.base, f[k].r.repo, f[k].token, f[k].expires_in,
					    f[k].with_creds);
	for (size_t i = 0; i < n; i++) {
		struct job *j = js[i];
		if (j->state != J_TOKEN)
			continue;
		const struct registry_token_fetch *t = &f[slot[i]];
		auth_challenge_free(&j->ch);
		if (t->rc < 0 && j->remembered && !t->unreachable) {
			/* the challenge remembered may be stale: ask as if new */
			j->remembered = false;
			j->state = J_HEAD;
			continue;
		}
		j->fetched++;
		if (t->rc < 0) {
			j->err = t->err;
			job_fail(j);
			registry_tokens_refuse(j->base, j->ref->repo, j->err.msg);
			continue;
		}
		registry_secret_free(j->token);
		j->token = xstrdup(t->token);
		j->token_from = asked;
		j->token_life = t->expires_in > 0 ? t->expires_in : REGISTRY_TOKEN_DEFAULT_LIFETIME;
		j->with_creds = t->with_creds;
		j->withheld = t->withheld;
		j->state = J_HEAD;
	}
	for (size_t k = 0; k < nf; k++) {
		registry_secret_free(f[k].token);
		auth_challenge_free(&f[k].ch);
	}
	free(f), free(slot);
}

/* A token fetched for this job refused after its lifetime ran out: it
 * expired on the way (a slow connection, a loaded machine), which says
 * nothing about access.  Counted from when it was asked for, less the
 * second a registry's whole-second "exp" can take off (half a short
 * token's life at most). */
static bool token_ran_out(const struct job *j)
{
	if (j->token_life <= 0)
		return false;
	double slack = j->token_life >= 2 ? 1.0 : (double)j->token_life / 2;
	return now_mono() >= j->token_from + (double)j->token_life - slack;
}

/* A 401: answer its challenge, once (twice when the token answered a
 * remembered challenge that has changed since, or expired on the way),
 * else say why. */
static void job_unauthorized(struct job *j)
{
	const char *reg = j->ref->registry, *repo = j->ref->repo;
	struct auth_challenge ch;
	if (registry_pick_challenge(&j->resp, &ch) < 0) {
		err_set(&j->err, "access denied to %s/%s (HTTP 401 without a usable "
			"WWW-Authenticate challenge)", reg, repo);
		job_fail(j);
		return;
	}
	bool bearer = strcmp(ch.scheme, "Bearer") == 0;
	if (bearer)
		registry_tokens_challenge_put(j->base, ch.realm, ch.service);
	bool retry;
	if (bearer) {
		if (j->token)
			registry_tokens_drop(j->base, repo, j->token);
		/* a token kept from before (the cache, an earlier request) may
		 * have expired or been revoked, and a remembered challenge may
		 * have changed: one new token.  A token fetched for this very
		 * challenge that is refused within its lifetime is the answer. */
		retry = j->fetched == 0 ||
			((j->remembered || (j->fetched < JOB_MAX_TOKENS && token_ran_out(j))) &&
			 !str_eq(ch.error, "insufficient_scope"));
	} else {
		retry = !j->userpwd;
	}
	if (!retry) {
		char *realm = j->withheld && ch.realm ? shown(ch.realm) : NULL;
		if (realm)
			err_set(&j->err, "access denied to %s/%s (HTTP 401%s): the credentials in "
				"auth.json were not sent to the token service %s (plain http to "
				"another host than the registry's)", reg, repo,
				str_eq(ch.error, "insufficient_scope") ? ", insufficient_scope" : "",
				realm);
		else if (str_eq(ch.error, "insufficient_scope"))
			err_set(&j->err, "access denied to %s/%s (HTTP 401, insufficient_scope): the "
				"token %s grants no pull; %s", reg, repo,
				j->with_creds ? "obtained with your credentials" : "obtained anonymously",
				j->with_creds ? "check the credentials in auth.json"
					      : "the repository may be private (credentials go in "
						"auth.json) or may not exist");
		else
			err_set(&j->err, "access denied to %s/%s (HTTP 401)%s", reg, repo,
				j->with_creds ? "; check the credentials in auth.json"
					      : "; the repository may be private or may not exist");
		free(realm);
		auth_challenge_free(&ch);
		registry_tokens_refuse(j->base, repo, j->err.msg);
		job_fail(j);
		return;
	}
	registry_secret_free(j->token);
	j->token = NULL;
	j->remembered = false;
	if (bearer) {
		auth_challenge_free(&j->ch);
		j->ch = ch;
		j->state = J_TOKEN;
		return;
	}
	auth_challenge_free(&ch);
	struct registry_auth_req r = job_auth_req(j);
	if (registry_basic_auth(&r, &j->userpwd, &j->err) < 0) {
		job_fail(j);
		return;
	}
	j->with_creds = true;
	j->state = J_HEAD;
}

/* Every job ready to send, at once. */
static void requests_round(struct job **js, size_t n)
{
	struct http_req *reqs = xcalloc(n + 1, sizeof(*reqs));
	struct http_resp *resps = xcalloc(n + 1, sizeof(*resps));
	struct err *errs = xcalloc(n + 1, sizeof(*errs));
	int *rcs = xcalloc(n + 1, sizeof(*rcs));
	size_t *which = xcalloc(n + 1, sizeof(*which));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct job *j = js[i];
		if (j->state != J_HEAD)
			continue;
		struct http_req *req = &reqs[k];
		http_req_init(req, j->method, j->url);
		req->max_body = j->max_body;
		strv_push(&req->headers, j->accept);
		if (j->token)
			strv_pushf(&req->headers, "Authorization: Bearer %s", j->token);
		req->userpwd = j->userpwd;
		req->timeout_s = j->timeout_s;
		req->connect_timeout_s = j->timeout_s < 10 ? j->timeout_s : 10;
		req->interruptible = true;
		which[k++] = i;
	}
	http_do_many(reqs, k, resps, errs, rcs);
	for (size_t m = 0; m < k; m++) {
		struct job *j = js[which[m]];
		if (reqs[m].headers.n > 1)
			explicit_bzero(reqs[m].headers.v[1], strlen(reqs[m].headers.v[1]));
		http_req_free(&reqs[m]);
		if (rcs[m] < 0) {
			j->err = errs[m];
			err_wrap(&j->err, "cannot reach %s (%s)", j->ref->registry, j->base);
			http_resp_free(&resps[m]);
			job_fail(j);
			continue;
		}
		http_resp_free(&j->resp);
		j->resp = resps[m];
		j->status = j->resp.status;
		if (j->resp.status == 401) {
			job_unauthorized(j);
		} else {
			j->state = J_DONE;
			j->rc = 0;
		}
	}
	free(reqs), free(resps), free(errs), free(rcs), free(which);
}

static void run_jobs(struct job **js, size_t n)
{
	/* at most: a remembered challenge's token, a HEAD, a new token, a HEAD,
	 * a last new token (changed challenge, or expired on the way), a HEAD */
	for (int round = 0; round < JOB_MAX_TOKENS + 1; round++) {
		tokens_round(js, n);
		requests_round(js, n);
	}
	for (size_t i = 0; i < n; i++)
		if (js[i]->state != J_DONE) {
			err_set(&js[i]->err, "access denied to %s/%s (HTTP 401 after %d tokens)",
				js[i]->ref->registry, js[i]->ref->repo, js[i]->fetched);
			job_fail(js[i]);
		}
	struct err e = { 0 };
	if (registry_tokens_save(&e) < 0)
		verbose("cannot keep registry tokens: %s", e.msg);
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

static int answer_from_status(const struct job *l, const struct http_resp *resp,
			      struct registry_answer *ans)
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
	case 403:
		return err_set(e, "access denied to %s/%s (HTTP %ld)%s", reg, repo, resp->status,
			       l->with_creds ? "; check the credentials in auth.json"
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

/* GETs done ahead (registry_head_many_prefetch), each kept until the
 * registry_session_get() of its URL takes it. */
struct prefetched {
	char *url;
	size_t max_body;
	int rc;
	struct http_resp resp;
	struct err err;
};
static pthread_mutex_t prefetch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct prefetched *prefetch;
static size_t nprefetch;

static void prefetch_keep(struct job *j)
{
	pthread_mutex_lock(&prefetch_lock);
	prefetch = xrealloc(prefetch, (nprefetch + 1) * sizeof(*prefetch));
	struct prefetched *p = &prefetch[nprefetch++];
	p->url = xstrdup(j->url);
	p->max_body = j->max_body;
	p->rc = j->rc;
	p->resp = j->resp;
	p->err = j->err;
	memset(&j->resp, 0, sizeof(j->resp));
	pthread_mutex_unlock(&prefetch_lock);
}

/* 1 with the kept answer to url (moved to resp or e), else 0. */
static int prefetch_take(const char *url, size_t max_body, int *rc, struct http_resp *resp,
			 struct err *e)
{
	int found = 0;
	pthread_mutex_lock(&prefetch_lock);
	for (size_t i = 0; i < nprefetch && !found; i++) {
		struct prefetched *p = &prefetch[i];
		if (strcmp(p->url, url) != 0 || p->max_body != max_body)
			continue;
		found = 1;
		*rc = p->rc;
		if (p->rc < 0)
			*e = p->err;
		else
			*resp = p->resp;
		free(p->url);
		prefetch[i] = prefetch[--nprefetch];
	}
	if (nprefetch == 0) {
		free(prefetch);
		prefetch = NULL;
	}
	pthread_mutex_unlock(&prefetch_lock);
	return found;
}

/* n manifest questions in one batch, with ng GETs to keep
 * (registry_head_many_prefetch); body (when not NULL) gets a GET's
 * manifest. */
static void manifest_batch(const struct registry_opts *o, const struct image_ref *refs, size_t n,
			   bool get, struct registry_answer *ans, struct buf *body,
			   const struct image_ref *get_refs, char *const *paths, size_t ng,
			   size_t max_body)
{
	struct job *jobs = xcalloc(n + ng + 1, sizeof(*jobs));
	struct job **js = xcalloc(n + ng + 1, sizeof(*js));
	for (size_t i = 0; i < n; i++) {
		const struct image_ref *ref = &refs[i];
		struct job *j = &jobs[i];
		js[i] = j;
		memset(&ans[i], 0, sizeof(ans[i]));
		if (!ref->tag && !ref->digest) {
			memset(j, 0, sizeof(*j));
			err_set(&j->err, "incomplete image reference");
			j->state = J_DONE;
			j->rc = -1;
			continue;
		}
		if (job_init(j, o, ref) < 0)
			continue;
		j->reference = ref->tag ? ref->tag : ref->digest;
		j->sep = ref->tag ? ':' : '@';
		j->url = xasprintf("%s/v2/%s/manifests/%s", j->base, ref->repo, j->reference);
		j->method = get ? "GET" : "HEAD";
		j->accept = MANIFEST_ACCEPT;
		j->max_body = MANIFEST_MAX;
		job_start(j);
	}
	for (size_t i = 0; i < ng; i++) {
		struct job *j = &jobs[n + i];
		js[n + i] = j;
		if (job_init(j, o, &get_refs[i]) < 0)
			continue;
		j->reference = "";
		j->sep = ':';
		j->url = xasprintf("%s%s", j->base, paths[i]);
		j->method = "GET";
		j->accept = "Accept: application/json";
		j->max_body = max_body;
		job_start(j);
	}
	run_jobs(js, n + ng);
	for (size_t i = 0; i < ng; i++) {
		if (jobs[n + i].url)
			prefetch_keep(&jobs[n + i]);
		job_free(&jobs[n + i]);
	}
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		ans[i].status = j->status;
		if (j->rc < 0)
			ans[i].err = j->err;
		else if (answer_from_status(j, &j->resp, &ans[i]) == 0 && body) {
			buf_reset(body);
			buf_add(body, j->resp.body.p ? j->resp.body.p : "", j->resp.body.len);
		}
		job_free(j);
	}
	free(jobs), free(js);
}

int registry_head_digest(const struct registry_opts *o, const struct image_ref *ref,
			 struct registry_answer *ans)
{
	manifest_batch(o, ref, 1, false, ans, NULL, NULL, NULL, 0, 0);
	return ans->ok ? 0 : -1;
}

int registry_get_manifest(const struct registry_opts *o, const struct image_ref *ref,
			  struct registry_answer *ans, struct buf *body)
{
	manifest_batch(o, ref, 1, true, ans, body, NULL, NULL, 0, 0);
	return ans->ok ? 0 : -1;
}

void registry_head_many(const struct registry_opts *o, const struct image_ref *refs, size_t n,
			struct registry_answer *ans)
{
	manifest_batch(o, refs, n, false, ans, NULL, NULL, NULL, 0, 0);
}

void registry_head_many_prefetch(const struct registry_opts *o, const struct image_ref *refs,
				 size_t n, struct registry_answer *ans,
				 const struct image_ref *get_refs, char *const *paths, size_t ng,
				 size_t max_body)
{
	manifest_batch(o, refs, n, false, ans, NULL, get_refs, paths, ng, max_body);
}

/* ---- other GETs (tags/list) with the same auth ---- */

struct registry_session {
	const struct registry_opts *o;
	const struct image_ref *ref;
	char *userpwd; /* Basic credentials once a 401 asked for them */
};

int registry_session_open(const struct registry_opts *o, const struct image_ref *ref,
			  struct registry_session **out, struct err *e)
{
	*out = NULL;
	struct job j;
	if (job_init(&j, o, ref) < 0) {
		*e = j.err;
		job_free(&j);
		return -1;
	}
	job_free(&j);
	struct registry_session *s = xcalloc(1, sizeof(*s));
	s->o = o;
	s->ref = ref;
	*out = s;
	return 0;
}

void registry_session_close(struct registry_session *s)
{
	if (!s)
		return;
	registry_secret_free(s->userpwd);
	free(s);
}

int registry_session_get(struct registry_session *s, const char *path, size_t max_body,
			 struct http_resp *resp, struct err *e)
{
	if (path[0] != '/')
		return err_set(e, "registry path must start with '/'");
	struct job j;
	struct job *js = &j;
	if (job_init(&j, s->o, s->ref) < 0) {
		*e = j.err;
		job_free(&j);
		return -1;
	}
	j.reference = "";
	j.sep = ':';
	j.url = xasprintf("%s%s", j.base, path);
	int kept;
	http_resp_free(resp);
	memset(resp, 0, sizeof(*resp));
	if (prefetch_take(j.url, max_body, &kept, resp, e)) {
		job_free(&j);
		return kept;
	}
	j.method = "GET";
	j.accept = "Accept: application/json";
	j.max_body = max_body;
	j.userpwd = s->userpwd ? xstrdup(s->userpwd) : NULL;
	j.with_creds = j.userpwd != NULL;
	job_start(&j);
	run_jobs(&js, 1);
	int rc = j.rc;
	http_resp_free(resp);
	memset(resp, 0, sizeof(*resp));
	if (rc < 0) {
		*e = j.err;
	} else {
		*resp = j.resp;
		memset(&j.resp, 0, sizeof(j.resp));
	}
	if (j.userpwd && !s->userpwd)
		s->userpwd = xstrdup(j.userpwd);
	job_free(&j);
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
