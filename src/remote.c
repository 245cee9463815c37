/* remote.c - Podman system connections, and ssh forwarding a remote
 * Podman socket to a private local one. */
#define _GNU_SOURCE
#include "remote.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "runcmd.h"
#include "toml.h"

#define CONF_MAX_BYTES ((size_t)1 << 20)
#define SSH_WAIT_S 15

/* ---- the connection list ---- */

static struct connection *connection_get(struct connections *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return &c->v[i];
	c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
	struct connection *n = &c->v[c->n++];
	memset(n, 0, sizeof(*n));
	n->name = xstrdup(name);
	return n;
}

const struct connection *connection_find(const struct connections *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return &c->v[i];
	return NULL;
}

static void set_str(char **dst, const char *val)
{
	free(*dst);
	*dst = val && *val ? xstrdup(val) : NULL;
}

void connections_free(struct connections *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].name), free(c->v[i].uri), free(c->v[i].identity);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* ---- containers.conf ---- */

struct conf_ctx {
	struct connections *out;
	char **active;
};

/* What containers.conf means to us: engine.active_service and
 * engine.service_destinations.NAME.{uri,identity}. */
static void conf_use(const struct strv *path, const char *val, void *ctx)
{
	struct conf_ctx *c = ctx;
	if (path->n == 2 && str_eq(path->v[0], "engine") && str_eq(path->v[1], "active_service")) {
		set_str(c->active, val);
		return;
	}
	if (path->n != 4 || !str_eq(path->v[0], "engine") ||
	    !str_eq(path->v[1], "service_destinations") || !*path->v[2])
		return;
	if (str_eq(path->v[3], "uri"))
		set_str(&connection_get(c->out, path->v[2])->uri, val);
	else if (str_eq(path->v[3], "identity"))
		set_str(&connection_get(c->out, path->v[2])->identity, val);
}

int connections_parse_conf(const char *text, size_t len, const char *name, struct connections *out,
			   char **active, struct err *e)
{
	struct conf_ctx c = { .out = out, .active = active };
	return toml_parse(text, len, name, conf_use, &c, e);
}

/* ---- podman-connections.json (Podman 5) ---- */

int connections_parse_json(const char *text, size_t len, const char *name, struct connections *out,
			   char **def, struct err *e)
{
	e->msg[0] = '\0';
	json_object *o = json_parse(text, len, name, e);
	if (!o) {
		if (!e->msg[0]) /* the literal null */
			return err_setx(e, EXIT_USAGE, "%s: expected {\"Connection\": "
					"{\"Connections\": {NAME: {\"URI\": ...}}}}, not null", name);
		e->exit_code = EXIT_USAGE; /* a malformed file, as containers.conf's */
		return -1;
	}
	int rc = 0;
	json_object *conn = json_get(o, "Connection");
	json_object *list = json_get(conn, "Connections");
	if (!json_object_is_type(o, json_type_object) ||
	    (conn && !json_object_is_type(conn, json_type_object)) ||
	    (list && !json_object_is_type(list, json_type_object))) {
		rc = err_setx(
			e, EXIT_USAGE,
			"%s: expected {\"Connection\": {\"Connections\": {NAME: {\"URI\": ...}}}}",
			name);
		goto out;
	}
	const char *d = json_str(conn, "Default");
	if (d && *d)
		set_str(def, d);
	if (list) {
		json_object_object_foreach(list, key, val)
		{
			const char *uri = json_str(val, "URI");
			if (!json_object_is_type(val, json_type_object) || !uri || !*key) {
				char *k = sanitize_line(key, strlen(key), 80);
				rc = err_setx(e, EXIT_USAGE, "%s: connection '%s' has no \"URI\"",
					      name, k);
				free(k);
				goto out;
			}
			struct connection *c = connection_get(out, key);
			set_str(&c->uri, uri);
			set_str(&c->identity, json_str(val, "Identity"));
		}
	}
out:
	json_object_put(o);
	return rc;
}

/* ---- reading the files ---- */

static char *config_dir(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char *base = xdg && *xdg ? xstrdup(xdg) : expand_home("~/.config");
	char *dir = path_join(base, "containers");
	free(base);
	return dir;
}

/* Read one file into out; a missing file is skipped. */
static int load_file(const char *path, bool json, struct connections *out, char **named,
		     struct err *e)
{
	struct buf b = BUF_INIT;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (read_file(path, CONF_MAX_BYTES, &b, e) < 0) {
		buf_free(&b);
		return -1;
	}
	int rc = json ? connections_parse_json(b.p ? b.p : "", b.len, path, out, named, e)
		      : connections_parse_conf(b.p ? b.p : "", b.len, path, out, named, e);
	buf_free(&b);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FILE and then DIR.d/ *.conf in name order, like containers/common. */
static void conf_with_dropins(struct strv *files, const char *file)
{
	strv_push(files, file);
	char *dir = xasprintf("%s.d", file);
	DIR *d = opendir(dir);
	struct strv names = STRV_INIT;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && str_ends_with(de->d_name, ".conf"))
			strv_push(&names, de->d_name);
	if (d)
		closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.n; i++)
		strv_pushf(files, "%s/%s", dir, names.v[i]);
	strv_free(&names);
	free(dir);
}

int connections_load(struct connections *out, struct err *e)
{
	struct connections conf = { 0 };
	struct strv files = STRV_INIT;
	char *active = NULL, *def = NULL, *dir = config_dir();
	int rc = -1;
	memset(out, 0, sizeof(*out));

	const char *env = getenv("CONTAINERS_CONF");
	if (env && *env) {
		strv_push(&files, env);
	} else {
		conf_with_dropins(&files, "/usr/share/containers/containers.conf");
		conf_with_dropins(&files, "/etc/containers/containers.conf");
		char *user = path_join(dir, "containers.conf");
		conf_with_dropins(&files, user);
		free(user);
	}
	env = getenv("CONTAINERS_CONF_OVERRIDE");
	if (env && *env)
		strv_push(&files, env);
	for (size_t i = 0; i < files.n; i++)
		if (load_file(files.v[i], false, &conf, &active, e) < 0)
			goto out;

	/* Podman 5's own file comes first and wins on a shared name */
	env = getenv("PODMAN_CONNECTIONS_CONF");
	char *json = env && *env ? xstrdup(env) : path_join(dir, "podman-connections.json");
	int jrc = load_file(json, true, out, &def, e);
	free(json);
	if (jrc < 0)
		goto out;
	for (size_t i = 0; i < conf.n; i++) {
		if (connection_find(out, conf.v[i].name) || !conf.v[i].uri)
			continue; /* a destination without uri is not one */
		struct connection *c = connection_get(out, conf.v[i].name);
		set_str(&c->uri, conf.v[i].uri);
		set_str(&c->identity, conf.v[i].identity);
	}
	const char *d = def ? def : active;
	for (size_t i = 0; i < out->n; i++)
		out->v[i].is_default = str_eq(out->v[i].name, d);
	rc = 0;
out:
	if (rc < 0)
		connections_free(out);
	connections_free(&conf);
	strv_free(&files);
	free(active), free(def), free(dir);
	return rc;
}

/* ---- URIs ---- */

void remote_uri_free(struct remote_uri *u)
{
	free(u->user), free(u->host), free(u->path);
	memset(u, 0, sizeof(*u));
}

static bool safe_word(const char *s, const char *extra)
{
	if (!*s || *s == '-')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr(extra, *p) || *p >= 0x80))
			return false;
	return true;
}

int remote_uri_parse(const char *uri, struct remote_uri *u, struct err *e)
{
	memset(u, 0, sizeof(*u));
	char *clean = sanitize_line(uri, strlen(uri), 200);
	int rc = -1;
	if (str_starts_with(uri, "unix://")) {
		const char *path = uri + strlen("unix://");
		if (path[0] != '/') {
			err_setx(e, EXIT_USAGE, "URI '%s' does not name an absolute socket path",
				 clean);
			goto out;
		}
		u->path = xstrdup(path);
		rc = 0;
		goto out;
	}
	if (!str_starts_with(uri, "ssh://")) {
		err_setx(e, EXIT_USAGE,
			 "URI '%s' is not supported (tbx reaches Podman through "
			 "ssh:// or unix:// URIs)",
			 clean);
		goto out;
	}
	u->ssh = true;
	const char *auth = uri + strlen("ssh://");
	const char *slash = strchr(auth, '/');
	if (!slash || slash[1] == '\0') {
		err_setx(e, EXIT_USAGE,
			 "URI '%s' has no socket path (expected "
			 "ssh://user@host:22/run/user/1000/podman/podman.sock)",
			 clean);
		goto out;
	}
	char *hostport = xstrndup(auth, (size_t)(slash - auth));
	char *at = strrchr(hostport, '@');
	char *hp = hostport;
	if (at) {
		*at = '\0';
		u->user = xstrdup(hostport);
		hp = at + 1;
	}
	char *port = NULL;
	if (*hp == '[') {
		char *close = strchr(hp, ']');
		if (close) {
			*close = '\0';
			u->host = xstrdup(hp + 1);
			if (close[1] == ':')
				port = close + 2;
			else if (close[1])
				port = close + 1; /* reported below */
		}
	} else {
		char *colon = strchr(hp, ':');
		if (colon)
			*colon = '\0', port = colon + 1;
		u->host = xstrdup(hp);
	}
	long pn = 0;
	bool ok = u->host && safe_word(u->host, ".-_:%") &&
		  (!u->user || safe_word(u->user, ".-_$")) &&
		  (!port || parse_long(port, 1, 65535, &pn) == 0);
	free(hostport);
	if (!ok) {
		err_setx(e, EXIT_USAGE, "URI '%s' has an invalid user, host or port", clean);
		goto out;
	}
	u->port = (int)pn;
	/* Podman may append "?secure=true" and the like: not part of the path */
	u->path = xstrndup(slash, strcspn(slash, "?#"));
	if (strcmp(u->path, "/") == 0) { /* "ssh://host/?secure=true" */
		err_setx(e, EXIT_USAGE,
			 "URI '%s' has no socket path (expected "
			 "ssh://user@host:22/run/user/1000/podman/podman.sock)",
			 clean);
		goto out;
	}
	if (strchr(u->path, ':') || strpbrk(u->path, " \t\n")) {
		err_setx(e, EXIT_USAGE,
			 "URI '%s': the socket path cannot be forwarded by ssh "
			 "(it contains ':' or a blank)",
			 clean);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		remote_uri_free(u);
	free(clean);
	return rc;
}

/* ---- ssh forwarding ---- */

/* The last non-empty line ssh wrote, cleaned up; "" when none. */
static char *last_line(const char *path)
{
	struct buf b = BUF_INIT;
	struct err ignore = { 0 };
	buf_init(&b);
	if (read_file(path, 1 << 20, &b, &ignore) < 0) {
		buf_free(&b);
		return xstrdup("");
	}
	while (b.len && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'))
		b.p[--b.len] = '\0';
	char *nl = strrchr(b.p, '\n');
	const char *l = nl ? nl + 1 : b.p;
	char *s = sanitize_line(l, strlen(l), 300);
	buf_free(&b);
	return s;
}

/* A private directory for the local end of the forward: short enough
 * for sun_path, free of ':' (ssh's -L separator). */
static char *forward_dir(struct err *e)
{
	const char *cands[] = { getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), "/tmp" };
	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		const char *base = cands[i];
		if (!base || base[0] != '/' || strchr(base, ':') || !is_dir(base) ||
		    strlen(base) + sizeof("/tbx-ssh-XXXXXX/podman.sock") >
			    sizeof(((struct sockaddr_un *)0)->sun_path))
			continue;
		char *dir = path_join(base, "tbx-ssh-XXXXXX");
		if (mkdtemp(dir))
			return dir;
		err_set(e, "cannot create a directory in '%s': %s", base, strerror(errno));
		free(dir);
		return NULL;
	}
	err_set(e, "no directory for the forwarded socket (set TMPDIR to a short path)");
	return NULL;
}

static bool socket_answers(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static void build_ssh_argv(const struct connection *c, const struct remote_uri *u,
			   const char *local, struct strv *argv)
{
	strv_push(argv, "ssh");
	strv_push(argv, "-nNT");
	/* ControlPath=none: a shared master would keep the forward after we
	 * stop our ssh */
	static const char *const opts[] = { "BatchMode=yes",	      "ExitOnForwardFailure=yes",
					    "ControlPath=none",	      "ConnectTimeout=10",
					    "ServerAliveInterval=15", "ServerAliveCountMax=4" };
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		strv_push(argv, "-o");
		strv_push(argv, opts[i]);
	}
	if (c->identity) {
		char *id = expand_home(c->identity);
		strv_push(argv, "-i");
		strv_push(argv, id);
		free(id);
	}
	if (u->port)
		strv_pushf(argv, "-p%d", u->port);
	if (u->user) {
		strv_push(argv, "-l");
		strv_push(argv, u->user);
	}
	strv_push(argv, "-L");
	strv_pushf(argv, "%s:%s", local, u->path);
	strv_push(argv, "--");
	strv_push(argv, u->host);
}

/* ssh in its own session: a Ctrl-C meant for tbx must not cut the tunnel
 * tbx still needs to stop what runs in the container.  Its stderr goes to
 * errlog, read when it fails. */
static int spawn_ssh(char *const *argv, const char *errlog, struct runcmd *ssh, struct err *e)
{
	int errfd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (errfd < 0)
		return err_set(e, "cannot create '%s': %s", errlog, strerror(errno));
	*ssh = (struct runcmd){ .argv = argv,
				.stdout_null = true,
				.err = RUNCMD_ERR_FD,
				.err_fd = errfd,
				.detach = true };
	int rc = runcmd_start(ssh, e);
	close(errfd);
	if (rc < 0 && ssh->exec_errno)
		return err_set(e, "cannot run ssh: %s (install openssh-client)",
			       strerror(ssh->exec_errno));
	return rc;
}

static void remove_forward_dir(const char *dir, const char *errlog)
{
	char *sock = path_join(dir, "podman.sock");
	unlink(sock);
	unlink(errlog);
	rmdir(dir);
	free(sock);
}

/* Wait for the forwarded socket; 0 when it answers, -1 with e set. */
static int wait_forward(struct runcmd *ssh, const char *local, const char *errlog,
			const char *what, const char *try_cmd, struct err *e)
{
	double deadline = now_mono() + SSH_WAIT_S;
	for (;;) {
		if (runcmd_exited(ssh, NULL)) {
			char *why = last_line(errlog);
			err_set(e, "%s: ssh failed: %s (ssh must log in without a prompt: try '%s')",
				what, *why ? why : "exited without a message", try_cmd);
			free(why);
			return -2; /* ssh is gone already */
		}
		if (g_interrupted)
			return err_setx(e, g_interrupted == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM,
					"%s: interrupted", what);
		if (socket_answers(local))
			return 0;
		if (now_mono() > deadline) {
			char *why = last_line(errlog);
			err_set(e, "%s: ssh did not set up the forward within %d s%s%s", what,
				SSH_WAIT_S, *why ? "; ssh said: " : "", why);
			free(why);
			return -1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	}
}

static int ssh_forward(const struct connection *c, const struct remote_uri *u, struct podman *p,
		       struct err *e)
{
	char *dir = forward_dir(e);
	if (!dir)
		return err_wrap(e, "connection '%s'", c->name);
	char *local = path_join(dir, "podman.sock");
	char *errlog = path_join(dir, "ssh.err");
	char *what = xasprintf("connection '%s' (%s%s%s)", c->name, u->user ? u->user : "",
			       u->user ? "@" : "", u->host);
	struct strv argv = STRV_INIT;
	build_ssh_argv(c, u, local, &argv);
	if (g_verbosity > 0) {
		char *shown = argv_to_display(argv.v);
		verbose("%s", shown);
		free(shown);
	}
	int rc = -1;
	struct runcmd ssh;
	if (spawn_ssh(argv.v, errlog, &ssh, e) < 0) {
		err_wrap(e, "%s", what);
		goto fail;
	}
	struct buf try_cmd = BUF_INIT;
	buf_init(&try_cmd);
	buf_adds(&try_cmd, "ssh -o BatchMode=yes");
	if (c->identity)
		buf_addf(&try_cmd, " -i %s", c->identity);
	if (u->port)
		buf_addf(&try_cmd, " -p %d", u->port);
	if (u->user)
		buf_addf(&try_cmd, " -l %s", u->user);
	buf_addf(&try_cmd, " %s true", u->host);
	int w = wait_forward(&ssh, local, errlog, what, try_cmd.p, e);
	buf_free(&try_cmd);
	if (w < 0) {
		runcmd_stop(&ssh); /* nothing when ssh has exited and was reaped */
		goto fail;
	}
	/* prove the far end: Podman must answer through the tunnel */
	if (podman_open(p, local, e) < 0) {
		runcmd_stop(&ssh);
		goto fail;
	}
	free(p->host);
	p->host = xstrdup(u->host);
	p->ssh_pid = ssh.pid;
	char *version = NULL;
	struct err perr = { 0 };
	if (podman_ping(p, &version, &perr) < 0) {
		/* ssh reports the refused channel just after it hangs up on us */
		char *why = last_line(errlog);
		for (int i = 0; i < 10 && !*why; i++) {
			nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
			free(why);
			why = last_line(errlog);
		}
		err_setx(e, perr.exit_code ? perr.exit_code : EXIT_FAIL,
			 "%s: ssh works, but Podman does not answer on %s there (is its service "
			 "running? e.g. 'systemctl --user enable --now podman.socket'): %s%s",
			 what, u->path, *why ? "ssh said: " : "", *why ? why : perr.msg);
		free(why);
		podman_close(p); /* stops ssh */
		goto fail;
	}
	verbose("%s: Podman %s through ssh (pid %ld)", what, version, (long)ssh.pid);
	free(version);
	/* ssh keeps its (now nameless) log; the directory holds only the socket */
	unlink(errlog);
	p->tmpdir = dir;
	dir = NULL;
	rc = 0;
fail:
	if (dir)
		remove_forward_dir(dir, errlog);
	free(dir), free(local), free(errlog), free(what);
	strv_free(&argv);
	return rc;
}

int remote_connect(const char *name, struct podman *p, struct err *e)
{
	struct connections cs;
	struct remote_uri u = { 0 };
	memset(p, 0, sizeof(*p));
	if (connections_load(&cs, e) < 0)
		return err_wrap(e, "cannot read Podman's connections");
	int rc = -1;
	const struct connection *c = connection_find(&cs, name);
	if (!c) {
		struct buf names = BUF_INIT;
		buf_init(&names);
		for (size_t i = 0; i < cs.n; i++)
			buf_addf(&names, "%s%s", i ? ", " : "", cs.v[i].name);
		char *clean = sanitize_line(name, strlen(name), 80);
		err_setx(e, EXIT_USAGE, "unknown Podman connection '%s' (%s%s)", clean,
			 cs.n ? "known: "
			      : "none defined: add one with 'podman system connection add'",
			 buf_str(&names));
		free(clean);
		buf_free(&names);
		goto out;
	}
	if (!c->uri) {
		err_setx(e, EXIT_USAGE, "Podman connection '%s' has no URI", name);
		goto out;
	}
	if (remote_uri_parse(c->uri, &u, e) < 0) {
		err_wrap(e, "Podman connection '%s'", name);
		goto out;
	}
	if (!u.ssh) {
		if (podman_open(p, u.path, e) < 0) {
			err_wrap(e, "Podman connection '%s'", name);
			goto out;
		}
	} else if (ssh_forward(c, &u, p, e) < 0) {
		goto out;
	}
	rc = 0;
out:
	remote_uri_free(&u);
	connections_free(&cs);
	return rc;
}
