/* registry_tokens.c - one bearer token per repository per command, and
 * the cache of anonymous tokens and challenges in the tbx home
 * (cache/registry-tokens.json).  The cache is untrusted text like any
 * file: an unreadable or malformed one is ignored and rewritten. */
#define _GNU_SOURCE
#include "registry_tokens.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "registry_auth.h"

#define CACHE_FILE_MAX ((size_t)4 << 20)
#define ENTRIES_MAX 256
#define FIELD_MAX 4096
#define LIFETIME_MAX (7L * 24 * 3600) /* longer claims are cut to a week */

struct token_entry {
	char *base, *repo, *token;
	int64_t expires_at;
	long lifetime;
	bool with_creds;
};

struct challenge_entry {
	char *base, *realm, *service;
};

static struct {
	pthread_mutex_t lock;
	char *cache_path;
	bool loaded, dirty;
	struct token_entry tokens[ENTRIES_MAX];
	size_t ntokens;
	struct challenge_entry challenges[ENTRIES_MAX];
	size_t nchallenges;
	struct strv refused; /* "base\nrepo\nmessage" */
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* visible ASCII only: it goes back in a header */
static bool token_is_valid(const char *t, size_t n)
{
	if (n == 0 || n > REGISTRY_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= ' ' || (unsigned char)t[i] >= 0x7f)
			return false;
	return true;
}

static bool field_is_valid(const char *s)
{
	if (!s || !*s || strlen(s) > FIELD_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int registry_token_parse(const char *text, size_t len, char **token, long *expires_in,
			 struct err *e)
{
	*token = NULL;
	*expires_in = REGISTRY_TOKEN_DEFAULT_LIFETIME;
	json_object *root = json_parse(text, len, "token answer", e);
	if (!root)
		return -1;
	int ret = -1;
	json_object *t = json_get(root, "token");
	if (!t || (json_object_is_type(t, json_type_string) && !json_object_get_string_len(t)))
		t = json_get(root, "access_token");
	json_object *x = json_get(root, "expires_in");
	if (!json_object_is_type(root, json_type_object)) {
		err_set(e, "the token answer is not a JSON object");
	} else if (!t || !json_object_is_type(t, json_type_string) ||
		   !json_object_get_string_len(t)) {
		err_set(e, "the token answer holds no token");
	} else if ((size_t)json_object_get_string_len(t) > REGISTRY_TOKEN_MAX) {
		err_set(e, "the token answer holds a token of %d bytes (at most %d)",
			json_object_get_string_len(t), REGISTRY_TOKEN_MAX);
	} else if (!token_is_valid(json_object_get_string(t), (size_t)json_object_get_string_len(t))) {
		err_set(e, "the token answer holds a token with spaces or control characters");
	} else if (x && !json_object_is_type(x, json_type_null) &&
		   !json_object_is_type(x, json_type_int)) {
		err_set(e, "the token answer's expires_in is not a whole number");
	} else {
		if (x && json_object_is_type(x, json_type_int)) {
			int64_t v = json_object_get_int64(x);
			/* 0 or less: the spec's default; very long: a week */
			*expires_in = v <= 0 ? REGISTRY_TOKEN_DEFAULT_LIFETIME
					     : v > LIFETIME_MAX ? LIFETIME_MAX : (long)v;
		}
		*token = xstrdup(json_object_get_string(t));
		ret = 0;
	}
	json_object_put(root);
	return ret;
}

/* ---- the store ---- */

static void token_entry_free(struct token_entry *t)
{
	free(t->base);
	free(t->repo);
	registry_secret_free(t->token);
	memset(t, 0, sizeof(*t));
}

static void clear_locked(void)
{
	for (size_t i = 0; i < g.ntokens; i++)
		token_entry_free(&g.tokens[i]);
	for (size_t i = 0; i < g.nchallenges; i++) {
		free(g.challenges[i].base);
		free(g.challenges[i].realm);
		free(g.challenges[i].service);
	}
	g.ntokens = g.nchallenges = 0;
	strv_free(&g.refused);
}

void registry_tokens_reset(void)
{
	pthread_mutex_lock(&g.lock);
	clear_locked();
	free(g.cache_path);
	g.cache_path = NULL;
	g.loaded = g.dirty = false;
	pthread_mutex_unlock(&g.lock);
}

void registry_tokens_use_cache(const char *path)
{
	pthread_mutex_lock(&g.lock);
	if (!str_eq(path, g.cache_path)) {
		free(g.cache_path);
		g.cache_path = path ? xstrdup(path) : NULL;
		g.loaded = false;
	}
	pthread_mutex_unlock(&g.lock);
}

static struct token_entry *token_find(const char *base, const char *repo)
{
	for (size_t i = 0; i < g.ntokens; i++)
		if (strcmp(g.tokens[i].base, base) == 0 && strcmp(g.tokens[i].repo, repo) == 0)
			return &g.tokens[i];
	return NULL;
}

static struct challenge_entry *challenge_find(const char *base)
{
	for (size_t i = 0; i < g.nchallenges; i++)
		if (strcmp(g.challenges[i].base, base) == 0)
			return &g.challenges[i];
	return NULL;
}

static void token_set_locked(const char *base, const char *repo, const char *token,
			     int64_t expires_at, long lifetime, bool with_creds)
{
	struct token_entry *t = token_find(base, repo);
	if (!t) {
		if (g.ntokens == ENTRIES_MAX) { /* full: the one expiring first goes */
			size_t k = 0;
			for (size_t i = 1; i < g.ntokens; i++)
				if (g.tokens[i].expires_at < g.tokens[k].expires_at)
					k = i;
			token_entry_free(&g.tokens[k]);
			g.tokens[k] = g.tokens[--g.ntokens];
		}
		t = &g.tokens[g.ntokens++];
		t->base = xstrdup(base);
		t->repo = xstrdup(repo);
	}
	registry_secret_free(t->token);
	t->token = xstrdup(token);
	t->expires_at = expires_at;
	t->lifetime = lifetime;
	t->with_creds = with_creds;
}

static void challenge_set_locked(const char *base, const char *realm, const char *service)
{
	struct challenge_entry *c = challenge_find(base);
	if (c && str_eq(c->realm, realm) && str_eq(c->service, service))
		return;
	if (!c) {
		if (g.nchallenges == ENTRIES_MAX)
			return;
		c = &g.challenges[g.nchallenges++];
		c->base = xstrdup(base);
	} else {
		free(c->realm);
		free(c->service);
	}
	c->realm = xstrdup(realm);
	c->service = service ? xstrdup(service) : NULL;
	g.dirty = true;
}

/* Entries of a cache file's text; nothing when it is not one. */
static int load_text_locked(const char *text, size_t len, int64_t now, struct err *e)
{
	json_object *root = json_parse(text, len, "token cache", e);
	if (!root)
		return -1;
	json_object *toks = json_arr(root, "tokens"), *chs = json_arr(root, "challenges");
	if (!json_object_is_type(root, json_type_object) || json_int(root, "version", 0) != 1) {
		json_object_put(root);
		return err_set(e, "token cache: not version 1 of the cache");
	}
	size_t n = chs ? json_object_array_length(chs) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(chs, i);
		const char *base = json_str(c, "base"), *realm = json_str(c, "realm");
		const char *service = json_str(c, "service");
		if (field_is_valid(base) && field_is_valid(realm) &&
		    http_url_scheme_len(realm) && (!service || field_is_valid(service)))
			challenge_set_locked(base, realm, service);
	}
	n = toks ? json_object_array_length(toks) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(toks, i);
		const char *base = json_str(t, "base"), *repo = json_str(t, "repo");
		const char *tok = json_str(t, "token");
		int64_t exp = json_int(t, "expires_at", 0);
		int64_t life = json_int(t, "lifetime", 0);
		if (field_is_valid(base) && field_is_valid(repo) && tok &&
		    token_is_valid(tok, strlen(tok)) && exp > now && life > 0 &&
		    life <= LIFETIME_MAX && exp - now <= life)
			token_set_locked(base, repo, tok, exp, (long)life, false);
	}
	json_object_put(root);
	return 0;
}

int registry_tokens_load_text(const char *text, size_t len, int64_t now, struct err *e)
{
	pthread_mutex_lock(&g.lock);
	clear_locked();
	int rc = load_text_locked(text, len, now, e);
	if (rc < 0)
		clear_locked();
	g.dirty = false;
	pthread_mutex_unlock(&g.lock);
	return rc;
}

/* Read the cache file once (a bad one is ignored: it is only a cache). */
static void ensure_loaded_locked(void)
{
	if (g.loaded)
		return;
	g.loaded = true;
	if (!g.cache_path || !path_exists(g.cache_path))
		return;
	struct buf b = BUF_INIT;
	struct err e = { 0 };
	buf_init(&b);
	if (read_file_nofollow(g.cache_path, CACHE_FILE_MAX, &b, &e) == 0 &&
	    load_text_locked(buf_str(&b), b.len, now_unix(), &e) < 0)
		verbose("ignoring the token cache %s: %s", g.cache_path, e.msg);
	if (b.p)
		explicit_bzero(b.p, b.cap);
	buf_free(&b);
}

/* Still good for a while: a tenth of its lifetime left (a 5-minute token
 * is renewed in its last 30 s rather than sent to expire on the way). */
static bool token_valid(const struct token_entry *t, int64_t now)
{
	return now < t->expires_at - t->lifetime / 10;
}

char *registry_tokens_get(const char *base, const char *repo)
{
	char *res = NULL;
	pthread_mutex_lock(&g.lock);
	ensure_loaded_locked();
	struct token_entry *t = token_find(base, repo);
	if (t && token_valid(t, now_unix()))
		res = xstrdup(t->token);
	pthread_mutex_unlock(&g.lock);
	return res;
}

void registry_tokens_put(const char *base, const char *repo, const char *token, long expires_in,
			 bool with_creds)
{
	if (expires_in <= 0)
		expires_in = REGISTRY_TOKEN_DEFAULT_LIFETIME;
	pthread_mutex_lock(&g.lock);
	ensure_loaded_locked();
	token_set_locked(base, repo, token, now_unix() + expires_in, expires_in, with_creds);
	if (!with_creds)
		g.dirty = true;
	pthread_mutex_unlock(&g.lock);
}

void registry_tokens_drop(const char *base, const char *repo, const char *token)
{
	pthread_mutex_lock(&g.lock);
	struct token_entry *t = token_find(base, repo);
	if (t && str_eq(t->token, token)) {
		if (!t->with_creds)
			g.dirty = true;
		token_entry_free(t);
		*t = g.tokens[--g.ntokens];
	}
	pthread_mutex_unlock(&g.lock);
}

char *registry_tokens_refused(const char *base, const char *repo)
{
	char *res = NULL;
	size_t bl = strlen(base), rl = strlen(repo);
	pthread_mutex_lock(&g.lock);
	for (size_t i = 0; i < g.refused.n && !res; i++) {
		const char *r = g.refused.v[i];
		if (strncmp(r, base, bl) == 0 && r[bl] == '\n' && strncmp(r + bl + 1, repo, rl) == 0 &&
		    r[bl + 1 + rl] == '\n')
			res = xstrdup(r + bl + rl + 2);
	}
	pthread_mutex_unlock(&g.lock);
	return res;
}

void registry_tokens_refuse(const char *base, const char *repo, const char *msg)
{
	char *known = registry_tokens_refused(base, repo);
	pthread_mutex_lock(&g.lock);
	if (!known && g.refused.n < ENTRIES_MAX)
		strv_pushf(&g.refused, "%s\n%s\n%s", base, repo, msg);
	pthread_mutex_unlock(&g.lock);
	free(known);
}

int registry_tokens_challenge(const char *base, char **realm, char **service)
{
	int rc = -1;
	*realm = *service = NULL;
	pthread_mutex_lock(&g.lock);
	ensure_loaded_locked();
	struct challenge_entry *c = challenge_find(base);
	if (c) {
		*realm = xstrdup(c->realm);
		*service = c->service ? xstrdup(c->service) : NULL;
		rc = 0;
	}
	pthread_mutex_unlock(&g.lock);
	return rc;
}

void registry_tokens_challenge_put(const char *base, const char *realm, const char *service)
{
	if (!field_is_valid(base) || !field_is_valid(realm) || (service && !field_is_valid(service)))
		return;
	pthread_mutex_lock(&g.lock);
	ensure_loaded_locked();
	challenge_set_locked(base, realm, service);
	pthread_mutex_unlock(&g.lock);
}

static char *dump_locked(int64_t now)
{
	json_object *root = json_object_new_object();
	json_add_str(root, "description", "tbx: registry token challenges and anonymous pull "
					  "tokens until they expire (a cache; safe to delete)");
	json_add_int(root, "version", 1);
	json_object *chs = json_object_new_array();
	for (size_t i = 0; i < g.nchallenges; i++) {
		json_object *c = json_object_new_object();
		json_add_str(c, "base", g.challenges[i].base);
		json_add_str(c, "realm", g.challenges[i].realm);
		if (g.challenges[i].service)
			json_add_str(c, "service", g.challenges[i].service);
		json_object_array_add(chs, c);
	}
	json_object_object_add(root, "challenges", chs);
	json_object *toks = json_object_new_array();
	for (size_t i = 0; i < g.ntokens; i++) {
		const struct token_entry *t = &g.tokens[i];
		if (t->with_creds || t->expires_at <= now)
			continue;
		json_object *o = json_object_new_object();
		json_add_str(o, "base", t->base);
		json_add_str(o, "repo", t->repo);
		json_add_str(o, "token", t->token);
		json_add_int(o, "expires_at", t->expires_at);
		json_add_int(o, "lifetime", t->lifetime);
		json_object_array_add(toks, o);
	}
	json_object_object_add(root, "tokens", toks);
	char *s = json_pretty(root);
	json_object_put(root);
	return s;
}

char *registry_tokens_dump(int64_t now)
{
	pthread_mutex_lock(&g.lock);
	char *s = dump_locked(now);
	pthread_mutex_unlock(&g.lock);
	return s;
}

int registry_tokens_save(struct err *e)
{
	int rc = 0;
	pthread_mutex_lock(&g.lock);
	if (g.dirty && g.cache_path) {
		char *dir = xstrdup(g.cache_path);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		char *s = dump_locked(now_unix());
		rc = slash && mkdir_p(dir, 0755, e) < 0
			     ? -1
			     : write_file_atomic(g.cache_path, s, strlen(s), 0600, e);
		explicit_bzero(s, strlen(s));
		free(s);
		free(dir);
		if (rc == 0)
			g.dirty = false;
	}
	pthread_mutex_unlock(&g.lock);
	return rc;
}
