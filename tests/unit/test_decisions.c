/* test_decisions.c - the decisions only end-to-end tests reached before:
 * the freshness verdict, the spec hash, the lock file's history and the
 * converge decisions (which digest, what to pull, does the container fit),
 * judged on answers recorded from a real Podman (tests/fixtures/podman/:
 * `GET /v4.0.0/libpod/containers/NAME/json` and `.../images/ID/json` on the
 * test bed after `tbx refresh rocm72`).
 *
 * Runs from the repository root. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defs.h"
#include "freshness.h"
#include "imagelock.h"
#include "json.h"
#include "lifecycle.h"
#include "util.h"

#define FIXTURES "tests/fixtures/podman"
#define ROOT "/srv/models"
#define D(c) "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c
#define NOW 1800000000

static const char def_rocm[] =
	"{\n  \"description\": \"test bed: rocm-7.2 (CPU build of llama-bench)\",\n"
	"  \"image\": \"docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.2\",\n"
	"  \"container\": \"llama-rocm-7.2\",\n  \"aliases\": [\"rocm72\"],\n"
	"  \"expect\": {\"backend\": \"CPU\"}\n}\n";

static void load_backend(const char *text, struct backend *b)
{
	struct err e = { 0 };
	int rc = backend_parse(text, strlen(text), "containers/rocm-7.2.json", b, &e);
	if (rc != 0)
		print_error("backend_parse: %s\n", e.msg);
	assert_int_equal(rc, 0);
}

static json_object *fixture(const char *name)
{
	struct err e = { 0 };
	char *path = xasprintf("%s/%s", FIXTURES, name);
	json_object *o = json_parse_file(path, 1 << 20, &e);
	if (!o)
		print_error("%s: %s\n", path, e.msg);
	assert_non_null(o);
	free(path);
	return o;
}

static json_object *labels(json_object *inspect)
{
	return json_obj(json_obj(inspect, "Config"), "Labels");
}

/* The recorded container, as if made for b with models root ROOT: the
 * spec hash label is the one b hashes to here. */
static json_object *recorded_container(const struct backend *b)
{
	json_object *c = fixture("container-rocm-7.2.json");
	char hash[65];
	backend_spec_hash(b, ROOT, hash);
	json_add_str(labels(c), LABEL_SPEC_HASH, hash);
	return c;
}

/* A lock entry that names the recorded container's image. */
static void entry_for(json_object *c, struct lock_entry *le, const char *digest, bool pinned,
		      int64_t verified_at)
{
	memset(le, 0, sizeof(*le));
	le->backend = xstrdup("rocm-7.2");
	le->reference = xstrdup("docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.2");
	le->digest = xstrdup(digest);
	le->image_id = xstrdup(json_str(c, "Image"));
	le->pinned = pinned;
	le->verified_at = verified_at;
	le->history = xcalloc(1, sizeof(*le->history));
}

static void entry_free(struct lock_entry *le)
{
	struct imagelock l = { .v = le, .n = 1 };
	/* imagelock_free frees the array too: give it its own copy */
	l.v = xcalloc(1, sizeof(*le));
	*l.v = *le;
	imagelock_free(&l);
	memset(le, 0, sizeof(*le));
}

static struct registry_answer live_ok(const char *digest)
{
	struct registry_answer a = { 0 };
	a.ok = 1;
	a.digest = xstrdup(digest);
	return a;
}

static struct registry_answer live_failed(const char *msg)
{
	struct registry_answer a = { 0 };
	err_set(&a.err, "%s", msg);
	return a;
}

/* ---- freshness ---- */

static void judge(const struct backend *b, json_object *c, const struct lock_entry *le,
		  const struct registry_answer *live, struct freshness *f)
{
	freshness_judge(b, ROOT, c, false, le, live, 36 * 3600, NOW, f);
}

static void test_fresh_when_everything_matches(void **state)
{
	(void)state;
	struct backend b;
	struct lock_entry le;
	struct freshness f;
	load_backend(def_rocm, &b);
	json_object *c = recorded_container(&b);
	entry_for(c, &le, D("a"), false, NOW - 3600);
	struct registry_answer live = live_ok(D("a"));
	judge(&b, c, &le, &live, &f);
	assert_int_equal(f.verdict, VERDICT_FRESH);
	assert_string_equal(f.reason, "matches the registry now");
	assert_int_equal(f.verified_at, NOW);
	assert_string_equal(f.state, "running");
	assert_string_equal(f.image_id, json_str(c, "Image"));
	assert_string_equal(f.container_id, json_str(c, "Id"));
	freshness_free(&f);
	/* offline, verified an hour ago: fresh, says when */
	judge(&b, c, &le, NULL, &f);
	assert_int_equal(f.verdict, VERDICT_FRESH);
	assert_string_equal(f.reason, "verified 60 minutes ago");
	assert_int_equal(f.verified_at, NOW - 3600);
	freshness_free(&f);
	/* the registry down: the same, with why */
	struct registry_answer down = live_failed("cannot reach docker.io");
	judge(&b, c, &le, &down, &f);
	assert_int_equal(f.verdict, VERDICT_FRESH);
	assert_string_equal(f.reason,
			    "verified 60 minutes ago (registry not reachable now: cannot reach docker.io)");
	freshness_free(&f);
	registry_answer_free(&live), registry_answer_free(&down);
	entry_free(&le);
	json_object_put(c);
	backend_free(&b);
}

static void test_stale_reasons_in_order(void **state)
{
	(void)state;
	struct backend b;
	struct lock_entry le;
	struct freshness f;
	load_backend(def_rocm, &b);
	json_object *c = recorded_container(&b);
	entry_for(c, &le, D("a"), false, NOW - 3600);

	judge(&b, NULL, &le, NULL, &f);
	assert_int_equal(f.verdict, VERDICT_MISSING);
	assert_string_equal(f.reason, "no container 'llama-rocm-7.2'");
	freshness_free(&f);
	/* a refresh killed between its renames: say so, and what restores it */
	freshness_judge(&b, ROOT, NULL, true, &le, NULL, 36 * 3600, NOW, &f);
	assert_int_equal(f.verdict, VERDICT_MISSING);
	assert_string_equal(f.reason, "interrupted replacement: `tbx refresh` restores it");
	freshness_free(&f);

	judge(&b, c, NULL, NULL, &f);
	assert_int_equal(f.verdict, VERDICT_STALE);
	assert_string_equal(f.reason, "no digest recorded in images.lock.json (never refreshed by tbx)");
	freshness_free(&f);

	/* upstream rebuilt the tag */
	struct registry_answer live = live_ok(D("b"));
	judge(&b, c, &le, &live, &f);
	assert_int_equal(f.verdict, VERDICT_STALE);
	assert_string_equal(f.reason, "image rebuilt upstream: sha256:aaaaaaaaaaaa -> sha256:bbbbbbbbbbbb");
	freshness_free(&f);

	/* pinned: upstream's move is news, not staleness */
	le.pinned = true;
	judge(&b, c, &le, &live, &f);
	assert_int_equal(f.verdict, VERDICT_FRESH);
	assert_string_equal(f.reason, "pinned to sha256:aaaaaaaaaaaa (upstream has sha256:bbbbbbbbbbbb)");
	freshness_free(&f);
	judge(&b, c, &le, NULL, &f);
	assert_string_equal(f.reason, "pinned to sha256:aaaaaaaaaaaa");
	assert_true(f.pinned);
	freshness_free(&f);
	le.pinned = false;

	/* never verified, or too long ago */
	le.verified_at = 0;
	judge(&b, c, &le, NULL, &f);
	assert_int_equal(f.verdict, VERDICT_STALE);
	assert_string_equal(f.reason, "not verified against the registry for ever");
	freshness_free(&f);
	le.verified_at = NOW - 40 * 3600;
	struct registry_answer down = live_failed("HTTP 429");
	judge(&b, c, &le, &down, &f);
	assert_int_equal(f.verdict, VERDICT_STALE);
	assert_string_equal(f.reason, "not verified against the registry for 40 hours; HTTP 429");
	freshness_free(&f);
	le.verified_at = NOW - 3600;

	/* the definition changed since the container was made */
	json_add_str(labels(c), LABEL_SPEC_HASH, "0123");
	judge(&b, c, &le, &live, &f);
	assert_int_equal(f.verdict, VERDICT_STALE);
	assert_string_equal(f.reason,
			    "definition changed since the container was made (containers/rocm-7.2.json)");
	freshness_free(&f);

	/* the lock file names another image: checked before the spec hash */
	free(le.image_id);
	le.image_id = xstrdup("feedface");
	judge(&b, c, &le, &live, &f);
	assert_string_equal(f.reason, "container predates the current image (sha256:aaaaaaaaaaaa)");
	freshness_free(&f);

	/* not tbx's: checked first of all */
	json_add_str(labels(c), LABEL_BACKEND, "someone-else");
	judge(&b, c, NULL, &live, &f);
	assert_int_equal(f.verdict, VERDICT_STALE);
	assert_string_equal(f.reason,
			    "container 'llama-rocm-7.2' was not made by tbx for this backend");
	freshness_free(&f);

	registry_answer_free(&live), registry_answer_free(&down);
	entry_free(&le);
	json_object_put(c);
	backend_free(&b);
}

/* ---- the spec hash ---- */

static void hash_of(const char *text, const char *root, char out[65])
{
	struct backend b;
	load_backend(text, &b);
	backend_spec_hash(&b, root, out);
	backend_free(&b);
}

static char *with(const char *extra)
{
	/* def_rocm with more keys before the closing brace */
	size_t n = strlen(def_rocm);
	return xasprintf("%.*s,\n%s\n}\n", (int)(n - 3), def_rocm, extra);
}

static void test_spec_hash(void **state)
{
	(void)state;
	char h0[65], h[65];
	hash_of(def_rocm, ROOT, h0);
	/* containers carry it: the same definition must always hash the same
	 * (sha256 of "version=1\nimage=...\ncontainer=...\nseccomp=default\n
	 * selinux=disable\nmodels=...\n"; selinux joined in issue 20, which
	 * recreated every container once to add label=disable) */
	assert_string_equal(h0, "eb0c44be2e7bd94571a5c06f5f8ade6b2eff87e41b3b2c17ea1b33be9a045966");
	hash_of(def_rocm, "/srv/other", h);
	assert_string_not_equal(h, h0);
	const char *shaping[] = {
		"\"devices\": [\"/dev/dri\"]",
		"\"groups\": [\"video\"]",
		"\"seccomp\": \"unconfined\"",
		"\"selinux\": \"relabel-shared\"",
		"\"selinux\": \"default\"",
		"\"env\": {\"HSA_OVERRIDE\": \"1\"}",
	};
	for (size_t i = 0; i < sizeof(shaping) / sizeof(shaping[0]); i++) {
		char *t = with(shaping[i]);
		hash_of(t, ROOT, h);
		if (strcmp(h, h0) == 0)
			print_error("'%s' does not change the hash\n", shaping[i]);
		assert_string_not_equal(h, h0);
		free(t);
	}
	/* what does not shape the container does not recreate it */
	char *t = with("\"optional\": true");
	hash_of(t, ROOT, h);
	assert_string_equal(h, h0);
	free(t);
	t = with("\"selinux\": \"disable\""); /* the default, said */
	hash_of(t, ROOT, h);
	assert_string_equal(h, h0);
	free(t);
}

/* ---- the lock file's history ---- */

static void test_lock_history(void **state)
{
	(void)state;
	char dir[] = "/tmp/tbx-test-lock.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *manifests = path_join(dir, "manifests");
	struct err e = { 0 };
	assert_int_equal(mkdir_p(manifests, 0700, &e), 0);
	struct imagelock il;
	assert_int_equal(imagelock_load(dir, &il, &e), 0);
	assert_int_equal(il.n, 0);
	struct lock_entry *le = imagelock_entry(&il, "rocm-7.2");
	assert_ptr_equal(imagelock_entry(&il, "rocm-7.2"), le);
	const char *ref = "docker.io/kyuz0/x:rocm-7.2";

	lock_entry_set_current(le, ref, D("a"), "ida", 100);
	assert_string_equal(le->digest, D("a"));
	assert_string_equal(le->reference, ref);
	assert_int_equal(le->n_history, 0);
	/* the same digest again: no history */
	lock_entry_set_current(le, ref, D("a"), "ida", 200);
	assert_int_equal(le->n_history, 0);
	lock_entry_set_current(le, ref, D("b"), "idb", 300);
	assert_int_equal(le->n_history, 1);
	assert_string_equal(le->history[0].digest, D("a"));
	assert_string_equal(le->history[0].image_id, "ida");
	assert_int_equal(le->history[0].until, 300);
	assert_string_equal(lock_entry_previous(le), D("a"));
	assert_string_equal(lock_entry_image_for(le, D("a")), "ida");
	assert_string_equal(lock_entry_image_for(le, D("b")), "idb");
	assert_null(lock_entry_image_for(le, D("c")));
	/* back to a: one record per digest, newest first */
	lock_entry_set_current(le, ref, D("a"), "ida", 400);
	assert_int_equal(le->n_history, 1);
	assert_string_equal(le->history[0].digest, D("b"));
	/* a definition's new reference is recorded */
	lock_entry_set_current(le, "docker.io/kyuz0/x:rocm-7.3", D("a"), "ida", 500);
	assert_string_equal(le->reference, "docker.io/kyuz0/x:rocm-7.3");
	/* capped */
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 40; i++) {
		char d[72];
		snprintf(d, sizeof(d), "sha256:%c%c%062d", hex[i / 16], hex[i % 16], 0);
		lock_entry_set_current(le, ref, d, NULL, 1000 + i);
	}
	assert_int_equal(le->n_history, IMAGELOCK_HISTORY_MAX);
	assert_int_equal(le->history[0].until, 1039);
	lock_entry_set_pinned(le, true);
	lock_entry_verified(le, 2000);
	lock_entry_pulled(le, 2001);

	/* saved and read back: the same */
	assert_int_equal(imagelock_save(&il, &e), 0);
	struct imagelock back;
	assert_int_equal(imagelock_load(dir, &back, &e), 0);
	struct lock_entry *b = imagelock_get(&back, "rocm-7.2");
	assert_non_null(b);
	assert_string_equal(b->digest, le->digest);
	assert_true(b->pinned);
	assert_int_equal(b->verified_at, 2000);
	assert_int_equal(b->pulled_at, 2001);
	assert_int_equal(b->n_history, IMAGELOCK_HISTORY_MAX);
	for (size_t i = 0; i < b->n_history; i++) {
		assert_string_equal(b->history[i].digest, le->history[i].digest);
		assert_int_equal(b->history[i].until, le->history[i].until);
	}
	imagelock_free(&back);
	imagelock_free(&il);
	char *file = path_join(manifests, "images.lock.json");
	unlink(file);
	rmdir(manifests);
	rmdir(dir);
	free(file), free(manifests);
}

/* A tag served as an index: the tag's digest and its platform manifest's,
 * current and in history, found by either, saved and read back. */
static void test_lock_platform_digests(void **state)
{
	(void)state;
	char dir[] = "/tmp/tbx-test-lock.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *manifests = path_join(dir, "manifests");
	struct err e = { 0 };
	assert_int_equal(mkdir_p(manifests, 0700, &e), 0);
	struct imagelock il;
	assert_int_equal(imagelock_load(dir, &il, &e), 0);
	/* a first refresh that failed leaves nothing in the file */
	imagelock_entry(&il, "never");
	struct lock_entry *le = imagelock_entry(&il, "rocm-7.2");
	const char *ref = "docker.io/kyuz0/x:rocm-7.2";

	lock_entry_set_current(le, ref, D("a"), "ida", 100);
	lock_entry_set_platform(le, D("1"));
	assert_string_equal(le->platform_digest, D("1"));
	lock_entry_set_platform(le, D("a")); /* the same as the tag's: none apart */
	assert_null(le->platform_digest);
	lock_entry_set_platform(le, D("1"));
	/* the same tag digest again keeps its platform digest */
	lock_entry_set_current(le, ref, D("a"), "ida", 150);
	assert_string_equal(le->platform_digest, D("1"));
	lock_entry_set_current(le, ref, D("b"), "idb", 200);
	assert_null(le->platform_digest); /* the caller sets the new one */
	lock_entry_set_platform(le, D("2"));
	assert_string_equal(le->history[0].platform_digest, D("1"));
	/* either digest names the same image and tag digest */
	assert_string_equal(lock_entry_tag_digest_for(le, D("1")), D("a"));
	assert_string_equal(lock_entry_tag_digest_for(le, D("a")), D("a"));
	assert_string_equal(lock_entry_tag_digest_for(le, D("2")), D("b"));
	assert_null(lock_entry_tag_digest_for(le, D("3")));
	assert_string_equal(lock_entry_image_for(le, D("1")), "ida");
	assert_string_equal(lock_entry_image_for(le, D("2")), "idb");
	assert_string_equal(lock_entry_platform_for(le, D("a")), D("1"));
	assert_string_equal(lock_entry_platform_for(le, D("b")), D("2"));
	assert_null(lock_entry_platform_for(le, D("1")));

	assert_int_equal(imagelock_save(&il, &e), 0);
	struct imagelock back;
	assert_int_equal(imagelock_load(dir, &back, &e), 0);
	assert_int_equal(back.n, 1);
	assert_null(imagelock_get(&back, "never"));
	struct lock_entry *b = imagelock_get(&back, "rocm-7.2");
	assert_string_equal(b->platform_digest, D("2"));
	assert_string_equal(b->history[0].platform_digest, D("1"));
	imagelock_free(&back);
	imagelock_free(&il);

	/* a bad platform_digest is refused, naming the key */
	char *file = path_join(manifests, "images.lock.json");
	const char *bad = "{\"backends\": {\"x\": {\"digest\": \"" D("a") "\", "
			  "\"platform_digest\": \"sha256:nothex\"}}}\n";
	assert_int_equal(write_file_atomic(file, bad, strlen(bad), 0600, &e), 0);
	assert_int_equal(imagelock_load(dir, &back, &e), -1);
	assert_non_null(strstr(e.msg, "'platform_digest' must be a digest"));
	imagelock_free(&back);
	unlink(file);
	rmdir(manifests);
	rmdir(dir);
	free(file), free(manifests);
}

/* ---- converge decisions ---- */

static void test_converge_choose(void **state)
{
	(void)state;
	struct backend b;
	struct lock_entry le;
	struct err e = { 0 };
	char *digest, *pull;
	load_backend(def_rocm, &b);
	json_object *c = recorded_container(&b);
	entry_for(c, &le, D("a"), false, NOW);
	struct registry_answer live = live_ok(D("b"));
	struct registry_answer down = live_failed("rate limited by docker.io (HTTP 429)");

	/* following the tag: the registry's digest, pulled by tag */
	struct converge_target t = { .live = &live };
	assert_int_equal(converge_choose(&b, &le, &t, &digest, &pull, &e), 0);
	assert_string_equal(digest, D("b"));
	assert_string_equal(pull, "docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.2");
	free(digest), free(pull);
	/* the registry did not answer: fail with its words */
	t.live = &down;
	assert_int_equal(converge_choose(&b, &le, &t, &digest, &pull, &e), -1);
	assert_string_equal(e.msg, "rate limited by docker.io (HTTP 429)");
	assert_null(digest);
	/* pinned: its own digest, by digest, whatever the registry says */
	le.pinned = true;
	assert_int_equal(converge_choose(&b, &le, &t, &digest, &pull, &e), 0);
	assert_string_equal(digest, D("a"));
	assert_string_equal(pull, "docker.io/kyuz0/amd-strix-halo-toolboxes@" D("a"));
	free(digest), free(pull);
	/* a given digest (pin DIGEST, rollback) wins */
	t.digest = D("c");
	assert_int_equal(converge_choose(&b, &le, &t, &digest, &pull, &e), 0);
	assert_string_equal(digest, D("c"));
	assert_string_equal(pull, "docker.io/kyuz0/amd-strix-halo-toolboxes@" D("c"));
	free(digest), free(pull);
	/* no lock entry yet, following the tag */
	t.digest = NULL;
	t.live = &live;
	assert_int_equal(converge_choose(&b, NULL, &t, &digest, &pull, &e), 0);
	assert_string_equal(digest, D("b"));
	free(digest), free(pull);

	registry_answer_free(&live), registry_answer_free(&down);
	entry_free(&le);
	json_object_put(c);
	backend_free(&b);
}

static void test_container_matches(void **state)
{
	(void)state;
	struct backend b;
	load_backend(def_rocm, &b);
	json_object *c = recorded_container(&b);
	const char *image = json_str(c, "Image");
	assert_int_equal(container_matches(c, &b, ROOT, image), CONTAINER_FITS);
	assert_null(container_fit_reason(CONTAINER_FITS));
	assert_int_equal(container_matches(NULL, &b, ROOT, image), CONTAINER_MISSING);
	assert_string_equal(container_fit_reason(CONTAINER_MISSING), "no container");
	assert_int_equal(container_matches(c, &b, ROOT, "0123abcd"), CONTAINER_OLD_IMAGE);
	assert_string_equal(container_fit_reason(CONTAINER_OLD_IMAGE), "new image");
	assert_int_equal(container_matches(c, &b, ROOT, NULL), CONTAINER_OLD_IMAGE);
	assert_int_equal(container_matches(c, &b, "/srv/other", image), CONTAINER_OLD_SPEC);
	assert_string_equal(container_fit_reason(CONTAINER_OLD_SPEC), "definition changed");
	json_object_object_del(labels(c), LABEL_BACKEND);
	assert_int_equal(container_matches(c, &b, ROOT, image), CONTAINER_FOREIGN);
	assert_string_equal(container_fit_reason(CONTAINER_FOREIGN), "container not made by tbx");
	assert_string_equal(converge_action_name(CONVERGE_RECREATED), "recreated");
	assert_string_equal(converge_action_name(CONVERGE_FAILED), "failed");
	json_object_put(c);
	backend_free(&b);
}

static void test_recorded_image(void **state)
{
	(void)state;
	json_object *img = fixture("image-rocm-7.2.json");
	json_object *c = fixture("container-rocm-7.2.json");
	const char *digest = container_label(c, LABEL_DIGEST);
	assert_non_null(digest);
	/* the image the container runs carries the digest it was made for */
	assert_string_equal(json_str(img, "Id"), json_str(c, "Image"));
	json_object *list = json_object_new_array();
	json_object_array_add(list, img);
	struct podman_image found;
	const char *repo = "docker.io/kyuz0/amd-strix-halo-toolboxes";
	assert_int_equal(podman_image_list_find(list, repo, digest, NULL, &found), 0);
	assert_string_equal(found.id, json_str(c, "Image"));
	/* a single manifest: its one digest is also the platform's */
	char *d = podman_image_platform_digest(&found, digest);
	assert_string_equal(d, digest);
	free(d);
	podman_image_free(&found);
	assert_int_equal(podman_image_list_find(list, repo, D("0"), NULL, &found), 1);
	assert_int_equal(podman_image_list_find(list, repo, NULL, NULL, &found), 1);
	json_object_put(list);
	json_object_put(c);
}

/* Is a model under the root that containers mount: as written, and after
 * symlinks (a link in the root that leads out is outside). */
static void test_models_inside_root(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/tbx-inside.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *root = path_join(tmpl, "models");
	char *sub = path_join(root, "sub");
	char *out = path_join(root, "out");
	char *in = path_join(root, "in");
	assert_int_equal(mkdir(root, 0700), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(symlink("/etc", out), 0);
	assert_int_equal(symlink("sub", in), 0);
	/* models/deep -> ../deep: "models/deep/../a.gguf" reads as
	 * models/a.gguf but opens <tmpl>/a.gguf */
	char *deep = path_join(tmpl, "deep"), *mdeep = path_join(root, "deep");
	char *file = path_join(tmpl, "a.gguf");
	assert_int_equal(mkdir(deep, 0700), 0);
	assert_int_equal(symlink(deep, mdeep), 0);
	struct err e = { 0 };
	assert_int_equal(write_file_atomic(file, "GGUF", 4, 0600, &e), 0);
	struct models m = { .root = root };
	struct {
		const char *rel; /* below tmpl */
		bool inside;
	} cases[] = {
		{ "models/a.gguf", true },	  /* missing still counts: where it would be */
		{ "models/sub/a.gguf", true },
		{ "models/./sub//a.gguf", true },
		{ "models/in/a.gguf", true },	  /* a link that stays inside */
		{ "models/sub/../a.gguf", true },
		{ "models/../a.gguf", false },
		{ "models/sub/../../a.gguf", false },
		{ "models/out/passwd", false },	  /* a link that leads out */
		{ "models/deep/../a.gguf", false }, /* opens <tmpl>/a.gguf */
		{ "models", false },		  /* the root itself is no model */
		{ "modelsx/a.gguf", false },	  /* a sibling sharing the prefix */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = path_join(tmpl, cases[i].rel);
		if (models_inside_root(&m, p) != cases[i].inside)
			fail_msg("%s: expected %s", cases[i].rel, cases[i].inside ? "inside" : "outside");
		free(p);
	}
	assert_false(models_inside_root(&m, "/etc/shadow"));
	assert_false(models_inside_root(&m, "models/a.gguf")); /* not absolute */
	assert_int_equal(unlink(out), 0);
	assert_int_equal(unlink(in), 0);
	assert_int_equal(unlink(mdeep), 0);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(deep), 0);
	free(deep), free(mdeep), free(file);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(root), 0);
	assert_int_equal(rmdir(tmpl), 0);
	free(root), free(sub), free(out), free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_when_everything_matches),
		cmocka_unit_test(test_stale_reasons_in_order),
		cmocka_unit_test(test_spec_hash),
		cmocka_unit_test(test_lock_history),
		cmocka_unit_test(test_lock_platform_digests),
		cmocka_unit_test(test_converge_choose),
		cmocka_unit_test(test_container_matches),
		cmocka_unit_test(test_recorded_image),
		cmocka_unit_test(test_models_inside_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
