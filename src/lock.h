/* lock.h - one bench or refresh at a time on a machine.
 *
 * An flock(2) on "tbx.lock" in a directory only the user can write
 * ($TBX_LOCK_DIR, else $XDG_RUNTIME_DIR/tbx, else ~/.local/state/tbx),
 * opened without following symlinks.  The holder's description lives in
 * "tbx.lock.owner" (written atomically) so a waiter can say who it waits
 * for.  The kernel drops the lock when the holder dies, even by kill -9. */
#ifndef TBX_LOCK_H
#define TBX_LOCK_H

#include "util.h"

struct run_lock {
	int fd;
	bool held;
	char *path;
	char *owner_path;
};

/* Told once, before waiting, who holds the lock ("another tbx" when unknown). */
typedef void (*run_lock_wait_fn)(const char *holder);

/* scope: the host the lock guards (a connection name) or NULL for this
 * machine.  what: "tbx bench rocm-7.2 qwen".  wait=false: fail at once
 * (exit 1) naming the holder; else waiting() (may be NULL) is told and we
 * wait.  Interrupted waits fail with 130/143. */
int run_lock_acquire(struct run_lock *l, const char *scope, const char *what, bool wait,
		     run_lock_wait_fn waiting, struct err *e);
void run_lock_release(struct run_lock *l);
/* Who holds it now ("pid 123: tbx bench ... since ..."), or NULL. */
char *run_lock_holder(const char *scope);
/* The directory (created 0700 and checked to be the user's own). */
int run_lock_dir(char **dir, struct err *e);

#endif
