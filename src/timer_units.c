/* timer_units.c - the systemd units and the crontab line of `tbx timer
 * install`, quoted word by word. */
#define _GNU_SOURCE
#include "timer_units.h"

#include <stdlib.h>
#include <string.h>

#include "escape.h"

/* The environment that shapes what tbx does, carried into the unit (and
 * the crontab line) as it is when the timer is installed. */
static const char *const carried_env[] = {
	"TBX_CONFIG",		"TBX_LOCK_DIR",	      "TBX_REGISTRY_MIRROR", "TBX_MAX_AGE",
	"TBX_REGISTRY_TIMEOUT", "TBX_PODMAN_TIMEOUT", "REGISTRY_AUTH_FILE",  "TBX_FROZEN_AFTER",
	"TBX_KEEP_IMAGES",	"TBX_TAGS_PAGE_SIZE", NULL,
};

/* where the connection was found must be where it is found again */
static const char *const connection_env[] = { "CONTAINERS_CONF", "CONTAINERS_CONF_OVERRIDE",
					      "PODMAN_CONNECTIONS_CONF", NULL };

void timer_plan_free(struct timer_plan *p)
{
	strv_free(&p->base), strv_free(&p->refresh), strv_free(&p->benches), strv_free(&p->env);
}

static void push_env(struct strv *env, const char *const *names)
{
	for (size_t i = 0; names[i]; i++) {
		const char *v = getenv(names[i]);
		if (v && *v)
			strv_pushf(env, "%s=%s", names[i], v);
	}
}

void timer_plan_env(struct timer_plan *p, bool with_connection)
{
	push_env(&p->env, carried_env);
	if (with_connection)
		push_env(&p->env, connection_env);
}

/* ---- paths ---- */

static char *xdg_path(const char *var, const char *fallback, const char *rel)
{
	const char *xdg = getenv(var);
	char *base = xdg && *xdg ? xstrdup(xdg) : expand_home(fallback);
	char *p = path_join(base, rel);
	free(base);
	return p;
}

char *timer_unit_dir(void)
{
	return xdg_path("XDG_CONFIG_HOME", "~/.config", "systemd/user");
}

char *timer_log_path(void)
{
	return xdg_path("XDG_STATE_HOME", "~/.local/state", "tbx/refresh.log");
}

/* ---- checks ---- */

/* what: "the log path", "TBX_LOCK_DIR"... */
static int check_text(const char *what, const char *s, struct err *e)
{
	if (!text_has_control(s))
		return 0;
	char *clean = sanitize_line(s, strlen(s), 120);
	err_setx(e, EXIT_USAGE,
		 "control character in %s '%s': it cannot go into a unit file or crontab line",
		 what, clean);
	free(clean);
	return -1;
}

static int check_env(const struct strv *env, struct err *e)
{
	for (size_t i = 0; i < env->n; i++) {
		const char *eq = strchr(env->v[i], '=');
		char *name = xstrndup(env->v[i], eq ? (size_t)(eq - env->v[i]) : strlen(env->v[i]));
		int rc = check_text(name, eq ? eq + 1 : "", e);
		free(name);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int check_plan(const struct timer_plan *p, struct err *e)
{
	for (size_t i = 0; i < p->base.n; i++)
		if (check_text("the command", p->base.v[i], e) < 0)
			return -1;
	for (size_t i = 0; i < p->refresh.n; i++)
		if (check_text("the refresh arguments", p->refresh.v[i], e) < 0)
			return -1;
	for (size_t i = 0; i < p->benches.n; i++) {
		/* "BACKEND\tMODEL": the tab is ours */
		char *bm = xstrdup(p->benches.v[i]);
		char *tab = strchr(bm, '\t');
		if (tab)
			*tab = ' ';
		int rc = check_text("a bench", bm, e);
		free(bm);
		if (rc < 0)
			return -1;
	}
	return check_env(&p->env, e);
}

/* ---- quoting ---- */

static bool plain_word(const char *s)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789_./:@,+=-";
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(safe, *s))
			return false;
	return true;
}

/* systemd's unit syntax: "..." with C escapes, %% for a literal '%',
 * and (in Exec lines) $$ for a literal '$'. */
static void add_systemd_word(struct buf *b, const char *w, bool exec)
{
	if (plain_word(w)) {
		buf_adds(b, w);
		return;
	}
	buf_addc(b, '"');
	for (; *w; w++) {
		if (*w == '"' || *w == '\\')
			buf_addc(b, '\\');
		if (*w == '%' || (exec && *w == '$'))
			buf_addc(b, *w);
		buf_addc(b, *w);
	}
	buf_addc(b, '"');
}

/* cron reads a command once before sh does: "\%" becomes '%', an
 * unescaped '%' ends the command, and a backslash before any other
 * character stays, consuming it ("\\%" is "\\" then a cut).  So inside sh's
 * single quotes every '%' is written "\%", and after a backslash an empty
 * pair of quotes ('') comes first: sh reads "'a\''\%'" as a\%. */
void timer_cron_word(struct buf *b, const char *w)
{
	bool plain = plain_word(w);
	if (!plain)
		buf_addc(b, '\'');
	for (const char *p = w; *p; p++) {
		if (*p == '\'') {
			buf_adds(b, "'\\''");
		} else if (*p == '%') {
			if (p > w && p[-1] == '\\')
				buf_adds(b, "''");
			buf_adds(b, "\\%");
		} else {
			buf_addc(b, *p);
		}
	}
	if (!plain)
		buf_addc(b, '\'');
}

/* ---- the texts ---- */

static void add_exec_words(struct buf *b, const struct timer_plan *p, const char *cmd,
			   char *const *args, size_t n, bool systemd)
{
	for (size_t i = 0; i < p->base.n; i++) {
		if (i)
			buf_addc(b, ' ');
		systemd ? add_systemd_word(b, p->base.v[i], true) : timer_cron_word(b, p->base.v[i]);
	}
	buf_addf(b, " %s", cmd);
	for (size_t i = 0; i < n; i++) {
		buf_addc(b, ' ');
		systemd ? add_systemd_word(b, args[i], true) : timer_cron_word(b, args[i]);
	}
}

/* "tbx ... bench BACKEND MODEL" for the i-th bench of the plan */
static void add_bench_words(struct buf *b, const struct timer_plan *p, size_t i, bool systemd)
{
	char *bm = xstrdup(p->benches.v[i]);
	char *tab = strchr(bm, '\t');
	char *args[] = { bm, tab ? tab + 1 : (char *)"" };
	if (tab)
		*tab = '\0';
	add_exec_words(b, p, "bench", args, 2, systemd);
	free(bm);
}

char *timer_service_text(const struct timer_plan *p, struct err *e)
{
	if (check_plan(p, e) < 0)
		return NULL;
	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_adds(&b, "# Written by 'tbx timer install'; 'tbx timer remove' deletes it.\n"
		     "[Unit]\n"
		     "Description=tbx: refresh the llama.cpp benchmark containers\n"
		     "Documentation=man:tbx(1)\n\n"
		     "[Service]\n"
		     "Type=oneshot\n");
	for (size_t i = 0; i < p->env.n; i++) {
		buf_adds(&b, "Environment=");
		add_systemd_word(&b, p->env.v[i], false);
		buf_addc(&b, '\n');
	}
	buf_adds(&b, "ExecStart=");
	add_exec_words(&b, p, "refresh", p->refresh.v, p->refresh.n, true);
	buf_addc(&b, '\n');
	/* benches run in order after a successful refresh; a failure stops
	 * the rest and fails the unit */
	for (size_t i = 0; i < p->benches.n; i++) {
		buf_adds(&b, "ExecStartPost=");
		add_bench_words(&b, p, i, true);
		buf_addc(&b, '\n');
	}
	buf_adds(&b, "StandardOutput=journal\n"
		     "StandardError=journal\n"
		     "SyslogIdentifier=tbx\n");
	return buf_detach(&b);
}

static bool every_few_hours(const struct timer_plan *p)
{
	return p->every_h > 0 && p->every_h < 24;
}

char *timer_timer_text(const struct timer_plan *p)
{
	char hours[16], every[32] = "daily";
	/* systemd's hour field: "03" daily, "03/4" every 4 hours (3, 7, ..., 23) */
	if (every_few_hours(p)) {
		snprintf(hours, sizeof(hours), "%02d/%d", p->hour % p->every_h, p->every_h);
		snprintf(every, sizeof(every), "every %d hour%s", p->every_h,
			 p->every_h == 1 ? "" : "s");
	} else {
		snprintf(hours, sizeof(hours), "%02d", p->hour);
	}
	return xasprintf("# Written by 'tbx timer install'; 'tbx timer remove' deletes it.\n"
			 "[Unit]\n"
			 "Description=tbx: refresh the llama.cpp benchmark containers %s\n"
			 "Documentation=man:tbx(1)\n\n"
			 "[Timer]\n"
			 "OnCalendar=*-*-* %s:%02d:00\n"
			 "Persistent=true\n"
			 "RandomizedDelaySec=15min\n"
			 "Unit=" TIMER_SERVICE "\n\n"
			 "[Install]\n"
			 "WantedBy=timers.target\n",
			 every, hours, p->minute);
}

/* stdout appended to a log, stderr left to cron (it mails it: failures
 * and warnings only) */
char *timer_cron_line(const struct timer_plan *p, const char *log, struct err *e)
{
	struct strv env = STRV_INIT;
	/* cron has no XDG_RUNTIME_DIR: without it the lock (and a rootless
	 * Podman's default socket) would not be the ones of your session */
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg)
		strv_pushf(&env, "XDG_RUNTIME_DIR=%s", xdg);
	for (size_t i = 0; i < p->env.n; i++)
		strv_push(&env, p->env.v[i]);
	if (check_plan(p, e) < 0 || check_env(&env, e) < 0 || check_text("the log path", log, e) < 0) {
		strv_free(&env);
		return NULL;
	}
	struct buf b = BUF_INIT;
	buf_init(&b);
	if (every_few_hours(p))
		buf_addf(&b, "%d %d-23/%d * * * ", p->minute, p->hour % p->every_h, p->every_h);
	else
		buf_addf(&b, "%d %d * * * ", p->minute, p->hour);
	for (size_t k = 0; k <= p->benches.n; k++) {
		if (k)
			buf_adds(&b, " && ");
		for (size_t i = 0; i < env.n; i++) {
			char *eq = strchr(env.v[i], '=');
			buf_add(&b, env.v[i], (size_t)(eq - env.v[i]) + 1);
			timer_cron_word(&b, eq + 1);
			buf_addc(&b, ' ');
		}
		if (k == 0)
			add_exec_words(&b, p, "refresh", p->refresh.v, p->refresh.n, false);
		else
			add_bench_words(&b, p, k - 1, false);
		buf_adds(&b, " >>");
		timer_cron_word(&b, log);
	}
	strv_free(&env);
	return buf_detach(&b);
}
