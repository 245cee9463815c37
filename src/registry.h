/* registry.h - asking a registry (Docker Hub or a mirror) for a tag's
 * digest without pulling: manifest HEAD only (a HEAD does not count
 * against Docker Hub's pull limit; a GET does). */
#ifndef TBX_REGISTRY_H
#define TBX_REGISTRY_H

#include "imageref.h"
#include "registry_auth.h"
#include "http.h"
#include "util.h"

struct registry_opts {
	/* "docker.io=http://127.0.0.1:5000,quay.io=https://mirror:8443":
	 * TBX_REGISTRY_MIRROR or the config file's registry_mirror. */
	const char *mirrors;
	/* Podman's auth.json; NULL = the default search
	 * ($REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
	 * ~/.config/containers/auth.json, ~/.docker/config.json). */
	const char *auth_file;
	long timeout_s; /* per request, default 10 */
	/* the token cache (registry_tokens.h), <home>/cache/registry-tokens.json;
	 * NULL: none */
	const char *token_cache;
};

struct registry_answer {
	char *digest;  /* "sha256:..." on success */
	long status;   /* last HTTP status (404, 401, 429...) or 0 */
	struct err err; /* why it failed; never holds credentials */
	int ok;        /* 1 when digest is set */
	char *media_type; /* the answer's Content-Type (an index or a manifest), or NULL */
};

/* HEAD /v2/<repo>/manifests/<tag> with the four Accept types (OCI index,
 * OCI manifest, Docker manifest list, Docker v2s2), following a 401's
 * Bearer challenge (anonymous, or with auth.json credentials) or using
 * Basic auth.  Returns 0 with ans->digest, or -1 with ans->err set
 * ("tag 'rocm-7.2' not found in docker.io/kyuz0/amd-strix-halo-toolboxes
 * (HTTP 404)", "rate limited by docker.io (HTTP 429)"...). */
int registry_head_digest(const struct registry_opts *o, const struct image_ref *ref,
			 struct registry_answer *ans);
/* The same for n references at once: every HEAD in flight at once over
 * kept connections, one token per repository (registry_tokens.h).
 * ans[i] answers refs[i]. */
void registry_head_many(const struct registry_opts *o, const struct image_ref *refs, size_t n,
			struct registry_answer *ans);
/* registry_head_many, and in the same round a GET of paths[i] (at most
 * max_body bytes) from get_refs[i]'s registry, kept for the
 * registry_session_get() of that path that follows (the tag list walk
 * then costs no round trip of its own). */
void registry_head_many_prefetch(const struct registry_opts *o, const struct image_ref *refs,
				 size_t n, struct registry_answer *ans,
				 const struct image_ref *get_refs, char *const *paths, size_t ng,
				 size_t max_body);
void registry_answer_free(struct registry_answer *a);
/* The same as a GET: *body gets the manifest (at most 4 MiB).  A GET counts
 * against Docker Hub's pull limit: only to explain a failure. */
int registry_get_manifest(const struct registry_opts *o, const struct image_ref *ref,
			  struct registry_answer *ans, struct buf *body);

/* An OCI image index or a Docker manifest list? */
bool registry_media_type_is_index(const char *mt);
/* The platforms an index offers ("linux/arm64/v8"; attestation entries -
 * platform unknown/unknown or vnd.docker.reference.type - left out), added
 * to platforms once each; *has_linux_amd64 says whether linux/amd64 is one.
 * Returns 1 for an index, 0 for a document that is not one, -1 when it is
 * not JSON (e says where). Untrusted input: fields are shown only when
 * plain, else as "?". */
int registry_index_platforms(const char *text, size_t len, struct strv *platforms,
			     bool *has_linux_amd64, struct err *e);

/* Other GET requests to ref's registry (e.g. /v2/<repo>/tags/list) with
 * the same mirrors and auth as the HEADs: the first 401's challenge is
 * answered once (token or Basic) and kept for later requests of the
 * session.  registry_session_get() returns 0 when an answer arrived (any
 * status; resp is reset first), -1 on transport or auth errors. */
struct registry_session;
int registry_session_open(const struct registry_opts *o, const struct image_ref *ref,
			  struct registry_session **out, struct err *e);
int registry_session_get(struct registry_session *s, const char *path, size_t max_body,
			 struct http_resp *resp, struct err *e);
void registry_session_close(struct registry_session *s);

/* Base URL ("https://registry-1.docker.io", or the mirror's) for a registry
 * host.  Caller frees.  NULL when o->mirrors is invalid (registry_head_digest
 * says why). */
char *registry_base_url(const struct registry_opts *o, const char *registry);
/* The mirror list ("host=url,...", TBX_REGISTRY_MIRROR) read as
 * registry_base_url reads it: every entry is validated, whichever registry
 * is asked.  0 with *url the mirror of registry (no trailing '/', caller
 * frees) or NULL when none is listed; -1 with e set (exit 1, no
 * credentials or control characters in the message).  Exposed for fuzzing. */
int registry_mirror_find(const char *mirrors, const char *registry, char **url, struct err *e);

#endif
