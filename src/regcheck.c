/* regcheck.c - asking the registry about a set of backends at once. */
#define _GNU_SOURCE
#include "regcheck.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void registry_opts_from(const struct config *cfg, struct registry_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mirrors = cfg->registry_mirror;
	o->auth_file = cfg->auth_file;
	o->timeout_s = cfg->registry_timeout_s;
	o->token_cache = cfg->token_cache;
}

static void check(const struct config *cfg, const struct backend *const *bs, size_t n,
		  struct registry_answer *answers, bool tags);

void registry_check(const struct config *cfg, const struct backend *const *bs, size_t n,
		    struct registry_answer *answers)
{
	check(cfg, bs, n, answers, false);
}

struct round {
	const struct config *cfg;
	const struct backend *const *bs;
	size_t n;
	struct registry_answer *answers;
	bool tags;
};

static void *round_thread(void *arg)
{
	struct round *r = arg;
	check(r->cfg, r->bs, r->n, r->answers, r->tags);
	return NULL;
}

void registry_check_beside(const struct config *cfg, const struct backend *const *bs, size_t n,
			   struct registry_answer *answers, bool tags, void (*local)(void *),
			   void *ctx)
{
	struct round r = { cfg, bs, n, answers, tags };
	pthread_t t;
	if (pthread_create(&t, NULL, round_thread, &r) != 0) {
		check(cfg, bs, n, answers, tags);
		local(ctx);
		return;
	}
	local(ctx);
	pthread_join(t, NULL);
}

static void check(const struct config *cfg, const struct backend *const *bs, size_t n,
		  struct registry_answer *answers, bool tags)
{
	struct registry_opts o;
	registry_opts_from(cfg, &o);
	/* the asked ones packed together; their parsed references borrowed */
	struct image_ref *refs = xcalloc(n + 1, sizeof(*refs));
	struct registry_answer *got = xcalloc(n + 1, sizeof(*got));
	size_t *from = xcalloc(n + 1, sizeof(*from));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		memset(&answers[i], 0, sizeof(answers[i]));
		if (bs[i] && !bs[i]->native) {
			from[k] = i;
			refs[k++] = bs[i]->ref;
		}
	}
	/* one tag list per repository, as upstream_survey walks them */
	struct image_ref *lists = xcalloc(k + 1, sizeof(*lists));
	char **paths = xcalloc(k + 1, sizeof(*paths));
	size_t nl = 0;
	for (size_t j = 0; tags && j < k; j++) {
		size_t m;
		for (m = 0; m < nl; m++)
			if (str_eq(lists[m].registry, refs[j].registry) &&
			    str_eq(lists[m].repo, refs[j].repo))
				break;
		if (m == nl) {
			lists[nl] = refs[j];
			paths[nl++] = upstream_first_page(&refs[j], cfg->tags_page_size);
		}
	}
	registry_head_many_prefetch(&o, refs, k, got, lists, paths, nl, UPSTREAM_PAGE_BODY_MAX);
	for (size_t j = 0; j < k; j++)
		answers[from[j]] = got[j];
	for (size_t j = 0; j < nl; j++)
		free(paths[j]);
	free(refs), free(got), free(from), free(lists), free(paths);
}

int upstream_check(const char *home, const struct config *cfg, const struct backend *const *bs,
		   size_t n, enum upstream_mode mode, struct upstream_survey *out, struct err *e)
{
	struct registry_opts o;
	registry_opts_from(cfg, &o);
	return upstream_survey(home, &o, bs, n, mode, cfg->max_age_s, cfg->tags_page_size, out, e);
}
