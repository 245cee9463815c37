/* test_podman_images.c - finding a local image by digest from Podman's
 * image list (never by inspecting NAME@DIGEST), against a fake libpod
 * service on a unix socket: tag digests of indexes, platform manifest
 * digests, other repositories, and a Podman that fails (HTTP 500 is
 * "unknown", never "not present"). */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "podman.h"

#define NAME "docker.io/kyuz0/amd-strix-halo-toolboxes"
#define D(c) "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	     c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define INDEX_D D("1")    /* a tag served as an index */
#define PLATFORM_D D("2") /* the linux/amd64 manifest in it */
#define SINGLE_D D("3")   /* a tag served as one manifest */
#define OTHER_D D("4")    /* only in another repository */
#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

/* What Podman 4.3 lists after pulling a tag served as an OCI index: Digest
 * is the index's, RepoDigests has both; an untagged older image keeps only
 * its Digest. */
static const char *const IMAGES_JSON =
	"[{\"Id\":\"" ID_A "\",\"Digest\":\"" INDEX_D "\",\"RepoDigests\":[\"" NAME "@" PLATFORM_D
	"\",\"" NAME "@" INDEX_D "\"],\"RepoTags\":[\"" NAME ":rocm-7.2\"]},"
	"{\"Id\":\"" ID_B "\",\"Digest\":\"" SINGLE_D "\",\"RepoDigests\":[],\"RepoTags\":null},"
	"{\"Id\":\"" ID_C "\",\"Digest\":\"" D("5") "\",\"RepoDigests\":[\"quay.io/other/x@" OTHER_D
	"\"]},"
	"{\"Digest\":\"" OTHER_D "\"}]";

static struct {
	int fd;
	char path[108];
	char dir[64];
	atomic_int stop;
	atomic_int mode; /* 0 normal, 1 HTTP 500, 2 not a list */
	pthread_t thread;
} g;

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void serve(int fd)
{
	char req[8192];
	size_t n = 0;
	while (n < sizeof(req) - 1) {
		ssize_t r = recv(fd, req + n, sizeof(req) - 1 - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[n] = '\0';
	int status = 200;
	const char *body = IMAGES_JSON;
	if (!strstr(req, "GET /v4.0.0/libpod/images/json")) {
		status = 404; /* nothing else may be asked: no inspect by digest */
		body = "{\"cause\":\"image not known\",\"message\":\"unexpected request\",\"response\":404}";
	} else if (atomic_load(&g.mode) == 1) {
		status = 500;
		body = "{\"cause\":\"runtime error\",\"message\":\"runtime error: invalid memory "
		       "address or nil pointer dereference\",\"response\":500}";
	} else if (atomic_load(&g.mode) == 2) {
		body = "{\"Id\":\"x\"}";
	}
	char head[256];
	snprintf(head, sizeof(head),
		 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n",
		 status, strlen(body));
	send_all(fd, head, strlen(head));
	send_all(fd, body, strlen(body));
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

static int setup(void **state)
{
	(void)state;
	snprintf(g.dir, sizeof(g.dir), "/tmp/tbx-podman-test.XXXXXX");
	if (!mkdtemp(g.dir))
		return -1;
	snprintf(g.path, sizeof(g.path), "%s/podman.sock", g.dir);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", g.path);
	g.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (g.fd < 0 || bind(g.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(g.fd, 8) < 0)
		return -1;
	return pthread_create(&g.thread, NULL, fake_main, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	atomic_store(&g.stop, 1);
	pthread_join(g.thread, NULL);
	close(g.fd);
	unlink(g.path);
	rmdir(g.dir);
	return 0;
}

static int find(const char *name, const char *digest, struct podman_image *img, struct err *e)
{
	struct podman p;
	struct err oe = { 0 };
	assert_int_equal(podman_open(&p, g.path, &oe), 0);
	p.timeout_s = 5;
	int rc = podman_image_find_by_digest(&p, name, digest, img, e);
	podman_close(&p);
	return rc;
}

static void test_index_and_platform_digest(void **state)
{
	(void)state;
	struct podman_image img;
	struct err e = { 0 };
	atomic_store(&g.mode, 0);
	assert_int_equal(find(NAME, INDEX_D, &img, &e), 0);
	assert_string_equal(img.id, ID_A);
	assert_string_equal(img.digest, INDEX_D);
	assert_int_equal(img.digests.n, 2);
	char *pd = podman_image_platform_digest(&img, INDEX_D);
	assert_string_equal(pd, PLATFORM_D);
	free(pd);
	pd = podman_image_platform_digest(&img, PLATFORM_D);
	assert_string_equal(pd, INDEX_D); /* whichever is not the tag's */
	free(pd);
	podman_image_free(&img);
	assert_int_equal(find(NAME, PLATFORM_D, &img, &e), 0);
	assert_string_equal(img.id, ID_A);
	podman_image_free(&img);
}

static void test_untagged_by_digest(void **state)
{
	(void)state;
	struct podman_image img;
	struct err e = { 0 };
	atomic_store(&g.mode, 0);
	/* an image that lost its tag: RepoDigests empty, Digest still there */
	assert_int_equal(find(NAME, SINGLE_D, &img, &e), 0);
	assert_string_equal(img.id, ID_B);
	/* a single manifest: the platform digest is the tag's */
	char *pd = podman_image_platform_digest(&img, SINGLE_D);
	assert_string_equal(pd, SINGLE_D);
	free(pd);
	podman_image_free(&img);
	/* three digests, one the tag's: ambiguous, no guess */
	struct podman_image three = { 0 };
	strv_push(&three.digests, INDEX_D);
	strv_push(&three.digests, PLATFORM_D);
	strv_push(&three.digests, SINGLE_D);
	assert_null(podman_image_platform_digest(&three, INDEX_D));
	podman_image_free(&three);
}

static void test_not_present(void **state)
{
	(void)state;
	struct podman_image img;
	struct err e = { 0 };
	atomic_store(&g.mode, 0);
	assert_int_equal(find(NAME, D("9"), &img, &e), 1);
	assert_null(img.id);
	/* the digest of another repository is not ours */
	assert_int_equal(find(NAME, OTHER_D, &img, &e), 1);
	assert_int_equal(find(NAME, NULL, &img, &e), 1);
	assert_int_equal(find(NAME, "", &img, &e), 1);
}

static void test_podman_failure_is_unknown(void **state)
{
	(void)state;
	struct podman_image img;
	struct err e = { 0 };
	atomic_store(&g.mode, 1);
	assert_int_equal(find(NAME, INDEX_D, &img, &e), -1);
	assert_null(img.id);
	assert_non_null(strstr(e.msg, "cannot tell which images are present (Podman answered HTTP 500"));
	assert_non_null(strstr(e.msg, "nil pointer dereference"));
	atomic_store(&g.mode, 2);
	memset(&e, 0, sizeof(e));
	assert_int_equal(find(NAME, INDEX_D, &img, &e), -1);
	assert_non_null(strstr(e.msg, "not a list"));
	atomic_store(&g.mode, 0);
}

static void test_find_by_id(void **state)
{
	(void)state;
	struct podman p;
	struct podman_image img;
	struct err e = { 0 };
	atomic_store(&g.mode, 0);
	assert_int_equal(podman_open(&p, g.path, &e), 0);
	assert_int_equal(podman_image_find_by_id(&p, NAME, ID_B, &img, &e), 0);
	assert_string_equal(img.digest, SINGLE_D);
	podman_image_free(&img);
	assert_int_equal(podman_image_find_by_id(&p, NAME, "sha256:" ID_C, &img, &e), 0);
	assert_string_equal(img.id, ID_C);
	podman_image_free(&img);
	assert_int_equal(podman_image_find_by_id(&p, NAME, "aaaa", &img, &e), 1); /* too short */
	assert_int_equal(podman_image_find_by_id(&p, NAME, "dddddddddddddddd", &img, &e), 1);
	podman_close(&p);
}

static void test_list_find(void **state)
{
	(void)state;
	json_object *o = json_tokener_parse(IMAGES_JSON);
	assert_non_null(o);
	struct podman_image img;
	assert_int_equal(podman_image_list_find(o, NAME, PLATFORM_D, NULL, &img), 0);
	assert_string_equal(img.id, ID_A);
	podman_image_free(&img);
	/* a digest only another repository carries (in RepoDigests) is not ours */
	assert_int_equal(podman_image_list_find(o, NAME ":x", PLATFORM_D, NULL, &img), 1);
	assert_int_equal(podman_image_list_find(o, "docker.io/kyuz0", PLATFORM_D, NULL, &img), 1);
	/* not a list, no digest and no id: nothing */
	assert_int_equal(podman_image_list_find(NULL, NAME, PLATFORM_D, NULL, &img), 1);
	assert_int_equal(podman_image_list_find(o, NAME, NULL, "abc", &img), 1);
	assert_null(img.id);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_and_platform_digest),
		cmocka_unit_test(test_untagged_by_digest),
		cmocka_unit_test(test_not_present),
		cmocka_unit_test(test_podman_failure_is_unknown),
		cmocka_unit_test(test_find_by_id),
		cmocka_unit_test(test_list_find),
	};
	return cmocka_run_group_tests_name("podman image lookup", tests, setup, teardown);
}
