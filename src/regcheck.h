/* regcheck.h - one round of registry questions for a set of backends:
 * refresh, status, bench and doctor all ask through here. */
#ifndef TBX_REGCHECK_H
#define TBX_REGCHECK_H

#include "config.h"
#include "defs.h"
#include "registry.h"
#include "upstream.h"

/* Registry options from the config. */
void registry_opts_from(const struct config *cfg, struct registry_opts *o);

/* Ask the registry for the digest of each backend's tag, concurrently (one
 * manifest HEAD each): answers[i] answers bs[i].  Native backends (no image)
 * and NULL entries are not asked (answers[i] stays zeroed).  The caller
 * frees each answer with registry_answer_free(). */
void registry_check(const struct config *cfg, const struct backend *const *bs, size_t n,
		    struct registry_answer *answers);

/* The same round in a thread of its own (tags: with the first page of
 * each repository's tag list, kept for the upstream_check(UPSTREAM_WALK)
 * that follows), while local(ctx) runs in the caller's: the local lookups
 * a command needs anyway (Podman's answers, lifecycle_prefetch) cost no
 * time of their own.  Returns when both are done.  Without a thread (none
 * could be made) they run one after the other. */
void registry_check_beside(const struct config *cfg, const struct backend *const *bs, size_t n,
			   struct registry_answer *answers, bool tags, void (*local)(void *),
			   void *ctx);

/* The other registry question, once per repository: the tag list, for
 * when each channel was last rebuilt (upstream.h).  UPSTREAM_IF_OLD walks
 * when the cache is older than max_age. */
int upstream_check(const char *home, const struct config *cfg, const struct backend *const *bs,
		   size_t n, enum upstream_mode mode, struct upstream_survey *out, struct err *e);

#endif
