/* prune.h - removing legacy containers and unused old images.
 *
 * Containers: exactly the names in manifests/legacy.json, and containers
 * this home made (labelled tbx.home with its id) whose definition is gone;
 * never another home's.  Images: of the managed
 * repositories only, never forced, never one a container uses, never a
 * backend's current image or its last keep_images previous ones (rollback). */
#ifndef TBX_PRUNE_H
#define TBX_PRUNE_H

#include <json-c/json.h>
#include "defs.h"
#include "imagelock.h"
#include "podman.h"

enum prune_kind {
	PRUNE_CONTAINER,      /* removed (or would be); why: "legacy", ... */
	PRUNE_IMAGE,          /* removed (or would be) */
	PRUNE_IMAGE_KEPT,     /* Podman refused to remove it; why: its message */
	PRUNE_LEGACY_CURRENT, /* legacy.json names a current backend's container: kept */
	PRUNE_CONTAINER_KEPT, /* a tbx container of no known home, definition gone: kept */
};

struct prune_item {
	enum prune_kind kind;
	char *name; /* container name or image ID */
	char *why;  /* NULL when there is nothing to add */
};

/* What prune did, for the front end to show: nothing is printed here. */
struct prune_result {
	bool check;             /* nothing was removed: "would" */
	struct strv containers; /* removed (or would be, with check) */
	struct strv images;
	struct strv kept;       /* "ID: why" for images left in place */
	struct prune_item *items; /* everything above, in the order it happened */
	size_t n_items;
};

/* keep_images: how many previous images of each backend stay (rollback). */
int prune_run(struct podman *p, const struct backends *bs, const char *home,
	      struct imagelock *il, bool check, long keep_images, struct prune_result *r,
	      struct err *e);
json_object *prune_result_json(const struct prune_result *r);
void prune_result_free(struct prune_result *r);

#endif
