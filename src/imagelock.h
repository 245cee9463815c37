/* imagelock.h - manifests/images.lock.json: per backend the reference,
 * digest, image ID, pin, when it was verified and pulled, and the digests
 * it had before.  Written atomically; users commit it. */
#ifndef TBX_IMAGELOCK_H
#define TBX_IMAGELOCK_H

#include "util.h"

#define IMAGELOCK_HISTORY_MAX 20

/* Two digests where they differ: `digest` is the tag's (what the registry's
 * HEAD answers and Docker Hub shows; freshness compares it), and
 * `platform_digest` the linux/amd64 manifest Podman resolved when the tag is
 * an image index (NULL when the same, or not known). */
struct lock_history {
	char *digest;
	char *platform_digest;
	char *image_id;
	int64_t until; /* when it was replaced */
};

struct lock_entry {
	char *backend;
	char *reference;
	char *digest;   /* NULL when never pulled */
	char *platform_digest;
	char *image_id;
	bool pinned;
	int64_t verified_at; /* 0 = never */
	int64_t pulled_at;
	struct lock_history *history; /* newest first */
	size_t n_history;
};

struct imagelock {
	char *path;
	struct lock_entry *v;
	size_t n;
};

/* A missing file is an empty lock. */
int imagelock_load(const char *home, struct imagelock *l, struct err *e);
int imagelock_save(const struct imagelock *l, struct err *e);
void imagelock_free(struct imagelock *l);
struct lock_entry *imagelock_get(struct imagelock *l, const char *backend);
/* Get or add. */
struct lock_entry *imagelock_entry(struct imagelock *l, const char *backend);
/* Entries change only through these functions. */
/* Record a new current digest of reference (the definition's image): the
 * old one goes to history (newest first, one record per digest, at most
 * IMAGELOCK_HISTORY_MAX). */
void lock_entry_set_current(struct lock_entry *le, const char *reference, const char *digest,
			    const char *image_id, int64_t now);
/* The platform manifest's digest behind the current digest (NULL or the
 * same digest: none apart). */
void lock_entry_set_platform(struct lock_entry *le, const char *platform_digest);
/* The registry confirmed the digest at `now`. */
void lock_entry_verified(struct lock_entry *le, int64_t now);
void lock_entry_pulled(struct lock_entry *le, int64_t now);
void lock_entry_set_pinned(struct lock_entry *le, bool pinned);
/* The image ID recorded for digest (current or in history; the tag's or
 * the platform manifest's digest), or NULL. */
const char *lock_entry_image_for(const struct lock_entry *le, const char *digest);
/* The platform manifest's digest recorded for the tag digest, or NULL. */
const char *lock_entry_platform_for(const struct lock_entry *le, const char *digest);
/* The tag digest recorded for digest, which may be either: digest itself
 * when it is a recorded tag digest, the paired tag digest when it is a
 * recorded platform digest, else NULL. */
const char *lock_entry_tag_digest_for(const struct lock_entry *le, const char *digest);
/* The digest before the current one (rollback's target), or NULL. */
const char *lock_entry_previous(const struct lock_entry *le);

/* "sha256:0123456789ab" (12 hex digits) into out[24]. */
const char *short_digest(const char *digest, char out[24]);

#endif
