/* test_util.c - the escapers for each output (terminal, Markdown, XML,
 * HTML), messages that cannot carry terminal escapes, files that are
 * never FIFOs or planted temporary files. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape.h"
#include "trust.h"
#include "util.h"

static char *md(const char *s)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	esc_md(&b, s);
	return buf_detach(&b);
}

static char *xml(const char *s)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	esc_xml(&b, s);
	return buf_detach(&b);
}

static char *html(const char *s)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	esc_html(&b, s);
	return buf_detach(&b);
}

#define assert_escaped(fn, in, want)                 \
	do {                                         \
		char *got_ = fn(in);                 \
		assert_string_equal(got_, want);     \
		free(got_);                          \
	} while (0)

static void test_markdown(void **state)
{
	(void)state;
	assert_escaped(md, "Qwen3.6-35B-A3B-UD-Q4_K_XL", "Qwen3.6-35B-A3B-UD-Q4_K_XL");
	assert_escaped(md, "a|b", "a\\|b");
	assert_escaped(md, "# heading", "\\# heading");
	assert_escaped(md, "name ##", "name \\#\\#"); /* a heading's closing sequence */
	assert_escaped(md, "<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)>");
	assert_escaped(md, "`code` *em* _em_ ~~s~~ $x$", "\\`code\\` \\*em\\* \\_em\\_ \\~\\~s\\~\\~ \\$x\\$");
	assert_escaped(md, "[a](http://x) ![i](y)", "\\[a\\](http://x) !\\[i\\](y)");
	assert_escaped(md, "&amp; & &#60;", "&amp;amp; & &amp;\\#60;");
	assert_escaped(md, "back\\slash", "back\\\\slash");
	assert_escaped(md, "line\nbreak\r\x1b[31m", "line break  \\[31m");
	/* invalid UTF-8, a noncharacter, a bidi override: U+FFFD */
	assert_escaped(md, "a\xff" "b\xef\xbf\xbe" "c\xe2\x80\xae" "d", "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd" "d");
	assert_escaped(md, "caf\xc3\xa9 \xe2\x96\xbc", "caf\xc3\xa9 \xe2\x96\xbc");
	assert_escaped(md, "", "");
	assert_escaped(md, NULL, "");
}

static void test_xml_and_html(void **state)
{
	(void)state;
	assert_escaped(xml, "a<b>&\"c\"'", "a&lt;b&gt;&amp;&quot;c&quot;&#39;");
	/* XML 1.0 has no C0 controls (but tab, LF, CR), no U+FFFE/U+FFFF, no
	 * surrogates (only reachable as invalid UTF-8) */
	assert_escaped(xml, "x\x01y\x1f\tz\n", "x y  z ");
	assert_escaped(xml, "\xef\xbf\xbe\xef\xbf\xbf", "\xef\xbf\xbd\xef\xbf\xbd");
	assert_escaped(xml, "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_escaped(xml, "\xf4\x8f\xbf\xbe", "\xef\xbf\xbd"); /* U+10FFFE */
	assert_escaped(xml, "\xc0\xbc", "\xef\xbf\xbd\xef\xbf\xbd"); /* overlong '<' */
	assert_escaped(xml, "\xf0\x9f\x98\x80 \xe2\x80\x8b", "\xf0\x9f\x98\x80 \xef\xbf\xbd");
	assert_escaped(html, "<script>alert('x')</script>&",
		       "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;");
	assert_escaped(html, "\" onmouseover=\"x", "&quot; onmouseover=&quot;x");
}

static void test_sanitize_line(void **state)
{
	(void)state;
	char *s = sanitize_line("a\x1b[2Jb\x9b" "c\n", 9, 100);
	assert_string_equal(s, "a?[2Jb?c");
	free(s);
	/* C1 CSI as a character (U+009B), a right-to-left override */
	s = sanitize_line("x\xc2\x9by\xe2\x80\xaez", 8, 100);
	assert_string_equal(s, "x?y?z");
	free(s);
	/* JSON for a terminal: the same values, no raw C1, bidi, DEL or bad byte */
	s = esc_json_out("{\"a\": \"x\xc2\x9b" "2J\xe2\x80\xae\x7f\xf0\x9f\xbf\xbe\xe9\xc3\xa9\\n\"}\n");
	assert_string_equal(s, "{\"a\": \"x\\u009b2J\\u202e\\u007f\\ud83f\\udffe\\ufffd\xc3\xa9\\n\"}\n");
	free(s);
	/* what definitions may hold: text that prints as itself */
	assert_true(text_is_clean("Vulkan RADV \xc3\xa9 \xe2\x80\x94 ok"));
	assert_true(text_is_clean(""));
	assert_false(text_is_clean("a\x1b[2J"));
	assert_false(text_is_clean("a\xc2\x9b" "2J"));         /* U+009B */
	assert_false(text_is_clean("a\xe2\x80\xae" "b"));      /* U+202E */
	assert_false(text_is_clean("a\xef\xbf\xbe"));          /* U+FFFE */
	assert_false(text_is_clean("a\xe9"));                    /* not UTF-8 */
	assert_false(text_is_clean("a\xc0\xaf"));               /* overlong */
	assert_false(text_is_clean("a\xe2\x80\xa8"));          /* U+2028 */
	s = utf8_truncate("abc\xc3\xa9", 4);
	assert_string_equal(s, "abc");
	free(s);
	s = utf8_truncate("abc\xc3\xa9", 5);
	assert_string_equal(s, "abc\xc3\xa9");
	free(s);
}

/* Every message of the one error convention is a printable line, whatever
 * a file name or a server put in it. */
static void test_messages_sanitized(void **state)
{
	(void)state;
	struct err e = { 0 };
	err_set(&e, "cannot open '%s'", "evil\x1b]0;owned\x07\n.log");
	assert_null(strchr(e.msg, '\x1b'));
	assert_null(strchr(e.msg, '\x07'));
	assert_null(strchr(e.msg, '\n'));
	assert_string_equal(e.msg, "cannot open 'evil?]0;owned? .log'");
	err_wrap(&e, "importing '%s'", "\x1b[31mred");
	assert_string_equal(e.msg, "importing '?[31mred': cannot open 'evil?]0;owned? .log'");
	err_setx(&e, 2, "%s", "\x9b" "6n");
	assert_string_equal(e.msg, "?6n");
}

static void on_alarm(int sig)
{
	(void)sig;
	fail_msg("blocked on a FIFO");
}

static char *temp_dir(void)
{
	char *d = xstrdup("/tmp/tbx-util-test.XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void test_read_file_fifo(void **state)
{
	(void)state;
	char *dir = temp_dir();
	char *fifo = path_join(dir, "x.json");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	signal(SIGALRM, on_alarm);
	alarm(5);
	struct buf b = BUF_INIT;
	struct err e = { 0 };
	assert_int_equal(read_file(fifo, 1 << 20, &b, &e), -1);
	assert_non_null(strstr(e.msg, "a FIFO, not a regular file"));
	assert_int_equal(read_file_nofollow(fifo, 1 << 20, &b, &e), -1);
	assert_int_equal(open_file_regular(fifo, &e), -1);
	alarm(0);
	char *link = path_join(dir, "link.json");
	char *target = path_join(dir, "target.json");
	assert_int_equal(write_file_atomic(target, "{}", 2, 0600, &e), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(read_file(link, 1 << 20, &b, &e), 0);
	assert_int_equal(read_file_nofollow(link, 1 << 20, &b, &e), -1);
	assert_non_null(strstr(e.msg, "symbolic link"));
	assert_int_equal(read_file(dir, 1 << 20, &b, &e), -1);
	assert_non_null(strstr(e.msg, "a directory"));
	unlink(fifo), unlink(link), unlink(target), rmdir(dir);
	buf_free(&b);
	free(fifo), free(link), free(target), free(dir);
}

/* A file planted under the old predictable temporary name is never
 * written into: the result is a new file of ours. */
static void test_temp_file_not_planted(void **state)
{
	(void)state;
	char *dir = temp_dir();
	char *path = path_join(dir, "BENCHMARKS.md");
	char *planted = xasprintf("%s.tmp.%ld", path, (long)getpid());
	struct err e = { 0 };
	int fd = open(planted, O_WRONLY | O_CREAT | O_EXCL, 0666);
	assert_true(fd >= 0);
	close(fd);
	struct stat before, after;
	assert_int_equal(stat(planted, &before), 0);
	assert_int_equal(write_file_atomic(path, "report\n", 7, 0644, &e), 0);
	assert_int_equal(stat(path, &after), 0);
	assert_true(after.st_ino != before.st_ino);
	assert_true(path_exists(planted)); /* left alone */
	/* a planted symlink under that name does not stop us either */
	char *other = path_join(dir, "elsewhere");
	unlink(planted);
	assert_int_equal(symlink(other, planted), 0);
	assert_int_equal(write_file_atomic(path, "again\n", 6, 0644, &e), 0);
	assert_false(path_exists(other));
	/* the temporary name keeps the pid, for remove_stale_temp_files() */
	char *tmp = NULL;
	fd = temp_file_create(AT_FDCWD, path, 0600, &tmp, &e);
	assert_true(fd >= 0);
	close(fd);
	char *prefix = xasprintf("%s.tmp.%ld.", path, (long)getpid());
	assert_true(str_starts_with(tmp, prefix));
	assert_int_equal(strlen(tmp), strlen(prefix) + 6);
	unlink(tmp), unlink(planted), unlink(path), rmdir(dir);
	free(prefix), free(tmp), free(other), free(planted), free(path), free(dir);
}

/* An atomic write in steps: nothing under the name until commit; abort
 * leaves nothing at all. */
static void test_atomic_file_steps(void **state)
{
	(void)state;
	char *dir = temp_dir();
	char *path = path_join(dir, "index.html");
	struct err e = { 0 };
	struct atomic_file f;
	assert_int_equal(atomic_file_begin(&f, AT_FDCWD, path, 0644, &e), 0);
	assert_int_equal(atomic_file_write(&f, "<p>", 3, &e), 0);
	assert_false(path_exists(path));
	assert_int_equal(atomic_file_write(&f, "x</p>\n", 6, &e), 0);
	assert_int_equal(atomic_file_commit(&f, &e), 0);
	struct buf text = BUF_INIT;
	assert_int_equal(read_file(path, 100, &text, &e), 0);
	assert_string_equal(text.p, "<p>x</p>\n");
	assert_int_equal(atomic_file_begin(&f, AT_FDCWD, path, 0644, &e), 0);
	assert_int_equal(atomic_file_write(&f, "half", 4, &e), 0);
	atomic_file_abort(&f);
	buf_reset(&text);
	assert_int_equal(read_file(path, 100, &text, &e), 0);
	assert_string_equal(text.p, "<p>x</p>\n"); /* the old file, and no temporary one */
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t files = 0;
	for (struct dirent *de; (de = readdir(d));)
		files += de->d_name[0] != '.';
	closedir(d);
	assert_int_equal(files, 1);
	buf_free(&text);
	unlink(path), rmdir(dir);
	free(path), free(dir);
}

/* The pid of a child that has exited and been reaped: a dead process. */
static pid_t dead_pid(void)
{
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	return child;
}

/* Temporary files of a process that died are found by their pid, with or
 * without the random suffix; a live process's are kept. */
static void test_stale_temp_files(void **state)
{
	(void)state;
	char *dir = temp_dir();
	pid_t child = dead_pid();
	struct err e = { 0 };
	char *dead_new = xasprintf("%s/r.json.tmp.%ld.AbC123", dir, (long)child);
	char *dead_old = xasprintf("%s/s.json.tmp.%ld", dir, (long)child);
	char *live = xasprintf("%s/t.json.tmp.%ld.XyZ789", dir, (long)getpid());
	char *other = xasprintf("%s/u.json.tmp.notapid", dir);
	assert_int_equal(write_file_atomic(dead_new, "x", 1, 0600, &e), 0);
	assert_int_equal(write_file_atomic(dead_old, "x", 1, 0600, &e), 0);
	assert_int_equal(write_file_atomic(live, "x", 1, 0600, &e), 0);
	assert_int_equal(write_file_atomic(other, "x", 1, 0600, &e), 0);
	assert_int_equal(remove_stale_temp_files(dir), 2);
	assert_false(path_exists(dead_new));
	assert_false(path_exists(dead_old));
	assert_true(path_exists(live));
	assert_true(path_exists(other));
	unlink(live), unlink(other), rmdir(dir);
	free(dead_new), free(dead_old), free(live), free(other), free(dir);
}

/* A home's stale temporary files: in manifests/ (the lock file), results/
 * and cache/, a dead process's only; other directories are not touched. */
static void test_home_stale_temp_files(void **state)
{
	(void)state;
	char *home = temp_dir();
	pid_t child = dead_pid();
	struct err e = { 0 };
	const char *dirs[] = { "manifests", "results", "cache", "containers" };
	char *dead[4], *live[4];
	for (int i = 0; i < 4; i++) {
		char *d = path_join(home, dirs[i]);
		assert_int_equal(mkdir(d, 0700), 0);
		dead[i] = xasprintf("%s/f.json.tmp.%ld.AbC123", d, (long)child);
		live[i] = xasprintf("%s/f.json.tmp.%ld.XyZ789", d, (long)getpid());
		assert_int_equal(write_file_atomic(dead[i], "x", 1, 0600, &e), 0);
		assert_int_equal(write_file_atomic(live[i], "x", 1, 0600, &e), 0);
		free(d);
	}
	home_remove_stale_temp_files(home);
	for (int i = 0; i < 4; i++) {
		if (path_exists(dead[i]) != (i == 3))
			fail_msg("%s: the dead process's temporary file %s", dirs[i],
				 i == 3 ? "was removed" : "is left");
		assert_true(path_exists(live[i]));
		unlink(dead[i]), unlink(live[i]);
		char *d = path_join(home, dirs[i]);
		rmdir(d);
		free(d), free(dead[i]), free(live[i]);
	}
	rmdir(home);
	free(home);
}

/* A file tbx reads its settings from or runs is checked where it really
 * is: its target and the directory holding that, not only the link. */
static void test_trust_file(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/test_trust.XXXXXX";
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	char *safe = path_join(d, "safe"), *open_ = path_join(d, "open");
	assert_int_equal(mkdir(safe, 0755), 0);
	assert_int_equal(mkdir(open_, 0755), 0);
	assert_int_equal(chmod(open_, 0777), 0);
	char *target = path_join(open_, "x.json"), *link = path_join(safe, "x.json");
	char *plain = path_join(safe, "y.json");
	struct err e = { 0 };
	assert_int_equal(write_file_atomic(target, "{}", 2, 0644, &e), 0);
	assert_int_equal(write_file_atomic(plain, "{}", 2, 0644, &e), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(trust_check_path(link, &e), 0); /* the file alone is fine */
	assert_int_equal(trust_check_file(link, &e), -1);
	assert_int_equal(e.exit_code, EXIT_REFUSED);
	assert_non_null(strstr(e.msg, "is writable by others (mode 0777)"));
	assert_non_null(strstr(e.msg, "/open'"));
	err_clear(&e);
	assert_int_equal(trust_check_file(plain, &e), 0);
	assert_int_equal(chmod(safe, 0777), 0);
	assert_int_equal(trust_check_file(plain, &e), -1);
	err_clear(&e);
	unlink(link), unlink(target), unlink(plain);
	rmdir(safe), rmdir(open_), rmdir(d);
	free(safe), free(open_), free(target), free(link), free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_xml_and_html),
		cmocka_unit_test(test_sanitize_line),
		cmocka_unit_test(test_messages_sanitized),
		cmocka_unit_test(test_read_file_fifo),
		cmocka_unit_test(test_temp_file_not_planted),
		cmocka_unit_test(test_atomic_file_steps),
		cmocka_unit_test(test_stale_temp_files),
		cmocka_unit_test(test_home_stale_temp_files),
		cmocka_unit_test(test_trust_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
