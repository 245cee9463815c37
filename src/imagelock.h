/* imagelock.h - manifests/images.lock.json: per backend the reference,
 * digest, image ID, pin, when it was verified and pulled, and the digests
 * it had before.  Written atomically; users commit it. */
#ifndef TBX_IMAGELOCK_H
#define TBX_IMAGELOCK_H

#include "util.h"

#define IMAGELOCK_HISTORY_MAX 20

struct lock_history {
	char *digest;
	char *image_id;
	int64_t until; /* when it was replaced */
};

struct lock_entry {
	char *backend;
	char *reference;
	char *digest;   /* NULL when never pulled */
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
/* Record a new current digest: the old one goes to history. */
void lock_entry_set_current(struct lock_entry *le, const char *digest, const char *image_id,
			    int64_t now);

/* "sha256:0123456789ab" (12 hex digits) into out[24]. */
const char *short_digest(const char *digest, char out[24]);

#endif
