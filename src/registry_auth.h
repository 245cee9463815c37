/* registry_auth.h - authenticating to a registry: credentials from
 * Podman's auth.json, WWW-Authenticate challenges, bearer tokens.  Used by
 * registry.c after a 401; the parsers are exposed for tests and fuzzing. */
#ifndef TBX_REGISTRY_AUTH_H
#define TBX_REGISTRY_AUTH_H

#include "http.h"
#include "util.h"

/* WWW-Authenticate parsing (exposed for tests and fuzzing):
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",
 * scope="repository:x:pull"`.  Returns 0 and fills the fields (caller frees
 * each; absent ones NULL), -1 if unparseable. */
struct auth_challenge {
	char *scheme; /* "Bearer", "Basic" */
	char *realm, *service, *scope;
	char *error; /* "insufficient_scope", "invalid_token" (RFC 6750) */
};
int registry_parse_challenge(const char *header, struct auth_challenge *c);
void auth_challenge_free(struct auth_challenge *c);

/* Credentials "user:pass" for host (and repo, for keys scoped to a
 * namespace like "docker.io/kyuz0") from auth_file, or NULL = the default
 * search ($REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * ~/.config/containers/auth.json, ~/.docker/config.json).  Returns 0
 * with *userpwd set (caller frees) or NULL when there are none; -1 on an unreadable or malformed file.  Exposed for tests. */
int registry_find_credentials(const char *auth_file, const char *host, const char *repo,
			      char **userpwd, struct err *e);
/* Standard base64, padding optional; -1 on invalid input.  Exposed for tests. */
int registry_base64_decode(const char *in, size_t len, struct buf *out);

/* What registry_authenticate() needs to know about the request that got
 * a 401. */
struct registry_auth_req {
	const char *registry;  /* "docker.io": named in messages */
	const char *repo;      /* "kyuz0/x": the default token scope */
	const char *base;      /* the base URL asked (the registry's or its mirror's) */
	const char *cred_host; /* the auth.json key: the registry, or the mirror's host:port */
	const char *auth_file; /* NULL: the default search */
	long timeout_s;        /* per request */
};

/* Bearer tokens for n challenges at once (registry_fetch_tokens): each
 * f[i] asks its realm, with the credentials auth.json has for cred_host
 * when the realm may get them (registry_realm_gets_credentials).  Out:
 * rc 0 with token (free with registry_secret_free), expires_in and
 * with_creds; or rc -1 with err ("cannot get a token for docker.io: ...",
 * "access denied by the token service of docker.io (HTTP 401)..."). */
struct registry_token_fetch {
	struct registry_auth_req r;
	struct auth_challenge ch; /* Bearer; the caller owns and frees it */
	char *token;
	long expires_in;
	bool with_creds;
	bool unreachable; /* rc -1 because no answer came (refused, timed out) */
	bool withheld;    /* auth.json had credentials the realm may not get */
	struct err err;
	int rc;
};
void registry_fetch_tokens(struct registry_token_fetch *f, size_t n);
/* For a Basic challenge: the credentials auth.json has for r->cred_host
 * (*userpwd, free with registry_secret_free), or -1 with e set ("access
 * denied to docker.io/x (HTTP 401; no credentials for docker.io in
 * auth.json)"). */
int registry_basic_auth(const struct registry_auth_req *r, char **userpwd, struct err *e);
/* The best challenge of a 401 response; -1 when there is none. */
int registry_pick_challenge(const struct http_resp *resp, struct auth_challenge *out);
/* May credentials for the registry at base go to this token realm?  Only
 * over https, or over plain http to the same host as a plain-http
 * registry (which sees them anyway).  Exposed for tests. */
bool registry_realm_gets_credentials(const char *realm, const char *base);
/* Wipe and free a credential or token (NULL is fine). */
void registry_secret_free(char *s);

#endif
