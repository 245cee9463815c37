/* test_exec_wrapper.c - the pid-file wrapper that podman_exec runs inside
 * the container (podman_exec_wrapper), run here by the host's sh: it reaps
 * what a killed tbx left, and leaves alone what another live tbx runs. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "podman.h"
#include "util.h"

static void nap(void)
{
	nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
}

/* Starts `sh -c WRAPPER PIDFILE PROG ARG` with a pipe as stdin (the
 * lifeline); *lifeline gets its write end. */
static pid_t start_wrapper(const char *pidfile, const char *prog, const char *arg, int *lifeline)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execlp("sh", "sh", "-c", podman_exec_wrapper, pidfile, prog, arg, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	*lifeline = fds[1];
	return pid;
}

/* The pid the wrapper wrote to PIDFILE (waits for it). */
static pid_t pid_in(const char *pidfile)
{
	for (int i = 0; i < 500; i++) {
		struct buf b = BUF_INIT;
		struct err e = { 0 };
		buf_init(&b);
		if (read_file(pidfile, 64, &b, &e) == 0 && b.len && b.p[b.len - 1] == '\n') {
			pid_t p = (pid_t)atol(b.p);
			buf_free(&b);
			return p;
		}
		err_clear(&e);
		buf_free(&b);
		nap();
	}
	fail_msg("no pid in %s", pidfile);
	return -1;
}

/* Runs a short wrapper to completion (it reaps before it starts). */
static void run_short(const char *pidfile, const char *prog, const char *arg)
{
	int lifeline;
	pid_t w = start_wrapper(pidfile, prog, arg, &lifeline);
	int status;
	assert_int_equal(waitpid(w, &status, 0), w);
	close(lifeline);
}

static bool alive(pid_t p)
{
	return kill(p, 0) == 0;
}

static void test_live_run_of_another_tbx_is_kept(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/tbx-wrapper-XXXXXX"; /* mkdtemp template */
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	char *a = xasprintf("%s/tbx-bench-a.pid", dir);
	char *b = xasprintf("%s/tbx-bench-b.pid", dir);
	int lifeline;
	pid_t wa = start_wrapper(a, "sleep", "30", &lifeline);
	pid_t pa = pid_in(a);
	run_short(b, "sleep", "0");
	assert_true(alive(pa));
	assert_true(path_exists(a));
	assert_false(path_exists(b));
	/* its own lifeline still stops it */
	close(lifeline);
	int status;
	assert_int_equal(waitpid(wa, &status, 0), wa);
	assert_false(path_exists(a));
	assert_int_equal(rmdir(dir), 0);
	free(a), free(b);
}

static void test_orphan_is_reaped(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/tbx-wrapper-XXXXXX"; /* mkdtemp template */
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	char *c = xasprintf("%s/tbx-bench-c.pid", dir);
	char *d = xasprintf("%s/tbx-bench-d.pid", dir);
	char *b = xasprintf("%s/tbx-bench-b.pid", dir);
	/* a sleep whose wrapper is gone (its parent is this test) */
	pid_t orphan = fork();
	assert_true(orphan >= 0);
	if (orphan == 0) {
		execlp("sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	char *s = xasprintf("%ld\n", (long)orphan);
	assert_int_equal(write_file_atomic(c, s, strlen(s), 0644, NULL), 0);
	free(s);
	/* a stale pid file naming another program: not killed, file gone */
	pid_t other = fork();
	assert_true(other >= 0);
	if (other == 0) {
		execlp("cat", "cat", (char *)NULL);
		_exit(127);
	}
	s = xasprintf("%ld\n", (long)other);
	assert_int_equal(write_file_atomic(d, s, strlen(s), 0644, NULL), 0);
	free(s);
	while (!alive(orphan))
		nap();
	run_short(b, "sleep", "0");
	int status;
	assert_int_equal(waitpid(orphan, &status, 0), orphan);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_false(path_exists(c));
	assert_false(path_exists(d));
	assert_true(alive(other));
	kill(other, SIGTERM);
	assert_int_equal(waitpid(other, &status, 0), other);
	assert_int_equal(rmdir(dir), 0);
	free(b), free(c), free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_run_of_another_tbx_is_kept),
		cmocka_unit_test(test_orphan_is_reaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
