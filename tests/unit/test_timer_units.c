/* test_timer_units.c - the crontab line and the units of `tbx timer
 * install`.  A crontab command is read twice: first by cron (its '%'
 * rules, implemented here as Debian's cron does in do_command.c), then by
 * sh (word splitting and quote removal of the words tbx writes: single
 * quotes, backslashes, blanks; anything else unquoted that sh would act on
 * is an error here).  Every hostile word must come out as it went in. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "timer_units.h"
#include "util.h"

/* cron's reading of the command field (Debian cron, do_command.c
 * child_process): "\%" becomes '%'; a backslash before anything else
 * stays and takes that character with it; the first unescaped '%' ends the
 * command (what follows is the job's stdin).  *stdin_part gets the rest. */
static char *cron_command(const char *field, char **stdin_part)
{
	char *cmd = xstrdup(field);
	char *in = cmd, *p = cmd;
	bool escaped = false;
	*stdin_part = NULL;
	for (; *in; in++, p++) {
		char ch = *in;
		if (p != in)
			*p = ch;
		if (escaped) {
			if (ch == '%')
				*--p = ch;
			escaped = false;
			continue;
		}
		if (ch == '\\') {
			escaped = true;
			continue;
		}
		if (ch == '%') {
			*stdin_part = xstrdup(in + 1);
			break;
		}
	}
	*p = '\0';
	return cmd;
}

/* sh's reading of simple words: blanks split, '...' is literal, a
 * backslash outside quotes takes the next character literally.  An
 * unquoted character sh gives a meaning to ($ ` " ; & | < > ( ) * ? [ ~ #)
 * fails: tbx must never leave one. */
static int sh_words(const char *s, struct strv *out)
{
	struct buf w = BUF_INIT;
	bool in_word = false;
	buf_init(&w);
	for (const char *p = s;; p++) {
		if (*p == '\0' || *p == ' ' || *p == '\t') {
			if (in_word)
				strv_push(out, buf_str(&w));
			buf_reset(&w);
			in_word = false;
			if (!*p)
				break;
			continue;
		}
		in_word = true;
		if (*p == '\'') {
			const char *end = strchr(p + 1, '\'');
			if (!end)
				goto bad;
			buf_add(&w, p + 1, (size_t)(end - p - 1));
			p = end;
		} else if (*p == '\\') {
			if (!p[1])
				goto bad;
			buf_addc(&w, *++p);
		} else if (strchr("$`\";&|<>()*?[~#", *p)) {
			goto bad;
		} else {
			buf_addc(&w, *p);
		}
	}
	buf_free(&w);
	return 0;
bad:
	buf_free(&w);
	return -1;
}

static const char *const hostile[] = {
	"plain",
	"a b",
	"100%",
	"%",
	"%%",
	"a\\%b",    /* the audit's case: backslash before '%' */
	"a\\\\%b",  /* two backslashes before '%' */
	"\\%",
	"x\\",      /* a trailing backslash */
	"it's",
	"'%'",
	"\\'%",
	"$HOME",
	"`id`",
	"$(id)",
	"*",
	"a;b&&c|d>e",
	"\"q\"",
	"/home/u/models/m\\%20x.gguf",
};

static void test_cron_word_roundtrip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		struct buf b = BUF_INIT;
		buf_init(&b);
		timer_cron_word(&b, hostile[i]);
		char *rest = NULL;
		char *cmd = cron_command(b.p, &rest);
		if (rest)
			fail_msg("'%s' -> %s: cron cuts the command at a '%%'", hostile[i], b.p);
		struct strv we = STRV_INIT;
		if (sh_words(cmd, &we) != 0)
			fail_msg("'%s' -> %s -> cron: %s: sh would not read it as a word", hostile[i],
				 b.p, cmd);
		if (we.n != 1 || strcmp(we.v[0], hostile[i]) != 0)
			fail_msg("'%s' -> %s -> cron: %s -> sh: %zu words, first '%s'", hostile[i],
				 b.p, cmd, we.n, we.n ? we.v[0] : "");
		strv_free(&we);
		free(cmd);
		buf_free(&b);
	}
}

static void plan_init(struct timer_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->hour = 4;
	p->minute = 5;
	strv_push(&p->base, "/usr/bin/tbx");
	strv_push(&p->base, "-C");
	strv_push(&p->base, "/home/u/bench\\%home");
	strv_push(&p->refresh, "--prune-legacy");
	strv_push(&p->benches, "rocm-7.2\tm\\%1");
	strv_push(&p->env, "TBX_LOCK_DIR=/tmp/lock dir%1");
}

static void test_cron_line(void **state)
{
	(void)state;
	struct timer_plan p;
	struct err e = { 0 };
	plan_init(&p);
	unsetenv("XDG_RUNTIME_DIR");
	char *line = timer_cron_line(&p, "/home/u/.local/state/tbx/refresh.log", &e);
	assert_non_null(line);
	assert_null(strchr(line, '\n'));
	assert_true(str_starts_with(line, "5 4 * * * "));
	char *rest = NULL;
	char *cmd = cron_command(line + strlen("5 4 * * * "), &rest);
	if (rest)
		fail_msg("cron cuts %s", line);
	/* what sh then runs: two commands joined by &&, each with its words */
	char *amp = strstr(cmd, " && ");
	assert_non_null(amp);
	*amp = '\0';
	const char *parts[] = { cmd, amp + 4 };
	const char *want[][9] = {
		{ "TBX_LOCK_DIR=/tmp/lock dir%1", "/usr/bin/tbx", "-C", "/home/u/bench\\%home",
		  "refresh", "--prune-legacy", NULL },
		{ "TBX_LOCK_DIR=/tmp/lock dir%1", "/usr/bin/tbx", "-C", "/home/u/bench\\%home",
		  "bench", "rocm-7.2", "m\\%1", NULL },
	};
	for (size_t k = 0; k < 2; k++) {
		char *redir = strstr(parts[k], " >>");
		assert_non_null(redir);
		char *words = xstrndup(parts[k], (size_t)(redir - parts[k]));
		struct strv we = STRV_INIT;
		assert_int_equal(sh_words(words, &we), 0);
		size_t n = 0;
		while (want[k][n])
			n++;
		assert_int_equal(we.n, n);
		for (size_t i = 0; i < n; i++)
			assert_string_equal(we.v[i], want[k][i]);
		strv_free(&we);
		free(words);
	}
	free(cmd);
	free(line);
	timer_plan_free(&p);
}

/* A control character anywhere that goes into a unit or crontab line is
 * refused with one line naming where it is. */
static void test_control_characters(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct timer_plan p;

	plan_init(&p);
	assert_null(timer_cron_line(&p, "/tmp/state\nx/tbx/refresh.log", &e));
	assert_int_equal(e.exit_code, EXIT_USAGE);
	assert_null(strchr(e.msg, '\n'));
	assert_true(strstr(e.msg, "control character in the log path") != NULL);
	timer_plan_free(&p);

	plan_init(&p);
	strv_push(&p.env, "TBX_CONFIG=/x\n* * * * * rm -rf ~");
	assert_null(timer_cron_line(&p, "/log", &e));
	assert_true(strstr(e.msg, "control character in TBX_CONFIG") != NULL);
	assert_null(strchr(e.msg, '\n'));
	err_clear(&e);
	assert_null(timer_service_text(&p, &e));
	assert_true(strstr(e.msg, "control character in TBX_CONFIG") != NULL);
	timer_plan_free(&p);

	plan_init(&p);
	setenv("XDG_RUNTIME_DIR", "/run/user/1000\r", 1);
	assert_null(timer_cron_line(&p, "/log", &e));
	assert_true(strstr(e.msg, "control character in XDG_RUNTIME_DIR") != NULL);
	unsetenv("XDG_RUNTIME_DIR");
	timer_plan_free(&p);

	plan_init(&p);
	free(p.base.v[2]);
	p.base.v[2] = xstrdup("/home/u\tx");
	assert_null(timer_cron_line(&p, "/log", &e));
	assert_true(strstr(e.msg, "control character in the command") != NULL);
	assert_null(timer_service_text(&p, &e));
	timer_plan_free(&p);

	/* C1 controls (NEL, CSI) and U+2028 are control characters too */
	static const char *const c1[] = { "/home/u\xc2\x85x", "/home/u\xc2\x9b" "2J",
					  "/home/u\xe2\x80\xa8x" };
	for (size_t i = 0; i < sizeof(c1) / sizeof(c1[0]); i++) {
		plan_init(&p);
		free(p.base.v[2]);
		p.base.v[2] = xstrdup(c1[i]);
		err_clear(&e);
		assert_null(timer_cron_line(&p, "/log", &e));
		assert_non_null(strstr(e.msg, "control character in the command"));
		assert_null(timer_service_text(&p, &e));
		timer_plan_free(&p);
	}
	assert_false(text_has_control("/home/u/\xc3\xa9t\xc3\xa9 \xe2\x80\x94 x")); /* accents, dash */

	plan_init(&p);
	char *svc = timer_service_text(&p, &e);
	assert_non_null(svc);
	assert_true(strstr(svc, "Environment=\"TBX_LOCK_DIR=/tmp/lock dir%%1\"\n") != NULL);
	assert_true(strstr(svc, "ExecStartPost=/usr/bin/tbx -C \"/home/u/bench\\\\%%home\" bench "
				"rocm-7.2 \"m\\\\%%1\"\n") != NULL);
	free(svc);
	timer_plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cron_word_roundtrip),
		cmocka_unit_test(test_cron_line),
		cmocka_unit_test(test_control_characters),
	};
	return cmocka_run_group_tests_name("timer units", tests, NULL, NULL);
}
