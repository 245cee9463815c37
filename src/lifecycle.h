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
#include "adopt.h"
#include "defs.h"
#include "imagelock.h"
#include "podman.h"
#include "registry.h"

#define LABEL_BACKEND "tbx.backend"
#define LABEL_SPEC_HASH "tbx.spec-hash"
#define LABEL_DIGEST "tbx.image-digest"
#define LABEL_HOME "tbx.home" /* home_id_of() the home that made it */
/* the "selinux" choice the container was made with (Podman's inspect
 * shows label=disable in HostConfig.SecurityOpt too, from the annotation
 * container_spec sets, but keeps no trace of a mount's :z once the
 * container started) */
#define LABEL_SELINUX "tbx.selinux"
#define SUFFIX_NEW "-tbx-new"
#define SUFFIX_OLD "-tbx-old"

/* tbx's labels on b's container (backend, spec hash, digest, home,
 * SELinux choice). Caller puts it. */
json_object *container_tbx_labels(const struct backend *b, const char *models_root,
				  const char *digest);

/* The SpecGenerator for backend b's container. Caller puts it. */
json_object *container_spec(const struct backend *b, const char *name, const char *models_root,
			    const char *image_id, const char *digest);

/* What converging did along the way, told as it happens (the front end
 * prints it; the core never does). */
enum converge_event {
	EVENT_PULLING,         /* detail: the reference being pulled */
	EVENT_RECOVER_FINISH,  /* a replacement was cut between its renames: the new one renamed in */
	EVENT_RECOVER_RESTORE, /* a replacement was cut: the old one renamed back; detail: its name */
	EVENT_REMOVED_NEW,     /* an unfinished "-tbx-new" removed; detail: its name */
	EVENT_REMOVED_OLD,     /* a replaced "-tbx-old" removed; detail: its name */
};
typedef void (*converge_event_fn)(const struct backend *b, enum converge_event ev,
				  const char *detail, void *ctx);

/* Finish or undo what an interrupted replacement left; tells ev (may be
 * NULL) what it did. */
/* Ask Podman ahead for what converging or judging these backends will
 * ask: the container names, each container's inspect answer (and with
 * images, the image list); see podman_container_prefetch.  Made to run
 * beside the registry round (registry_check_beside: ctx is a struct
 * lifecycle_prefetch). */
struct lifecycle_prefetch {
	struct podman *podman;
	const struct backend *const *bs;
	size_t n;
	bool images;
};
void lifecycle_prefetch_run(void *ctx);
int lifecycle_recover(struct podman *p, const struct backend *b, converge_event_fn ev, void *ctx,
		      struct err *e);

/* Did a replacement of b stop half-way (a "-tbx-new" or "-tbx-old" is
 * there)?  1 yes, 0 no, -1 error.  lifecycle_recover() finishes it. */
int lifecycle_interrupted(struct podman *p, const struct backend *b, struct err *e);

/* Create, start and swap in a container for b running image_id: made
 * from b's definition, or, when carry_from is the current container's
 * inspect answer (one tbx adopts or adopted), from that container's own
 * configuration (lifecycle_adopt_spec). */
int lifecycle_replace(struct podman *p, const struct backend *b, const char *models_root,
		      json_object *carry_from, const char *image_id, const char *digest,
		      struct err *e);

/* The spec remaking the container of inspect answer current under name
 * with image_id (adopt_spec over the old image's inspect answer), with
 * tbx's labels and tbx.origin.  NULL with e naming what cannot be carried. */
json_object *lifecycle_adopt_spec(struct podman *p, const struct backend *b, const char *models_root,
				  json_object *current, const char *name, const char *image_id,
				  const char *digest, struct err *e);

/* Find the local image of b's repository for digest (the tag's or a
 * platform manifest's), from Podman's image list: by the digest, else by
 * the platform digest le recorded for it, else by the image ID le recorded
 * for it (an image that lost its name; works offline).  le may be NULL.
 * 0 found (*img set, caller frees), 1 not present, -1 unknown (Podman
 * failed: e says so). */
int find_local_image(struct podman *p, const struct backend *b, const struct lock_entry *le,
		     const char *digest, struct podman_image *img, struct err *e);

/* Label value of a container inspect JSON, or NULL. */
const char *container_label(json_object *inspect, const char *key);

/* Is this container right for backend b running image_id?  The one
 * judgement refresh, pin, rollback and status share; checked in this
 * order.  inspect: the container's inspect JSON, NULL when there is none. */
enum container_fit {
	CONTAINER_FITS,
	CONTAINER_MISSING,   /* no container of that name */
	CONTAINER_FOREIGN,   /* not labelled by tbx for this backend */
	/* (an adopted container, tbx.origin set, fits whatever the definition's
	 * spec hash: its configuration is its own) */
	CONTAINER_OLD_IMAGE, /* runs another image */
	CONTAINER_OLD_SPEC,  /* made from another definition (spec hash) */
};
enum container_fit container_matches(json_object *inspect, const struct backend *b,
				     const char *models_root, const char *image_id);

/* ---- converging a backend: bring it to a digest ---- */

enum converge_action {
	CONVERGE_UNCHANGED,
	CONVERGE_CREATED,   /* there was no digest before */
	CONVERGE_UPDATED,   /* pulled, container kept or recreated */
	CONVERGE_RECREATED, /* container (re)made */
	CONVERGE_FAILED,
};
const char *converge_action_name(enum converge_action a);

struct converge_target {
	/* The digest to run (pin DIGEST, rollback); NULL: the lock entry's
	 * pinned digest, else the tag's digest now (live). */
	const char *digest;
	/* The registry's answer for b's tag, NULL when not asked. */
	const struct registry_answer *live;
};

struct converge_opts {
	bool check; /* decide only: no recovery, no pull, no container, no lock change */
	bool pin;   /* pin the lock entry to the digest reached */
	/* replace a container tbx did not make (toolbox, distrobox, by hand),
	 * keeping its configuration; without it such a backend fails, untouched */
	bool adopt;
	converge_event_fn event; /* recoveries, and a pull about to start (may be NULL) */
	/* to tell a tag's digest from its platform manifest's (HEADs) and to
	 * explain a failed pull of an index (a GET); NULL: not asked */
	const struct registry_opts *registry;
	pull_progress_fn progress; /* per pull progress line (may be NULL) */
	void *ctx;
};

struct converge_outcome {
	enum converge_action action;
	char *old_digest, *new_digest; /* the lock entry's before; the one reached */
	char *platform_digest;         /* the platform manifest's behind new_digest
					* when the tag is an index, else NULL */
	char *pull_ref;                /* pulled (or would be), NULL when present */
	bool pulled, recreated;
	bool pinned;                   /* the entry was pinned before */
	bool adopted;                  /* a container tbx did not make was (or would be) adopted */
	enum container_origin origin;  /* who made the container (after: tbx.origin) */
	char why[1024];                /* what changed, or what failed */
};
void converge_outcome_free(struct converge_outcome *o);

/* Which digest converge aims at, and what it pulls when absent: the tag
 * (b->image) when following it, else NAME@DIGEST.  -1 when the registry
 * did not answer for a backend that follows its tag.  Caller frees
 * *digest and *pull_ref. */
int converge_choose(const struct backend *b, const struct lock_entry *le,
		    const struct converge_target *t, char **digest, char **pull_ref, struct err *e);

/* Why the container must be (re)made, NULL when it fits (refresh's words). */
const char *container_fit_reason(enum container_fit fit);

/* Bring backend b to the target: recover an interrupted replacement, find
 * the image locally or pull it, recreate the container when it does not
 * fit (lifecycle_replace), and record the result in le (the caller saves
 * the lock file).  -1 with e set (and out->action CONVERGE_FAILED). */
int lifecycle_converge(struct podman *p, const struct backend *b, const char *models_root,
		       struct lock_entry *le, const struct converge_target *t,
		       const struct converge_opts *o, struct converge_outcome *out, struct err *e);

#endif
