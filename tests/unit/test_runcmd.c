/* test_runcmd.c - the one process runner: output streams, exit codes,
 * environment, exec failures, time bound, detached children. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "runcmd.h"
#include "util.h"

struct seen {
	struct buf out, err;
};

static void collect(int stream, const char *data, size_t len, void *ctx)
{
	struct seen *s = ctx;
	buf_add(stream == 2 ? &s->err : &s->out, data, len);
}

static void seen_init(struct seen *s)
{
	buf_init(&s->out);
	buf_init(&s->err);
}

static void seen_free(struct seen *s)
{
	buf_free(&s->out);
	buf_free(&s->err);
}

static void test_streams_and_code(void **state)
{
	(void)state;
	char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	struct runcmd c = { .argv = argv };
	struct seen s;
	struct err e = { 0 };
	int code = -1;
	seen_init(&s);
	assert_int_equal(runcmd_run(&c, collect, &s, 0, &code, &e), 0);
	assert_int_equal(code, 3);
	assert_string_equal(buf_str(&s.out), "out\n");
	assert_string_equal(buf_str(&s.err), "err\n");
	seen_free(&s);
}

static void test_merge_and_env(void **state)
{
	(void)state;
	char *argv[] = { "sh", "-c", "echo \"$TBX_T_A\"; echo \"$TBX_T_B\" >&2", NULL };
	char *env[] = { "TBX_T_A=one", "TBX_T_B=two=2", NULL };
	struct runcmd c = { .argv = argv, .env = env, .err = RUNCMD_ERR_MERGE };
	struct seen s;
	struct err e = { 0 };
	int code = -1;
	seen_init(&s);
	assert_int_equal(runcmd_run(&c, collect, &s, 0, &code, &e), 0);
	assert_int_equal(code, 0);
	assert_string_equal(buf_str(&s.out), "one\ntwo=2\n");
	assert_string_equal(buf_str(&s.err), "");
	assert_null(getenv("TBX_T_A")); /* only the child's environment */
	seen_free(&s);
}

static void test_stdin_is_null(void **state)
{
	(void)state;
	char *argv[] = { "cat", NULL };
	struct runcmd c = { .argv = argv };
	struct seen s;
	struct err e = { 0 };
	int code = -1;
	seen_init(&s);
	assert_int_equal(runcmd_run(&c, collect, &s, 5, &code, &e), 0);
	assert_int_equal(code, 0);
	assert_int_equal(s.out.len, 0);
	seen_free(&s);
}

static void test_not_found(void **state)
{
	(void)state;
	char *argv[] = { "/nonexistent/tbx-no-such-program", NULL };
	struct runcmd c = { .argv = argv };
	struct err e = { 0 };
	int code = -1;
	assert_int_equal(runcmd_run(&c, NULL, NULL, 0, &code, &e), -1);
	assert_string_equal(e.msg, "cannot run '/nonexistent/tbx-no-such-program': No such file or "
				   "directory");
	assert_int_equal(c.exec_errno, ENOENT);
}

static void test_timeout_and_signal_code(void **state)
{
	(void)state;
	char *argv[] = { "sleep", "10", NULL };
	struct runcmd c = { .argv = argv };
	struct err e = { 0 };
	int code = -1;
	double t0 = now_mono();
	assert_int_equal(runcmd_run(&c, NULL, NULL, 0.3, &code, &e), 1);
	assert_true(now_mono() - t0 < 5);
	assert_int_equal(code, 128 + SIGKILL);
}

static void test_detached_to_file(void **state)
{
	(void)state;
	char path[] = "/tmp/tbx-test-runcmd.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char *argv[] = { "sh", "-c", "echo to-the-log >&2; echo nowhere; exec sleep 10", NULL };
	struct runcmd c = { .argv = argv, .stdout_null = true, .err = RUNCMD_ERR_FD, .err_fd = fd,
			    .detach = true };
	struct err e = { 0 };
	assert_int_equal(runcmd_start(&c, &e), 0);
	close(fd);
	assert_true(c.pid > 0);
	assert_int_equal(c.out_fd, -1);
	assert_int_equal(c.errp_fd, -1);
	assert_int_not_equal(getsid(c.pid), getsid(0)); /* its own session */
	assert_false(runcmd_exited(&c, NULL));
	struct buf b = BUF_INIT;
	for (int i = 0; i < 100; i++) {
		buf_reset(&b);
		assert_int_equal(read_file(path, 4096, &b, &e), 0);
		if (b.len)
			break;
		usleep(20000);
	}
	assert_string_equal(buf_str(&b), "to-the-log\n");
	runcmd_stop(&c);
	assert_int_equal(c.pid, 0);
	buf_free(&b);
	unlink(path);
}

static void test_exited(void **state)
{
	(void)state;
	char *argv[] = { "sh", "-c", "exit 7", NULL };
	struct runcmd c = { .argv = argv, .stdout_null = true, .err = RUNCMD_ERR_MERGE };
	struct err e = { 0 };
	assert_int_equal(runcmd_start(&c, &e), 0);
	runcmd_pump(&c, NULL, NULL, 5);
	int code = -1;
	for (int i = 0; i < 250 && !runcmd_exited(&c, &code); i++)
		usleep(20000);
	assert_int_equal(code, 7);
	runcmd_stop(&c); /* nothing left to stop */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_streams_and_code),
		cmocka_unit_test(test_merge_and_env),
		cmocka_unit_test(test_stdin_is_null),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_timeout_and_signal_code),
		cmocka_unit_test(test_detached_to_file),
		cmocka_unit_test(test_exited),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("runcmd", tests, NULL, NULL);
}
