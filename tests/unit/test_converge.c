/* test_converge.c - lifecycle_converge() against a fake Podman on a unix
 * socket that answers from recorded inspect JSON (tests/fixtures/podman/)
 * and keeps state (containers created, renamed, removed; images pulled):
 * what refresh, pin and rollback decide - leave alone, pull, recreate,
 * refuse - and what they leave in the lock entry.
 *
 * Runs from the repository root. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "defs.h"
#include "imagelock.h"
#include "json.h"
#include "lifecycle.h"
#include "podman.h"
#include "util.h"

#define FIXTURES "tests/fixtures/podman"
#define ROOT "/srv/models"
#define REPO "docker.io/kyuz0/amd-strix-halo-toolboxes"
#define TAG REPO ":rocm-7.2"
/* the recorded image's digest, and another one upstream moved to */
#define D1 "sha256:b0d288f0b6b3b646239efb06e853e5606f44dde5f66c2f394f891895f3a7d206"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define ID2 "2222aaaa2222aaaa2222aaaa2222aaaa2222aaaa2222aaaa2222aaaa2222aaaa"

static const char def_rocm[] =
	"{\"image\": \"" TAG "\", \"container\": \"llama-rocm-7.2\", "
	"\"expect\": {\"backend\": \"CPU\"}}";

/* ---- the fake Podman ---- */

struct fake {
	int fd;
	char dir[64], sock[128];
	atomic_int stop;
	pthread_t thread;
	pthread_mutex_t lock;
	json_object *containers; /* name -> inspect */
	json_object *images;     /* array of image inspect */
	json_object *pullable;   /* reference -> image inspect (added on pull) */
	struct strv log;         /* "METHOD PATH" */
	int next_id;
};
static struct fake g;

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

static char *unescape(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (s[i] == '%' && i + 2 < n + 1 && sscanf(s + i + 1, "%2x", &v) == 1) {
			buf_addc(&b, (char)v);
			i += 2;
		} else {
			buf_addc(&b, s[i]);
		}
	}
	return buf_detach(&b);
}

static void reply(int fd, int status, const char *body)
{
	char *r = xasprintf("HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			    status, strlen(body), body);
	size_t n = strlen(r);
	for (const char *p = r; n;) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		p += w, n -= (size_t)w;
	}
	free(r);
}

static void reply_json(int fd, int status, json_object *o)
{
	reply(fd, status, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

static void not_found(int fd, const char *what)
{
	char *b = xasprintf("{\"cause\":\"no such %s\",\"message\":\"no such %s\",\"response\":404}",
			    what, what);
	reply(fd, 404, b);
	free(b);
}

static bool image_is(json_object *img, const char *ref)
{
	if (str_eq(json_str(img, "Id"), ref))
		return true;
	const char *lists[] = { "RepoDigests", "RepoTags" };
	for (int l = 0; l < 2; l++) {
		json_object *a = json_arr(img, lists[l]);
		for (size_t i = 0; a && i < json_object_array_length(a); i++)
			if (str_eq(json_object_get_string(json_object_array_get_idx(a, i)), ref))
				return true;
	}
	return false;
}

static json_object *find_image(const char *ref)
{
	for (size_t i = 0; i < json_object_array_length(g.images); i++)
		if (image_is(json_object_array_get_idx(g.images, i), ref))
			return json_object_array_get_idx(g.images, i);
	return NULL;
}

static void create(int fd, const char *body)
{
	struct err e = { 0 };
	json_object *spec = json_parse(body, strlen(body), "spec", &e);
	const char *name = json_str(spec, "name");
	if (!name || json_get(g.containers, name)) {
		reply(fd, 409, "{\"cause\":\"name in use\",\"message\":\"name in use\",\"response\":409}");
		json_object_put(spec);
		return;
	}
	char *id = xasprintf("c%063d", ++g.next_id);
	json_object *c = json_object_new_object();
	json_add_str(c, "Id", id);
	json_add_str(c, "Name", name);
	json_add_str(c, "Image", json_str(spec, "image"));
	json_object *state = json_object_new_object();
	json_add_str(state, "Status", "created");
	json_object_object_add(c, "State", state);
	json_object *config = json_object_new_object();
	json_object_object_add(config, "Labels", json_object_get(json_obj(spec, "labels")));
	json_object_object_add(c, "Config", config);
	json_object_object_add(g.containers, name, c);
	json_object *r = json_object_new_object();
	json_add_str(r, "Id", id);
	reply_json(fd, 201, r);
	json_object_put(r);
	json_object_put(spec);
	free(id);
}

static void pull(int fd, const char *ref)
{
	json_object *img = json_obj(g.pullable, ref);
	if (!img) {
		reply(fd, 200, "{\"error\":\"manifest unknown\"}\n");
		return;
	}
	if (!find_image(json_str(img, "Id")))
		json_object_array_add(g.images, json_object_get(img));
	char *body = xasprintf("{\"stream\":\"Copying blob\"}\n{\"id\":\"%s\",\"images\":[\"%s\"]}\n",
			       json_str(img, "Id"), json_str(img, "Id"));
	reply(fd, 200, body);
	free(body);
}

/* GET /containers/json?all=true, as libpod lists them: Names, Id, Image */
static void container_list(int fd)
{
	json_object *list = json_object_new_array();
	json_object_object_foreach(g.containers, name, c)
	{
		json_object *o = json_object_new_object();
		json_object *names = json_object_new_array();
		json_object_array_add(names, json_object_new_string(name));
		json_object_object_add(o, "Names", names);
		json_add_str(o, "Id", json_str(c, "Id"));
		json_add_str(o, "ImageID", json_str(c, "Image"));
		json_object_array_add(list, o);
	}
	reply_json(fd, 200, list);
	json_object_put(list);
}

/* /containers/NAME/ACTION?query */
static void container_action(int fd, const char *method, const char *rest)
{
	size_t nl = strcspn(rest, "/?");
	char *name = unescape(rest, nl);
	const char *action = rest[nl] == '/' ? rest + nl + 1 : "";
	json_object *c = json_get(g.containers, name);
	if (strcmp(method, "GET") == 0 && str_starts_with(action, "json")) {
		if (c)
			reply_json(fd, 200, c);
		else
			not_found(fd, "container");
	} else if (!c) {
		not_found(fd, "container");
	} else if (strcmp(method, "DELETE") == 0) {
		json_object_object_del(g.containers, name);
		reply(fd, 200, "[]");
	} else if (str_starts_with(action, "start") || str_starts_with(action, "stop")) {
		json_add_str(json_obj(c, "State"), "Status",
			     str_starts_with(action, "start") ? "running" : "exited");
		reply(fd, 204, "");
	} else if (str_starts_with(action, "rename?name=")) {
		const char *q = action + strlen("rename?name=");
		char *to = unescape(q, strcspn(q, "&"));
		json_object_get(c);
		json_object_object_del(g.containers, name);
		json_add_str(c, "Name", to);
		json_object_object_add(g.containers, to, c);
		reply(fd, 204, "");
		free(to);
	} else {
		reply(fd, 404, "{}");
	}
	free(name);
}

static void route(int fd, const char *method, const char *path, const char *body)
{
	const char *api = strstr(path, "/libpod");
	const char *p = api ? api + strlen("/libpod") : path;
	pthread_mutex_lock(&g.lock);
	strv_pushf(&g.log, "%s %s", method, p);
	if (str_starts_with(p, "/_ping")) {
		reply(fd, 200, "OK");
	} else if (str_starts_with(p, "/images/pull?reference=")) {
		const char *q = p + strlen("/images/pull?reference=");
		char *ref = unescape(q, strcspn(q, "&"));
		pull(fd, ref);
		free(ref);
	} else if (str_starts_with(p, "/images/json")) {
		reply_json(fd, 200, g.images); /* the list: inspect objects will do */
	} else if (str_starts_with(p, "/images/") && strstr(p, "/json")) {
		char *ref = unescape(p + 8, (size_t)(strstr(p, "/json") - (p + 8)));
		json_object *img = find_image(ref);
		if (strchr(ref, '@')) /* as Podman 4.3 may: tbx must never ask this */
			reply(fd, 500, "{\"cause\":\"runtime error\",\"message\":\"runtime error: "
				       "invalid memory address or nil pointer dereference\",\"response\":500}");
		else if (img)
			reply_json(fd, 200, img);
		else
			not_found(fd, "image");
		free(ref);
	} else if (strcmp(method, "GET") == 0 && str_starts_with(p, "/containers/json")) {
		container_list(fd);
	} else if (strcmp(p, "/containers/create") == 0) {
		create(fd, body);
	} else if (str_starts_with(p, "/containers/")) {
		container_action(fd, method, p + strlen("/containers/"));
	} else {
		reply(fd, 404, "{}");
	}
	pthread_mutex_unlock(&g.lock);
}

static void serve(int fd)
{
	struct buf req = BUF_INIT;
	char chunk[4096];
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	const char *end = NULL;
	size_t want = 0;
	for (;;) {
		ssize_t r = recv(fd, chunk, sizeof(chunk), 0);
		if (r <= 0)
			break;
		buf_add(&req, chunk, (size_t)r);
		end = strstr(buf_str(&req), "\r\n\r\n");
		if (!end)
			continue;
		const char *cl = strcasestr(buf_str(&req), "Content-Length: ");
		size_t head = (size_t)(end + 4 - buf_str(&req));
		want = head + (cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0);
		if (req.len >= want)
			break;
	}
	char method[16] = "", path[4096] = "";
	if (end && sscanf(buf_str(&req), "%15s %4095s", method, path) == 2)
		route(fd, method, path, strstr(buf_str(&req), "\r\n\r\n") + 4);
	buf_free(&req);
	close(fd);
}

static void *fake_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&g.stop)) {
		struct pollfd p = { .fd = g.fd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(g.fd, NULL, NULL);
		if (c >= 0)
			serve(c);
	}
	return NULL;
}

/* The recorded image, as another build: digest D2, ID ID2. */
static json_object *image_d2(void)
{
	json_object *img = fixture("image-rocm-7.2.json");
	json_add_str(img, "Id", ID2);
	json_add_str(img, "Digest", D2);
	json_object *rd = json_object_new_array();
	json_object_array_add(rd, json_object_new_string(REPO "@" D2));
	json_object_object_add(img, "RepoDigests", rd);
	return img;
}

/* D3 is a tag served as an index whose linux/amd64 manifest is P3: Podman
 * 4.3 lists the pulled image with Digest D3 and both in RepoDigests. */
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define P3 "sha256:3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a"
#define ID3 "3333aaaa3333aaaa3333aaaa3333aaaa3333aaaa3333aaaa3333aaaa3333aaaa"
static json_object *image_d3(void)
{
	json_object *img = fixture("image-rocm-7.2.json");
	json_add_str(img, "Id", ID3);
	json_add_str(img, "Digest", D3);
	json_object *rd = json_object_new_array();
	json_object_array_add(rd, json_object_new_string(REPO "@" P3));
	json_object_array_add(rd, json_object_new_string(REPO "@" D3));
	json_object_object_add(img, "RepoDigests", rd);
	return img;
}

static int fake_up(void **state)
{
	(void)state;
	memset(&g, 0, sizeof(g));
	pthread_mutex_init(&g.lock, NULL);
	snprintf(g.dir, sizeof(g.dir), "/tmp/tbx-fake-podman.XXXXXX");
	if (!mkdtemp(g.dir))
		return -1;
	snprintf(g.sock, sizeof(g.sock), "%s/podman.sock", g.dir);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", g.sock);
	g.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (g.fd < 0 || bind(g.fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(g.fd, 16) < 0)
		return -1;
	return pthread_create(&g.thread, NULL, fake_main, NULL) == 0 ? 0 : -1;
}

static int fake_down(void **state)
{
	(void)state;
	atomic_store(&g.stop, 1);
	pthread_join(g.thread, NULL);
	close(g.fd);
	unlink(g.sock);
	rmdir(g.dir);
	pthread_mutex_destroy(&g.lock);
	return 0;
}

/* Each test: the recorded image present, the recorded container made for
 * this definition (spec hash label), D2 pullable by tag and by digest. */
static int reset(void **state)
{
	(void)state;
	pthread_mutex_lock(&g.lock);
	json_object_put(g.containers), json_object_put(g.images), json_object_put(g.pullable);
	strv_free(&g.log);
	g.containers = json_object_new_object();
	g.images = json_object_new_array();
	g.pullable = json_object_new_object();
	json_object_array_add(g.images, fixture("image-rocm-7.2.json"));
	json_object_object_add(g.pullable, TAG, image_d2());
	json_object_object_add(g.pullable, REPO "@" D2, image_d2());
	json_object_object_add(g.pullable, REPO ":index", image_d3());
	pthread_mutex_unlock(&g.lock);
	return 0;
}

struct setup {
	struct backend b;
	struct podman p;
	struct imagelock il;
	struct lock_entry *le;
	struct strv events;
};

static void on_event(const struct backend *b, enum converge_event ev, const char *detail,
		     void *ctx)
{
	struct setup *s = ctx;
	(void)b;
	strv_pushf(&s->events, "%d %s", (int)ev, detail ? detail : "");
}

static void setup_backend(struct setup *s, bool with_container)
{
	struct err e = { 0 };
	memset(s, 0, sizeof(*s));
	assert_int_equal(backend_parse(def_rocm, strlen(def_rocm), "containers/rocm-7.2.json", &s->b,
				       &e),
			 0);
	assert_int_equal(podman_open(&s->p, g.sock, &e), 0);
	s->le = imagelock_entry(&s->il, "rocm-7.2");
	json_object *c = fixture("container-rocm-7.2.json");
	lock_entry_set_current(s->le, TAG, D1, json_str(c, "Image"), 1000);
	lock_entry_verified(s->le, 1000);
	if (with_container) {
		char hash[65];
		backend_spec_hash(&s->b, ROOT, hash);
		json_add_str(json_obj(json_obj(c, "Config"), "Labels"), LABEL_SPEC_HASH, hash);
		pthread_mutex_lock(&g.lock);
		json_object_object_add(g.containers, "llama-rocm-7.2", c);
		pthread_mutex_unlock(&g.lock);
	} else {
		json_object_put(c);
	}
}

static void teardown_backend(struct setup *s)
{
	backend_free(&s->b);
	podman_close(&s->p);
	imagelock_free(&s->il);
	strv_free(&s->events);
}

static struct registry_answer answer(const char *digest)
{
	struct registry_answer a = { 0 };
	a.ok = 1;
	a.digest = xstrdup(digest);
	return a;
}

static size_t logged(const char *prefix)
{
	size_t n = 0;
	pthread_mutex_lock(&g.lock);
	for (size_t i = 0; i < g.log.n; i++)
		n += str_starts_with(g.log.v[i], prefix);
	pthread_mutex_unlock(&g.lock);
	return n;
}

static const char *container_image(const char *name)
{
	return json_str(json_get(g.containers, name), "Image");
}

static void test_up_to_date_is_left_alone(void **state)
{
	(void)state;
	struct setup s;
	struct converge_outcome out;
	struct err e = { 0 };
	setup_backend(&s, true);
	struct registry_answer live = answer(D1);
	struct converge_target t = { .live = &live };
	struct converge_opts o = { .event = on_event, .ctx = &s };
	int64_t before = now_unix();
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_UNCHANGED);
	assert_string_equal(out.why, "container up to date");
	assert_false(out.pulled);
	assert_false(out.recreated);
	assert_int_equal(logged("POST"), 0);
	assert_int_equal(logged("DELETE"), 0);
	/* a live match is a verification */
	assert_true(s.le->verified_at >= before);
	assert_int_equal(s.le->n_history, 0);
	assert_int_equal(s.events.n, 0);
	converge_outcome_free(&out);
	registry_answer_free(&live);
	teardown_backend(&s);
}

/* The lock file names another image than the one the container runs and
 * the digest's local image is (status calls that stale): refresh leaves
 * the container, corrects the entry, and says it did. */
static void test_lock_image_corrected(void **state)
{
	(void)state;
	struct setup s;
	struct converge_outcome out;
	struct err e = { 0 };
	setup_backend(&s, true);
	char *right = xstrdup(s.le->image_id);
	const char *wrong = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	lock_entry_set_current(s.le, TAG, D1, wrong, 1000);
	struct registry_answer live = answer(D1);
	struct converge_target t = { .live = &live };
	struct converge_opts o = { .check = true, .event = on_event, .ctx = &s };
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_UNCHANGED);
	assert_string_equal(out.why, "container up to date; images.lock.json named image "
				     "0123456789ab, would name the container's");
	assert_string_equal(s.le->image_id, wrong);
	converge_outcome_free(&out);
	o.check = false;
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_UNCHANGED);
	assert_non_null(strstr(out.why, "now names the container's"));
	assert_string_equal(s.le->image_id, right);
	assert_int_equal(logged("POST"), 0);
	converge_outcome_free(&out);
	/* and the next time, nothing to say */
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_string_equal(out.why, "container up to date");
	converge_outcome_free(&out);
	free(right);
	registry_answer_free(&live);
	teardown_backend(&s);
}

/* A tag served as an index: found from the image list (never by
 * inspecting NAME@DIGEST), both digests recorded, a no-op the second time,
 * and pin by the platform digest maps back to the tag's. */
static void test_index_tag(void **state)
{
	(void)state;
	struct setup s;
	struct converge_outcome out;
	struct err e = { 0 };
	setup_backend(&s, true);
	pthread_mutex_lock(&g.lock);
	json_object_object_add(g.pullable, TAG, image_d3());
	pthread_mutex_unlock(&g.lock);
	struct registry_answer live = answer(D3);
	live.media_type = xstrdup("application/vnd.oci.image.index.v1+json");
	struct converge_target t = { .live = &live };
	struct converge_opts o = { .event = on_event, .ctx = &s };
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_RECREATED);
	assert_string_equal(out.new_digest, D3);
	assert_string_equal(out.platform_digest, P3);
	assert_string_equal(s.le->digest, D3);
	assert_string_equal(s.le->platform_digest, P3);
	assert_string_equal(container_image("llama-rocm-7.2"), ID3);
	converge_outcome_free(&out);
	/* again: found locally, nothing pulled */
	size_t pulls = logged("POST /images/pull");
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_UNCHANGED);
	assert_string_equal(out.platform_digest, P3);
	assert_int_equal(logged("POST /images/pull"), pulls);
	converge_outcome_free(&out);
	/* never asked Podman to inspect NAME@DIGEST */
	pthread_mutex_lock(&g.lock);
	for (size_t i = 0; i < g.log.n; i++)
		assert_true(!strstr(g.log.v[i], "%40sha256") && !strstr(g.log.v[i], "@sha256"));
	pthread_mutex_unlock(&g.lock);
	/* either digest names the tag's */
	assert_string_equal(lock_entry_tag_digest_for(s.le, P3), D3);
	registry_answer_free(&live);
	teardown_backend(&s);
}

static void test_new_digest_is_pulled_and_replaces(void **state)
{
	(void)state;
	struct setup s;
	struct converge_outcome out;
	struct err e = { 0 };
	setup_backend(&s, true);
	struct registry_answer live = answer(D2);
	struct converge_target t = { .live = &live };
	struct converge_opts o = { .event = on_event, .ctx = &s };
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_RECREATED);
	assert_string_equal(out.why, "new image");
	assert_string_equal(out.old_digest, D1);
	assert_string_equal(out.new_digest, D2);
	assert_string_equal(out.pull_ref, TAG);
	assert_true(out.pulled);
	assert_true(out.recreated);
	/* pulled by tag, told first; the new container runs the new image */
	assert_int_equal(s.events.n, 1);
	assert_string_equal(s.events.v[0], "0 " TAG);
	assert_int_equal(logged("POST /images/pull"), 1);
	assert_string_equal(container_image("llama-rocm-7.2"), ID2);
	assert_null(json_get(g.containers, "llama-rocm-7.2-tbx-new"));
	assert_null(json_get(g.containers, "llama-rocm-7.2-tbx-old"));
	const char *label =
		json_str(json_obj(json_obj(json_get(g.containers, "llama-rocm-7.2"), "Config"), "Labels"),
			 LABEL_DIGEST);
	assert_string_equal(label, D2);
	/* the lock entry: D2 current, D1 in history */
	assert_string_equal(s.le->digest, D2);
	assert_string_equal(s.le->image_id, ID2);
	assert_int_equal(s.le->n_history, 1);
	assert_string_equal(s.le->history[0].digest, D1);
	assert_true(s.le->pulled_at > 0);
	assert_false(s.le->pinned);
	converge_outcome_free(&out);
	registry_answer_free(&live);
	teardown_backend(&s);
}

/* Many converges on one client (a refresh of many backends) ask Podman for
 * the image list and the container names once; a change this client makes
 * (pull, create, rename, remove) makes it ask again, and it sees the change. */
static void test_lists_asked_once_until_a_change(void **state)
{
	(void)state;
	struct setup s;
	struct converge_outcome out;
	struct err e = { 0 };
	setup_backend(&s, true);
	struct registry_answer live = answer(D1);
	struct converge_target t = { .live = &live };
	struct converge_opts o = { .event = on_event, .ctx = &s };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
		assert_int_equal(out.action, CONVERGE_UNCHANGED);
		converge_outcome_free(&out);
	}
	assert_int_equal(logged("GET /images/json"), 1);
	assert_int_equal(logged("GET /containers/json"), 1);
	assert_int_equal(logged("GET /containers/llama-rocm-7.2/json"), 3);
	assert_int_equal(logged("GET /containers/llama-rocm-7.2-tbx-"), 0);
	/* a new digest: pulled and replaced, the lists asked again after it */
	registry_answer_free(&live);
	live = answer(D2);
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_RECREATED);
	converge_outcome_free(&out);
	size_t images = logged("GET /images/json"), names = logged("GET /containers/json");
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_UNCHANGED);
	assert_string_equal(out.new_digest, D2);
	converge_outcome_free(&out);
	assert_int_equal(logged("GET /images/json"), images + 1);
	assert_int_equal(logged("GET /containers/json"), names + 1);
	/* a leftover of an interrupted replacement made behind this client's
	 * back is seen by a new client (the next command) */
	teardown_backend(&s);
	setup_backend(&s, true);
	pthread_mutex_lock(&g.lock);
	json_object *left = json_object_get(json_get(g.containers, "llama-rocm-7.2"));
	json_object_object_add(g.containers, "llama-rocm-7.2-tbx-old", left);
	pthread_mutex_unlock(&g.lock);
	assert_int_equal(lifecycle_interrupted(&s.p, &s.b, &e), 1);
	registry_answer_free(&live);
	teardown_backend(&s);
}

/* Asked ahead (beside the registry round): the converge that follows asks
 * Podman nothing more; each answer is handed out once, and a change this
 * client makes in between throws the answers away. */
static void test_prefetch(void **state)
{
	(void)state;
	struct setup s;
	struct converge_outcome out;
	struct err e = { 0 };
	setup_backend(&s, true);
	const struct backend *bs[] = { &s.b };
	struct lifecycle_prefetch lp = { &s.p, bs, 1, true };
	lifecycle_prefetch_run(&lp);
	size_t asked = g.log.n;
	assert_int_equal(logged("GET /containers/llama-rocm-7.2/json"), 1);
	struct registry_answer live = answer(D1);
	struct converge_target t = { .live = &live };
	struct converge_opts o = { .event = on_event, .ctx = &s };
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_UNCHANGED);
	converge_outcome_free(&out);
	assert_int_equal(g.log.n, asked);
	/* handed out once: the next inspect asks */
	json_object *c = NULL;
	assert_int_equal(podman_container_inspect(&s.p, "llama-rocm-7.2", &c, &e), 0);
	json_object_put(c);
	assert_int_equal(logged("GET /containers/llama-rocm-7.2/json"), 2);
	/* asked ahead, then a change by this client: asked again, and right */
	lifecycle_prefetch_run(&lp);
	assert_int_equal(podman_container_remove(&s.p, "llama-rocm-7.2", true, &e), 0);
	assert_int_equal(podman_container_inspect(&s.p, "llama-rocm-7.2", &c, &e), 1);
	assert_int_equal(logged("GET /containers/llama-rocm-7.2/json"), 4);
	registry_answer_free(&live);
	teardown_backend(&s);
}

static void test_check_changes_nothing(void **state)
{
	(void)state;
	struct setup s;
	struct converge_outcome out;
	struct err e = { 0 };
	setup_backend(&s, true);
	struct registry_answer live = answer(D2);
	struct converge_target t = { .live = &live };
	struct converge_opts o = { .check = true, .event = on_event, .ctx = &s };
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_UPDATED);
	assert_string_equal(out.why, "would pull " TAG);
	assert_int_equal(logged("POST"), 0);
	assert_int_equal(logged("DELETE"), 0);
	assert_string_equal(s.le->digest, D1);
	assert_int_equal(s.le->verified_at, 1000);
	converge_outcome_free(&out);
	/* a definition change: would recreate, and does not */
	free(s.b.container);
	s.b.container = xstrdup("llama-rocm-7.2");
	char *old_image = s.b.image;
	s.b.image = xstrdup(TAG "-changed-but-same-repo");
	registry_answer_free(&live);
	struct registry_answer same = answer(D1);
	t.live = &same;
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_RECREATED);
	assert_string_equal(out.why, "would recreate: definition changed");
	assert_int_equal(logged("POST"), 0);
	free(s.b.image);
	s.b.image = old_image;
	converge_outcome_free(&out);
	registry_answer_free(&same);
	teardown_backend(&s);
}

static void test_pinned_keeps_its_digest(void **state)
{
	(void)state;
	struct setup s;
	struct converge_outcome out;
	struct err e = { 0 };
	setup_backend(&s, true);
	lock_entry_set_pinned(s.le, true);
	struct registry_answer live = answer(D2);
	struct converge_target t = { .live = &live };
	struct converge_opts o = { .event = on_event, .ctx = &s };
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_UNCHANGED);
	assert_string_equal(out.why, "pinned");
	assert_string_equal(s.le->digest, D1);
	assert_int_equal(logged("POST"), 0);
	converge_outcome_free(&out);
	registry_answer_free(&live);
	teardown_backend(&s);
}

static void test_pin_to_a_digest(void **state)
{
	(void)state;
	struct setup s;
	struct converge_outcome out;
	struct err e = { 0 };
	setup_backend(&s, true);
	/* a digest nobody has: the pull fails, nothing changes */
	struct converge_target t = { .digest = "sha256:" "0000000000000000000000000000000000000000000000000000000000000000" };
	struct converge_opts o = { .pin = true, .event = on_event, .ctx = &s };
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), -1);
	assert_int_equal(out.action, CONVERGE_FAILED);
	assert_non_null(strstr(e.msg, "manifest unknown"));
	assert_string_equal(out.why, e.msg);
	assert_string_equal(s.le->digest, D1);
	assert_false(s.le->pinned);
	assert_int_equal(logged("POST /containers"), 0);
	converge_outcome_free(&out);
	/* D2 by digest: pulled as NAME@DIGEST, recreated, pinned */
	t.digest = D2;
	memset(&e, 0, sizeof(e));
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_string_equal(out.pull_ref, REPO "@" D2);
	assert_true(out.recreated);
	assert_string_equal(s.le->digest, D2);
	assert_true(s.le->pinned);
	converge_outcome_free(&out);
	/* back to D1 (rollback): present, found by digest, no pull */
	t.digest = D1;
	size_t pulls = logged("POST /images/pull");
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_false(out.pulled);
	assert_true(out.recreated);
	assert_int_equal(logged("POST /images/pull"), pulls);
	assert_string_equal(s.le->digest, D1);
	assert_string_equal(s.le->history[0].digest, D2);
	converge_outcome_free(&out);
	teardown_backend(&s);
}

static void test_missing_container_is_created(void **state)
{
	(void)state;
	struct setup s;
	struct converge_outcome out;
	struct err e = { 0 };
	setup_backend(&s, false);
	struct registry_answer live = answer(D1);
	struct converge_target t = { .live = &live };
	struct converge_opts o = { .event = on_event, .ctx = &s };
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_CREATED);
	assert_string_equal(out.why, "no container");
	assert_non_null(json_get(g.containers, "llama-rocm-7.2"));
	assert_string_equal(json_str(json_obj(json_get(g.containers, "llama-rocm-7.2"), "State"),
				     "Status"),
			    "running");
	converge_outcome_free(&out);
	/* the registry did not answer: refuse with its words, touch nothing */
	struct registry_answer down = { 0 };
	err_set(&down.err, "rate limited by docker.io (HTTP 429)");
	t.live = &down;
	size_t posts = logged("POST");
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), -1);
	assert_string_equal(out.why, "rate limited by docker.io (HTTP 429)");
	assert_int_equal(logged("POST"), posts);
	converge_outcome_free(&out);
	registry_answer_free(&live);
	teardown_backend(&s);
}

static void test_interrupted_replacement_is_finished(void **state)
{
	(void)state;
	struct setup s;
	struct converge_outcome out;
	struct err e = { 0 };
	setup_backend(&s, true);
	/* killed between the renames: the new one and the old one, no main */
	pthread_mutex_lock(&g.lock);
	json_object *c = json_object_get(json_get(g.containers, "llama-rocm-7.2"));
	json_object_object_del(g.containers, "llama-rocm-7.2");
	json_object_object_add(g.containers, "llama-rocm-7.2-tbx-new", c);
	json_object *old = json_object_new_object();
	json_add_str(old, "Id", "old");
	json_object_object_add(g.containers, "llama-rocm-7.2-tbx-old", old);
	pthread_mutex_unlock(&g.lock);
	assert_int_equal(lifecycle_interrupted(&s.p, &s.b, &e), 1);
	struct registry_answer live = answer(D1);
	struct converge_target t = { .live = &live };
	struct converge_opts o = { .event = on_event, .ctx = &s };
	assert_int_equal(lifecycle_converge(&s.p, &s.b, ROOT, s.le, &t, &o, &out, &e), 0);
	assert_int_equal(out.action, CONVERGE_UNCHANGED);
	assert_int_equal(s.events.n, 2);
	assert_string_equal(s.events.v[0], "1 llama-rocm-7.2-tbx-new");
	assert_string_equal(s.events.v[1], "4 llama-rocm-7.2-tbx-old");
	assert_non_null(json_get(g.containers, "llama-rocm-7.2"));
	assert_null(json_get(g.containers, "llama-rocm-7.2-tbx-old"));
	assert_int_equal(lifecycle_interrupted(&s.p, &s.b, &e), 0);
	converge_outcome_free(&out);
	registry_answer_free(&live);
	teardown_backend(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_up_to_date_is_left_alone, reset),
		cmocka_unit_test_setup(test_new_digest_is_pulled_and_replaces, reset),
		cmocka_unit_test_setup(test_index_tag, reset),
		cmocka_unit_test_setup(test_check_changes_nothing, reset),
		cmocka_unit_test_setup(test_lists_asked_once_until_a_change, reset),
		cmocka_unit_test_setup(test_prefetch, reset),
		cmocka_unit_test_setup(test_lock_image_corrected, reset),
		cmocka_unit_test_setup(test_pinned_keeps_its_digest, reset),
		cmocka_unit_test_setup(test_pin_to_a_digest, reset),
		cmocka_unit_test_setup(test_missing_container_is_created, reset),
		cmocka_unit_test_setup(test_interrupted_replacement_is_finished, reset),
	};
	int rc = cmocka_run_group_tests(tests, fake_up, fake_down);
	json_object_put(g.containers), json_object_put(g.images), json_object_put(g.pullable);
	strv_free(&g.log);
	return rc;
}
