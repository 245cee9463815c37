/* pins.c - pin to a digest, roll back. */
#define _GNU_SOURCE
#include "pins.h"

#include <stdlib.h>

int pins_switch(struct podman *p, const struct backend *b, const char *models_root,
		struct imagelock *il, const char *digest, const struct converge_opts *o,
		struct converge_outcome *out, struct err *e)
{
	struct converge_opts opts = *o;
	opts.check = false;
	opts.pin = true;
	struct lock_entry *le = imagelock_entry(il, b->id);
	/* the tag's digest or its platform manifest's: the tag's is the key */
	const char *tag = lock_entry_tag_digest_for(le, digest);
	char *target = xstrdup(tag ? tag : digest); /* le's strings change on the way */
	struct converge_target t = { .digest = target };
	int rc = lifecycle_converge(p, b, models_root, le, &t, &opts, out, e);
	free(target);
	if (rc < 0)
		return -1;
	return imagelock_save(il, e);
}
