/* lifecycle.h - creating and replacing backend containers without ever
 * leaving a backend without one.
 *
 * A replacement is created as "<name>-tbx-new" and started; only then is
 * the old one renamed "<name>-tbx-old", the new one renamed "<name>", and
 * the old one removed.  A crash at any point leaves one usable container
 * under one of these names, and lifecycle_recover() finishes the job. */
#ifndef TBX_LIFECYCLE_H
#define TBX_LIFECYCLE_H

#include <json-c/json.h>
#include "defs.h"
#include "podman.h"

#define LABEL_BACKEND "tbx.backend"
#define LABEL_SPEC_HASH "tbx.spec-hash"
#define LABEL_DIGEST "tbx.image-digest"
#define SUFFIX_NEW "-tbx-new"
#define SUFFIX_OLD "-tbx-old"

/* The SpecGenerator for backend b's container. Caller puts it. */
json_object *container_spec(const struct backend *b, const char *name, const char *models_root,
			    const char *image_id, const char *digest);

/* Finish or undo what an interrupted replacement left.  Reports what it
 * did through note(). */
int lifecycle_recover(struct podman *p, const struct backend *b, struct err *e);

/* Create, start and swap in a container for b running image_id. */
int lifecycle_replace(struct podman *p, const struct backend *b, const char *models_root,
		      const char *image_id, const char *digest, struct err *e);

/* Does this image inspect JSON carry digest (any RepoDigests entry or
 * Digest)? */
bool image_has_digest(json_object *image, const char *digest);

/* Find a local image of repository `name` ("docker.io/kyuz0/x") with that
 * digest: 0 found (*image_id set), 1 not present, -1 error. */
int find_local_image(struct podman *p, const char *name, const char *digest, char **image_id,
		     struct err *e);

/* The digest of repository `name` an image carries (first RepoDigests
 * entry for that repository), or NULL. Caller frees. */
char *image_digest_for(json_object *image, const char *name);

/* "docker.io/kyuz0/x" for "docker.io/kyuz0/x:tag" (no tag, no digest), or NULL
 * for a bad reference. Caller frees. */
char *image_repo_name(const char *image);

/* Label value of a container inspect JSON, or NULL. */
const char *container_label(json_object *inspect, const char *key);

#endif
