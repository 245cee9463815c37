/* doctor.c - tbx doctor: check what tbx needs, one line per check with
 * what to fix.  Exit 1 when anything FAILs. */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "freshness.h"
#include "hoststate.h"
#include "imagelock.h"
#include "json.h"
#include "lock.h"
#include "regcheck.h"
#include "remote.h"

enum level { LV_OK, LV_SKIP, LV_WARN, LV_FAIL };
static const char *const level_names[] = { "OK", "SKIP", "WARN", "FAIL" };

struct report {
	bool json;
	json_object *checks;
	size_t count[4];
};

static void say(struct report *r, enum level lv, const char *check, const char *fix,
		const char *fmt, ...) PRINTF_LIKE(5, 6);

static void say(struct report *r, enum level lv, const char *check, const char *fix,
		const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	buf_init(&msg);
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	r->count[lv]++;
	if (r->json) {
		json_object *j = json_object_new_object();
		char lower[8];
		size_t i = 0;
		for (; level_names[lv][i]; i++)
			lower[i] = (char)(level_names[lv][i] | 0x20);
		lower[i] = '\0';
		json_add_str(j, "check", check);
		json_add_str(j, "status", lower);
		json_add_str(j, "message", msg.p);
		json_add_str(j, "fix", fix);
		json_object_array_add(r->checks, j);
	} else {
		printf("%-4s  %-10s %s%s%s\n", level_names[lv], check, msg.p, fix ? "; fix: " : "",
		       fix ? fix : "");
	}
	buf_free(&msg);
}

/* ---- definitions ---- */

/* Loads what ctx_load loads, one check each, so one failure does not hide
 * the others.  Returns true when everything loaded. */
static bool check_definitions(struct ctx *c, struct report *r)
{
	if (home_find(c->home_opt, &c->home, &c->err) < 0) {
		say(r, LV_FAIL, "home",
		    "pass -C DIR or set TBX_HOME to the directory holding "
		    "containers/ and manifests/",
		    "%s", c->err.msg);
		return false;
	}
	say(r, LV_OK, "home", NULL, "%s", c->home);
	bool ok = true;
	if (config_load(c->home, &c->cfg, &c->err) < 0) {
		say(r, LV_FAIL, "config", "correct the file named above", "%s", c->err.msg);
		ok = false;
	} else {
		say(r, LV_OK, "config", NULL, "%s",
		    c->cfg.path ? c->cfg.path : "no config file: defaults");
	}
	if (backends_load(c->home, &c->backends, &c->err) < 0) {
		say(r, LV_FAIL, "backends", "correct the definition named above", "%s", c->err.msg);
		ok = false;
	} else if (c->backends.n == 0) {
		say(r, LV_FAIL, "backends", "add containers/ID.json files (see the shipped ones)",
		    "no backend definitions in %s/containers", c->home);
		ok = false;
	} else {
		struct buf ids = BUF_INIT;
		buf_init(&ids);
		for (size_t i = 0; i < c->backends.n; i++)
			buf_addf(&ids, "%s%s", i ? ", " : "", c->backends.v[i].id);
		say(r, LV_OK, "backends", NULL, "%zu definitions load: %s", c->backends.n, ids.p);
		buf_free(&ids);
	}
	if (models_load(c->home, &c->models, &c->err) < 0) {
		say(r, LV_FAIL, "models", "correct manifests/models.json", "%s", c->err.msg);
		ok = false;
	}
	c->loaded = ok;
	return ok;
}

static void check_models(struct ctx *c, struct report *r)
{
	if (!c->models.root)
		return;
	if (!is_dir(c->models.root)) {
		say(r, LV_FAIL, "models", "create it, or set \"root\" in manifests/models.json",
		    "models root '%s' is not a directory (containers bind-mount it)",
		    c->models.root);
		return;
	}
	size_t present = 0;
	for (size_t i = 0; i < c->models.n; i++) {
		char *path = NULL;
		const char *alias = NULL;
		struct err e = { 0 };
		if (model_resolve(&c->models, c->models.v[i].alias, &path, &alias, &e) == 0) {
			present++;
		} else {
			say(r, LV_WARN, "models",
			    "download it, or correct its path in manifests/models.json",
			    "%s (benches of it will fail)", e.msg);
		}
		free(path);
	}
	say(r, present == c->models.n ? LV_OK : LV_WARN, "models", NULL,
	    "%zu of %zu model files present under %s", present, c->models.n, c->models.root);
}

/* ---- Podman ---- */

/* Where ctx_podman looks, for the message. */
static char *podman_where(struct ctx *c)
{
	if (c->connection) {
		struct connections cs;
		struct err e = { 0 };
		char *s = NULL;
		if (connections_load(&cs, &e) == 0) {
			const struct connection *k = connection_find(&cs, c->connection);
			if (k && k->uri)
				s = xasprintf("connection '%s' (%s)", k->name, k->uri);
			connections_free(&cs);
		}
		return s ? s : xasprintf("connection '%s'", c->connection);
	}
	if (c->url)
		return xasprintf("%s (--url)", c->url);
	const char *host = getenv("CONTAINER_HOST");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char *url = podman_default_url();
	char *s = xasprintf("%s (%s)", url,
			    host && *host    ? "CONTAINER_HOST"
			    : geteuid() == 0 ? "root's default"
			    : xdg && *xdg    ? "the rootless default"
					     : "XDG_RUNTIME_DIR is not set: the rootful default");
	free(url);
	return s;
}

static void check_podman(struct ctx *c, struct report *r)
{
	char *where = podman_where(c);
	char *version = NULL;
	if (ctx_podman(c) < 0 || podman_version(&c->podman, &version, &c->err) < 0) {
		/* Podman's connect errors already say how to start it */
		const char *fix = strstr(c->err.msg, "systemctl") ? NULL
				  : c->connection ? "check it with 'podman --connection NAME info'"
						  : "start Podman's service, or pass --url";
		say(r, LV_FAIL, "podman", fix, "looked at %s: %s", where, c->err.msg);
	} else if (atoi(version) < 4) {
		say(r, LV_FAIL, "podman", "upgrade Podman to 4.0 or later",
		    "%s answers, but Podman %s is too old for the v4 API", where, version);
	} else {
		say(r, LV_OK, "podman", NULL, "%s answers: Podman %s on %s", where, version,
		    c->podman.host ? c->podman.host : "?");
	}
	free(version);
	free(where);
}

/* ---- devices and groups ---- */

/* "rocm-7.2, rocm7-nightlies" needing path, or NULL. */
static char *needed_by(struct ctx *c, const char *path)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	for (size_t i = 0; c->loaded && i < c->backends.n; i++)
		for (size_t k = 0; k < c->backends.v[i].devices.n; k++) {
			const char *d = c->backends.v[i].devices.v[k];
			if (str_eq(d, path) ||
			    (str_starts_with(d, path) && d[strlen(path)] == '/')) {
				buf_addf(&b, "%s%s", b.len ? ", " : "", c->backends.v[i].id);
				break;
			}
		}
	return b.len ? buf_detach(&b) : (buf_free(&b), NULL);
}

static const char *group_of(const char *path)
{
	struct stat st;
	struct group *g = stat(path, &st) == 0 ? getgrgid(st.st_gid) : NULL;
	return g ? g->gr_name : "its group";
}

/* /dev/dri: the render nodes in it must be usable. */
static void check_dri(struct ctx *c, struct report *r)
{
	char *need = needed_by(c, "/dev/dri");
	enum level bad = need ? LV_FAIL : LV_WARN;
	char *why = need ? xasprintf("needed by %s", need) : xstrdup("no definition uses it");
	DIR *d = opendir("/dev/dri");
	if (!d) {
		say(r, bad, "devices", "install or load the GPU's kernel driver (amdgpu)",
		    "/dev/dri does not exist (%s)", why);
		goto out;
	}
	size_t nodes = 0, usable = 0;
	char denied[300] = "";
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!str_starts_with(de->d_name, "renderD"))
			continue;
		char *p = path_join("/dev/dri", de->d_name);
		nodes++;
		if (access(p, R_OK | W_OK) == 0)
			usable++;
		else if (!denied[0])
			snprintf(denied, sizeof(denied), "%s (group %s)", p, group_of(p));
		free(p);
	}
	closedir(d);
	if (nodes == 0) {
		say(r, bad, "devices", "install or load the GPU's kernel driver (amdgpu)",
		    "/dev/dri has no render node (%s)", why);
	} else if (usable < nodes) {
		say(r, bad, "devices", "add yourself to the node's group (see groups below)",
		    "/dev/dri: %s is not readable and writable by you (%s)", denied, why);
	} else {
		say(r, LV_OK, "devices", NULL, "/dev/dri: %zu render node%s usable", nodes,
		    nodes == 1 ? "" : "s");
	}
out:
	free(need), free(why);
}

static void check_kfd(struct ctx *c, struct report *r)
{
	char *need = needed_by(c, "/dev/kfd");
	enum level bad = need ? LV_FAIL : LV_WARN;
	char *why = need ? xasprintf("needed by %s", need) : xstrdup("no definition uses it");
	struct stat st;
	if (stat("/dev/kfd", &st) < 0)
		say(r, bad, "devices", "load the amdgpu kernel driver with KFD (ROCm) support",
		    "/dev/kfd does not exist (%s)", why);
	else if (!S_ISCHR(st.st_mode))
		say(r, bad, "devices", NULL, "/dev/kfd is not a character device (%s)", why);
	else if (access("/dev/kfd", R_OK | W_OK) != 0)
		say(r, bad, "devices", "add yourself to the device's group (see groups below)",
		    "/dev/kfd is not readable and writable by you (group %s; %s)",
		    group_of("/dev/kfd"), why);
	else
		say(r, LV_OK, "devices", NULL, "/dev/kfd usable");
	free(need), free(why);
}

static bool gid_in(gid_t g, const gid_t *v, int n)
{
	for (int i = 0; i < n; i++)
		if (v[i] == g)
			return true;
	return false;
}

static void check_groups(struct ctx *c, struct report *r)
{
	if (geteuid() == 0) {
		say(r, LV_OK, "groups", NULL, "running as root: devices need no group");
		return;
	}
	struct passwd *pw = getpwuid(geteuid());
	const char *user = pw ? pw->pw_name : "USER";
	gid_t session[NGROUPS_MAX + 1];
	int ns = getgroups(NGROUPS_MAX, session);
	if (ns < 0)
		ns = 0;
	session[ns++] = getegid();
	gid_t listed[NGROUPS_MAX + 1];
	int nl = NGROUPS_MAX;
	if (!pw || getgrouplist(user, pw->pw_gid, listed, &nl) < 0)
		nl = 0;
	bool needed = false;
	for (size_t i = 0; c->loaded && i < c->backends.n; i++)
		needed |= c->backends.v[i].devices.n > 0;
	static const char *const names[] = { "video", "render" };
	for (size_t i = 0; i < 2; i++) {
		struct group *g = getgrnam(names[i]);
		char *fix = xasprintf("sudo usermod -aG %s %s, then log in again", names[i], user);
		if (!g)
			say(r, LV_WARN, "groups", NULL, "group '%s' does not exist on this system",
			    names[i]);
		else if (gid_in(g->gr_gid, session, ns))
			say(r, LV_OK, "groups", NULL, "%s is in group '%s'", user, names[i]);
		else if (gid_in(g->gr_gid, listed, nl))
			say(r, LV_WARN, "groups", "log out and in again (or run 'newgrp')",
			    "%s is in group '%s', but not in this login session yet", user,
			    names[i]);
		else
			say(r, needed ? LV_FAIL : LV_WARN, "groups", fix,
			    "%s is not in group '%s' (rootless containers reach the GPU "
			    "through it)",
			    user, names[i]);
		free(fix);
	}
}

/* ---- SELinux and the environment ---- */

extern char **environ;

/* ids of container backends using labelling mode m, comma-separated */
static char *ids_with_label(struct ctx *c, enum label_mode m)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	for (size_t i = 0; c->loaded && i < c->backends.n; i++)
		if (!c->backends.v[i].native && c->backends.v[i].selinux == m)
			buf_addf(&b, "%s%s", b.len ? ", " : "", c->backends.v[i].id);
	return b.len ? buf_detach(&b) : (buf_free(&b), NULL);
}

/* Enforcing (or permissive): can the containers that keep labelling read
 * the models root? */
static void check_models_label(struct ctx *c, struct report *r, enum selinux_mode m)
{
	const char *mode = m == SELINUX_ENFORCING ? "enforcing" : "permissive";
	char *keep = ids_with_label(c, LABEL_DEFAULT);
	char *relabel = ids_with_label(c, LABEL_RELABEL_SHARED);
	if (relabel)
		say(r, LV_OK, "selinux", NULL,
		    "SELinux is %s; %s relabel%s %s for containers (:z, shared) when created: "
		    "your files there get the container_file_t label",
		    mode, relabel, strchr(relabel, ',') ? "" : "s", c->models.root);
	char *label = hoststate_selinux_label(c->models.root);
	char *type = selinux_label_type(label);
	if (!keep) {
		if (!relabel)
			say(r, LV_OK, "selinux", NULL,
			    "SELinux is %s; every container backend disables labelling "
			    "(label=disable), so the models root's label (%s) does not matter",
			    mode, type ? type : "unreadable");
		free(label), free(type);
		goto out;
	}
	char *fix = xasprintf("set \"selinux\": \"disable\" (tbx's default) or \"relabel-shared\" "
			      "in the definition of %s, or relabel the directory: chcon -R -t "
			      "container_file_t %s",
			      keep, c->models.root);
	if (!type) {
		char *look = xasprintf("look at it with 'ls -Zd %s'", c->models.root);
		say(r, LV_WARN, "selinux", look,
		    "SELinux is %s; cannot read the label of the models root %s, which %s "
		    "(\"selinux\": \"default\") must read",
		    mode, c->models.root, keep);
		free(look);
	} else if (selinux_type_container_readable(type))
		say(r, LV_OK, "selinux", NULL,
		    "SELinux is %s; the models root %s is labelled %s, which containers can read "
		    "(%s keep%s labelling)",
		    mode, c->models.root, type, keep, strchr(keep, ',') ? "" : "s");
	else if (m == SELINUX_ENFORCING)
		say(r, LV_FAIL, "selinux", fix,
		    "SELinux is enforcing and the models root %s is labelled %s, which containers "
		    "cannot read: benches in %s (\"selinux\": \"default\") would fail with "
		    "'permission denied'",
		    c->models.root, type, keep);
	else
		say(r, LV_WARN, "selinux", fix,
		    "SELinux is permissive: the models root %s is labelled %s, which containers "
		    "could not read once it enforces (%s keep%s labelling)",
		    c->models.root, type, keep, strchr(keep, ',') ? "" : "s");
	free(label), free(type), free(fix);
out:
	free(keep), free(relabel);
}

/* Enforcing (or permissive): devices of the containers that keep
 * labelling.  container-selinux lets container_t use /dev/dri only with
 * the boolean container_use_dri_devices (on by default since 2023), any
 * other device (/dev/kfd) only with container_use_devices (off). */
static void check_devices_label(struct ctx *c, struct report *r, enum selinux_mode m)
{
	static const char *const booleans[] = { "container_use_dri_devices",
						"container_use_devices" };
	const char *mode = m == SELINUX_ENFORCING ? "enforcing" : "permissive";
	for (size_t k = 0; k < 2; k++) {
		struct buf who = BUF_INIT, what = BUF_INIT;
		struct strv seen = STRV_INIT;
		buf_init(&who), buf_init(&what);
		for (size_t i = 0; i < c->backends.n; i++) {
			const struct backend *b = &c->backends.v[i];
			if (b->native || b->selinux == LABEL_DISABLE)
				continue;
			bool uses = false;
			for (size_t d = 0; d < b->devices.n; d++) {
				const char *dev = b->devices.v[d];
				bool dri = str_eq(dev, "/dev/dri") || str_starts_with(dev, "/dev/dri/");
				if (dri == (k == 0)) {
					uses = true;
					if (!strv_contains(&seen, dev)) {
						strv_push(&seen, dev);
						buf_addf(&what, "%s%s", what.len ? ", " : "", dev);
					}
				}
			}
			if (uses)
				buf_addf(&who, "%s%s", who.len ? ", " : "", b->id);
		}
		if (!who.len)
			goto next;
		int v = hoststate_selinux_bool(host_root(), booleans[k]);
		char *fix = xasprintf("sudo setsebool -P %s on, or set \"selinux\": \"disable\" "
				      "(tbx's default) in the definition of %s",
				      booleans[k], who.p);
		if (v == 1)
			say(r, LV_OK, "selinux", NULL,
			    "SELinux is %s; %s (used by %s, which keep%s labelling) is allowed to "
			    "containers: %s is on",
			    mode, what.p, who.p, strchr(who.p, ',') ? "" : "s", booleans[k]);
		else if (v == 0)
			say(r, m == SELINUX_ENFORCING ? LV_FAIL : LV_WARN, "selinux", fix,
			    "SELinux is %s and %s is off: %s in %s (which keep%s labelling) %s",
			    mode, booleans[k], what.p, who.p, strchr(who.p, ',') ? "" : "s",
			    m == SELINUX_ENFORCING ? "cannot be opened ('permission denied')"
						   : "could not be opened once it enforces");
		else
			say(r, LV_WARN, "selinux", fix,
			    "SELinux is %s; cannot read the boolean %s, which decides whether %s in "
			    "%s (which keep%s labelling) can be opened",
			    mode, booleans[k], what.p, who.p, strchr(who.p, ',') ? "" : "s");
		free(fix);
	next:
		buf_free(&who), buf_free(&what);
		strv_free(&seen);
	}
}

static void check_selinux(struct ctx *c, struct report *r)
{
	const char *root = host_root();
	const char *shown = strcmp(root, "/") == 0 ? "" : root;
	enum selinux_mode m = hoststate_selinux_mode(root);
	if (m == SELINUX_ABSENT)
		say(r, LV_OK, "selinux", NULL,
		    "SELinux is not enabled (no %s/sys/fs/selinux/enforce): labels do not matter",
		    shown);
	else if (m == SELINUX_UNKNOWN)
		say(r, LV_WARN, "selinux", "run 'getenforce'",
		    "cannot tell SELinux's mode: %s/sys/fs/selinux/enforce is unreadable or not 0/1",
		    shown);
	else if (!c->loaded || !c->models.root)
		say(r, LV_SKIP, "selinux", NULL,
		    "SELinux is %s; the models root's label is not checked (definitions did not "
		    "load)",
		    m == SELINUX_ENFORCING ? "enforcing" : "permissive");
	else {
		check_models_label(c, r, m);
		check_devices_label(c, r, m);
	}
}

static void check_env(struct ctx *c, struct report *r)
{
	json_object *ge = gpu_env_object(environ, NULL);
	char *natives = NULL;
	struct buf nb = BUF_INIT;
	buf_init(&nb);
	for (size_t i = 0; c->loaded && i < c->backends.n; i++)
		if (c->backends.v[i].native)
			buf_addf(&nb, "%s%s", nb.len ? ", " : "", c->backends.v[i].id);
	natives = nb.len ? buf_detach(&nb) : (buf_free(&nb), xstrdup("none defined"));
	if (json_object_object_length(ge) == 0)
		say(r, LV_OK, "env", NULL,
		    "no GPU-related variable (HSA_*, HIP_*, ROCR_*, VK_*, GGML_*, RADV_*...) is set "
		    "here");
	json_object_object_foreach(ge, name, v)
	{
		const char *val = json_object_get_string(v);
		char *fix = xasprintf("unset %s before benching, or set it on purpose in a "
				      "definition's \"env\"",
				      name);
		say(r, LV_WARN, "env", fix,
		    "%s=%s is set: native backends (%s) inherit it and it changes GPU selection or "
		    "behaviour%s; container backends do not see it",
		    name, val, natives,
		    strcmp(name, "HSA_OVERRIDE_GFX_VERSION") == 0
			    ? " (a stale value made a gfx1151 detect as gfx1100 and crash)"
			    : "");
		free(fix);
	}
	free(natives);
	json_object_put(ge);
}

/* ---- lock, registry ---- */

static void check_lock(struct report *r)
{
	char *dir = NULL;
	struct err e = { 0 };
	if (run_lock_dir(&dir, &e) < 0) {
		say(r, LV_FAIL, "lock", "make it yours with mode 0700, or set TBX_LOCK_DIR", "%s",
		    e.msg);
		return;
	}
	char *holder = run_lock_holder(NULL);
	say(r, LV_OK, "lock", NULL, "%s is private%s%s", dir, holder ? "; held now by " : "",
	    holder ? holder : "");
	free(holder), free(dir);
}

static void check_registry(struct ctx *c, struct report *r, bool offline)
{
	if (!c->loaded)
		return;
	struct registry_opts o;
	registry_opts_from(&c->cfg, &o);
	const struct backend *b = NULL;
	for (size_t i = 0; i < c->backends.n && !b; i++)
		if (!c->backends.v[i].native)
			b = &c->backends.v[i];
	if (!b) {
		say(r, LV_SKIP, "registry", NULL, "no container backend to ask about");
		return;
	}
	char *base = registry_base_url(&o, b->ref.registry);
	const char *mirror = o.mirrors && *o.mirrors ? o.mirrors : NULL;
	if (!base) {
		say(r, LV_FAIL, "registry",
		    "use registry=URL pairs like docker.io=http://127.0.0.1:5000 (registry_mirror "
		    "in tbx.conf, or TBX_REGISTRY_MIRROR)",
		    "registry mirror setting '%s' is invalid", mirror ? mirror : "");
	} else if (offline) {
		say(r, LV_SKIP, "registry", NULL, "%s: %s (not asked: --offline)",
		    mirror ? "mirror" : "no mirror", base);
	} else {
		struct registry_answer ans = { 0 };
		char sd[24];
		registry_check(&c->cfg, &b, 1, &ans);
		if (ans.ok)
			say(r, LV_OK, "registry", NULL, "%s%s answers: %s is %s", base,
			    mirror ? " (mirror)" : "", b->image, short_digest(ans.digest, sd));
		else
			say(r, LV_WARN, "registry",
			    "check the network or the mirror setting; until then status and "
			    "bench judge from the last verification",
			    "%s%s: %s", base, mirror ? " (mirror)" : "", ans.err.msg);
		registry_answer_free(&ans);
	}
	free(base);
}

static int run_doctor(struct ctx *c, const struct cmd_args *a)
{
	bool offline = cmd_has(a, "offline");
	if (a->argc > 0)
		return cmd_usage(&cmd_doctor, "unexpected argument '%s'", a->argv[0]);
	struct report r = { .json = c->json };
	if (r.json)
		r.checks = json_object_new_array();
	if (check_definitions(c, &r))
		check_models(c, &r);
	check_podman(c, &r);
	if (c->connection) {
		say(&r, LV_SKIP, "devices", NULL,
		    "not checked: they are on the remote host (run "
		    "'tbx doctor' there)");
		say(&r, LV_SKIP, "selinux", NULL,
		    "not checked: it is the remote host's (run 'tbx doctor' there)");
	} else {
		check_dri(c, &r);
		check_kfd(c, &r);
		check_groups(c, &r);
		check_selinux(c, &r);
	}
	check_env(c, &r);
	check_lock(&r);
	check_registry(c, &r, offline);
	bool ok = r.count[LV_FAIL] == 0;
	if (r.json) {
		json_object *j = json_object_new_object();
		json_add_bool(j, "ok", ok);
		json_object_object_add(j, "checks", r.checks);
		cmd_print_json(j);
		json_object_put(j);
	} else {
		printf("%zu failed, %zu warning%s\n", r.count[LV_FAIL], r.count[LV_WARN],
		       r.count[LV_WARN] == 1 ? "" : "s");
	}
	return ok ? EXIT_OK : EXIT_FAIL;
}

static const struct cmd_option doctor_options[] = {
	{ "json", 0, NULL,
	  "print the checks as JSON: {\"ok\", \"checks\": [{\"check\", \"status\", "
	  "\"message\", \"fix\"}]}" },
	{ "offline", 0, NULL, "do not ask the registry" },
	{ NULL, 0, NULL, NULL },
};

const struct command cmd_doctor = {
	.name = "doctor",
	.args = "[--json] [--offline]",
	.summary = "check what tbx needs and say what to fix",
	.description =
		"Checks, one line each (OK, WARN, FAIL or SKIP, and what to fix): the tbx home, "
		"config and definitions load; the models root exists and which model files are "
		"missing; the Podman socket answers (where it looked, and Podman's version); "
		"/dev/dri render nodes and /dev/kfd exist and are usable; you are in the video and "
		"render groups (in this login session, not only in /etc/group); the lock directory "
		"is private; the registry mirror setting is valid and the registry answers a "
		"manifest HEAD (no pull counted); SELinux's mode (/sys/fs/selinux/enforce, absent = "
		"not enabled) and, when it is enabled and a definition keeps labelling "
		"(\"selinux\": \"default\"), whether containers can read the models root's label "
		"(its security.selinux attribute: user_home_t cannot be read, container_file_t and "
		"container_ro_file_t can; FAIL when enforcing, WARN when permissive, OK when every "
		"definition disables labelling) and whether the SELinux booleans let its devices "
		"be opened (container_use_dri_devices for /dev/dri, container_use_devices for "
		"/dev/kfd and others, from /sys/fs/selinux/booleans); GPU-related variables in your environment "
		"(HSA_OVERRIDE_GFX_VERSION, HIP_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES, "
		"CUDA_VISIBLE_DEVICES, VK_ICD_FILENAMES, VK_DRIVER_FILES, GGML_VK_VISIBLE_DEVICES, "
		"other HSA_*, HIP_*, ROCR_*, VK_*, GGML_*, RADV_*, AMD_*...), which native backends "
		"inherit (WARN each, with its value). A device or group problem FAILs only when a definition uses the device. "
		"Host files are read below TBX_HOST_ROOT (default /; see ENVIRONMENT for the SELinux "
		"fixtures). Exits 0 when nothing FAILs, "
		"else 1.",
	.options = doctor_options,
	.run = run_doctor,
};
