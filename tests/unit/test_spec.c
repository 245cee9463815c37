/* test_spec.c - what tbx asks Podman for: the container spec's SELinux
 * options and models mount for each "selinux" choice, and the spec hash
 * that makes a changed choice recreate the container. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defs.h"
#include "json.h"
#include "lifecycle.h"
#include "util.h"

static void parse(const char *selinux, struct backend *b)
{
	char *text = xasprintf("{\"image\": \"docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.2\", "
			       "\"container\": \"llama-rocm-7.2\"%s%s%s}",
			       selinux ? ", \"selinux\": \"" : "", selinux ? selinux : "",
			       selinux ? "\"" : "");
	struct err e = { 0 };
	if (backend_parse(text, strlen(text), "containers/rocm-7.2.json", b, &e) < 0)
		fail_msg("%s", e.msg);
	free(text);
}

static const char *mount_opts(json_object *spec)
{
	json_object *m = json_object_array_get_idx(json_arr(spec, "mounts"), 0);
	return json_object_to_json_string_ext(json_get(m, "options"), JSON_C_TO_STRING_PLAIN);
}

static void test_selinux_spec(void **state)
{
	(void)state;
	struct backend b;
	char h_disable[65], h_shared[65], h_default[65];

	parse(NULL, &b);
	assert_int_equal(b.selinux, LABEL_DISABLE);
	json_object *s = container_spec(&b, "llama-rocm-7.2", "/models", "id", "sha256:x");
	assert_string_equal(json_object_to_json_string_ext(json_get(s, "selinux_opts"),
							   JSON_C_TO_STRING_PLAIN),
			    "[\"disable\"]");
	assert_string_equal(mount_opts(s), "[\"rbind\",\"ro\"]");
	assert_string_equal(json_str(json_obj(s, "labels"), LABEL_SELINUX), "disable");
	/* what Podman's inspect reads HostConfig.SecurityOpt from */
	assert_string_equal(json_str(json_obj(s, "annotations"), "io.podman.annotations.label"),
			    "disable");
	json_object_put(s);
	backend_spec_hash(&b, "/models", h_disable);
	backend_free(&b);

	parse("disable", &b);
	char h[65];
	backend_spec_hash(&b, "/models", h);
	assert_string_equal(h, h_disable); /* the default, said or not */
	backend_free(&b);

	parse("relabel-shared", &b);
	s = container_spec(&b, "llama-rocm-7.2", "/models", "id", "sha256:x");
	assert_null(json_get(s, "selinux_opts"));
	assert_null(json_str(json_obj(s, "annotations"), "io.podman.annotations.label"));
	assert_string_equal(mount_opts(s), "[\"rbind\",\"ro\",\"z\"]");
	assert_string_equal(json_str(json_obj(s, "labels"), LABEL_SELINUX), "relabel-shared");
	json_object_put(s);
	backend_spec_hash(&b, "/models", h_shared);
	backend_free(&b);

	parse("default", &b);
	s = container_spec(&b, "llama-rocm-7.2", "/models", "id", "sha256:x");
	assert_null(json_get(s, "selinux_opts"));
	assert_null(json_str(json_obj(s, "annotations"), "io.podman.annotations.label"));
	assert_string_equal(mount_opts(s), "[\"rbind\",\"ro\"]");
	json_object_put(s);
	backend_spec_hash(&b, "/models", h_default);
	backend_free(&b);

	assert_string_not_equal(h_disable, h_shared);
	assert_string_not_equal(h_disable, h_default);
	assert_string_not_equal(h_shared, h_default);
}

/* "seccomp": "unconfined" as upstream's toolboxes: the option, and the
 * annotation Podman's inspect shows it from (HostConfig.SecurityOpt) */
static void test_seccomp_spec(void **state)
{
	(void)state;
	struct backend b;
	struct err e = { 0 };
	const char *text = "{\"image\": \"x/y:z\", \"container\": \"c\", \"seccomp\": \"unconfined\"}";
	if (backend_parse(text, strlen(text), "containers/c.json", &b, &e) < 0)
		fail_msg("%s", e.msg);
	json_object *s = container_spec(&b, "c", "/models", "id", "sha256:x");
	assert_string_equal(json_str(s, "seccomp_profile_path"), "unconfined");
	json_object *ann = json_obj(s, "annotations");
	assert_string_equal(json_str(ann, "io.podman.annotations.seccomp"), "unconfined");
	assert_string_equal(json_str(ann, "io.podman.annotations.label"), "disable");
	json_object_put(s);
	backend_free(&b);
	parse(NULL, &b);
	s = container_spec(&b, "c", "/models", "id", "sha256:x");
	assert_null(json_get(s, "seccomp_profile_path"));
	assert_null(json_str(json_obj(s, "annotations"), "io.podman.annotations.seccomp"));
	json_object_put(s);
	backend_free(&b);
}

static void test_selinux_key_refused(void **state)
{
	(void)state;
	struct backend b;
	struct err e = { 0 };
	const char *bad = "{\"image\": \"x/y:z\", \"container\": \"c\", \"selinux\": \"off\"}";
	assert_int_equal(backend_parse(bad, strlen(bad), "containers/c.json", &b, &e), -1);
	assert_non_null(strstr(e.msg, "'selinux' must be \"disable\", \"relabel-shared\" or "
				      "\"default\", not \"off\""));
	backend_free(&b);
	const char *native = "{\"kind\": \"native\", \"bench\": [\"/usr/bin/llama-bench\"], "
			     "\"selinux\": \"disable\"}";
	err_clear(&e);
	assert_int_equal(backend_parse(native, strlen(native), "containers/n.json", &b, &e), -1);
	assert_non_null(strstr(e.msg, "native backends take no 'selinux'"));
	backend_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selinux_spec),
		cmocka_unit_test(test_seccomp_spec),
		cmocka_unit_test(test_selinux_key_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
