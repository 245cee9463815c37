/* util.h - the few things every file uses: errors, strings, buffers, files.
 *
 * Error convention (one for the whole code base): a function that can fail
 * takes a `struct err *` last and returns -1 (or NULL) after err_set().
 * Callers add context with err_wrap() ("cannot create container 'x': ...").
 * Only main() prints the message, once, as "tbx: <msg>".  The core never
 * exits and never reads argv.
 */
#ifndef TBX_UTIL_H
#define TBX_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit codes, documented in the README and the man page. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3, /* stale container, unverified device */
	EXIT_SIGINT = 130,
	EXIT_SIGTERM = 143,
};

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

struct err {
	int exit_code;  /* what main() should exit with: EXIT_FAIL unless set */
	char msg[2048]; /* one line, no trailing period or newline */
};

/* Set the message (replacing any previous one); exit code EXIT_FAIL.
 * The message is passed through sanitize_line(): a path or a server's
 * text in it cannot carry terminal escapes. */
int err_set(struct err *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Same, with an explicit exit code. Returns -1. */
int err_setx(struct err *e, int exit_code, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Prefix context: "<context>: <previous message>". Returns -1. */
int err_wrap(struct err *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
void err_clear(struct err *e);

/* Allocation that never returns NULL (aborts on out of memory). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* A growable string; `p` is never NULL after buf_init and always
 * NUL-terminated.  A buffer may also hold binary data (use len). */
struct buf {
	char *p;
	size_t len, cap;
};
#define BUF_INIT { NULL, 0, 0 }
void buf_init(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
void buf_reset(struct buf *b);
char *buf_detach(struct buf *b); /* caller frees; b is empty again */
void buf_free(struct buf *b);
const char *buf_str(struct buf *b); /* "" for an empty buffer */

/* A NULL-terminated vector of owned strings (argv, env). */
struct strv {
	char **v;
	size_t n, cap;
};
#define STRV_INIT { NULL, 0, 0 }
void strv_push(struct strv *s, const char *str);
void strv_pushf(struct strv *s, const char *fmt, ...) PRINTF_LIKE(2, 3);
void strv_free(struct strv *s);
bool strv_contains(const struct strv *s, const char *str);

/* Files.  read_file() reads a regular file only: a FIFO, socket or device
 * is refused at once (opened with O_NONBLOCK, then fstat), never waited
 * on; a file larger than max is refused too (naming the path). */
int read_file(const char *path, size_t max, struct buf *out, struct err *e);
/* The same, refusing a symbolic link (O_NOFOLLOW): for files found by
 * listing a directory others may write into (results/). */
int read_file_nofollow(const char *path, size_t max, struct buf *out, struct err *e);
/* The same, with the file's fstat(2) taken before reading (st). */
struct stat;
int read_file_nofollow_stat(const char *path, size_t max, struct buf *out, struct stat *st,
			    struct err *e);
/* open_regular's descriptor for a path (blocking again once open), or -1. */
int open_file_regular(const char *path, struct err *e);
/* A new file "<name>.tmp.<pid>.<random>" in dirfd (AT_FDCWD: name's own
 * directory), created O_EXCL|O_NOFOLLOW like mkstemp(3), with mode through
 * the umask.  Returns its fd; *tmp_name (caller frees) is its name. */
int temp_file_create(int dirfd, const char *name, int mode, char **tmp_name, struct err *e);
/* Write via temp_file_create(), fsync, rename: never a partial file, and
 * never into a file someone else made. */
int write_file_atomic(const char *path, const void *data, size_t len, int mode, struct err *e);
int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, int mode,
			 struct err *e);
/* The same in steps, for a document written piece by piece: begin makes
 * the temporary file (temp_file_create), write appends, commit syncs and
 * renames it over name (a failed commit removes it), abort removes it;
 * after a failed write, call abort.  commit and abort free what begin took. */
struct atomic_file {
	int dirfd, fd;
	const char *name; /* not owned */
	char *tmp;
};
int atomic_file_begin(struct atomic_file *f, int dirfd, const char *name, int mode,
		      struct err *e);
int atomic_file_write(struct atomic_file *f, const void *data, size_t len, struct err *e);
int atomic_file_commit(struct atomic_file *f, struct err *e);
void atomic_file_abort(struct atomic_file *f);
/* mkdir -p with the given mode for created directories. */
int mkdir_p(const char *path, int mode, struct err *e);
/* Remove "<name>.tmp.<pid>[.<random>]" files left in dir by
 * write_file_atomic() of a process that died (kill -9); returns how many
 * were removed. */
int remove_stale_temp_files(const char *dir);
/* The same in each directory of a home that tbx writes atomically
 * (manifests/, results/, cache/); run under the run lock. */
void home_remove_stale_temp_files(const char *home);
bool path_exists(const char *path);
bool is_dir(const char *path);
/* "~" and "~/x" expand to $HOME. Returns a new string. */
char *expand_home(const char *path);
/* Join two path parts with one '/'. */
char *path_join(const char *a, const char *b);
/* The executable NAME found in $PATH (/usr/bin:/bin when unset), or NULL.
 * Caller frees. */
char *path_search(const char *name);

/* Strings. */
bool str_starts_with(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);
bool str_eq(const char *a, const char *b); /* NULL-safe */
/* Parse a whole string as a number in [min,max]; -1 on anything else. */
int parse_long(const char *s, long min, long max, long *out);
/* Levenshtein distance, for "did you mean" suggestions. */
size_t edit_distance(const char *a, const char *b);
/* The one sanitizer for untrusted text on a terminal (escape.c; its kin
 * for Markdown, XML and HTML are in escape.h): control characters, invalid
 * UTF-8, noncharacters and invisible bidi/zero-width characters become '?'
 * (tabs and line breaks a space).  Returns a new string of at most max
 * bytes (plus a last character and "...").  Every message of struct err,
 * note(), verbose() and warn() goes through it. */
char *sanitize_line(const char *s, size_t len, size_t max);

/* Time. */
int64_t now_unix(void);
double now_mono(void);
/* RFC 3339 UTC "2026-11-26T02:31:59Z"; out must hold 32 bytes. */
void format_time(int64_t t, char out[32]);
/* Parse RFC 3339 (Z or offset, optional fractional seconds) or YYYY-MM-DD. */
int parse_time(const char *s, int64_t *out);
/* "3 days", "5 hours", "12 minutes", "40 seconds". */
void format_age(int64_t seconds, char *out, size_t n);

/* Output verbosity set by -q/-v; messages go to stderr. */
extern int g_verbosity; /* -1 quiet, 0 normal, 1 verbose */
void note(const char *fmt, ...) PRINTF_LIKE(1, 2);    /* shown unless -q */
void verbose(const char *fmt, ...) PRINTF_LIKE(1, 2); /* shown with -v */
void warn(const char *fmt, ...) PRINTF_LIKE(1, 2);    /* always shown */
void error_line(const char *fmt, ...) PRINTF_LIKE(1, 2); /* "tbx: ...", always shown */
/* A line on stdout that quotes untrusted text (file names, record fields):
 * through sanitize_line(), then a newline. */
void print_line(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Signals: handlers set this; long operations check it. 0 or the signal. */
extern volatile int g_interrupted;
void install_signal_handlers(void);

#define cleanup(fn) __attribute__((cleanup(fn)))
void free_ptr(void *pp); /* cleanup(free_ptr) char *s = ... */

#endif
