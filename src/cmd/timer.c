/* timer.c - tbx timer install|status|remove: a nightly `tbx refresh` (and
 * optional benches) as a systemd user timer, or a crontab line.
 *
 * systemctl is run with an argv (src/runcmd.c), never through a shell. */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "escape.h"
#include "json.h"
#include "runcmd.h"
#include "timer_units.h"

#define SERVICE TIMER_SERVICE
#define TIMER TIMER_TIMER
#define SYSTEMCTL_TIMEOUT_S 30

/* ---- running systemctl ---- */

static bool in_path(const char *name)
{
	char *p = path_search(name);
	bool found = p != NULL;
	free(p);
	return found;
}

static void keep_output(int stream, const char *data, size_t len, void *ctx)
{
	struct buf *out = ctx;
	(void)stream;
	if (out->len < 65536)
		buf_add(out, data, len);
}

/* Run argv with stdout and stderr into out (at most 64 KiB kept) and a
 * time bound.  *code: exit status, 128+N for a signal.  -1 if it could not
 * be started (out says why). */
static int run_capture(char *const *argv, struct buf *out, int *code)
{
	struct runcmd c = { .argv = argv, .err = RUNCMD_ERR_MERGE };
	struct err e = { 0 };
	buf_reset(out);
	int rc = runcmd_run(&c, keep_output, out, SYSTEMCTL_TIMEOUT_S, code, &e);
	if (rc < 0)
		buf_adds(out, e.msg);
	else if (rc > 0)
		buf_adds(out, "\n(timed out)");
	return rc < 0 ? -1 : 0;
}

/* systemctl --user --no-pager ARGS...; 0 when it exited 0. */
static int systemctl(struct buf *out, const char *a1, const char *a2, const char *a3,
		     const char *a4)
{
	char *argv[] = { "systemctl", "--user",	  "--no-pager", (char *)a1,
			 (char *)a2,  (char *)a3, (char *)a4,	NULL };
	int code = -1;
	if (run_capture(argv, out, &code) < 0)
		return -1;
	while (out->len && (out->p[out->len - 1] == '\n' || out->p[out->len - 1] == ' '))
		out->p[--out->len] = '\0';
	return code == 0 ? 0 : -1;
}

/* The last line of systemctl's output, cleaned for one-line messages. */
static char *last_line(const struct buf *b)
{
	const char *s = buf_str((struct buf *)b);
	const char *nl = strrchr(s, '\n');
	const char *l = nl ? nl + 1 : s;
	return sanitize_line(l, strlen(l), 200);
}

/* Whether a user manager answers; *why gets what systemctl said when not. */
static bool user_manager(char **why)
{
	struct buf out = BUF_INIT;
	buf_init(&out);
	*why = NULL;
	if (!in_path("systemctl")) {
		*why = xstrdup("systemctl not found");
	} else if (systemctl(&out, "show", "--property=Version", NULL, NULL) < 0) {
		char *l = last_line(&out);
		*why = xasprintf("no systemd user manager: %s", *l ? l : "systemctl failed");
		free(l);
	}
	buf_free(&out);
	return *why == NULL;
}

/* "Prop=value" lines of `systemctl show` into strings (NULL when empty). */
static char *show_prop(const char *unit, const char *prop)
{
	struct buf out = BUF_INIT;
	char *arg = xasprintf("--property=%s", prop);
	char *val = NULL;
	buf_init(&out);
	if (systemctl(&out, "show", arg, unit, NULL) == 0) {
		/* the line, wherever it is: stderr is mixed in */
		size_t n = strlen(prop);
		for (const char *l = out.p; *l && !val;
		     l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0)) {
			size_t len = strcspn(l, "\n");
			if (len <= n + 1 || strncmp(l, prop, n) != 0 || l[n] != '=')
				continue;
			const char *v = l + n + 1;
			size_t vlen = len - n - 1;
			if (!(vlen == 3 && memcmp(v, "n/a", 3) == 0))
				val = sanitize_line(v, vlen, 200);
		}
	}
	free(arg);
	buf_free(&out);
	return val;
}

static int self_path(char **out, struct err *e)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return err_set(e, "cannot find tbx's own path: %s", strerror(errno));
	buf[n] = '\0';
	*out = xstrdup(buf);
	return 0;
}

/* ---- what the timer runs ---- */

static int parse_at(const char *s, int *hour, int *minute, struct err *e)
{
	long h, m;
	const char *colon = strchr(s, ':');
	char hh[3] = "", mm[3] = "";
	bool shape = colon && colon - s >= 1 && colon - s <= 2 && strlen(colon + 1) == 2;
	if (shape) {
		memcpy(hh, s, (size_t)(colon - s));
		memcpy(mm, colon + 1, 2);
	}
	if (!shape || !strchr("0123456789", hh[0]) || !strchr("0123456789", mm[0]) ||
	    parse_long(hh, 0, 23, &h) < 0 || parse_long(mm, 0, 59, &m) < 0) {
		char *clean = sanitize_line(s, strlen(s), 40);
		err_setx(e, EXIT_USAGE, "--at '%s' is not a time of day HH:MM (00:00 to 23:59)",
			 clean);
		free(clean);
		return -1;
	}
	*hour = (int)h, *minute = (int)m;
	return 0;
}

/* Each word of --refresh-args must be one of refresh's options or a
 * backend: a typo found now, not at 3:30. */
static int check_refresh_args(struct ctx *c, const char *args, struct strv *out)
{
	char *copy = xstrdup(args);
	char *save = NULL;
	int rc = 0;
	for (char *w = strtok_r(copy, " \t\n", &save); w && rc == 0;
	     w = strtok_r(NULL, " \t\n", &save)) {
		if (text_has_control(w)) {
			rc = err_setx(&c->err, EXIT_USAGE,
				      "--refresh-args: control character in '%s'", w);
		} else if (w[0] == '-') {
			bool known = false;
			for (const struct cmd_option *o = cmd_refresh.options; o && o->name; o++)
				known |= str_starts_with(w, "--") && strcmp(o->name, w + 2) == 0 &&
					 !o->arg;
			if (!known)
				rc = err_setx(
					&c->err, EXIT_USAGE,
					"--refresh-args: 'tbx refresh' has no option '%s' (see "
					"'tbx refresh --help')",
					w);
			else
				strv_push(out, w);
		} else {
			/* the id, not an alias: it is what the definition is named */
			const struct backend *b = backend_resolve(&c->backends, w, &c->err);
			if (b)
				strv_push(out, b->id);
			else
				rc = err_wrap(&c->err, "--refresh-args");
		}
	}
	free(copy);
	return rc;
}

static int check_bench(struct ctx *c, const char *spec, struct strv *out)
{
	const char *colon = strchr(spec, ':');
	if (!colon || colon == spec || !colon[1] || text_has_control(spec))
		return err_setx(&c->err, EXIT_USAGE, "--bench '%s' is not BACKEND:MODEL", spec);
	char *bname = xstrndup(spec, (size_t)(colon - spec));
	const char *model = colon + 1;
	const struct backend *b = backend_resolve(&c->backends, bname, &c->err);
	free(bname);
	if (!b)
		return err_wrap(&c->err, "--bench");
	bool alias = false;
	for (size_t i = 0; i < c->models.n; i++)
		alias |= str_eq(c->models.v[i].alias, model);
	if (alias) {
		char *path = NULL;
		const char *a = NULL;
		struct err e = { 0 };
		if (model_resolve(&c->models, model, &path, &a, &e) < 0)
			warn("--bench %s: %s (the bench will fail until it is there)", spec, e.msg);
		free(path);
	} else {
		char *path = NULL;
		const char *a = NULL;
		if (model_resolve(&c->models, model, &path, &a, &c->err) < 0)
			return err_wrap(&c->err, "--bench");
		free(path);
	}
	strv_pushf(out, "%s\t%s", b->id, model);
	return 0;
}

/* tbx -C HOME [--url U | --connection N]: the same home and Podman as
 * the install, whatever the service's environment is. */
static int plan_base(struct ctx *c, struct timer_plan *p)
{
	char *self = NULL;
	if (self_path(&self, &c->err) < 0)
		return -1;
	strv_push(&p->base, self);
	free(self);
	strv_push(&p->base, "-C");
	strv_push(&p->base, c->home);
	const char *host = getenv("CONTAINER_HOST");
	if (c->connection) {
		strv_push(&p->base, "--connection");
		strv_push(&p->base, c->connection);
	} else if (c->url || (host && *host)) {
		strv_push(&p->base, "--url");
		strv_push(&p->base, c->url ? c->url : host);
	}
	timer_plan_env(p, c->connection != NULL);
	return 0;
}

/* ---- install ---- */

static void linger_note(void)
{
	struct passwd *pw = getpwuid(geteuid());
	if (!pw || geteuid() == 0)
		return;
	char *f = xasprintf("/var/lib/systemd/linger/%s", pw->pw_name);
	if (!path_exists(f))
		note("the timer runs only while you are logged in; to run it regardless: "
		     "loginctl enable-linger %s",
		     pw->pw_name);
	free(f);
}

static int activate(struct ctx *c)
{
	char *why = NULL;
	if (!user_manager(&why)) {
		note("timer not enabled (%s); to enable it run: systemctl --user daemon-reload && "
		     "systemctl --user enable --now " TIMER,
		     why);
		free(why);
		return EXIT_OK;
	}
	struct buf out = BUF_INIT;
	buf_init(&out);
	int rc = EXIT_OK;
	if (systemctl(&out, "daemon-reload", NULL, NULL, NULL) < 0 ||
	    systemctl(&out, "enable", "--now", TIMER, NULL) < 0) {
		char *l = last_line(&out);
		rc = err_set(&c->err, "systemctl --user could not enable " TIMER ": %s", l);
		free(l);
	} else {
		char *next = show_prop(TIMER, "NextElapseUSecRealtime");
		printf("enabled %s%s%s\n", TIMER, next ? "; next run " : "", next ? next : "");
		free(next);
		linger_note();
	}
	buf_free(&out);
	return rc;
}

/* --every: "4h" (upstream rebuilds every 4 hours), "1d" or "24h" for daily. */
static int parse_every(const char *s, int *hours, struct err *e)
{
	int64_t d;
	if (parse_duration(s, &d) < 0 || d < 3600 || d > 86400 || d % 3600 != 0) {
		char *clean = sanitize_line(s, strlen(s), 40);
		err_setx(e, EXIT_USAGE, "--every '%s' is not a whole number of hours from 1h to 24h "
			 "(like 4h)", clean);
		free(clean);
		return -1;
	}
	*hours = (int)(d / 3600);
	return 0;
}

static int timer_install(struct ctx *c, const struct cmd_args *a)
{
	struct timer_plan p = { .hour = 3, .minute = 30, .every_h = 24 };
	const struct strv *bench_specs = cmd_values(a, "bench");
	const char *refresh_args = cmd_value(a, "refresh-args");
	const char *at = cmd_value(a, "at");
	const char *every = cmd_value(a, "every");
	bool cron = cmd_has(a, "cron");
	int rc = -1;
	if (!refresh_args)
		refresh_args = "";
	if (at && parse_at(at, &p.hour, &p.minute, &c->err) < 0)
		goto out;
	if (every && parse_every(every, &p.every_h, &c->err) < 0)
		goto out;
	if (a->argc > 0) {
		rc = cmd_usage(&cmd_timer, "unexpected argument '%s'", a->argv[0]);
		goto out;
	}
	if (ctx_load(c) < 0 || check_refresh_args(c, refresh_args, &p.refresh) < 0)
		goto out;
	for (size_t i = 0; i < bench_specs->n; i++)
		if (check_bench(c, bench_specs->v[i], &p.benches) < 0)
			goto out;
	if (plan_base(c, &p) < 0)
		goto out;
	if (cron) {
		char *log = timer_log_path();
		char *line = timer_cron_line(&p, log, &c->err);
		if (!line) {
			free(log);
			goto out;
		}
		printf("%s\n", line);
		char *dir = xstrndup(log, (size_t)(strrchr(log, '/') - log));
		note("add this line with 'crontab -e'; the output goes to %s, errors to cron's "
		     "mail%s%s",
		     log, is_dir(dir) ? "" : "; first run: mkdir -p ", is_dir(dir) ? "" : dir);
		free(dir), free(line), free(log);
		rc = EXIT_OK;
		goto out;
	}
	char *dir = timer_unit_dir();
	char *svc = path_join(dir, SERVICE), *tmr = path_join(dir, TIMER);
	char *st = timer_service_text(&p, &c->err), *tt = timer_timer_text(&p);
	if (st && mkdir_p(dir, 0755, &c->err) == 0 &&
	    write_file_atomic(svc, st, strlen(st), 0644, &c->err) == 0 &&
	    write_file_atomic(tmr, tt, strlen(tt), 0644, &c->err) == 0) {
		printf("wrote %s\nwrote %s\n", svc, tmr);
		if (p.every_h < 24)
			printf("every %d hour%s from %02d:%02d (up to 15 min later; a missed run "
			       "runs at the next boot)\n",
			       p.every_h, p.every_h == 1 ? "" : "s", p.hour % p.every_h, p.minute);
		else
			printf("daily at %02d:%02d (up to 15 min later; a missed run runs at the "
			       "next boot)\n",
			       p.hour, p.minute);
		rc = activate(c);
	}
	free(dir), free(svc), free(tmr), free(st), free(tt);
out:
	timer_plan_free(&p);
	return rc;
}

/* ---- status ---- */

/* Lines of a unit file starting with key= (ours: no continuation lines). */
static void unit_values(const char *path, const char *key, struct strv *out)
{
	struct buf b = BUF_INIT;
	struct err ignore = { 0 };
	if (read_file(path, 1 << 20, &b, &ignore) < 0) {
		buf_free(&b);
		return;
	}
	size_t n = strlen(key);
	char *save = NULL;
	for (char *l = strtok_r(b.p, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (strncmp(l, key, n) == 0 && l[n] == '=')
			strv_push(out, l + n + 1);
	buf_free(&b);
}

static int timer_status(struct ctx *c, const struct cmd_args *a)
{
	if (a->argc > 0)
		return cmd_usage(&cmd_timer, "unexpected argument '%s'", a->argv[0]);
	char *dir = timer_unit_dir();
	char *svc = path_join(dir, SERVICE), *tmr = path_join(dir, TIMER);
	bool have_svc = path_exists(svc), have_tmr = path_exists(tmr);
	struct strv cal = STRV_INIT, exec = STRV_INIT, post = STRV_INIT;
	unit_values(tmr, "OnCalendar", &cal);
	unit_values(svc, "ExecStart", &exec);
	unit_values(svc, "ExecStartPost", &post);
	char *why = NULL, *enabled = NULL, *active = NULL, *next = NULL, *last = NULL,
	     *result = NULL;
	bool manager = (have_svc || have_tmr) && user_manager(&why);
	if (manager) {
		struct buf out = BUF_INIT;
		buf_init(&out);
		systemctl(&out, "is-enabled", TIMER, NULL, NULL);
		enabled = last_line(&out);
		systemctl(&out, "is-active", TIMER, NULL, NULL);
		active = last_line(&out);
		buf_free(&out);
		next = show_prop(TIMER, "NextElapseUSecRealtime");
		last = show_prop(TIMER, "LastTriggerUSec");
		result = show_prop(SERVICE, "Result");
	}
	if (c->json) {
		json_object *j = json_object_new_object();
		json_add_bool(j, "installed", have_svc && have_tmr);
		json_add_str(j, "service", have_svc ? svc : NULL);
		json_add_str(j, "timer", have_tmr ? tmr : NULL);
		json_add_str(j, "schedule", cal.n ? cal.v[0] : NULL);
		json_object_object_add(j, "exec_start", json_strv_array(&exec));
		json_object_object_add(j, "exec_start_post", json_strv_array(&post));
		json_add_str(j, "enabled", enabled);
		json_add_str(j, "active", active);
		json_add_str(j, "next_run", next);
		json_add_str(j, "last_run", last);
		json_add_str(j, "last_result", last ? result : NULL);
		json_add_str(j, "systemd", why);
		cmd_print_json(j);
		json_object_put(j);
	} else if (!have_svc && !have_tmr) {
		printf("not installed (no %s in %s; see 'tbx timer install')\n", TIMER, dir);
	} else {
		printf("service   %s%s\n", svc, have_svc ? "" : " (MISSING)");
		printf("timer     %s%s\n", tmr, have_tmr ? "" : " (MISSING)");
		printf("schedule  %s (RandomizedDelaySec=15min, Persistent)\n",
		       cal.n ? cal.v[0] : "?");
		for (size_t i = 0; i < exec.n; i++)
			printf("runs      %s\n", exec.v[i]);
		for (size_t i = 0; i < post.n; i++)
			printf("then      %s\n", post.v[i]);
		if (manager) {
			printf("state     %s, %s\n", enabled, active);
			printf("next run  %s\n", next ? next : "-");
			printf("last run  %s%s%s%s\n", last ? last : "never", last ? " (" : "",
			       last && result ? result : "", last ? ")" : "");
		} else {
			printf("state     unknown (%s)\n", why);
		}
	}
	free(dir), free(svc), free(tmr), free(why), free(enabled), free(active), free(next),
		free(last), free(result);
	strv_free(&cal), strv_free(&exec), strv_free(&post);
	return EXIT_OK;
}

/* ---- remove ---- */

static int timer_remove(struct ctx *c, const struct cmd_args *a)
{
	if (a->argc > 0)
		return cmd_usage(&cmd_timer, "unexpected argument '%s'", a->argv[0]);
	char *dir = timer_unit_dir();
	char *svc = path_join(dir, SERVICE), *tmr = path_join(dir, TIMER);
	char *why = NULL;
	int rc = EXIT_OK;
	if (!path_exists(svc) && !path_exists(tmr)) {
		printf("not installed (nothing in %s)\n", dir);
		goto out;
	}
	bool manager = user_manager(&why);
	struct buf out = BUF_INIT;
	buf_init(&out);
	if (manager && systemctl(&out, "disable", "--now", TIMER, NULL) < 0) {
		char *l = last_line(&out);
		warn("systemctl --user disable --now %s: %s", TIMER, l);
		free(l);
	}
	const char *files[] = { tmr, svc };
	for (size_t i = 0; i < 2; i++) {
		if (unlink(files[i]) == 0)
			printf("removed %s\n", files[i]);
		else if (errno != ENOENT)
			rc = err_set(&c->err, "cannot remove '%s': %s", files[i], strerror(errno));
	}
	if (manager)
		systemctl(&out, "daemon-reload", NULL, NULL, NULL);
	else
		note("%s; if a user manager had it enabled, also run: systemctl --user "
		     "daemon-reload",
		     why);
	buf_free(&out);
out:
	free(dir), free(svc), free(tmr), free(why);
	return rc;
}

static const struct cmd_option install_options[] = {
	{ "at", 0, "HH:MM", "the time of day (default 03:30; up to 15 minutes later, at random)" },
	{ "every", 0, "DURATION",
	  "run every N hours instead of daily, e.g. 4h as upstream rebuilds (one run at the --at "
	  "time; the HEAD check makes a refresh with nothing new cost no pull)" },
	{ "cron", 0, NULL, "print a crontab line instead of writing systemd units" },
	{ "refresh-args", 0, "ARGS",
	  "arguments for refresh, e.g. \"--prune-legacy\" (checked now)" },
	{ "bench", 0, "BACKEND:MODEL",
	  "also bench after a successful refresh (repeatable, in order)" },
	{ NULL, 0, NULL, NULL },
};

static const struct cmd_option status_options[] = {
	{ "json", 0, NULL, "print the state as JSON" },
	{ NULL, 0, NULL, NULL },
};

static const struct command timer_install_cmd = {
	.name = "install", .options = install_options, .run = timer_install
};
static const struct command timer_status_cmd = {
	.name = "status", .options = status_options, .run = timer_status
};
static const struct command timer_remove_cmd = { .name = "remove", .run = timer_remove };
static const struct command *const timer_subcommands[] = {
	&timer_install_cmd, &timer_status_cmd, &timer_remove_cmd, NULL
};

const struct command cmd_timer = {
	.name = "timer",
	.args = "install [--at HH:MM] [--every 4h] [--cron] [--refresh-args ARGS] [--bench BACKEND:MODEL]... "
		"| status [--json] | remove",
	.summary = "refresh nightly or every few hours: a systemd user timer (or a crontab line)",
	.description =
		"install writes tbx-refresh.service and tbx-refresh.timer into "
		"${XDG_CONFIG_HOME:-~/.config}/systemd/user: the service runs this tbx with "
		"-C HOME (and --url or --connection when given) refresh ARGS, then each --bench, "
		"logging to the journal (journalctl --user -u tbx-refresh); the timer fires daily, "
		"or every N hours with --every (Persistent: a run missed while off happens at the next start). tbx's settings "
		"from the environment (TBX_CONFIG, TBX_LOCK_DIR, TBX_REGISTRY_MIRROR, TBX_MAX_AGE, "
		"TBX_REGISTRY_TIMEOUT, TBX_PODMAN_TIMEOUT, REGISTRY_AUTH_FILE; with --connection "
		"also CONTAINERS_CONF, CONTAINERS_CONF_OVERRIDE, PODMAN_CONNECTIONS_CONF) are "
		"carried into the unit. Then it runs systemctl --user daemon-reload and enable "
		"--now when a "
		"user manager answers, else says what to run. With --cron it writes nothing and "
		"prints a crontab line instead: output appended to "
		"${XDG_STATE_HOME:-~/.local/state}/tbx/refresh.log, errors left to cron's mail. "
		"The unit (or cron) sees tbx refresh's exit code: 1 when a backend failed. status "
		"shows the units, enabled/active, the next and last run; remove disables and "
		"deletes them.",
	.subcommands = timer_subcommands,
};
