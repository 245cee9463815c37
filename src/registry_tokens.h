/* registry_tokens.h - the bearer tokens of one command: one per repository
 * and registry, shared by every request of the command (a command is one
 * process).  Anonymous tokens are also kept in the tbx home's cache until
 * they expire, beside the challenges seen (realm, service), so that the
 * next command asks for its token before its first request instead of
 * after a 401.  Tokens obtained with credentials never reach the disk. */
#ifndef TBX_REGISTRY_TOKENS_H
#define TBX_REGISTRY_TOKENS_H

#include "util.h"

#define REGISTRY_TOKEN_MAX (64 * 1024)
#define REGISTRY_TOKEN_DEFAULT_LIFETIME 60 /* seconds, when expires_in is absent */

/* A token service's answer: {"token": T} or {"access_token": T}, with
 * "expires_in" (seconds; absent: REGISTRY_TOKEN_DEFAULT_LIFETIME, the
 * distribution spec's default).  Returns 0 with *token (free with
 * registry_secret_free) and *expires_in, -1 with e set (naming what is
 * wrong, never quoting the token).  Exposed for tests and fuzzing. */
int registry_token_parse(const char *text, size_t len, char **token, long *expires_in,
			 struct err *e);

/* Use this cache file (NULL: none) from now on; it is read on first use. */
void registry_tokens_use_cache(const char *path);
/* A valid token for repo at base ("https://registry-1.docker.io"), or NULL
 * (caller frees with registry_secret_free). */
char *registry_tokens_get(const char *base, const char *repo);
/* Keep a token fetched now (lifetime expires_in seconds). */
void registry_tokens_put(const char *base, const char *repo, const char *token, long expires_in,
			 bool with_creds);
/* Forget token for repo at base (if it is still the one kept): it was
 * refused. */
void registry_tokens_drop(const char *base, const char *repo, const char *token);
/* Authentication to repo at base failed for good in this command (a token
 * refused, insufficient_scope, no token service): later requests of the
 * command fail with the same message instead of asking again.
 * registry_tokens_refused() returns it (caller frees) or NULL. */
void registry_tokens_refuse(const char *base, const char *repo, const char *msg);
char *registry_tokens_refused(const char *base, const char *repo);
/* The Bearer challenge last seen from base: 0 with *realm and *service
 * (caller frees; service may be NULL), -1 when none is known. */
int registry_tokens_challenge(const char *base, char **realm, char **service);
void registry_tokens_challenge_put(const char *base, const char *realm, const char *service);
/* Write the cache file when something changed (atomically, mode 0600).
 * A cache that cannot be written is only a cache: -1 with e set, nothing
 * else changes. */
int registry_tokens_save(struct err *e);
/* Forget everything kept in memory (tests; the cache file stays). */
void registry_tokens_reset(void);

/* The cache file's text read into the store as of time now (entries
 * expired by then are left out).  -1 with e set when it is not a cache
 * file (the store is then left empty).  Exposed for tests and fuzzing. */
int registry_tokens_load_text(const char *text, size_t len, int64_t now, struct err *e);
/* The store as cache file text (anonymous, unexpired tokens only), for
 * tests and fuzzing.  Caller frees. */
char *registry_tokens_dump(int64_t now);

#endif
