/* pins.c - pin to a digest, roll back. */
#define _GNU_SOURCE
#include "pins.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "lifecycle.h"

/* The image for digest: by NAME@DIGEST, else by a recorded image ID. */
static int local_image(struct podman *p, const char *name, const struct lock_entry *le,
		       const char *digest, char **image_id, struct err *e)
{
	int rc = find_local_image(p, name, digest, image_id, e);
	if (rc != 1)
		return rc;
	const char *known = NULL;
	if (str_eq(le->digest, digest))
		known = le->image_id;
	for (size_t i = 0; !known && i < le->n_history; i++)
		if (str_eq(le->history[i].digest, digest))
			known = le->history[i].image_id;
	if (!known)
		return 1;
	json_object *img = NULL;
	rc = podman_image_inspect(p, known, &img, e);
	json_object_put(img);
	if (rc == 0)
		*image_id = xstrdup(known);
	return rc;
}

int pins_switch(struct podman *p, const struct backend *b, const char *models_root,
		struct imagelock *il, const char *digest, const char *verb, struct err *e)
{
	char *name = image_repo_name(b->image);
	char *image_id = NULL;
	int rc = -1;
	if (!name)
		return err_set(e, "%s: bad image reference '%s'", b->id, b->image);
	struct lock_entry *le = imagelock_entry(il, b->id);
	int found = local_image(p, name, le, digest, &image_id, e);
	if (found < 0)
		goto out;
	if (found == 1) {
		char *ref = xasprintf("%s@%s", name, digest);
		note("%s: pulling %s", b->id, ref);
		int prc = podman_image_pull(p, ref, NULL, NULL, &image_id, e);
		free(ref);
		if (prc < 0)
			goto out;
		le->pulled_at = now_unix();
	}
	if (lifecycle_recover(p, b, e) < 0)
		goto out;
	json_object *c = NULL;
	char hash[65];
	backend_spec_hash(b, models_root, hash);
	int has = podman_container_inspect(p, b->container, &c, e);
	if (has < 0)
		goto out;
	bool right = has == 0 && str_eq(json_str(c, "Image"), image_id) &&
		     str_eq(container_label(c, LABEL_SPEC_HASH), hash) &&
		     str_eq(container_label(c, LABEL_BACKEND), b->id);
	json_object_put(c);
	if (!right && lifecycle_replace(p, b, models_root, image_id, digest, e) < 0)
		goto out;
	if (!le->reference)
		le->reference = xstrdup(b->image);
	lock_entry_set_current(le, digest, image_id, now_unix());
	le->pinned = true;
	if (imagelock_save(il, e) < 0)
		goto out;
	char sd[24];
	printf("%s: %s %s%s\n", b->id, verb, short_digest(digest, sd),
	       right ? "" : " (container recreated)");
	rc = 0;
out:
	free(name);
	free(image_id);
	return rc;
}
