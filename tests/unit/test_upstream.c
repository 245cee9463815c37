/* test_upstream.c - frozen channels from stamp tags: the tags/list page
 * parser, stamps, Link headers, the judgement (frozen, live, unknown,
 * retired, the local fallback) and the definition keys retired/successor. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defs.h"
#include "upstream.h"

#define REPO "kyuz0/amd-strix-halo-toolboxes"
#define IMG "docker.io/" REPO ":"
#define DAY 86400

static void test_stamp(void **state)
{
	(void)state;
	size_t cl;
	int64_t t;
	assert_int_equal(upstream_parse_stamp("rocm-7.2_20260409T031500", &cl, &t), 1);
	assert_int_equal(cl, 8);
	assert_int_equal(t, 1775704500); /* date -u -d 2026-04-09T03:15:00Z +%s */
	assert_int_equal(upstream_parse_stamp("rocm-7.2", &cl, &t), 0);
	assert_int_equal(upstream_parse_stamp("rocm-7.2_latest", &cl, &t), 0);
	assert_int_equal(upstream_parse_stamp("_20260409T031500", &cl, &t), 0);
	assert_int_equal(upstream_parse_stamp("x_20260409T0315001", &cl, &t), 0);
	/* stamp-shaped, but not a real UTC time */
	assert_int_equal(upstream_parse_stamp("x_20261345T031500", &cl, &t), -1);
	assert_int_equal(upstream_parse_stamp("x_20260230T031500", &cl, &t), -1);
	assert_int_equal(upstream_parse_stamp("x_20260409T246000", &cl, &t), -1);
	/* the channel is everything before the last '_' */
	assert_int_equal(upstream_parse_stamp("a_b_20260409T031500", &cl, &t), 1);
	assert_int_equal(cl, 3);
}

static void test_page(void **state)
{
	(void)state;
	struct strv tags = STRV_INIT;
	struct err e = { 0 };
	const char *ok = "{\"name\":\"" REPO "\",\"tags\":[\"a\",\"b_20260409T031500\"]}";
	assert_int_equal(upstream_parse_tags_page(ok, strlen(ok), REPO, &tags, &e), 0);
	assert_int_equal(tags.n, 2);
	const char *null = "{\"name\":\"" REPO "\",\"tags\":null}";
	assert_int_equal(upstream_parse_tags_page(null, strlen(null), REPO, &tags, &e), 0);
	assert_int_equal(tags.n, 2);
	static const char *const bad[] = {
		"<html>", "[]", "{\"tags\":\"x\"}", "{\"tags\":[1]}",
		"{\"tags\":[\"bad tag\"]}", "{\"tags\":[\"-x\"]}", "{\"name\":\"other/repo\",\"tags\":[]}",
		"{\"tags\":[\"\\u001b[31m\"]}", NULL,
	};
	for (int i = 0; bad[i]; i++) {
		err_clear(&e);
		assert_int_equal(upstream_parse_tags_page(bad[i], strlen(bad[i]), REPO, &tags, &e), -1);
		assert_non_null(strstr(e.msg, REPO));
		assert_null(strchr(e.msg, '\033'));
	}
	strv_free(&tags);
}

static void test_link(void **state)
{
	(void)state;
	char *next = NULL;
	struct err e = { 0 };
	const char *base = "http://127.0.0.1:5000";
	assert_int_equal(upstream_link_next("</v2/" REPO "/tags/list?n=2&last=b>; rel=\"next\"", base,
					    REPO, &next, &e), 1);
	assert_string_equal(next, "/v2/" REPO "/tags/list?n=2&last=b");
	free(next);
	assert_int_equal(upstream_link_next("<http://127.0.0.1:5000/v2/" REPO
					    "/tags/list?last=b&n=2>; rel=next", base, REPO, &next, &e),
			 1);
	assert_string_equal(next, "/v2/" REPO "/tags/list?last=b&n=2");
	free(next);
	assert_int_equal(upstream_link_next("</v2/" REPO "/tags/list?n=2>; rel=\"prev\"", base, REPO,
					    &next, &e), 0);
	assert_null(next);
	/* several link-values: the one whose rel is next, wherever it is */
	assert_int_equal(upstream_link_next("</v2/" REPO "/tags/list?n=2>; rel=\"prev\", </v2/" REPO
					    "/tags/list?n=2&last=d>; rel=\"next\"", base, REPO,
					    &next, &e), 1);
	assert_string_equal(next, "/v2/" REPO "/tags/list?n=2&last=d");
	free(next);
	assert_int_equal(upstream_link_next("</v2/" REPO "/tags/list?n=2&last=d>; rel=\"next\","
					    "</v2/" REPO "/tags/list?n=2>; rel=\"first\"", base,
					    REPO, &next, &e), 1);
	assert_string_equal(next, "/v2/" REPO "/tags/list?n=2&last=d");
	free(next);
	assert_int_equal(upstream_link_next("</v2/" REPO "/tags/list?n=2>; rel=\"prev\", <x>; "
					    "rel=\"last\"", base, REPO, &next, &e), 0);
	assert_null(next);
	/* quay.io's shape: absolute, a percent-encoded page token */
	assert_int_equal(upstream_link_next("<http://127.0.0.1:5000/v2/" REPO "/tags/list?next_page="
					    "gAAAAABY%3D%3D&n=50>; rel=\"next\"", base, REPO, &next,
					    &e), 1);
	assert_string_equal(next, "/v2/" REPO "/tags/list?next_page=gAAAAABY%3D%3D&n=50");
	free(next);
	static const char *const bad[] = {
		"<http://evil.example/v2/" REPO "/tags/list?n=2>; rel=\"next\"",
		"</v2/other/tags/list?n=2>; rel=\"next\"",
		"</v2/" REPO "/manifests/x?n=2>; rel=\"next\"",
		"</v2/" REPO "/tags/list?n=2 x>; rel=\"next\"",
		"/v2/" REPO "/tags/list?n=2; rel=\"next\"",
		"</v2/" REPO "/tags/list?n=2; rel=\"next\"",
		"</v2/" REPO "/tags/list?n=2>; rel=\"prev\", garbage; rel=\"next\"",
		"<https://127.0.0.1:5000/v2/" REPO "/tags/list?n=2>; rel=\"next\"",
		NULL,
	};
	for (int i = 0; bad[i]; i++) {
		err_clear(&e);
		assert_int_equal(upstream_link_next(bad[i], base, REPO, &next, &e), -1);
		assert_null(next);
		assert_true(e.msg[0]);
	}
}

static void backend_of(struct backend *b, const char *tag, bool retired, const char *successor)
{
	memset(b, 0, sizeof(*b));
	b->id = xstrdup(tag);
	b->image = xasprintf(IMG "%s", tag);
	struct err e = { 0 };
	assert_int_equal(image_ref_parse(b->image, &b->ref, &e), 0);
	b->container = xasprintf("llama-%s", tag);
	b->retired = retired;
	b->successor = successor ? xstrdup(successor) : NULL;
	b->lineage = xstrdup("llama.cpp");
}

static void survey_of(struct upstream_survey *s, const char *const *tags)
{
	struct strv v = STRV_INIT;
	struct err e = { 0 };
	for (int i = 0; tags[i]; i++)
		strv_push(&v, tags[i]);
	s->n = 1;
	s->v = xcalloc(1, sizeof(*s->v));
	s->v[0].name = xstrdup("docker.io/" REPO);
	s->v[0].ok = true;
	assert_int_equal(upstream_repo_from_tags(&v, &s->v[0], &e), 0);
	strv_free(&v);
}

static void test_judge(void **state)
{
	(void)state;
	static const char *const tags[] = {
		"rocm-7.14", "rocm-7.14_20260409T031500", "rocm-7.14_20260408T031500",
		"vulkan-radv", "vulkan-radv_20261130T000000", "rocm-6.4.4_20261125T000000",
		"rocm-7.2", "rocm-7.2_20260409T000000", "therock-nightly", NULL,
	};
	struct upstream_survey s = { 0 };
	struct upstream_info u;
	struct backend b;
	char line[256];
	survey_of(&s, tags);

	backend_of(&b, "rocm-7.14", false, NULL);
	upstream_judge(&s, &b, 14 * DAY, 0, 0, &u);
	assert_int_equal(u.state, UPSTREAM_FROZEN);
	assert_int_equal(u.last_build, 1775704500);
	upstream_describe(&u, line, sizeof(line));
	assert_string_equal(line, "frozen upstream since 2026-04-09");
	/* a longer frozen_after: live */
	upstream_judge(&s, &b, 300 * DAY, 0, 0, &u);
	assert_int_equal(u.state, UPSTREAM_LIVE);
	backend_free(&b);

	/* 5 days behind the newest: live */
	backend_of(&b, "rocm-6.4.4", false, NULL);
	upstream_judge(&s, &b, 14 * DAY, 0, 0, &u);
	assert_int_equal(u.state, UPSTREAM_LIVE);
	backend_free(&b);

	/* no stamps while siblings have them: unknown, never frozen */
	backend_of(&b, "therock-nightly", false, NULL);
	upstream_judge(&s, &b, 14 * DAY, 1, 2 * 365 * DAY, &u);
	assert_int_equal(u.state, UPSTREAM_UNKNOWN);
	assert_non_null(strstr(u.why, "siblings"));
	backend_free(&b);

	backend_of(&b, "rocm-7.2", true, "rocm-7.14");
	upstream_judge(&s, &b, 14 * DAY, 0, 0, &u);
	assert_int_equal(u.state, UPSTREAM_RETIRED);
	upstream_describe(&u, line, sizeof(line));
	assert_string_equal(line,
			    "frozen upstream since 2026-04-09, successor rocm-7.14 (retired upstream)");
	/* the definition's "retired" date when it is earlier than the last stamp
	 * (a tag that still resolves, stamped again), never a later one */
	b.retired_on = xstrdup("2026-03-01");
	upstream_judge(&s, &b, 14 * DAY, 0, 0, &u);
	upstream_describe(&u, line, sizeof(line));
	assert_string_equal(line,
			    "frozen upstream since 2026-03-01, successor rocm-7.14 (retired upstream)");
	assert_int_equal(u.last_build, 1775692800); /* the stamp's time stays the last build */
	free(b.retired_on);
	b.retired_on = xstrdup("2026-05-01");
	upstream_judge(&s, &b, 14 * DAY, 0, 0, &u);
	upstream_describe(&u, line, sizeof(line));
	assert_string_equal(line,
			    "frozen upstream since 2026-04-09, successor rocm-7.14 (retired upstream)");
	backend_free(&b);
	/* retired, no stamps for it: the definition's date, else just retired */
	backend_of(&b, "therock-nightly", true, "x");
	b.retired_on = xstrdup("2026-08-01");
	upstream_judge(&s, &b, 14 * DAY, 0, 0, &u);
	assert_int_equal(u.state, UPSTREAM_RETIRED);
	assert_int_equal(u.last_build, 0);
	upstream_describe(&u, line, sizeof(line));
	assert_string_equal(line, "frozen upstream since 2026-08-01, successor x (retired upstream)");
	free(b.retired_on);
	b.retired_on = NULL;
	upstream_judge(&s, &b, 14 * DAY, 0, 0, &u);
	upstream_describe(&u, line, sizeof(line));
	assert_string_equal(line, "retired upstream, successor x");
	backend_free(&b);
	upstream_survey_free(&s);

	/* no stamps at all: the local image's Created against its siblings' */
	static const char *const plain[] = { "rocm-7.14", "vulkan-radv", NULL };
	survey_of(&s, plain);
	backend_of(&b, "rocm-7.14", false, "x");
	assert_true(upstream_needs_local(&s, &b));
	upstream_judge(&s, &b, 14 * DAY, 1000 * DAY, 1020 * DAY, &u);
	assert_int_equal(u.state, UPSTREAM_FROZEN);
	assert_string_equal(u.source, "local");
	upstream_judge(&s, &b, 14 * DAY, 1010 * DAY, 1020 * DAY, &u);
	assert_int_equal(u.state, UPSTREAM_LIVE);
	upstream_judge(&s, &b, 14 * DAY, 0, 1020 * DAY, &u);
	assert_int_equal(u.state, UPSTREAM_UNKNOWN);
	backend_free(&b);
	upstream_survey_free(&s);

	/* a failed walk: unknown with its reason */
	s.n = 1;
	s.v = xcalloc(1, sizeof(*s.v));
	s.v[0].name = xstrdup("docker.io/" REPO);
	s.v[0].error = xstrdup("docker.io has no tag list (HTTP 404)");
	backend_of(&b, "rocm-7.14", false, NULL);
	upstream_judge(&s, &b, 14 * DAY, 1, 1000 * DAY, &u);
	assert_int_equal(u.state, UPSTREAM_UNKNOWN);
	assert_non_null(strstr(u.why, "404"));
	backend_free(&b);
	upstream_survey_free(&s);
}

static int parse_def(const char *json, struct backend *b, struct err *e)
{
	return backend_parse(json, strlen(json), "/x/containers/rocm-7.2.json", b, e);
}

static void test_definition_keys(void **state)
{
	(void)state;
	struct backend b;
	struct err e = { 0 };
	assert_int_equal(parse_def("{\"image\":\"" IMG "rocm-7.2\",\"container\":\"c\","
				   "\"retired\":\"2026-04-09\",\"successor\":\"rocm-7.14\"}",
				   &b, &e), 0);
	assert_true(b.retired);
	assert_string_equal(b.retired_on, "2026-04-09");
	assert_string_equal(b.successor, "rocm-7.14");
	assert_false(backend_is_default(&b, true, true));
	backend_free(&b);
	assert_int_equal(parse_def("{\"image\":\"" IMG "x\",\"container\":\"c\",\"retired\":true,"
				   "\"experimental\":true}", &b, &e), 0);
	assert_true(b.retired);
	assert_null(b.retired_on);
	backend_free(&b);
	assert_int_equal(parse_def("{\"image\":\"" IMG "x\",\"container\":\"c\","
				   "\"experimental\":true}", &b, &e), 0);
	assert_false(backend_is_default(&b, true, false));
	assert_true(backend_is_default(&b, false, true));
	backend_free(&b);
	static const char *const bad[] = {
		"\"retired\":\"yesterday\"", "\"retired\":\"2026-02-30\"", "\"retired\":1",
		"\"retired\":\"2026-4-9\"", "\"successor\":\"rocm-7.2\"", "\"successor\":\"a b\"",
		"\"successor\":3", NULL,
	};
	for (int i = 0; bad[i]; i++) {
		char *j = xasprintf("{\"image\":\"" IMG "x\",\"container\":\"c\",%s}", bad[i]);
		err_clear(&e);
		assert_int_equal(parse_def(j, &b, &e), -1);
		assert_non_null(strstr(e.msg, "rocm-7.2.json"));
		assert_true(strstr(e.msg, "'retired'") || strstr(e.msg, "'successor'"));
		backend_free(&b);
		free(j);
	}
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

/* a successor naming no backend: an error naming the file and the key */
static void test_successor_unknown(void **state)
{
	(void)state;
	char dir[] = "/tmp/tbx-upstream-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *cdir = path_join(dir, "containers"), *f = path_join(cdir, "old.json");
	struct err e = { 0 };
	assert_int_equal(mkdir_p(cdir, 0755, &e), 0);
	const char *j = "{\"image\":\"" IMG "old\",\"container\":\"c\",\"retired\":true,"
			"\"successor\":\"nope\"}";
	assert_int_equal(write_file_atomic(f, j, strlen(j), 0644, &e), 0);
	struct backends bs;
	assert_int_equal(backends_load(dir, &bs, &e), -1);
	assert_non_null(strstr(e.msg, "old.json"));
	assert_non_null(strstr(e.msg, "'successor'"));
	assert_non_null(strstr(e.msg, "nope"));
	/* named by an alias of another backend: kept as that backend's id */
	char *g = path_join(cdir, "new.json");
	const char *k = "{\"image\":\"" IMG "new\",\"container\":\"d\",\"aliases\":[\"nw\"]}";
	assert_int_equal(write_file_atomic(g, k, strlen(k), 0644, &e), 0);
	j = "{\"image\":\"" IMG "old\",\"container\":\"c\",\"retired\":true,\"successor\":\"nw\"}";
	assert_int_equal(write_file_atomic(f, j, strlen(j), 0644, &e), 0);
	assert_int_equal(backends_load(dir, &bs, &e), 0);
	assert_string_equal(backend_find(&bs, "old")->successor, "new");
	backends_free(&bs);
	/* its own alias: not another backend */
	j = "{\"image\":\"" IMG "old\",\"container\":\"c\",\"aliases\":[\"o\"],\"successor\":\"o\"}";
	assert_int_equal(write_file_atomic(f, j, strlen(j), 0644, &e), 0);
	err_clear(&e);
	assert_int_equal(backends_load(dir, &bs, &e), -1);
	assert_non_null(strstr(e.msg, "old.json: 'successor'"));
	free(cdir), free(f), free(g);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* the shipped definitions are upstream's tag set today (kyuz0/
 * amd-strix-halo-toolboxes d1a34be: refresh-toolboxes.sh, build_and_publish.yml):
 * each container llama-<tag>, every successor exists, and legacy.json holds
 * the container names upstream's refresh-toolboxes.sh used and dropped,
 * never a name a current definition uses */
static void test_shipped(void **state)
{
	(void)state;
	static const struct {
		const char *tag;
		char kind; /* s stable default, o optional, x experimental, r retired */
		const char *successor;
	} want[] = {
		{ "vulkan-radv", 's', NULL },
		{ "rocm-6.4.4", 's', NULL },
		{ "rocm-7.14", 's', NULL },
		{ "vulkan-amdvlk", 'o', NULL },
		{ "therock-nightly", 'x', NULL },
		{ "vulkan-radv-performance", 'x', NULL },
		{ "rocm-7.14-rocmfpx", 'x', NULL },
		{ "vulkan-rocmfpx", 'x', NULL },
		{ "rocm-7.14-pr26592", 'x', NULL },
		{ "rocm-7.2.4-rdma-fix", 'x', NULL },
		{ "rocm-7.2.4-turboquant", 'x', NULL },
		{ "rocm-7.2", 'r', "rocm-7.14" },
		{ "rocm7-nightlies", 'r', "therock-nightly" },
	};
	/* every family the history holds: the rocm-7.2.x renames, -mtp,
	 * -pr21344, rocm-7.1.1, the ROCmFPX forerunners, the old rocwmma ones */
	static const char *const legacy_want[] = {
		"llama-rocm-7.2.1", "llama-rocm-7.2.2", "llama-rocm-7.2.3", "llama-rocm-7.2.4",
		"llama-rocm-7.2.3-mtp", "llama-rocm-7.2.4-mtp", "llama-vulkan-radv-mtp",
		"llama-rocm-7.2.1-pr21344", "llama-rocm-7.2.2-pr21344", "llama-rocm-7.1.1",
		"llama-rocm-7.1.1-rocwmma", "llama-rocm-7.1", "llama-rocm-7.2.4-rocmfp4",
		"llama-rocm-7.2.4-rocmfp6", "llama-rocm-7.2.4-rocmfpx", "llama-rocm-6.4.2",
		"llama-rocm-6.4.3", "llama-rocm-7beta", "llama-rocm-7rc", "llama-rocm-7alpha",
		"llama-vulkan-radv-perfromance", "llama-rocm7rc", NULL,
	};
	struct backends bs;
	struct err e = { 0 };
	struct strv legacy = STRV_INIT;
	assert_int_equal(backends_load(".", &bs, &e), 0);
	assert_int_equal(legacy_load(".", &legacy, &e), 0);
	size_t containers = 0;
	for (size_t i = 0; i < bs.n; i++) {
		if (bs.v[i].container) {
			containers++;
			assert_false(strv_contains(&legacy, bs.v[i].container));
		}
	}
	assert_int_equal(containers, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct backend *b = backend_find(&bs, want[i].tag);
		assert_non_null(b);
		char *image = xasprintf(IMG "%s", want[i].tag);
		char *container = xasprintf("llama-%s", want[i].tag);
		assert_string_equal(b->image, image);
		assert_string_equal(b->container, container);
		free(image), free(container);
		assert_int_equal(b->retired, want[i].kind == 'r');
		assert_int_equal(b->experimental, want[i].kind == 'x');
		/* opt-in: amdvlk, and upstream's experimental channels */
		assert_int_equal(b->optional, want[i].kind == 'o' || want[i].kind == 'x');
		assert_int_equal(backend_is_default(b, false, false), want[i].kind == 's');
		assert_int_equal(backend_is_default(b, true, false),
				 want[i].kind == 's' || want[i].kind == 'o');
		assert_int_equal(backend_is_default(b, false, true),
				 want[i].kind == 's' || want[i].kind == 'x');
		if (want[i].successor)
			assert_string_equal(b->successor, want[i].successor);
		else
			assert_null(b->successor);
	}
	for (size_t i = 0; legacy_want[i]; i++)
		if (!strv_contains(&legacy, legacy_want[i]))
			fail_msg("manifests/legacy.json lacks %s", legacy_want[i]);
	strv_free(&legacy);
	backends_free(&bs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stamp),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_definition_keys),
		cmocka_unit_test(test_successor_unknown),
		cmocka_unit_test(test_shipped),
	};
	return cmocka_run_group_tests_name("upstream", tests, NULL, NULL);
}
