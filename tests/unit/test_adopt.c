/* test_adopt.c - adoption: the origin of a container, and the create spec
 * rebuilt from its own inspect answer, on answers recorded from a real
 * Podman 4.3 and 5.x (tests/fixtures/podman/adopt/: a container made with
 * toolbox's own flags, one made by hand with many options, a plain one,
 * and their image), and the refusals by field name. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "defs.h"
#include "json.h"
#include "lifecycle.h"
#include "toolbox.h"
#include "util.h"

#define FIXTURES "tests/fixtures/podman/adopt"

static json_object *fixture(const char *name)
{
	struct err e = { 0 };
	char *path = xasprintf("%s/%s", FIXTURES, name);
	json_object *o = json_parse_file(path, 1 << 20, &e);
	if (!o)
		fail_msg("%s: %s", path, e.msg);
	free(path);
	return o;
}

static json_object *extra_labels(void)
{
	json_object *l = json_object_new_object();
	json_add_str(l, "tbx.backend", "rocm-7.14");
	json_add_str(l, "tbx.origin", "toolbox");
	return l;
}

static json_object *spec_of(json_object *c, json_object *img, struct err *e)
{
	json_object *x = extra_labels();
	json_object *s = adopt_spec(c, img, "llama-rocm-7.14-tbx-new", "newimageid", x, e);
	json_object_put(x);
	return s;
}

static const char *ns_mode(json_object *s, const char *key)
{
	return json_str(json_obj(s, key), "nsmode");
}

static bool array_has(json_object *a, const char *v)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (str_eq(json_object_get_string(json_object_array_get_idx(a, i)), v))
			return true;
	return false;
}

static json_object *mount_at(json_object *s, const char *dst)
{
	json_object *m = json_arr(s, "mounts");
	for (size_t i = 0; m && i < json_object_array_length(m); i++)
		if (str_eq(json_str(json_object_array_get_idx(m, i), "destination"), dst))
			return json_object_array_get_idx(m, i);
	return NULL;
}

static void check_toolbox(const char *file, const char *image_file)
{
	json_object *c = fixture(file), *img = fixture(image_file);
	struct err e = { 0 };
	assert_int_equal(container_origin(c), ORIGIN_TOOLBOX);
	char *d = origin_describe(c);
	assert_non_null(strstr(d, "toolbox container"));
	free(d);
	json_object *s = spec_of(c, img, &e);
	if (!s)
		fail_msg("%s: %s", file, e.msg);
	assert_string_equal(json_str(s, "image"), "newimageid");
	assert_string_equal(json_str(s, "name"), "llama-rocm-7.14-tbx-new");
	assert_true(json_flag(s, "privileged", false));
	assert_string_equal(ns_mode(s, "pidns"), "host");
	assert_string_equal(ns_mode(s, "netns"), "host");
	assert_string_equal(ns_mode(s, "ipcns"), "host"); /* from CreateCommand on 4.3 */
	assert_string_equal(ns_mode(s, "cgroupns"), "host");
	assert_string_equal(json_str(s, "hostname"), "toolbox");
	assert_string_equal(json_str(s, "user"), "root:root");
	assert_true(json_flag(s, "use_image_hosts", false));
	assert_true(json_flag(s, "use_image_resolve_conf", false));
	assert_true(array_has(json_arr(s, "selinux_opts"), "disable"));
	assert_string_equal(json_str(json_obj(s, "annotations"), "io.podman.annotations.label"),
			    "disable");
	/* toolbox init-container ... is the command, the entrypoint empty */
	json_object *cmd = json_arr(s, "command");
	assert_non_null(cmd);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(cmd, 0)), "toolbox");
	assert_true(array_has(cmd, "init-container"));
	json_object *pts = mount_at(s, "/dev/pts");
	assert_non_null(pts);
	assert_string_equal(json_str(pts, "type"), "devpts");
	json_object *dev = mount_at(s, "/dev");
	assert_non_null(dev);
	assert_string_equal(json_str(dev, "source"), "/dev");
	assert_true(array_has(json_arr(dev, "options"), "rslave"));
	json_object *labels = json_obj(s, "labels");
	assert_string_equal(json_str(labels, "com.github.containers.toolbox"), "true");
	assert_string_equal(json_str(labels, "tbx.backend"), "rocm-7.14");
	assert_string_equal(json_str(labels, "tbx.ipc"), "host");
	json_object *env = json_obj(s, "env");
	assert_non_null(json_str(env, "TOOLBOX_PATH"));
	assert_null(json_str(env, "container")); /* Podman's own */
	assert_null(json_str(env, "HOSTNAME"));
	json_object_put(s), json_object_put(c), json_object_put(img);
}

static void test_toolbox_43(void **state)
{
	(void)state;
	check_toolbox("podman-4.3-toolbox.json", "podman-4.3-image.json");
}

static void test_toolbox_5(void **state)
{
	(void)state;
	check_toolbox("podman-5.4-toolbox.json", "podman-5.4-image.json");
}

/* drops_net_raw: Podman 4 lists --cap-drop NET_RAW; Podman 5 leaves NET_RAW
 * out of its default set, so there is nothing to drop and CapDrop is empty */
/* made by the real toolbox 0.0.99.3 as a rootless user (Podman 4.3) */
static void test_rootless_toolbox(void **state)
{
	(void)state;
	json_object *c = fixture("podman-4.3-rootless-toolbox-0.0.99.3.json");
	struct err e = { 0 };
	assert_int_equal(container_origin(c), ORIGIN_TOOLBOX);
	json_object *s = spec_of(c, NULL, &e);
	if (!s)
		fail_msg("%s", e.msg);
	assert_string_equal(ns_mode(s, "userns"), "keep-id"); /* shown "private" */
	assert_null(json_get(s, "idmappings"));
	assert_string_equal(ns_mode(s, "ipcns"), "host");
	assert_string_equal(ns_mode(s, "pidns"), "host");
	assert_true(json_flag(s, "privileged", false));
	assert_string_equal(json_str(s, "user"), "root:root");
	json_object *host = mount_at(s, "/run/host");
	assert_non_null(host);
	assert_string_equal(json_str(host, "source"), "/");
	assert_true(array_has(json_arr(host, "options"), "rslave"));
	json_object *tb = mount_at(s, "/usr/bin/toolbox");
	assert_non_null(tb);
	assert_true(array_has(json_arr(tb, "options"), "ro"));
	json_object *cmd = json_arr(s, "command");
	assert_true(array_has(cmd, "init-container"));
	assert_true(array_has(cmd, "--monitor-host"));
	json_object_put(s), json_object_put(c);
}

static void check_handmade(const char *file, const char *image_file, bool drops_net_raw)
{
	json_object *c = fixture(file), *img = fixture(image_file);
	struct err e = { 0 };
	assert_int_equal(container_origin(c), ORIGIN_OTHER);
	json_object *s = spec_of(c, img, &e);
	if (!s)
		fail_msg("%s: %s", file, e.msg);
	/* entrypoint from Path/Args minus Cmd: an argument with a space survives */
	json_object *ep = json_arr(s, "entrypoint"), *cmd = json_arr(s, "command");
	assert_int_equal(json_object_array_length(ep), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ep, 0)), "sleep");
	assert_int_equal(json_object_array_length(cmd), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(cmd, 0)), "in finity");
	assert_string_equal(json_str(json_obj(s, "env"), "ADOPT_ME"), "yes");
	assert_null(json_str(json_obj(s, "env"), "PATH")); /* the image's */
	assert_string_equal(json_str(json_obj(s, "labels"), "mine"), "1");
	assert_string_equal(json_str(json_obj(s, "annotations"), "org.example.note"), "kept");
	assert_null(json_str(json_obj(s, "annotations"), "io.container.manager"));
	assert_string_equal(json_str(s, "hostname"), "handmade");
	assert_string_equal(json_str(s, "work_dir"), "/tmp");
	assert_string_equal(json_str(s, "user"), "0:0");
	assert_string_equal(json_str(s, "seccomp_profile_path"), "unconfined");
	assert_string_equal(json_str(json_obj(s, "annotations"), "io.podman.annotations.seccomp"),
			    "unconfined");
	assert_true(array_has(json_arr(s, "groups"), "12345"));
	assert_true(array_has(json_arr(s, "cap_add"), "CAP_SYS_PTRACE"));
	assert_int_equal(array_has(json_arr(s, "cap_drop"), "CAP_NET_RAW"), drops_net_raw);
	json_object *devs = json_arr(s, "devices");
	assert_int_equal(json_object_array_length(devs), 1);
	assert_non_null(strstr(json_str(json_object_array_get_idx(devs, 0), "path"),
			       "/dev/zero:/dev/myzero"));
	json_object *rl = json_arr(s, "r_limits");
	assert_non_null(rl);
	bool nofile = false;
	for (size_t i = 0; i < json_object_array_length(rl); i++) {
		json_object *r = json_object_array_get_idx(rl, i);
		if (str_eq(json_str(r, "type"), "nofile")) {
			nofile = true;
			assert_int_equal(json_int(r, "soft", 0), 1024);
			assert_int_equal(json_int(r, "hard", 0), 2048);
		}
	}
	assert_true(nofile);
	json_object *models = mount_at(s, "/tmp/adopt-bed/models");
	assert_non_null(models);
	assert_true(array_has(json_arr(models, "options"), "ro"));
	json_object *tmp = mount_at(s, "/scratch");
	assert_non_null(tmp);
	assert_string_equal(json_str(tmp, "type"), "tmpfs");
	assert_true(array_has(json_arr(tmp, "options"), "size=64m"));
	json_object *vols = json_arr(s, "volumes");
	assert_int_equal(json_object_array_length(vols), 1);
	assert_string_equal(json_str(json_object_array_get_idx(vols, 0), "Name"), "adoptvol");
	assert_string_equal(json_str(json_object_array_get_idx(vols, 0), "Dest"), "/data");
	json_object_put(s), json_object_put(c), json_object_put(img);
}

static void test_handmade_43(void **state)
{
	(void)state;
	check_handmade("podman-4.3-handmade.json", "podman-4.3-image.json", true);
}

static void test_handmade_5(void **state)
{
	(void)state;
	check_handmade("podman-5.4-handmade.json", "podman-5.4-image.json", false);
}

/* what came from the image (entrypoint, command, env) is left to the new one */
static void test_plain_leaves_image_defaults(void **state)
{
	(void)state;
	json_object *c = fixture("podman-4.3-plain.json"), *img = fixture("podman-4.3-image.json");
	struct err e = { 0 };
	json_object *s = spec_of(c, img, &e);
	if (!s)
		fail_msg("%s", e.msg);
	assert_null(json_get(s, "entrypoint"));
	assert_null(json_get(s, "command"));
	assert_int_equal(json_object_object_length(json_obj(s, "env")), 0);
	json_object_put(s);
	/* a hostname that is the old ID's prefix was Podman's choice */
	char prefix[13];
	snprintf(prefix, sizeof(prefix), "%s", json_str(c, "Id"));
	json_add_str(json_obj(c, "Config"), "Hostname", prefix);
	s = spec_of(c, img, &e);
	assert_null(json_get(s, "hostname"));
	json_object_put(s);
	/* without the image's answer, its command is carried (safe side) */
	s = spec_of(c, NULL, &e);
	assert_non_null(s);
	assert_non_null(json_get(s, "command"));
	json_object_put(s), json_object_put(c), json_object_put(img);
}

/* --userns keep-id: Podman 4 shows "private" and the maps; the create
 * command says keep-id, carried as that (which also writes the passwd
 * entry) and recorded for the next time */
static void test_keep_id(void **state)
{
	(void)state;
	json_object *c = fixture("podman-4.3-plain.json");
	json_object *host = json_obj(c, "HostConfig"), *cfg = json_obj(c, "Config");
	json_add_str(host, "UsernsMode", "private");
	struct err e = { 0 };
	json_object *idm = json_tokener_parse(
		"{\"UidMap\": [\"0:1:1001\", \"1001:0:1\", \"1002:1002:64535\"], "
		"\"GidMap\": [\"0:1:1001\", \"1001:0:1\", \"1002:1002:64535\"]}");
	json_object_object_add(host, "IDMappings", idm);
	/* without a create command: the maps, explicitly */
	json_object *s = spec_of(c, NULL, &e);
	assert_non_null(s);
	assert_string_equal(ns_mode(s, "userns"), "private");
	json_object *uid = json_arr(json_obj(s, "idmappings"), "UIDMap");
	assert_int_equal(json_object_array_length(uid), 3);
	assert_int_equal(json_int(json_object_array_get_idx(uid, 1), "container_id", -1), 1001);
	assert_int_equal(json_int(json_object_array_get_idx(uid, 1), "host_id", -1), 0);
	json_object_put(s);
	json_object *cc = json_tokener_parse(
		"[\"podman\", \"create\", \"--userns\", \"keep-id\", \"--name\", \"x\", "
		"\"docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.14\", \"sleep\", \"--ipc=host\"]");
	json_object_object_add(cfg, "CreateCommand", cc);
	json_add_str(cfg, "Image", "docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.14");
	s = spec_of(c, NULL, &e);
	assert_non_null(s);
	assert_string_equal(ns_mode(s, "userns"), "keep-id");
	assert_null(json_get(s, "idmappings"));
	assert_string_equal(json_str(json_obj(s, "labels"), "tbx.userns"), "keep-id");
	assert_null(json_get(s, "ipcns")); /* the container's own argument, not an option */
	json_object_put(s);
	/* made by tbx later: no create command, the label says it */
	json_object_object_del(cfg, "CreateCommand");
	json_object *labels = json_object_new_object();
	json_add_str(labels, "tbx.userns", "keep-id");
	json_object_object_add(cfg, "Labels", labels);
	s = spec_of(c, NULL, &e);
	assert_string_equal(ns_mode(s, "userns"), "keep-id");
	json_object_put(s);
	json_object_put(c);
}

static void refused(const char *file, void (*mutate)(json_object *), const char *field)
{
	json_object *c = fixture(file);
	struct err e = { 0 };
	mutate(c);
	json_object *s = spec_of(c, NULL, &e);
	assert_null(s);
	char *want = xasprintf("cannot carry %s", field);
	if (!strstr(e.msg, want))
		fail_msg("'%s' does not name %s", e.msg, field);
	free(want);
	json_object_put(c);
}

static void set_pod(json_object *c) { json_add_str(c, "Pod", "abc123"); }
static void set_infra(json_object *c) { json_add_bool(c, "IsInfra", true); }
static void set_health(json_object *c)
{
	json_object *h = json_object_new_object();
	json_object *t = json_object_new_array();
	json_object_array_add(t, json_object_new_string("CMD-SHELL"));
	json_object_array_add(t, json_object_new_string("true"));
	json_object_object_add(h, "Test", t);
	json_object_object_add(json_obj(c, "Config"), "Healthcheck", h);
}
static void set_unit(json_object *c)
{
	json_object *l = json_object_new_object();
	json_add_str(l, "PODMAN_SYSTEMD_UNIT", "x.service");
	json_object_object_add(json_obj(c, "Config"), "Labels", l);
}
static void set_netns_ctr(json_object *c)
{
	json_add_str(json_obj(c, "HostConfig"), "NetworkMode", "container:abc");
}
static void drop_config(json_object *c) { json_object_object_del(c, "Config"); }
static void drop_mounts(json_object *c) { json_object_object_del(c, "Mounts"); }
static void drop_path(json_object *c) { json_object_object_del(c, "Path"); }
static void set_memory(json_object *c) { json_add_int(json_obj(c, "HostConfig"), "Memory", 1 << 29); }
static void set_ports(json_object *c)
{
	json_object *p = json_object_new_object();
	json_object_object_add(p, "80/tcp", json_object_new_array());
	json_object_object_add(json_obj(c, "HostConfig"), "PortBindings", p);
}
static void set_bad_secopt(json_object *c)
{
	json_object *a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("proc-opts=\x1b[31mx"));
	json_object_object_add(json_obj(c, "HostConfig"), "SecurityOpt", a);
}
static void set_bad_cmd(json_object *c)
{
	json_object *a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("not-the-tail"));
	json_object_object_add(json_obj(c, "Config"), "Cmd", a);
}

static void test_refusals(void **state)
{
	(void)state;
	const char *f = "podman-4.3-plain.json";
	refused(f, set_pod, "Pod");
	refused(f, set_infra, "IsInfra");
	refused(f, set_health, "Config.Healthcheck");
	refused(f, set_unit, "Config.Labels.PODMAN_SYSTEMD_UNIT");
	refused(f, set_netns_ctr, "HostConfig.NetworkMode");
	refused(f, drop_config, "Config");
	refused(f, drop_mounts, "Mounts");
	refused(f, drop_path, "Path");
	refused(f, set_memory, "HostConfig.Memory");
	refused(f, set_ports, "HostConfig.PortBindings");
	refused(f, set_bad_cmd, "Config.Cmd");
	refused(f, set_bad_secopt, "HostConfig.SecurityOpt");
	/* untrusted text in the message is sanitized */
	json_object *c = fixture(f);
	set_bad_secopt(c);
	struct err e = { 0 };
	assert_null(spec_of(c, NULL, &e));
	assert_null(strchr(e.msg, '\x1b'));
	json_object_put(c);
}

static void test_origins(void **state)
{
	(void)state;
	json_object *c = fixture("podman-4.3-plain.json");
	json_object *labels = json_object_new_object();
	json_object_object_add(json_obj(c, "Config"), "Labels", labels);
	assert_int_equal(container_origin(c), ORIGIN_OTHER);
	json_add_str(labels, "manager", "distrobox");
	assert_int_equal(container_origin(c), ORIGIN_DISTROBOX);
	json_add_str(labels, "tbx.backend", "rocm-7.14");
	assert_int_equal(container_origin(c), ORIGIN_TBX);
	json_add_str(labels, "tbx.origin", "distrobox");
	assert_int_equal(container_origin(c), ORIGIN_DISTROBOX); /* adopted: still said */
	json_add_str(labels, "tbx.origin", "bogus");
	assert_int_equal(container_origin(c), ORIGIN_TBX);
	json_object_object_del(labels, "tbx.origin");
	json_object_object_del(labels, "tbx.backend");
	json_add_str(labels, "com.github.debarshiray.toolbox", "true");
	assert_int_equal(container_origin(c), ORIGIN_TOOLBOX);
	char *d = origin_describe(c);
	assert_non_null(strstr(d, "before 0.0.90"));
	free(d);
	assert_string_equal(origin_name(ORIGIN_DISTROBOX), "distrobox");
	json_object_put(c);
}

/* "toolbox": true: tbx's own container as toolbox create makes one, and
 * what tbx's adoption reads back from it is the same toolbox */
static void test_toolbox_definition(void **state)
{
	(void)state;
	const char *def = "{\"image\": \"docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.14\", "
			  "\"container\": \"llama-rocm-7.14\", \"toolbox\": true}";
	struct backend b, plain;
	struct err e = { 0 };
	if (backend_parse(def, strlen(def), "containers/rocm-7.14.json", &b, &e) < 0)
		fail_msg("%s", e.msg);
	assert_true(b.toolbox);
	const char *def2 = "{\"image\": \"docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.14\", "
			   "\"container\": \"llama-rocm-7.14\"}";
	assert_int_equal(backend_parse(def2, strlen(def2), "containers/rocm-7.14.json", &plain, &e), 0);
	char h1[65], h2[65];
	backend_spec_hash(&b, "/models", h1);
	backend_spec_hash(&plain, "/models", h2);
	assert_string_not_equal(h1, h2); /* turning it on recreates the container */
	struct toolbox_host th = { .user = "ann", .home = "/home/ann", .shell = "/bin/bash",
				   .uid = 1000, .gid = 1000, .rootless = true,
				   .runtime_dir = "/run/user/1000", .toolbox = "/usr/bin/toolbox",
				   .dbus_socket = "/run/dbus/system_bus_socket" };
	json_object *s = container_spec(&b, "llama-rocm-7.14-tbx-new", "/models", "id", "sha256:x");
	toolbox_spec_apply(s, &th);
	assert_string_equal(json_str(json_obj(s, "labels"), LABEL_TOOLBOX), "true");
	assert_string_equal(ns_mode(s, "userns"), "keep-id");
	assert_string_equal(ns_mode(s, "pidns"), "host");
	assert_string_equal(json_str(s, "user"), "root:root");
	json_object *cmd = json_arr(s, "command");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(cmd, 0)), "toolbox");
	assert_true(array_has(cmd, "init-container"));
	assert_true(array_has(cmd, "/home/ann"));
	assert_int_equal(json_object_array_length(json_arr(s, "entrypoint")), 0);
	assert_non_null(mount_at(s, "/usr/bin/toolbox"));
	assert_non_null(mount_at(s, "/home/ann"));
	assert_non_null(mount_at(s, "/models")); /* the models mount stays */
	assert_string_equal(json_str(mount_at(s, "/run/host"), "source"), "/");
	assert_string_equal(json_str(json_obj(s, "env"), "TOOLBOX_PATH"), "/usr/bin/toolbox");
	json_object_put(s);
	th.rootless = false;
	s = container_spec(&b, "x", "/models", "id", "sha256:x");
	toolbox_spec_apply(s, &th);
	assert_string_equal(ns_mode(s, "userns"), "host"); /* root: toolbox's own choice */
	json_object_put(s);
	const char *native = "{\"kind\": \"native\", \"bench\": [\"/usr/bin/llama-bench\"], "
			     "\"toolbox\": true}";
	struct backend n;
	assert_int_equal(backend_parse(native, strlen(native), "containers/host.json", &n, &e), -1);
	assert_non_null(strstr(e.msg, "native backends take no 'toolbox'"));
	backend_free(&n); /* the caller frees a failed parse, as backends_load does */
	backend_free(&b), backend_free(&plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_toolbox_43),
		cmocka_unit_test(test_toolbox_5),
		cmocka_unit_test(test_rootless_toolbox),
		cmocka_unit_test(test_handmade_43),
		cmocka_unit_test(test_handmade_5),
		cmocka_unit_test(test_plain_leaves_image_defaults),
		cmocka_unit_test(test_keep_id),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_origins),
		cmocka_unit_test(test_toolbox_definition),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
