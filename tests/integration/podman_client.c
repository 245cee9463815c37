/* podman_client.c - the Podman client against the real test bed's
 * `podman system service` (TAP output; run by tests/e2e/t01-podman-client.sh).
 *
 * usage: podman_client SOCKET IMAGE_REF MODELS_DIR */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "lifecycle.h"
#include "podman.h"

static int n_tests, n_failed;

static void ok(int cond, const char *desc, const char *detail)
{
	n_tests++;
	if (cond) {
		printf("ok %d - %s\n", n_tests, desc);
	} else {
		n_failed++;
		printf("not ok %d - %s\n", n_tests, desc);
		if (detail && *detail)
			printf("#   %s\n", detail);
	}
	fflush(stdout);
}

struct output {
	struct buf out, err;
};

static void collect(int stream, const char *data, size_t len, void *ctx)
{
	struct output *o = ctx;
	buf_add(stream == 2 ? &o->err : &o->out, data, len);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: podman_client SOCKET IMAGE_REF MODELS_DIR\n");
		return 2;
	}
	const char *sock = argv[1], *ref = argv[2], *models = argv[3];
	struct podman p;
	struct err e = { 0 };
	char *version = NULL, *id = NULL, *cid = NULL;

	/* socket missing: says where it looked and how to start the service */
	ok(podman_open(&p, "unix:///nonexistent/podman.sock", &e) == 0, "open a missing socket", e.msg);
	int rc = podman_ping(&p, &version, &e);
	ok(rc < 0 && strstr(e.msg, "/nonexistent/podman.sock") &&
		   strstr(e.msg, "systemctl --user enable --now podman.socket"),
	   "a missing socket is named, with how to start the service", e.msg);
	podman_close(&p);
	err_clear(&e);

	ok(podman_open(&p, sock, &e) == 0, "open the test bed's socket", e.msg);
	ok(podman_ping(&p, &version, &e) == 0 && version && version[0] >= '4', "version", e.msg);
	free(version);

	/* a pull that fails answers HTTP 200: the stream's error is the verdict */
	err_clear(&e);
	rc = podman_image_pull(&p, "docker.io/kyuz0/amd-strix-halo-toolboxes:no-such-tag", NULL,
			       NULL, &id, &e);
	ok(rc < 0 && strstr(e.msg, "no-such-tag"), "a failed pull is an error", e.msg);
	err_clear(&e);
	rc = podman_image_pull(&p, ref, NULL, NULL, &id, &e);
	ok(rc == 0 && id && strlen(id) == 64, "pull through the mirror", e.msg);

	json_object *img = NULL;
	ok(podman_image_inspect(&p, id, &img, &e) == 0 && json_arr(img, "RepoDigests"),
	   "image inspect has RepoDigests", e.msg);
	json_object_put(img);
	ok(podman_image_inspect(&p, "docker.io/library/nope:none", &img, &e) == 1,
	   "a missing image is 'not found'", e.msg);

	/* create with the spec tbx uses */
	struct backend b = { 0 };
	b.id = "itest";
	b.image = (char *)ref;
	b.container = "tbx-itest";
	strv_push(&b.env, "TBX_ITEST=1");
	json_object *spec = container_spec(&b, "tbx-itest", models, id, "sha256:itest");
	struct err ce = { 0 };
	podman_container_remove(&p, "tbx-itest", true, &ce);
	ok(podman_container_create(&p, spec, &cid, &e) == 0, "create", e.msg);
	err_clear(&e);
	ok(podman_container_create(&p, spec, &cid, &e) < 0 &&
		   strstr(e.msg, "cannot create container 'tbx-itest': "),
	   "a second create with the same name is a one-line error from Podman", e.msg);
	json_object_put(spec);
	ok(podman_container_start(&p, "tbx-itest", &e) == 0, "start", e.msg);
	json_object *ins = NULL;
	ok(podman_container_inspect(&p, "tbx-itest", &ins, &e) == 0 &&
		   str_eq(container_label(ins, LABEL_BACKEND), "itest"),
	   "inspect shows tbx's labels", e.msg);
	json_object_put(ins);

	/* exec: framed stdout and stderr, exit codes */
	struct output o;
	buf_init(&o.out), buf_init(&o.err);
	char *const echo_argv[] = { "sh", "-c", "echo out; echo err >&2; exit 7", NULL };
	struct exec_opts xo = { .argv = echo_argv, .on_output = collect, .ctx = &o };
	int code = -1;
	ok(podman_exec(&p, "tbx-itest", &xo, &code, &e) == 0 && code == 7, "exec exit code 7", e.msg);
	ok(str_eq(o.out.p, "out\n") && str_eq(o.err.p, "err\n"), "exec stdout and stderr apart",
	   o.out.p);
	buf_reset(&o.out), buf_reset(&o.err);
	char *model = xasprintf("%s/tiny.gguf", models);
	char *const lb[] = { "llama-bench", "-m", model, "--n-gpu-layers", "99", "-p", "512",
			     "-n", "128", "-o", "jsonl", NULL };
	xo.argv = lb;
	xo.pidfile = "/tmp/itest.pid";
	ok(podman_exec(&p, "tbx-itest", &xo, &code, &e) == 0 && code == 0,
	   "real llama-bench runs in the container (through the pid-file wrapper)", e.msg);
	ok(strstr(o.out.p, "\"n_prompt\": 512") || strstr(o.out.p, "\"n_prompt\":512"),
	   "its JSONL arrives on stdout", o.err.p);
	buf_reset(&o.out), buf_reset(&o.err);
	char *const bad[] = { "llama-bench", "-m", "/nonexistent.gguf", NULL };
	xo.argv = bad;
	xo.pidfile = NULL;
	ok(podman_exec(&p, "tbx-itest", &xo, &code, &e) == 0 && code != 0,
	   "llama-bench on a missing model exits non-zero", o.err.p);
	free(model);

	/* archive: copy a file out */
	struct buf f = BUF_INIT;
	buf_init(&f);
	ok(podman_copy_out(&p, "tbx-itest", "/etc/hostname", 1 << 20, &f, &e) == 0 && f.len > 0,
	   "copy a file out through the archive endpoint", e.msg);
	err_clear(&e);
	ok(podman_copy_out(&p, "tbx-itest", "/no/such/file", 1 << 20, &f, &e) < 0 &&
		   strstr(e.msg, "/no/such/file"),
	   "copying a missing file names it", e.msg);
	buf_free(&f);

	/* rename, stop, remove */
	ok(podman_container_rename(&p, "tbx-itest", "tbx-itest2", &e) == 0, "rename", e.msg);
	ok(podman_container_stop(&p, "tbx-itest2", 1, &e) == 0, "stop", e.msg);
	ok(podman_container_remove(&p, "tbx-itest2", false, &e) == 0, "remove", e.msg);
	ok(podman_container_inspect(&p, "tbx-itest2", &ins, &e) == 1, "gone after remove", e.msg);
	json_object *list = NULL;
	ok(podman_container_list(&p, "tbx.backend=itest", &list, &e) == 0 &&
		   json_object_array_length(list) == 0,
	   "label-filtered list is empty", e.msg);
	json_object_put(list);

	buf_free(&o.out), buf_free(&o.err);
	strv_free(&b.env);
	free(id), free(cid);
	podman_close(&p);
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
