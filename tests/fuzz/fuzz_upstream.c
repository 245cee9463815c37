/* fuzz_upstream.c - what a registry's tag list hands tbx: a tags/list page
 * (upstream_parse_tags_page, then upstream_repo_from_tags), a Link header
 * (upstream_link_next) and stamp tags (upstream_parse_stamp).
 *
 * The whole input is the page; up to its first NUL it is also the Link
 * value and a tag.  Checks: a parsed page holds only valid tag names; a
 * channel's newest stamp is the newest of the repository at most; a link
 * accepted points to the same repository's tag list, one printable line;
 * a stamp accepted has a non-empty channel and prints back to itself;
 * every message is one printable line.
 */
#define _GNU_SOURCE
#include <time.h>

#include "fuzz.h"
#include "upstream.h"

#define REPO "kyuz0/amd-strix-halo-toolboxes"
#define BASE "http://127.0.0.1:5000"

static void fuzz_page(const char *data, size_t size)
{
	struct strv tags = STRV_INIT;
	struct err e;
	err_clear(&e);
	int rc = upstream_parse_tags_page(data, size, REPO, &tags, &e);
	if (rc < 0) {
		fuzz_check_line("tags page message", e.msg, sizeof(e.msg));
		strv_free(&tags);
		return;
	}
	if (tags.n > UPSTREAM_MAX_TAGS)
		fuzz_fail("%zu tags, over the cap", tags.n);
	for (size_t i = 0; i < tags.n; i++)
		if (!registry_tag_is_valid(tags.v[i]))
			fuzz_fail("invalid tag '%s' accepted", tags.v[i]);
	struct upstream_repo r = { .name = xstrdup(REPO) };
	err_clear(&e);
	if (upstream_repo_from_tags(&tags, &r, &e) == 0) {
		for (size_t i = 0; i < r.channels.n; i++)
			if (r.stamps[i] > r.newest || !*r.channels.v[i])
				fuzz_fail("channel '%s' stamp %lld, newest %lld", r.channels.v[i],
					  (long long)r.stamps[i], (long long)r.newest);
	} else {
		fuzz_check_line("stamps message", e.msg, sizeof(e.msg));
	}
	upstream_repo_free(&r);
	strv_free(&tags);
}

static void fuzz_link(const char *s)
{
	char *next = NULL;
	struct err e;
	err_clear(&e);
	int rc = upstream_link_next(s, BASE, REPO, &next, &e);
	if (rc == 1) {
		if (!next || strncmp(next, "/v2/" REPO "/tags/list?", strlen("/v2/" REPO "/tags/list?")))
			fuzz_fail("link '%s' accepted as '%s'", s, next ? next : "(null)");
		fuzz_check_line("next page", next, 4096);
	} else if (rc == 0) {
		if (next)
			fuzz_fail("no next page, yet next is set");
	} else if (rc == -1) {
		fuzz_check_line("link message", e.msg, sizeof(e.msg));
	} else {
		fuzz_fail("upstream_link_next returned %d", rc);
	}
	free(next);
}

static void fuzz_stamp(const char *s)
{
	size_t cl = 0;
	int64_t t = 0;
	int rc = upstream_parse_stamp(s, &cl, &t);
	if (rc != 1)
		return;
	if (cl == 0 || cl + 16 != strlen(s))
		fuzz_fail("stamp '%s': channel length %zu", s, cl);
	time_t v = (time_t)t;
	struct tm tm;
	char back[32];
	gmtime_r(&v, &tm);
	strftime(back, sizeof(back), "%Y%m%dT%H%M%S", &tm);
	if (strcmp(back, s + cl + 1) != 0)
		fuzz_fail("stamp '%s' read as %s", s, back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_copy(data, size);
	fuzz_page(copy, size);
	free(copy);
	char *s = fuzz_cstr(data, size);
	fuzz_link(s);
	fuzz_stamp(s);
	free(s);
	return 0;
}
