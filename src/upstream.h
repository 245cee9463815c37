/* upstream.h - is a channel still rebuilt upstream?  Every upstream build
 * also pushes an immutable tag "<tag>_YYYYmmddTHHMMSS" (UTC); the
 * registry's tag list (GET /v2/<repo>/tags/list, paginated with n/last and
 * the Link header) is not a manifest GET, so it costs no Docker Hub pull.
 * A channel whose newest stamp is more than frozen_after older than the
 * newest stamp of its repository is frozen.  The answer is cached in
 * <home>/cache/upstream.json for commands that do not walk the list. */
#ifndef TBX_UPSTREAM_H
#define TBX_UPSTREAM_H

#include <json-c/json.h>
#include "defs.h"
#include "imagelock.h"
#include "podman.h"
#include "registry.h"

#define UPSTREAM_MAX_TAGS 20000
#define UPSTREAM_MAX_PAGES 200
#define UPSTREAM_PAGE_BODY_MAX ((size_t)1 << 20)
#define UPSTREAM_DEFAULT_PAGE 1000

enum upstream_state { UPSTREAM_UNKNOWN, UPSTREAM_LIVE, UPSTREAM_FROZEN, UPSTREAM_RETIRED };

/* What one repository's tag list says: the newest stamp of each channel. */
struct upstream_repo {
	char *name;        /* "docker.io/kyuz0/amd-strix-halo-toolboxes" */
	int64_t fetched_at; /* when the list was walked */
	bool ok;           /* the walk succeeded (else error says why) */
	char *error;
	size_t n_tags;     /* tags seen (0 when served from the cache) */
	int pages;         /* pages walked this command (0: from the cache) */
	struct strv channels;
	int64_t *stamps;   /* stamps[i] = newest stamp of channels.v[i] */
	int64_t newest;    /* newest stamp of the repository, 0 if none */
};

struct upstream_survey {
	struct upstream_repo *v;
	size_t n;
};

/* A backend's channel, judged. */
struct upstream_info {
	enum upstream_state state;
	int64_t last_build;    /* newest stamp (or local image Created), 0 unknown */
	const char *successor; /* from the definition, may be NULL */
	const char *retired_on; /* the definition's "retired" date, may be NULL */
	const char *source;    /* "tags", "local" or NULL */
	char why[512];         /* unknown: why; frozen: how far behind */
};

const char *upstream_state_name(enum upstream_state s);

/* ---- parsers of registry input (exposed for tests and fuzzing) ---- */

/* One page of a tags/list answer: {"name": repo, "tags": [...]}; tags are
 * appended to *tags (at most UPSTREAM_MAX_TAGS in all).  Every name must be
 * a valid tag.  -1 with a message naming repo on anything else. */
int upstream_parse_tags_page(const char *text, size_t len, const char *repo, struct strv *tags,
			     struct err *e);
/* "rocm-7.2_20260409T031500" -> 1 with *channel_len = 8 and *t the UTC
 * time; 0 when tag is not stamp-shaped; -1 when it is but the time is not
 * a real UTC time. */
int upstream_parse_stamp(const char *tag, size_t *channel_len, int64_t *t);
/* The next page from a Link header value ("</v2/R/tags/list?n=2&last=x>;
 * rel=\"next\""): 1 with *next (a path, caller frees), 0 when there is no
 * rel="next" link, -1 when the link is malformed or points elsewhere than
 * base + /v2/<repo>/tags/list. */
int upstream_link_next(const char *link, const char *base, const char *repo, char **next,
		       struct err *e);
/* Channels and their newest stamps from a full tag list; -1 when a
 * stamp-shaped tag has no valid time. */
int upstream_repo_from_tags(const struct strv *tags, struct upstream_repo *r, struct err *e);

/* ---- the walk ---- */

/* The path of the tag list's first page ("/v2/<repo>/tags/list?n=N"). */
char *upstream_first_page(const struct image_ref *ref, long page_size);
/* Walk ref's repository's tag list (every page, page_size per page). */
int upstream_walk(const struct registry_opts *o, const struct image_ref *ref, long page_size,
		  struct upstream_repo *r, struct err *e);

enum upstream_mode {
	UPSTREAM_CACHE_ONLY, /* status: never walk */
	UPSTREAM_IF_OLD,     /* bench: walk when the cache is older than max_cache_age */
	UPSTREAM_WALK,       /* refresh: walk (once per repository) */
};

/* The repositories of the given container backends, each walked at most
 * once (or read from the cache), the cache updated after a walk.  A failed
 * walk is not an error: that repository's channels are unknown (its
 * error is kept).  -1 only when the cache cannot be written. */
int upstream_survey(const char *home, const struct registry_opts *o,
		    const struct backend *const *sel, size_t n, enum upstream_mode mode,
		    int64_t max_cache_age, long page_size, struct upstream_survey *out,
		    struct err *e);
void upstream_survey_free(struct upstream_survey *s);
void upstream_repo_free(struct upstream_repo *r);

/* Judge b's channel.  created/sibling_created: the local image's Created
 * time and the newest of its siblings' (same repository), 0 when unknown;
 * used only when the repository has no stamp tags at all. */
void upstream_judge(const struct upstream_survey *s, const struct backend *b,
		    int64_t frozen_after, int64_t created, int64_t sibling_created,
		    struct upstream_info *out);
/* The repository record b's image belongs to, or NULL. */
const struct upstream_repo *upstream_repo_of(const struct upstream_survey *s,
					     const struct backend *b);
/* True when the repository has no stamp tags at all (local fallback). */
bool upstream_needs_local(const struct upstream_survey *s, const struct backend *b);

/* The Created time of b's local image (from the lock file's image ID) and
 * the newest of its siblings' (other backends of the same repository). */
void upstream_local_created(struct podman *p, struct imagelock *il,
			    const struct backends *bs, const struct backend *b, int64_t *self,
			    int64_t *sibling);

/* upstream_judge(), with the local Created times looked up (through p and
 * il) only when the repository has no stamp tags at all. */
void upstream_judge_local(const struct upstream_survey *s, struct podman *p,
			  struct imagelock *il, const struct backends *bs,
			  const struct backend *b, int64_t frozen_after, struct upstream_info *out);

/* "frozen upstream since 2026-04-09, successor rocm-7.14"; a retired
 * channel is frozen since its last build or the definition's "retired"
 * date, whichever is earlier: "frozen upstream since 2026-04-09, successor
 * rocm-7.14 (retired upstream)" ("retired upstream, successor X" when
 * neither is known); "" for live channels without a successor. */
void upstream_describe(const struct upstream_info *u, char *out, size_t n);
/* The day ("YYYY-MM-DD") since which u's channel has not been rebuilt:
 * its last build, or for a retired one the "retired" date when earlier;
 * "" when neither is known. */
void upstream_frozen_since(const struct upstream_info *u, char day[32]);
/* {"state", "last_build", "successor"[, "frozen_since", "source", "detail"]} */
json_object *upstream_info_json(const struct upstream_info *u, bool details);

#endif
