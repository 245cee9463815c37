/* util.c - errors, strings, buffers, files, time. */
#define _GNU_SOURCE
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int g_verbosity;
volatile int g_interrupted;

/* Messages are one printable line whatever text they quote. */
static void clean_line(char *msg, size_t cap)
{
	char *s = sanitize_line(msg, strlen(msg), cap - 4);
	snprintf(msg, cap, "%s", s);
	free(s);
}

int err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	clean_line(e->msg, sizeof(e->msg));
	e->exit_code = EXIT_FAIL;
	return -1;
}

int err_setx(struct err *e, int exit_code, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	clean_line(e->msg, sizeof(e->msg));
	e->exit_code = exit_code;
	return -1;
}

int err_wrap(struct err *e, const char *fmt, ...)
{
	char ctx[1024], old[sizeof(e->msg)];
	va_list ap;
	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	clean_line(ctx, sizeof(ctx));
	memcpy(old, e->msg, sizeof(old));
	if (old[0])
		snprintf(e->msg, sizeof(e->msg), "%s: %s", ctx, old);
	else
		snprintf(e->msg, sizeof(e->msg), "%s", ctx);
	if (!e->exit_code)
		e->exit_code = EXIT_FAIL;
	return -1;
}

void err_clear(struct err *e)
{
	e->exit_code = 0;
	e->msg[0] = '\0';
}

static void oom(void)
{
	fputs("tbx: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return buf_detach(&b);
}

void free_ptr(void *pp)
{
	free(*(void **)pp);
}

/* ---- struct buf ---- */

static void buf_grow(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1) {
		if (cap > SIZE_MAX / 2)
			oom();
		cap *= 2;
	}
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
	buf_grow(b, 0);
	b->p[0] = '\0';
}

void buf_add(struct buf *b, const void *data, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

char *buf_detach(struct buf *b)
{
	char *p = b->p ? b->p : xstrdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

const char *buf_str(struct buf *b)
{
	return b->p ? b->p : "";
}

/* ---- struct strv ---- */

void strv_push(struct strv *s, const char *str)
{
	if (s->n + 2 > s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = xstrdup(str);
	s->v[s->n] = NULL;
}

void strv_pushf(struct strv *s, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	strv_push(s, buf_str(&b));
	buf_free(&b);
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

bool strv_contains(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return true;
	return false;
}

/* ---- files ---- */

/* Open for reading without blocking on a FIFO (O_NONBLOCK) and without
 * following a last-component symlink when asked; only a regular file is
 * read (a FIFO, socket or device would hang or never end). */
static int open_regular(int dirfd, const char *path, bool nofollow, struct stat *st_out,
			struct err *e)
{
	int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (nofollow ? O_NOFOLLOW : 0);
	int fd = openat(dirfd, path, flags);
	if (fd < 0) {
		if (nofollow && errno == ELOOP)
			return err_set(e, "'%s' is a symbolic link", path);
		return err_set(e, "cannot open '%s': %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int saved = errno;
		close(fd);
		return err_set(e, "cannot read '%s': %s", path, strerror(saved));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, "'%s' is %s, not a regular file", path,
			       S_ISDIR(st.st_mode)    ? "a directory"
			       : S_ISFIFO(st.st_mode) ? "a FIFO"
			       : S_ISSOCK(st.st_mode) ? "a socket"
						      : "a device");
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	if (st_out)
		*st_out = st;
	return fd;
}

static int read_fd(int fd, const char *path, size_t max, struct buf *out, struct err *e)
{
	buf_reset(out);
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			close(fd);
			return err_set(e, "cannot read '%s': %s", path, strerror(saved));
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > max) {
			close(fd);
			return err_set(e, "'%s' is too large (over %zu bytes)", path, max);
		}
		buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	if (!out->p)
		buf_init(out);
	return 0;
}

int read_file(const char *path, size_t max, struct buf *out, struct err *e)
{
	int fd = open_regular(AT_FDCWD, path, false, NULL, e);
	return fd < 0 ? -1 : read_fd(fd, path, max, out, e);
}

int read_file_nofollow(const char *path, size_t max, struct buf *out, struct err *e)
{
	return read_file_nofollow_stat(path, max, out, NULL, e);
}

int read_file_nofollow_stat(const char *path, size_t max, struct buf *out, struct stat *st,
			    struct err *e)
{
	int fd = open_regular(AT_FDCWD, path, true, st, e);
	return fd < 0 ? -1 : read_fd(fd, path, max, out, e);
}

int open_file_regular(const char *path, struct err *e)
{
	return open_regular(AT_FDCWD, path, false, NULL, e);
}

/* "<name>.tmp.<pid>.<6 random characters>" in dirfd, created with
 * O_CREAT|O_EXCL|O_NOFOLLOW as mkstemp(3) does (a name another user
 * planted is never opened, only skipped), but relative to a directory and
 * with the caller's mode (through the umask). */
int temp_file_create(int dirfd, const char *name, int mode, char **tmp_name, struct err *e)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	for (int attempt = 0; attempt < 100; attempt++) {
		unsigned char r[6];
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
			uint64_t x = (uint64_t)now_mono() * 1000003u ^ (uint64_t)getpid() * 2654435761u ^
				     (uint64_t)attempt * 40503u;
			for (size_t i = 0; i < sizeof(r); i++, x >>= 7)
				r[i] = (unsigned char)x;
		}
		char suffix[7];
		for (size_t i = 0; i < 6; i++)
			suffix[i] = chars[r[i] % (sizeof(chars) - 1)];
		suffix[6] = '\0';
		char *tmp = xasprintf("%s.tmp.%ld.%s", name, (long)getpid(), suffix);
		int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				(mode_t)mode);
		if (fd >= 0) {
			*tmp_name = tmp;
			return fd;
		}
		int saved = errno;
		if (saved != EEXIST) {
			err_set(e, "cannot create '%s': %s", tmp, strerror(saved));
			free(tmp);
			return -1;
		}
		free(tmp);
	}
	return err_set(e, "cannot create a temporary file for '%s': every name tried exists", name);
}

int atomic_file_begin(struct atomic_file *f, int dirfd, const char *name, int mode,
		      struct err *e)
{
	f->dirfd = dirfd;
	f->name = name;
	f->tmp = NULL;
	f->fd = temp_file_create(dirfd, name, mode, &f->tmp, e);
	return f->fd < 0 ? -1 : 0;
}

int atomic_file_write(struct atomic_file *f, const void *data, size_t len, struct err *e)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(f->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_set(e, "cannot write '%s': %s", f->name, strerror(n < 0 ? errno : EIO));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void atomic_file_abort(struct atomic_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		unlinkat(f->dirfd, f->tmp, 0);
	free(f->tmp);
	f->fd = -1;
	f->tmp = NULL;
}

int atomic_file_commit(struct atomic_file *f, struct err *e)
{
	if (fsync(f->fd) < 0) {
		err_set(e, "cannot write '%s': %s", f->name, strerror(errno));
		atomic_file_abort(f);
		return -1;
	}
	int rc = close(f->fd);
	f->fd = -1;
	if (rc < 0) {
		err_set(e, "cannot write '%s': %s", f->name, strerror(errno));
		atomic_file_abort(f);
		return -1;
	}
	if (renameat(f->dirfd, f->tmp, f->dirfd, f->name) < 0) {
		err_set(e, "cannot rename '%s' to '%s': %s", f->tmp, f->name, strerror(errno));
		atomic_file_abort(f);
		return -1;
	}
	free(f->tmp);
	f->tmp = NULL;
	return 0;
}

int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, int mode,
			 struct err *e)
{
	struct atomic_file f;
	if (atomic_file_begin(&f, dirfd, name, mode, e) < 0)
		return -1;
	if (atomic_file_write(&f, data, len, e) < 0) {
		atomic_file_abort(&f);
		return -1;
	}
	return atomic_file_commit(&f, e);
}

int write_file_atomic(const char *path, const void *data, size_t len, int mode, struct err *e)
{
	return write_file_atomic_at(AT_FDCWD, path, data, len, mode, e);
}

int mkdir_p(const char *path, int mode, struct err *e)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
			err_set(e, "cannot create directory '%s': %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = '/';
	}
	if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
		err_set(e, "cannot create directory '%s': %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

int remove_stale_temp_files(const char *dir)
{
	DIR *d = opendir(dir);
	int removed = 0;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *t = strstr(de->d_name, ".tmp.");
		long pid;
		if (!t)
			continue;
		char *digits = xstrndup(t + 5, strcspn(t + 5, "."));
		int bad = parse_long(digits, 1, 1L << 30, &pid);
		free(digits);
		if (bad < 0)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		char *p = path_join(dir, de->d_name);
		if (unlink(p) == 0)
			removed++;
		free(p);
	}
	closedir(d);
	return removed;
}

void home_remove_stale_temp_files(const char *home)
{
	static const char *const dirs[] = { "manifests", "results", "cache" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *d = path_join(home, dirs[i]);
		remove_stale_temp_files(d);
		free(d);
	}
}

bool path_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *expand_home(const char *path)
{
	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
		const char *home = getenv("HOME");
		return xasprintf("%s%s", home ? home : "", path + 1);
	}
	return xstrdup(path);
}

char *path_search(const char *name)
{
	const char *path = getenv("PATH");
	char *copy = xstrdup(path && *path ? path : "/usr/bin:/bin");
	char *found = NULL, *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = path_join(*d ? d : ".", name);
		if (access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	free(copy);
	return found;
}

char *path_join(const char *a, const char *b)
{
	if (b[0] == '/')
		return xstrdup(b);
	size_t la = strlen(a);
	if (la && a[la - 1] == '/')
		return xasprintf("%s%s", a, b);
	return xasprintf("%s/%s", a, b);
}

/* ---- strings ---- */

bool str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = xcalloc(lb + 1, sizeof(*row));
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	size_t d = row[lb];
	free(row);
	return d;
}

/* ---- time ---- */

int64_t now_unix(void)
{
	return (int64_t)time(NULL);
}

double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void format_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *p = strptime(s, "%Y-%m-%d", &tm);
	if (!p)
		return -1;
	long offset = 0;
	if (*p == 'T' || *p == ' ') {
		p = strptime(p + 1, "%H:%M:%S", &tm);
		if (!p)
			return -1;
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1;
			int hh, mm;
			/* exactly "+HH:MM": p += 6 must not pass the end */
			if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
			    p[3] != ':' || !isdigit((unsigned char)p[4]) ||
			    !isdigit((unsigned char)p[5]) || sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
				return -1;
			offset = sign * (hh * 3600L + mm * 60L);
			p += 6;
		}
	}
	if (*p)
		return -1;
	*out = (int64_t)timegm(&tm) - offset;
	return 0;
}

void format_age(int64_t s, char *out, size_t n)
{
	if (s < 0)
		s = 0;
	if (s >= 2 * 86400)
		snprintf(out, n, "%lld days", (long long)(s / 86400));
	else if (s >= 2 * 3600)
		snprintf(out, n, "%lld hours", (long long)(s / 3600));
	else if (s >= 120)
		snprintf(out, n, "%lld minutes", (long long)(s / 60));
	else
		snprintf(out, n, "%lld seconds", (long long)s);
}

/* ---- messages ---- */

/* messages: one printable line (sanitize_line), whatever they quote */
static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_vaddf(&b, fmt, ap);
	char *line = sanitize_line(b.p, b.len, b.len);
	fprintf(stderr, "%s%s\n", prefix, line);
	free(line);
	buf_free(&b);
}

void print_line(const char *fmt, ...)
{
	va_list ap;
	struct buf b = BUF_INIT;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	char *line = sanitize_line(b.p, b.len, b.len);
	puts(line);
	free(line);
	buf_free(&b);
}

void note(const char *fmt, ...)
{
	va_list ap;
	if (g_verbosity < 0)
		return;
	va_start(ap, fmt);
	vmsg("tbx: ", fmt, ap);
	va_end(ap);
}

void verbose(const char *fmt, ...)
{
	va_list ap;
	if (g_verbosity < 1)
		return;
	va_start(ap, fmt);
	vmsg("tbx: ", fmt, ap);
	va_end(ap);
}

void error_line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("tbx: ", fmt, ap);
	va_end(ap);
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("tbx: warning: ", fmt, ap);
	va_end(ap);
}

static void on_signal(int sig)
{
	g_interrupted = sig;
}

void install_signal_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: blocking calls return EINTR so we notice quickly */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}
