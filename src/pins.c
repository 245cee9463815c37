/* pins.c - pin to a digest, roll back. */
#define _GNU_SOURCE
#include "pins.h"

int pins_switch(struct podman *p, const struct backend *b, const char *models_root,
		struct imagelock *il, const char *digest, const struct converge_opts *o,
		struct converge_outcome *out, struct err *e)
{
	struct converge_opts opts = *o;
	struct converge_target t = { .digest = digest };
	opts.check = false;
	opts.pin = true;
	struct lock_entry *le = imagelock_entry(il, b->id);
	if (lifecycle_converge(p, b, models_root, le, &t, &opts, out, e) < 0)
		return -1;
	return imagelock_save(il, e);
}
