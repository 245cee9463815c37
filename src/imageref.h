/* imageref.h - image references, parsed once: definitions carry the
 * parsed form (struct backend.ref), so no caller parses a reference again
 * and the repository name is derived in one place. */
#ifndef TBX_IMAGEREF_H
#define TBX_IMAGEREF_H

#include "util.h"

/* "docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.2" ->
 * registry "docker.io", repo "kyuz0/amd-strix-halo-toolboxes",
 * tag "rocm-7.2", digest NULL.  "ubuntu" -> docker.io/library/ubuntu:latest.
 * "x@sha256:..." sets digest (and tag NULL unless both are given). */
struct image_ref {
	char *registry;
	char *repo;
	char *tag;
	char *digest;
};
int image_ref_parse(const char *ref, struct image_ref *out, struct err *e);
void image_ref_free(struct image_ref *r);
/* "sha256:" and 64 lowercase hex digits. */
bool digest_is_valid(const char *d);
/* "docker.io/kyuz0/x:tag" (no digest). Caller frees. */
char *image_ref_name(const struct image_ref *r);
/* The repository name "docker.io/kyuz0/x" (no tag, no digest): what
 * RepoDigests entries ("NAME@DIGEST") and pulls by digest use.  Caller frees. */
char *image_ref_repo_name(const struct image_ref *r);

/* [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, as the distribution spec says. */
bool registry_tag_is_valid(const char *tag);
/* host[:port] or [v6]:port; labels of letters, digits and '-'. */
bool registry_host_is_valid(const char *h);
/* "docker.io" for Docker Hub's other names; h otherwise. */
const char *registry_normal_host(const char *h);

#endif
