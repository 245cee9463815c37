/* pins.h - switching a backend to a given digest (pin DIGEST, rollback). */
#ifndef TBX_PINS_H
#define TBX_PINS_H

#include "defs.h"
#include "imagelock.h"
#include "lifecycle.h"
#include "podman.h"

/* Make digest current for b and pin it: lifecycle_converge() finds the
 * image locally (by digest, or by the image ID recorded in the history, so
 * it works offline), else pulls NAME@DIGEST, and recreates the container
 * when it does not fit; then the lock file is saved.  o carries the
 * pull hooks; *out says what happened (caller frees). */
int pins_switch(struct podman *p, const struct backend *b, const char *models_root,
		struct imagelock *il, const char *digest, const struct converge_opts *o,
		struct converge_outcome *out, struct err *e);

#endif
