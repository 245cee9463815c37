/* freshness.h - is a backend's container fresh?  The one judgement that
 * `tbx status` shows and `tbx bench` gates on.
 *
 * Fresh: the container exists and was made by tbx, runs the image ID the
 * lock file's digest resolves to locally, carries the definition's spec
 * hash, and (unless pinned) the image was verified against the registry
 * within the maximum age - or just now, live. */
#ifndef TBX_FRESHNESS_H
#define TBX_FRESHNESS_H

#include "config.h"
#include "defs.h"
#include "imagelock.h"
#include "podman.h"
#include "registry.h"

enum verdict { VERDICT_FRESH, VERDICT_STALE, VERDICT_MISSING, VERDICT_NATIVE, VERDICT_ERROR };

struct freshness {
	enum verdict verdict;
	char reason[512];       /* why not fresh; or a note ("pinned") */
	char *container_id;
	char *state;            /* "running", "exited"... */
	const char *origin;     /* who made the container: "tbx", "toolbox", "distrobox",
				 * "other" (origin_name); NULL when there is none */
	char *image_id;         /* what the container runs */
	char *digest;           /* lock file's digest (the tag's) */
	char *platform_digest;  /* its linux/amd64 manifest's when the tag is an index */
	bool pinned;
	int64_t verified_at;    /* lock file's or now after a live check */
	bool live;              /* a live HEAD answered */
	char *live_digest;
	char live_error[512];   /* why the live check failed */
};

void freshness_free(struct freshness *f);
const char *verdict_name(enum verdict v);

/* Judge b.  live: the registry's answer for b's reference (NULL when not
 * asked: --offline). */
int freshness_check(struct podman *p, const struct backend *b, const char *models_root,
		    const struct lock_entry *le, const struct registry_answer *live,
		    int64_t max_age_s, struct freshness *f, struct err *e);

/* The verdict on what was looked up (exposed for tests): c is the
 * container's inspect JSON, NULL when there is none (interrupted: a
 * replacement was cut short, its "-tbx-new"/"-tbx-old" is there); now the
 * time. */
void freshness_judge(const struct backend *b, const char *models_root, json_object *c,
		     bool interrupted, const struct lock_entry *le,
		     const struct registry_answer *live, int64_t max_age_s, int64_t now,
		     struct freshness *f);

#endif
