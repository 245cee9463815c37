/* lock.c - the machine-wide run lock. */
#define _GNU_SOURCE
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int run_lock_dir(char **dir, struct err *e)
{
	const char *env = getenv("TBX_LOCK_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char *d;
	if (env && *env)
		d = xstrdup(env);
	else if (xdg && *xdg && is_dir(xdg))
		d = path_join(xdg, "tbx");
	else
		d = expand_home("~/.local/state/tbx");
	if (mkdir_p(d, 0700, e) < 0) {
		free(d);
		return -1;
	}
	struct stat st;
	if (lstat(d, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(e, "lock directory '%s' is not a directory", d);
		free(d);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		err_set(e, "lock directory '%s' must belong to you and not be writable by others", d);
		free(d);
		return -1;
	}
	*dir = d;
	return 0;
}

static char *lock_name(const char *scope)
{
	if (!scope)
		return xstrdup("tbx.lock");
	struct buf b = BUF_INIT;
	buf_adds(&b, "tbx-");
	for (const char *p = scope; *p; p++)
		buf_addc(&b, strchr("/\\. ", *p) ? '_' : *p);
	buf_adds(&b, ".lock");
	return buf_detach(&b);
}

static char *read_owner(const char *owner_path)
{
	struct buf b = BUF_INIT;
	struct err e = { 0 };
	if (read_file(owner_path, 4096, &b, &e) < 0 || b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	char *s = sanitize_line(b.p, b.len, 300);
	buf_free(&b);
	return s;
}

char *run_lock_holder(const char *scope)
{
	char *dir = NULL;
	struct err e = { 0 };
	if (run_lock_dir(&dir, &e) < 0)
		return NULL;
	char *name = lock_name(scope);
	char *path = path_join(dir, name);
	char *owner = xasprintf("%s.owner", path);
	char *who = NULL;
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
			who = read_owner(owner);
			if (!who)
				who = xstrdup("another tbx");
		}
		close(fd);
	}
	free(dir), free(name), free(path), free(owner);
	return who;
}

int run_lock_acquire(struct run_lock *l, const char *scope, const char *what, bool wait,
		     run_lock_wait_fn waiting, struct err *e)
{
	char *dir = NULL;
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (run_lock_dir(&dir, e) < 0)
		return -1;
	char *name = lock_name(scope);
	l->path = path_join(dir, name);
	l->owner_path = xasprintf("%s.owner", l->path);
	free(name);
	l->fd = open(l->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (l->fd < 0) {
		err_set(e, "cannot open lock '%s': %s", l->path, strerror(errno));
		goto fail;
	}
	if (flock(l->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			err_set(e, "cannot lock '%s': %s", l->path, strerror(errno));
			goto fail;
		}
		char *who = read_owner(l->owner_path);
		if (!wait) {
			err_set(e, "busy: %s holds the lock '%s' (try again later, or drop --no-wait "
				"to wait)", who ? who : "another tbx", l->path);
			free(who);
			goto fail;
		}
		if (waiting)
			waiting(who ? who : "another tbx");
		free(who);
		while (flock(l->fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				err_set(e, "cannot lock '%s': %s", l->path, strerror(errno));
				goto fail;
			}
			if (g_interrupted) {
				err_setx(e, g_interrupted == 2 ? EXIT_SIGINT : EXIT_SIGTERM,
					 "interrupted while waiting for the lock");
				goto fail;
			}
		}
	}
	l->held = true;
	/* an owner file's temporary of a tbx killed while writing it */
	remove_stale_temp_files(dir);
	free(dir);
	char started[32];
	format_time(now_unix(), started);
	char *owner = xasprintf("pid %ld: %s (since %s)\n", (long)getpid(), what, started);
	struct err ignore = { 0 };
	/* best effort: the flock is what guards, the owner file only informs */
	write_file_atomic(l->owner_path, owner, strlen(owner), 0600, &ignore);
	free(owner);
	return 0;
fail:
	free(dir);
	run_lock_release(l);
	return -1;
}

void run_lock_release(struct run_lock *l)
{
	if (l->fd >= 0) {
		/* clear the owner line before letting go, so nobody reads a stale one */
		if (l->held && l->owner_path)
			unlink(l->owner_path);
		flock(l->fd, LOCK_UN);
		close(l->fd);
	}
	free(l->path);
	free(l->owner_path);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}
