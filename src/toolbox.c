/* toolbox.c - a tbx container that is also a toolbox ("toolbox": true). */
#define _GNU_SOURCE
#include "toolbox.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adopt.h"
#include "json.h"

int toolbox_host_read(struct toolbox_host *h, struct err *e)
{
	memset(h, 0, sizeof(*h));
	h->toolbox = path_search("toolbox");
	if (!h->toolbox)
		return err_set(e, "\"toolbox\": true needs the toolbox command (its binary is "
				  "mounted into the container): install toolbox (podman-toolbox)");
	struct passwd *pw = getpwuid(geteuid());
	if (!pw || !pw->pw_name || !pw->pw_dir) {
		toolbox_host_free(h);
		return err_set(e, "\"toolbox\": true: uid %u is not in the password database",
			       (unsigned)geteuid());
	}
	h->user = xstrdup(pw->pw_name);
	h->home = xstrdup(pw->pw_dir);
	h->shell = xstrdup(pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
	h->uid = (unsigned)pw->pw_uid;
	h->gid = (unsigned)pw->pw_gid;
	h->rootless = geteuid() != 0;
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg)
		h->runtime_dir = xstrdup(xdg);
	/* where toolbox itself looks (godbus: DBUS_SYSTEM_BUS_ADDRESS) */
	const char *bus = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	const char *sock = bus && strncmp(bus, "unix:path=", 10) == 0 ? bus + 10
								    : "/run/dbus/system_bus_socket";
	char *path = xstrndup(sock, strcspn(sock, ","));
	if (path_exists(path))
		h->dbus_socket = path;
	else
		free(path);
	return 0;
}

void toolbox_host_free(struct toolbox_host *h)
{
	free(h->user), free(h->home), free(h->shell), free(h->runtime_dir), free(h->toolbox);
	free(h->dbus_socket);
	memset(h, 0, sizeof(*h));
}

static void add_ns(json_object *s, const char *key, const char *mode)
{
	json_object *ns = json_object_new_object();
	json_add_str(ns, "nsmode", mode);
	json_object_object_add(s, key, ns);
}

static void add_mount(json_object *mounts, const char *type, const char *src, const char *dst,
		      const char *opt1, const char *opt2)
{
	json_object *m = json_object_new_object();
	json_add_str(m, "type", type);
	json_add_str(m, "source", src);
	json_add_str(m, "destination", dst);
	json_object *o = json_object_new_array();
	if (opt1)
		json_object_array_add(o, json_object_new_string(opt1));
	if (opt2)
		json_object_array_add(o, json_object_new_string(opt2));
	json_object_object_add(m, "options", o);
	json_object_array_add(mounts, m);
}

void toolbox_spec_apply(json_object *s, const struct toolbox_host *h)
{
	json_object *labels = json_obj(s, "labels"), *env = json_obj(s, "env");
	json_object *ann = json_obj(s, "annotations"), *mounts = json_arr(s, "mounts");
	json_add_str(labels, LABEL_TOOLBOX, "true");
	json_add_str(env, "TOOLBOX_PATH", h->toolbox);
	if (h->runtime_dir)
		json_add_str(env, "XDG_RUNTIME_DIR", h->runtime_dir);
	json_add_str(s, "hostname", "toolbox");
	add_ns(s, "ipcns", "host");
	add_ns(s, "netns", "host");
	add_ns(s, "pidns", "host");
	add_ns(s, "userns", h->rootless ? "keep-id" : "host");
	/* as tbx's adoption reads them back (Podman 4's inspect cannot tell) */
	json_add_str(labels, LABEL_IPC, "host");
	json_add_str(labels, LABEL_USERNS, h->rootless ? "keep-id" : "host");
	json_add_bool(s, "privileged", true);
	json_add_str(s, "user", "root:root");
	json_add_bool(s, "use_image_hosts", true);        /* --no-hosts */
	json_add_bool(s, "use_image_resolve_conf", true); /* --dns none */
	json_object *sel = json_object_new_array();
	json_object_array_add(sel, json_object_new_string("disable"));
	json_object_object_add(s, "selinux_opts", sel);
	json_add_str(ann, "io.podman.annotations.label", "disable");
	add_mount(mounts, "devpts", "devpts", "/dev/pts", NULL, NULL);
	add_mount(mounts, "bind", "/", "/run/host", "rbind", "rslave");
	add_mount(mounts, "bind", "/dev", "/dev", "rbind", "rslave");
	add_mount(mounts, "bind", h->home, h->home, "rbind", "rslave");
	add_mount(mounts, "bind", h->toolbox, "/usr/bin/toolbox", "rbind", "ro");
	if (h->runtime_dir)
		add_mount(mounts, "bind", h->runtime_dir, h->runtime_dir, "rbind", NULL);
	if (h->dbus_socket)
		add_mount(mounts, "bind", h->dbus_socket, h->dbus_socket, "rbind", NULL);
	static const char *const optional[] = { "/media", "/mnt", "/run/media", NULL };
	for (size_t i = 0; optional[i]; i++)
		if (is_dir(optional[i]))
			add_mount(mounts, "bind", optional[i], optional[i], "rbind", "rslave");
	if (path_exists("/etc/profile.d/toolbox.sh"))
		add_mount(mounts, "bind", "/etc/profile.d/toolbox.sh", "/etc/profile.d/toolbox.sh",
			  "rbind", "ro");
	/* toolbox run refuses a container whose command is not init-container */
	char uid[16], gid[16];
	snprintf(uid, sizeof(uid), "%u", h->uid);
	snprintf(gid, sizeof(gid), "%u", h->gid);
	const char *argv[] = { "toolbox", "--log-level", "debug", "init-container", "--gid", gid,
			       "--home", h->home, "--shell", h->shell, "--uid", uid, "--user",
			       h->user, "--monitor-host", NULL };
	json_object *cmd = json_object_new_array();
	for (size_t i = 0; argv[i]; i++)
		json_object_array_add(cmd, json_object_new_string(argv[i]));
	json_object_object_add(s, "command", cmd);
	json_object_object_add(s, "entrypoint", json_object_new_array());
	/* init-container stops on SIGTERM like toolbox's own */
	json_add_int(s, "stop_signal", 15);
	json_add_int(s, "stop_timeout", 10);
}
