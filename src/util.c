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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int g_verbosity;
volatile int g_interrupted;

int err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
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

int read_file(const char *path, size_t max, struct buf *out, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, "cannot open '%s': %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return err_set(e, "cannot read '%s': is a directory", path);
	}
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

int write_file_atomic(const char *path, const void *data, size_t len, int mode, struct err *e)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		err_set(e, "cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set(e, "cannot write '%s': %s", path, strerror(n < 0 ? errno : EIO));
			goto fail;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		err_set(e, "cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		err_set(e, "cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		err_set(e, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
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
		if (!t || parse_long(t + 5, 1, 1L << 30, &pid) < 0)
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

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0: no
 * overlong forms, surrogates or code points past U+10FFFF. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned char lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80; /* 2nd byte */
	unsigned char hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;
	if (s[0] < 0x80)
		return 1;
	else if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		len = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

char *sanitize_line(const char *s, size_t len, size_t max)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < len && b.len < max) {
		size_t n = utf8_seq_len(u + i, len - i);
		if (n == 0) {
			buf_addc(&b, '?');
			i++;
		} else if (n == 1 && (u[i] < 0x20 || u[i] == 0x7f)) {
			buf_addc(&b, u[i] == '\t' ? ' ' : (u[i] == '\n' || u[i] == '\r') ? ' ' : '?');
			i++;
		} else {
			buf_add(&b, s + i, n);
			i += n;
		}
	}
	/* trim trailing blanks left by newlines */
	while (b.len && b.p[b.len - 1] == ' ')
		b.p[--b.len] = '\0';
	if (i < len)
		buf_adds(&b, "...");
	return buf_detach(&b);
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

static void vmsg(const char *fmt, va_list ap)
{
	fputs("tbx: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void note(const char *fmt, ...)
{
	va_list ap;
	if (g_verbosity < 0)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void verbose(const char *fmt, ...)
{
	va_list ap;
	if (g_verbosity < 1)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tbx: warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
