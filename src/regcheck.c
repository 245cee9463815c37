/* regcheck.c - asking the registry about a set of backends at once. */
#define _GNU_SOURCE
#include "regcheck.h"

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

void registry_check(const struct config *cfg, const struct backend *const *bs, size_t n,
		    struct registry_answer *answers)
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
	registry_head_many(&o, refs, k, got);
	for (size_t j = 0; j < k; j++)
		answers[from[j]] = got[j];
	free(refs), free(got), free(from);
}

int upstream_check(const char *home, const struct config *cfg, const struct backend *const *bs,
		   size_t n, enum upstream_mode mode, struct upstream_survey *out, struct err *e)
{
	struct registry_opts o;
	registry_opts_from(cfg, &o);
	return upstream_survey(home, &o, bs, n, mode, cfg->max_age_s, cfg->tags_page_size, out, e);
}
