/* pins.h - switching a backend to a given digest (pin DIGEST, rollback). */
#ifndef TBX_PINS_H
#define TBX_PINS_H

#include "defs.h"
#include "imagelock.h"
#include "podman.h"

/* Make digest current for b: find the image locally (by digest, or by
 * the image ID recorded in the history, so it works offline), else pull
 * NAME@DIGEST; recreate the container; pin; save the lock file.  verb
 * is printed ("pinned", "rolled back to"). */
int pins_switch(struct podman *p, const struct backend *b, const char *models_root,
		struct imagelock *il, const char *digest, const char *verb, struct err *e);

#endif
