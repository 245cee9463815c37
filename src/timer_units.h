/* timer_units.h - the text of what `tbx timer install` writes: the systemd
 * user units (tbx-refresh.service and .timer) or one crontab line, from a
 * plan of what to run.  Each word is quoted for where it goes (systemd's
 * unit syntax; sh and cron's '%'); a control character anywhere (a newline
 * would start a second crontab entry or unit line) is refused. */
#ifndef TBX_TIMER_UNITS_H
#define TBX_TIMER_UNITS_H

#include "util.h"

#define TIMER_SERVICE "tbx-refresh.service"
#define TIMER_TIMER "tbx-refresh.timer"

struct timer_plan {
	int hour, minute;
	int every_h;         /* 24 (or 0): daily; else every N hours, one run at hour:minute */
	struct strv base;    /* tbx -C HOME [--url U | --connection N] */
	struct strv refresh; /* refresh ARGS */
	struct strv benches; /* "BACKEND\tMODEL" */
	struct strv env;     /* K=V carried along */
};
void timer_plan_free(struct timer_plan *p);

/* Add the environment that shapes what tbx does (TBX_CONFIG, TBX_LOCK_DIR,
 * TBX_REGISTRY_MIRROR, TBX_MAX_AGE, TBX_REGISTRY_TIMEOUT,
 * TBX_PODMAN_TIMEOUT, REGISTRY_AUTH_FILE; with_connection also where
 * Podman's connections are read from) to p->env as it is now. */
void timer_plan_env(struct timer_plan *p, bool with_connection);

/* ${XDG_CONFIG_HOME:-~/.config}/systemd/user and
 * ${XDG_STATE_HOME:-~/.local/state}/tbx/refresh.log.  Caller frees. */
char *timer_unit_dir(void);
char *timer_log_path(void);

/* The service unit; NULL with e set (exit 2, naming the word) when a word
 * holds a control character. */
char *timer_service_text(const struct timer_plan *p, struct err *e);
char *timer_timer_text(const struct timer_plan *p);
/* One crontab line: "M H * * * ENV... tbx ... refresh ... >>LOG [&& ...
 * bench ...]", with XDG_RUNTIME_DIR carried (cron has none).  NULL with e
 * set as above. */
char *timer_cron_line(const struct timer_plan *p, const char *log, struct err *e);
/* One word for a crontab command: sh's single quotes, and every '%'
 * escaped for cron (which turns an unescaped '%' into a newline, and only
 * "\%" into '%').  Exposed for tests. */
void timer_cron_word(struct buf *b, const char *w);

#endif
