/* adopt.c - origin of a container, and its create spec rebuilt from its
 * own inspect answer (libpod inspect -> SpecGenerator), image changed. */
#define _GNU_SOURCE
#include "adopt.h"

#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"

/* Podman's default environment (containers.conf "env") and what it adds
 * at run time: never carried, the new container gets its own. */
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_SHM 65536000 /* 64 MiB, Podman's default /dev/shm */

const char *origin_name(enum container_origin o)
{
	switch (o) {
	case ORIGIN_TBX: return "tbx";
	case ORIGIN_TOOLBOX: return "toolbox";
	case ORIGIN_DISTROBOX: return "distrobox";
	case ORIGIN_OTHER: return "other";
	}
	return "?";
}

static const char *label_of(json_object *inspect, const char *key)
{
	return json_str(json_obj(json_obj(inspect, "Config"), "Labels"), key);
}

enum container_origin container_origin(json_object *inspect)
{
	const char *recorded = label_of(inspect, LABEL_ORIGIN);
	if (recorded) {
		if (str_eq(recorded, "toolbox"))
			return ORIGIN_TOOLBOX;
		if (str_eq(recorded, "distrobox"))
			return ORIGIN_DISTROBOX;
		if (str_eq(recorded, "other"))
			return ORIGIN_OTHER;
	}
	if (label_of(inspect, "tbx.backend"))
		return ORIGIN_TBX;
	if (str_eq(label_of(inspect, LABEL_TOOLBOX), "true") ||
	    str_eq(label_of(inspect, LABEL_TOOLBOX_OLD), "true"))
		return ORIGIN_TOOLBOX;
	if (str_eq(label_of(inspect, "manager"), "distrobox"))
		return ORIGIN_DISTROBOX;
	return ORIGIN_OTHER;
}

char *origin_describe(json_object *inspect)
{
	switch (container_origin(inspect)) {
	case ORIGIN_TBX:
		return xstrdup("a container made by tbx");
	case ORIGIN_TOOLBOX:
		/* toolbox records no version; its labels tell the era */
		if (str_eq(label_of(inspect, LABEL_TOOLBOX), "true"))
			return xstrdup("a toolbox container (made by toolbox 0.0.90 or later: label "
				       LABEL_TOOLBOX "=true)");
		return xstrdup("a toolbox container (made by toolbox before 0.0.90: label "
			       LABEL_TOOLBOX_OLD "=true)");
	case ORIGIN_DISTROBOX:
		return xstrdup("a distrobox container (label manager=distrobox)");
	case ORIGIN_OTHER:
		break;
	}
	return xstrdup("a container made by hand or by another tool (no tbx, toolbox or "
		       "distrobox labels)");
}

/* ---- small JSON helpers ---- */

static bool json_is_default(json_object *v)
{
	if (!v)
		return true;
	switch (json_object_get_type(v)) {
	case json_type_null: return true;
	case json_type_boolean: return !json_object_get_boolean(v);
	case json_type_int: return json_object_get_int64(v) == 0;
	case json_type_double: return json_object_get_double(v) == 0;
	case json_type_string: return json_object_get_string_len(v) == 0;
	case json_type_array: return json_object_array_length(v) == 0;
	case json_type_object: return json_object_object_length(v) == 0;
	}
	return false;
}

/* The strings of array a (every element must be one); -1 otherwise. */
static int strings_of(json_object *a, struct strv *out)
{
	if (!a || json_object_is_type(a, json_type_null))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return -1;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *s = json_object_array_get_idx(a, i);
		if (!json_object_is_type(s, json_type_string))
			return -1;
		strv_push(out, json_object_get_string(s));
	}
	return 0;
}

static bool strv_equal(const struct strv *a, const struct strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static json_object *strv_json(const struct strv *s)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < s->n; i++)
		json_object_array_add(a, json_object_new_string(s->v[i]));
	return a;
}

static int refuse(struct err *e, const char *field, const char *why)
{
	return err_set(e, "cannot carry %s: %s", field, why);
}

/* ---- the carrying, one concern per function ---- */

struct carry {
	json_object *c;     /* the container's inspect answer */
	json_object *cfg;   /* its Config */
	json_object *host;  /* its HostConfig */
	json_object *icfg;  /* the old image's Config (may be NULL) */
	json_object *spec;  /* being built */
	struct err *e;
};

/* Pod, infra, service containers and dependencies: not one container's
 * business to remake. */
static int check_standalone(struct carry *k)
{
	const char *pod = json_str(k->c, "Pod");
	if (pod && *pod)
		return refuse(k->e, "Pod", "the container is a member of a pod (recreate the pod)");
	if (json_flag(k->c, "IsInfra", false))
		return refuse(k->e, "IsInfra", "the container is a pod's infra container");
	if (json_flag(k->c, "IsService", false))
		return refuse(k->e, "IsService", "the container is a kube play service container");
	const char *rootfs = json_str(k->c, "Rootfs");
	if (rootfs && *rootfs)
		return refuse(k->e, "Rootfs", "it runs a root filesystem, not an image");
	if (!json_is_default(json_get(k->cfg, "Healthcheck")))
		return refuse(k->e, "Config.Healthcheck",
			      "a healthcheck runs from a systemd timer that Podman owns");
	const char *unit = json_str(json_obj(k->cfg, "Labels"), "PODMAN_SYSTEMD_UNIT");
	if (unit)
		return refuse(k->e, "Config.Labels.PODMAN_SYSTEMD_UNIT",
			      "the container is owned by a systemd unit (update that unit instead)");
	if (!json_is_default(json_get(k->cfg, "Secrets")))
		return refuse(k->e, "Config.Secrets", "secrets are not carried");
	return 0;
}

/* after the namespaces: one shared with another container is named there */
static int check_dependencies(struct carry *k)
{
	if (!json_is_default(json_get(k->c, "Dependencies")))
		return refuse(k->e, "Dependencies", "other containers depend on it or it on them");
	return 0;
}

/* HostConfig fields tbx does not carry: each must be at its default. */
static int check_host_defaults(struct carry *k)
{
	static const char *const must_be_default[] = {
		"Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares", "CpuQuota",
		"CpuPeriod", "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems",
		"CpuCount", "CpuPercent", "BlkioWeight", "BlkioWeightDevice", "BlkioDeviceReadBps",
		"BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps",
		"IOMaximumIOps", "IOMaximumBandwidth", "OomKillDisable", "OomScoreAdj",
		"PortBindings", "PublishAllPorts", "VolumesFrom", "Links", "AutoRemove",
		"CgroupConf", "DiskQuota", "KernelMemory", "ContainerIDFile", "VolumeDriver",
		NULL,
	};
	for (size_t i = 0; must_be_default[i]; i++) {
		if (!json_is_default(json_get(k->host, must_be_default[i]))) {
			char field[64];
			snprintf(field, sizeof(field), "HostConfig.%s", must_be_default[i]);
			return refuse(k->e, field, "only its default can be carried");
		}
	}
	return 0;
}

/* The full command Podman runs is Path + Args; Config.Cmd is its tail, so
 * the entrypoint is the head (Podman 4 shows Config.Entrypoint joined by
 * spaces, which loses word boundaries; Podman 5 shows an array). */
static int carry_command(struct carry *k)
{
	struct strv full = { 0 }, cmd = { 0 }, ep = { 0 }, iep = { 0 }, icmd = { 0 };
	int rc = -1;
	const char *path = json_str(k->c, "Path");
	if (!path) {
		refuse(k->e, "Path", "missing from the inspect answer");
		goto out;
	}
	strv_push(&full, path);
	if (strings_of(json_get(k->c, "Args"), &full) < 0 ||
	    strings_of(json_get(k->cfg, "Cmd"), &cmd) < 0) {
		refuse(k->e, "Args", "not a list of strings");
		goto out;
	}
	if (cmd.n > full.n) {
		refuse(k->e, "Config.Cmd", "longer than the command the container runs");
		goto out;
	}
	size_t head = full.n - cmd.n;
	for (size_t i = 0; i < cmd.n; i++)
		if (strcmp(full.v[head + i], cmd.v[i]) != 0) {
			refuse(k->e, "Config.Cmd", "not the tail of the command the container runs");
			goto out;
		}
	for (size_t i = 0; i < head; i++)
		strv_push(&ep, full.v[i]);
	json_object *shown = json_get(k->cfg, "Entrypoint");
	if (shown && json_object_is_type(shown, json_type_array)) {
		struct strv arr = { 0 };
		bool same = strings_of(shown, &arr) == 0 && strv_equal(&arr, &ep);
		strv_free(&arr);
		if (!same) {
			refuse(k->e, "Config.Entrypoint", "does not match the command it runs");
			goto out;
		}
	} else if (shown && json_object_is_type(shown, json_type_string)) {
		struct buf j = BUF_INIT;
		for (size_t i = 0; i < ep.n; i++)
			buf_addf(&j, "%s%s", i ? " " : "", ep.v[i]);
		bool same = strcmp(buf_str(&j), json_object_get_string(shown)) == 0;
		buf_free(&j);
		if (!same) {
			refuse(k->e, "Config.Entrypoint", "does not match the command it runs");
			goto out;
		}
	} else if (shown && !json_object_is_type(shown, json_type_null)) {
		refuse(k->e, "Config.Entrypoint", "neither a string nor a list");
		goto out;
	}
	/* both as the old image had them: the new image's own apply */
	if (k->icfg && strings_of(json_get(k->icfg, "Entrypoint"), &iep) == 0 &&
	    strings_of(json_get(k->icfg, "Cmd"), &icmd) == 0 && strv_equal(&iep, &ep) &&
	    strv_equal(&icmd, &cmd)) {
		rc = 0;
		goto out;
	}
	json_object_object_add(k->spec, "entrypoint", strv_json(&ep));
	json_object_object_add(k->spec, "command", strv_json(&cmd));
	rc = 0;
out:
	strv_free(&full), strv_free(&cmd), strv_free(&ep), strv_free(&iep), strv_free(&icmd);
	return rc;
}

static bool env_from_engine(const char *kv)
{
	return strncmp(kv, "container=", 10) == 0 || strncmp(kv, "HOSTNAME=", 9) == 0 ||
	       strcmp(kv, DEFAULT_PATH) == 0 || strcmp(kv, "TERM=xterm") == 0 ||
	       strcmp(kv, "HOME=/root") == 0;
}

static int carry_env(struct carry *k)
{
	struct strv env = { 0 }, ienv = { 0 };
	if (strings_of(json_get(k->cfg, "Env"), &env) < 0) {
		strv_free(&env);
		return refuse(k->e, "Config.Env", "not a list of strings");
	}
	strings_of(json_get(k->icfg, "Env"), &ienv);
	json_object *m = json_object_new_object();
	for (size_t i = 0; i < env.n; i++) {
		char *eq = strchr(env.v[i], '=');
		if (!eq || eq == env.v[i] || env_from_engine(env.v[i]) ||
		    strv_contains(&ienv, env.v[i]))
			continue;
		*eq = '\0';
		json_add_str(m, env.v[i], eq + 1);
	}
	json_object_object_add(k->spec, "env", m);
	strv_free(&env), strv_free(&ienv);
	return 0;
}

static int carry_labels(struct carry *k, json_object *extra)
{
	json_object *labels = json_obj(k->cfg, "Labels");
	json_object *ilabels = json_obj(k->icfg, "Labels");
	json_object *out = json_object_new_object();
	if (labels) {
		json_object_object_foreach(labels, key, val)
		{
			if (!json_object_is_type(val, json_type_string)) {
				json_object_put(out);
				return refuse(k->e, "Config.Labels", "a value is not a string");
			}
			const char *iv = json_str(ilabels, key);
			if (iv && strcmp(iv, json_object_get_string(val)) == 0)
				continue; /* the old image's: the new image brings its own */
			json_add_str(out, key, json_object_get_string(val));
		}
	}
	if (extra) {
		json_object_object_foreach(extra, xkey, xval)
			json_add_str(out, xkey, json_object_get_string(xval));
	}
	json_object_object_add(k->spec, "labels", out);
	return 0;
}

/* Annotations Podman derives from other fields (carried as those fields)
 * or from the run itself. */
static bool annotation_from_engine(const char *key)
{
	/* io.podman.annotations.label=disable is kept: it is what Podman's
	 * inspect shows label=disable in SecurityOpt from */
	if (strcmp(key, "io.podman.annotations.label") == 0)
		return false;
	return strncmp(key, "io.kubernetes.cri-o.", 20) == 0 ||
	       strncmp(key, "io.podman.annotations.", 22) == 0 ||
	       strcmp(key, "io.container.manager") == 0 ||
	       strcmp(key, "org.opencontainers.image.stopSignal") == 0;
}

static int carry_annotations(struct carry *k)
{
	json_object *ann = json_obj(k->cfg, "Annotations");
	json_object *out = json_object_new_object();
	if (ann) {
		json_object_object_foreach(ann, key, val)
		{
			if (!json_object_is_type(val, json_type_string)) {
				json_object_put(out);
				return refuse(k->e, "Config.Annotations", "a value is not a string");
			}
			if (annotation_from_engine(key))
				continue;
			json_add_str(out, key, json_object_get_string(val));
		}
	}
	json_object_object_add(k->spec, "annotations", out);
	const char *v = json_str(ann, "io.podman.annotations.autoremove");
	if (v && strcasecmp(v, "TRUE") == 0)
		return refuse(k->e, "io.podman.annotations.autoremove",
			      "a container removed when it stops (--rm)");
	v = json_str(ann, "io.podman.annotations.init");
	if (v && strcasecmp(v, "TRUE") == 0)
		json_add_bool(k->spec, "init", true);
	return 0;
}

static int signal_number(json_object *v)
{
	static const struct { const char *name; int sig; } names[] = {
		{ "SIGTERM", SIGTERM }, { "SIGKILL", SIGKILL }, { "SIGINT", SIGINT },
		{ "SIGQUIT", SIGQUIT }, { "SIGHUP", SIGHUP },    { "SIGUSR1", SIGUSR1 },
		{ "SIGUSR2", SIGUSR2 }, { "SIGRTMIN+3", 34 + 3 },
	};
	if (json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);
		return n >= 1 && n <= 64 ? (int)n : -1;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	const char *s = json_object_get_string(v);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].sig;
	long l;
	return parse_long(s, 1, 64, &l) == 0 ? (int)l : -1;
}

/* User, working directory, hostname, terminal, stop signal and timeout. */
static int carry_process(struct carry *k)
{
	const char *user = json_str(k->cfg, "User");
	const char *iuser = json_str(k->icfg, "User");
	if (user && *user && !str_eq(user, iuser))
		json_add_str(k->spec, "user", user);
	const char *wd = json_str(k->cfg, "WorkingDir");
	const char *iwd = json_str(k->icfg, "WorkingDir");
	if (wd && *wd && !str_eq(wd, iwd) && !(str_eq(wd, "/") && (!iwd || !*iwd)))
		json_add_str(k->spec, "work_dir", wd);
	/* a hostname that is the old ID's prefix was Podman's choice */
	const char *host = json_str(k->cfg, "Hostname");
	const char *id = json_str(k->c, "Id");
	if (host && *host && !(id && strlen(host) == 12 && strncmp(host, id, 12) == 0))
		json_add_str(k->spec, "hostname", host);
	if (json_flag(k->cfg, "Tty", false))
		json_add_bool(k->spec, "terminal", true);
	if (json_flag(k->cfg, "OpenStdin", false))
		json_add_bool(k->spec, "stdin", true);
	json_object *sig = json_get(k->cfg, "StopSignal");
	if (sig) {
		int n = signal_number(sig);
		if (n < 0)
			return refuse(k->e, "Config.StopSignal", "not a signal tbx knows");
		json_add_int(k->spec, "stop_signal", n);
	}
	int64_t st = json_int(k->cfg, "StopTimeout", -1);
	if (st >= 0)
		json_add_int(k->spec, "stop_timeout", st);
	int64_t timeout = json_int(k->cfg, "Timeout", 0);
	if (timeout > 0)
		json_add_int(k->spec, "timeout", timeout);
	const char *umask = json_str(k->cfg, "Umask");
	if (umask && *umask && strcmp(umask, "0022") != 0)
		json_add_str(k->spec, "umask", umask);
	return 0;
}

/* "src:dst" (Podman 4.3) or "src:dst:perms" */
static int carry_devices(struct carry *k)
{
	json_object *devs = json_get(k->host, "Devices");
	if (json_is_default(devs))
		return 0;
	if (!json_object_is_type(devs, json_type_array))
		return refuse(k->e, "HostConfig.Devices", "not a list");
	json_object *out = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i);
		const char *h = json_str(d, "PathOnHost"), *c = json_str(d, "PathInContainer");
		const char *perm = json_str(d, "CgroupPermissions");
		if (!h || !*h || h[0] != '/') {
			json_object_put(out);
			return refuse(k->e, "HostConfig.Devices", "an entry without PathOnHost");
		}
		char *path = xasprintf("%s:%s%s%s", h, c && *c ? c : h, perm && *perm ? ":" : "",
				       perm && *perm ? perm : "");
		json_object *o = json_object_new_object();
		json_add_str(o, "path", path);
		free(path);
		json_object_array_add(out, o);
	}
	json_object_object_add(k->spec, "devices", out);
	return 0;
}

/* Podman's inspect shows SecurityOpt from these annotations, which its
 * CLI sets and its API does not: set them, so the next carry sees them. */
static void annotate(struct carry *k, const char *key, const char *val)
{
	json_object *ann = json_obj(k->spec, "annotations");
	if (ann)
		json_add_str(ann, key, val);
}

/* A HostConfig list of strings as a spec list (left out when empty). */
static int carry_list(struct carry *k, const char *field, const char *spec_key)
{
	struct strv v = { 0 };
	if (strings_of(json_get(k->host, field), &v) < 0) {
		char f[64];
		snprintf(f, sizeof(f), "HostConfig.%s", field);
		strv_free(&v);
		return refuse(k->e, f, "not a list of strings");
	}
	if (v.n)
		json_object_object_add(k->spec, spec_key, strv_json(&v));
	strv_free(&v);
	return 0;
}

static int carry_security(struct carry *k)
{
	json_add_bool(k->spec, "privileged", json_flag(k->host, "Privileged", false));
	if (json_flag(k->host, "ReadonlyRootfs", false))
		json_add_bool(k->spec, "read_only_filesystem", true);
	struct strv v = { 0 }, selinux = { 0 }, mask = { 0 }, unmask = { 0 };
	int rc = -1;
	if (strings_of(json_get(k->host, "SecurityOpt"), &v) < 0) {
		refuse(k->e, "HostConfig.SecurityOpt", "not a list of strings");
		goto out;
	}
	/* label=disable: from SecurityOpt, or from the annotation it is shown
	 * from (a container made through the API without it shows none) */
	if (str_eq(json_str(json_obj(k->cfg, "Annotations"), "io.podman.annotations.label"),
		   "disable"))
		strv_push(&selinux, "disable");
	for (size_t i = 0; i < v.n; i++) {
		const char *o = v.v[i];
		if (strncmp(o, "label=", 6) == 0) {
			if (!strv_contains(&selinux, o + 6))
				strv_push(&selinux, o + 6);
		} else if (strncmp(o, "seccomp=", 8) == 0) {
			json_add_str(k->spec, "seccomp_profile_path", o + 8);
			annotate(k, "io.podman.annotations.seccomp", o + 8);
		} else if (strncmp(o, "apparmor=", 9) == 0) {
			json_add_str(k->spec, "apparmor_profile", o + 9);
			annotate(k, "io.podman.annotations.apparmor", o + 9);
		} else if (strcmp(o, "no-new-privileges") == 0 ||
			   strcmp(o, "no-new-privileges=true") == 0) {
			json_add_bool(k->spec, "no_new_privileges", true);
		} else if (strncmp(o, "mask=", 5) == 0) {
			strv_push(&mask, o + 5);
		} else if (strncmp(o, "unmask=", 7) == 0) {
			strv_push(&unmask, o + 7);
		} else {
			char field[160];
			char *s = sanitize_line(o, strlen(o), 80);
			snprintf(field, sizeof(field), "HostConfig.SecurityOpt '%s'", s);
			free(s);
			refuse(k->e, field, "an option tbx does not carry");
			goto out;
		}
	}
	if (selinux.n)
		json_object_object_add(k->spec, "selinux_opts", strv_json(&selinux));
	if (strv_contains(&selinux, "disable"))
		annotate(k, "io.podman.annotations.label", "disable");
	if (mask.n)
		json_object_object_add(k->spec, "mask", strv_json(&mask));
	if (unmask.n)
		json_object_object_add(k->spec, "unmask", strv_json(&unmask));
	if (carry_list(k, "CapAdd", "cap_add") < 0 || carry_list(k, "CapDrop", "cap_drop") < 0 ||
	    carry_list(k, "GroupAdd", "groups") < 0)
		goto out;
	rc = 0;
out:
	strv_free(&v), strv_free(&selinux), strv_free(&mask), strv_free(&unmask);
	return rc;
}

static int carry_ulimits(struct carry *k)
{
	json_object *u = json_get(k->host, "Ulimits");
	if (json_is_default(u))
		return 0;
	if (!json_object_is_type(u, json_type_array))
		return refuse(k->e, "HostConfig.Ulimits", "not a list");
	json_object *out = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(u); i++) {
		json_object *l = json_object_array_get_idx(u, i);
		const char *name = json_str(l, "Name");
		if (!name || strncasecmp(name, "RLIMIT_", 7) != 0 || !json_get(l, "Soft") ||
		    !json_get(l, "Hard")) {
			json_object_put(out);
			return refuse(k->e, "HostConfig.Ulimits", "an entry without Name, Soft, Hard");
		}
		json_object *r = json_object_new_object();
		char *lower = xstrdup(name + 7); /* Podman adds the RLIMIT_ itself */
		for (char *q = lower; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		json_add_str(r, "type", lower);
		free(lower);
		/* "unlimited" is 2^64-1: beyond int64 */
		json_object_object_add(r, "hard", json_object_new_uint64(
							  json_object_get_uint64(json_get(l, "Hard"))));
		json_object_object_add(r, "soft", json_object_new_uint64(
							  json_object_get_uint64(json_get(l, "Soft"))));
		json_object_array_add(out, r);
	}
	json_object_object_add(k->spec, "r_limits", out);
	return 0;
}

/* Bind mounts, named volumes, devpts and tmpfs, from the inspect answer's
 * Mounts (what the user asked for, not Podman's own /etc/hosts...). */
static int carry_mounts(struct carry *k)
{
	json_object *ms = json_get(k->c, "Mounts");
	if (!ms || !json_object_is_type(ms, json_type_array))
		return refuse(k->e, "Mounts", "missing from the inspect answer");
	json_object *mounts = json_object_new_array(), *vols = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		const char *type = json_str(m, "Type"), *src = json_str(m, "Source");
		const char *dst = json_str(m, "Destination"), *name = json_str(m, "Name");
		const char *prop = json_str(m, "Propagation"), *mode = json_str(m, "Mode");
		struct strv opts = { 0 };
		if (!type || !dst || dst[0] != '/' || strings_of(json_get(m, "Options"), &opts) < 0) {
			strv_free(&opts);
			json_object_put(mounts), json_object_put(vols);
			return refuse(k->e, "Mounts", "an entry without Type, Destination or Options");
		}
		strv_push(&opts, json_flag(m, "RW", true) ? "rw" : "ro");
		if (prop && *prop)
			strv_push(&opts, prop);
		if (mode && *mode && !strv_contains(&opts, mode)) /* z, Z, U */
			strv_push(&opts, mode);
		json_object *o = json_object_new_object();
		if (strcmp(type, "volume") == 0 && name && *name) {
			json_add_str(o, "Name", name);
			json_add_str(o, "Dest", dst);
			json_object_object_add(o, "Options", strv_json(&opts));
			json_object_array_add(vols, o);
		} else if ((strcmp(type, "bind") == 0 && str_eq(src, "devpts")) ||
			   strcmp(type, "devpts") == 0) {
			/* Podman 4.3 shows --mount type=devpts as a bind of "devpts" */
			json_add_str(o, "type", "devpts");
			json_add_str(o, "source", "devpts");
			json_add_str(o, "destination", dst);
			struct strv keep = { 0 };
			for (size_t j = 0; j < opts.n; j++)
				if (strcmp(opts.v[j], "rbind") != 0 && strcmp(opts.v[j], "rw") != 0)
					strv_push(&keep, opts.v[j]);
			json_object_object_add(o, "options", strv_json(&keep));
			strv_free(&keep);
			json_object_array_add(mounts, o);
		} else if (strcmp(type, "bind") == 0 && src && src[0] == '/') {
			json_add_str(o, "type", "bind");
			json_add_str(o, "source", src);
			json_add_str(o, "destination", dst);
			json_object_object_add(o, "options", strv_json(&opts));
			json_object_array_add(mounts, o);
		} else {
			char field[160];
			char *s = sanitize_line(dst, strlen(dst), 80);
			snprintf(field, sizeof(field), "Mounts '%s'", s);
			free(s);
			json_object_put(o), strv_free(&opts);
			json_object_put(mounts), json_object_put(vols);
			return refuse(k->e, field, "a mount type tbx does not carry");
		}
		strv_free(&opts);
	}
	json_object *tmpfs = json_obj(k->host, "Tmpfs");
	if (tmpfs) {
		json_object_object_foreach(tmpfs, tdst, topts)
		{
			json_object *o = json_object_new_object();
			json_add_str(o, "type", "tmpfs");
			json_add_str(o, "source", "tmpfs");
			json_add_str(o, "destination", tdst);
			json_object *oa = json_object_new_array();
			const char *s = json_object_is_type(topts, json_type_string)
						? json_object_get_string(topts) : "";
			char *dup = xstrdup(s), *save = NULL;
			for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
				json_object_array_add(oa, json_object_new_string(t));
			free(dup);
			json_object_object_add(o, "options", oa);
			json_object_array_add(mounts, o);
		}
	}
	json_object_object_add(k->spec, "mounts", mounts);
	json_object_object_add(k->spec, "volumes", vols);
	/* --no-hosts and --dns none (toolbox uses both): Podman made no file */
	const char *hosts = json_str(k->c, "HostsPath"), *resolv = json_str(k->c, "ResolvConfPath");
	if (hosts && !*hosts)
		json_add_bool(k->spec, "use_image_hosts", true);
	if (resolv && !*resolv)
		json_add_bool(k->spec, "use_image_resolve_conf", true);
	struct strv dns = { 0 };
	static const char *const dns_keys[][2] = { { "Dns", "dns_server" },
						   { "DnsSearch", "dns_search" },
						   { "DnsOptions", "dns_option" },
						   { "ExtraHosts", "hostadd" } };
	for (size_t i = 0; i < 4; i++) {
		strv_free(&dns);
		if (strings_of(json_get(k->host, dns_keys[i][0]), &dns) < 0) {
			strv_free(&dns);
			char field[64];
			snprintf(field, sizeof(field), "HostConfig.%s", dns_keys[i][0]);
			return refuse(k->e, field, "not a list of strings");
		}
		if (dns.n)
			json_object_object_add(k->spec, dns_keys[i][1], strv_json(&dns));
	}
	strv_free(&dns);
	return 0;
}

/* A namespace mode as inspect shows it -> {"nsmode", "value"}; NULL when
 * it is the default (empty), -1 in *bad when it cannot be carried. */
static json_object *namespace_of(const char *mode, bool *bad)
{
	static const char *const plain[] = { "host", "private", "none", "slirp4netns", "pasta",
					     "bridge", "keep-id", "auto", "nomap", "shareable",
					     NULL };
	*bad = false;
	if (!mode || !*mode)
		return NULL;
	json_object *ns = json_object_new_object();
	for (size_t i = 0; plain[i]; i++)
		if (strcmp(mode, plain[i]) == 0) {
			json_add_str(ns, "nsmode", mode);
			return ns;
		}
	const char *colon = strchr(mode, ':');
	if (strncmp(mode, "ns:", 3) == 0 && mode[3] == '/') {
		json_add_str(ns, "nsmode", "path");
		json_add_str(ns, "value", mode + 3);
		return ns;
	}
	if (colon && (strncmp(mode, "keep-id:", 8) == 0 || strncmp(mode, "auto:", 5) == 0)) {
		json_add_str(ns, "nsmode", strncmp(mode, "auto", 4) == 0 ? "auto" : "keep-id");
		json_add_str(ns, "value", colon + 1);
		return ns;
	}
	json_object_put(ns);
	*bad = true; /* container:ID and anything else */
	return NULL;
}

/* Podman 4 shows IpcMode "shareable" for --ipc host as well as for the
 * default: the create command it recorded (CreateCommand, when the CLI
 * made it, as toolbox and distrobox do) says which. */
static const char *created_with(json_object *cfg, const char *flag)
{
	json_object *cc = json_arr(cfg, "CreateCommand");
	size_t n = cc ? json_object_array_length(cc) : 0, fl = strlen(flag);
	const char *found = NULL, *image = json_str(cfg, "Image");
	for (size_t i = 0; i < n; i++) {
		const char *a = json_object_get_string(json_object_array_get_idx(cc, i));
		if (!a)
			continue;
		if (image && strcmp(a, image) == 0)
			break; /* the container's own command follows */
		if (strcmp(a, flag) == 0 && i + 1 < n)
			found = json_object_get_string(json_object_array_get_idx(cc, ++i));
		else if (strncmp(a, flag, fl) == 0 && a[fl] == '=')
			found = a + fl + 1;
	}
	return found;
}

static int carry_namespaces(struct carry *k)
{
	/* shown: what Podman 4 shows when the mode is ambiguous ("shareable"
	 * for --ipc host; "private" with the maps for --userns keep-id): then
	 * the CLI's create command, else what tbx recorded (label), decides */
	static const struct {
		const char *field, *spec_key, *flag, *label, *shown;
	} ns[] = {
		{ "NetworkMode", "netns", "--network", NULL, NULL },
		{ "PidMode", "pidns", "--pid", NULL, NULL },
		{ "IpcMode", "ipcns", "--ipc", LABEL_IPC, "shareable" },
		{ "UTSMode", "utsns", "--uts", NULL, NULL },
		{ "UsernsMode", "userns", "--userns", LABEL_USERNS, "private" },
		{ "CgroupMode", "cgroupns", "--cgroupns", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		const char *mode = json_str(k->host, ns[i].field);
		if (ns[i].label) {
			const char *cli = created_with(k->cfg, ns[i].flag);
			const char *kept = json_str(json_obj(k->cfg, "Labels"), ns[i].label);
			if (cli)
				mode = cli;
			else if (kept && str_eq(mode, ns[i].shown))
				mode = kept; /* what tbx carried last time */
			if (mode && (cli || kept))
				json_add_str(json_obj(k->spec, "labels"), ns[i].label, mode);
			if (str_eq(mode, "shareable"))
				mode = NULL; /* Podman's default IPC */
		}
		bool bad;
		json_object *o = namespace_of(mode, &bad);
		if (bad) {
			char field[96];
			snprintf(field, sizeof(field), "HostConfig.%s", ns[i].field);
			return refuse(k->e, field,
				      "shared with another container or a mode tbx does not know");
		}
		if (o)
			json_object_object_add(k->spec, ns[i].spec_key, o);
	}
	/* bridge: the networks it was on (addresses are the engine's to give) */
	if (str_eq(json_str(k->host, "NetworkMode"), "bridge")) {
		json_object *nets = json_obj(json_obj(k->c, "NetworkSettings"), "Networks");
		json_object *out = json_object_new_object();
		if (nets) {
			json_object_object_foreach(nets, nname, nval)
			{
				(void)nval;
				json_object_object_add(out, nname, json_object_new_object());
			}
		}
		json_object_object_add(k->spec, "networks", out);
	}
	/* explicit maps (--uidmap/--gidmap): "container:host:size" strings */
	json_object *idm = json_obj(k->host, "IDMappings");
	if (idm && str_eq(json_str(json_obj(k->spec, "userns"), "nsmode"), "private")) {
		static const char *const sides[][2] = { { "UidMap", "UIDMap" },
							{ "GidMap", "GIDMap" } };
		json_object *maps = json_object_new_object();
		for (size_t s = 0; s < 2; s++) {
			struct strv v = { 0 };
			json_object *arr = json_object_new_array();
			if (strings_of(json_get(idm, sides[s][0]), &v) < 0) {
				strv_free(&v);
				json_object_put(arr), json_object_put(maps);
				return refuse(k->e, "HostConfig.IDMappings", "not a list of strings");
			}
			for (size_t j = 0; j < v.n; j++) {
				unsigned long long c, h, n;
				char tail;
				if (sscanf(v.v[j], "%llu:%llu:%llu%c", &c, &h, &n, &tail) != 3 ||
				    c > 0xffffffffULL || h > 0xffffffffULL || n > 0xffffffffULL) {
					strv_free(&v);
					json_object_put(arr), json_object_put(maps);
					return refuse(k->e, "HostConfig.IDMappings",
						      "an entry not container:host:size");
				}
				json_object *m = json_object_new_object();
				json_add_int(m, "container_id", (int64_t)c);
				json_add_int(m, "host_id", (int64_t)h);
				json_add_int(m, "size", (int64_t)n);
				json_object_array_add(arr, m);
			}
			strv_free(&v);
			json_object_object_add(maps, sides[s][1], arr);
		}
		json_object_object_add(k->spec, "idmappings", maps);
	}
	const char *cgroups = json_str(k->host, "Cgroups");
	if (cgroups && *cgroups && strcmp(cgroups, "default") != 0 && strcmp(cgroups, "enabled") != 0)
		json_add_str(k->spec, "cgroups_mode", cgroups);
	const char *parent = json_str(k->host, "CgroupParent");
	if (parent && *parent)
		json_add_str(k->spec, "cgroup_parent", parent);
	return 0;
}

static int carry_host_rest(struct carry *k)
{
	json_object *rp = json_obj(k->host, "RestartPolicy");
	const char *policy = json_str(rp, "Name");
	if (policy && *policy && strcmp(policy, "no") != 0) {
		json_add_str(k->spec, "restart_policy", policy);
		int64_t tries = json_int(rp, "MaximumRetryCount", 0);
		if (tries > 0)
			json_add_int(k->spec, "restart_tries", tries);
	}
	int64_t shm = json_int(k->host, "ShmSize", DEFAULT_SHM);
	const char *ipc = json_str(json_obj(k->spec, "ipcns"), "nsmode");
	if (shm > 0 && shm != DEFAULT_SHM && !str_eq(ipc, "host"))
		json_add_int(k->spec, "shm_size", shm);
	if (json_flag(k->host, "Init", false))
		json_add_bool(k->spec, "init", true);
	const char *log = json_str(json_obj(k->host, "LogConfig"), "Type");
	if (log && *log) {
		json_object *lc = json_object_new_object();
		json_add_str(lc, "driver", log);
		json_object_object_add(k->spec, "log_configuration", lc);
	}
	return 0;
}

json_object *adopt_spec(json_object *inspect, json_object *image_inspect, const char *name,
			const char *image_id, json_object *extra_labels, struct err *e)
{
	struct carry k = { .c = inspect, .e = e };
	if (!inspect || !json_object_is_type(inspect, json_type_object)) {
		err_set(e, "cannot carry the container: the inspect answer is not an object");
		return NULL;
	}
	k.cfg = json_obj(inspect, "Config");
	k.host = json_obj(inspect, "HostConfig");
	k.icfg = json_obj(image_inspect, "Config");
	if (!json_str(inspect, "Id") || !k.cfg || !k.host) {
		refuse(e, !json_str(inspect, "Id") ? "Id" : !k.cfg ? "Config" : "HostConfig",
		       "missing from the inspect answer");
		return NULL;
	}
	k.spec = json_object_new_object();
	json_add_str(k.spec, "name", name);
	json_add_str(k.spec, "image", image_id);
	if (check_standalone(&k) < 0 || check_host_defaults(&k) < 0 || carry_command(&k) < 0 ||
	    carry_env(&k) < 0 || carry_labels(&k, extra_labels) < 0 || carry_annotations(&k) < 0 ||
	    carry_process(&k) < 0 || carry_devices(&k) < 0 || carry_security(&k) < 0 ||
	    carry_ulimits(&k) < 0 || carry_mounts(&k) < 0 || carry_namespaces(&k) < 0 ||
	    carry_host_rest(&k) < 0 || check_dependencies(&k) < 0) {
		json_object_put(k.spec);
		return NULL;
	}
	return k.spec;
}
