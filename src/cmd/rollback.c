/* rollback.c - tbx rollback BACKEND: back to the previous digest. */
#define _GNU_SOURCE
#include <string.h>

#include "cmd.h"
#include "imagelock.h"
#include "lock.h"
#include "pins.h"

static int run_rollback(struct ctx *c, const struct cmd_args *a)
{
	if (a->argc != 1)
		return cmd_usage(&cmd_rollback, "rollback needs exactly one BACKEND");
	if (ctx_load(c) < 0)
		return -1;
	const struct backend *b = backend_resolve(&c->backends, a->argv[0], &c->err);
	if (!b)
		return -1;
	if (b->native)
		return err_setx(&c->err, EXIT_USAGE, "%s is a native backend: nothing to roll back",
				b->id);
	if (ctx_podman(c) < 0)
		return -1;
	struct run_lock lock;
	if (cmd_lock(c, &lock, "tbx rollback", !c->no_wait) < 0)
		return -1;
	struct imagelock il;
	int rc = -1;
	if (imagelock_load(c->home, &il, &c->err) < 0)
		goto out;
	const char *previous = lock_entry_previous(imagelock_get(&il, b->id));
	if (!previous) {
		err_set(&c->err, "%s has no previous digest to roll back to", b->id);
		goto out;
	}
	char *prev = xstrdup(previous);
	int r = pin_switch_print(c, b, &il, prev, "rolled back to");
	free(prev);
	if (r < 0)
		goto out;
	printf("%s: pinned so refresh keeps it; 'tbx unpin %s' to follow the tag again\n", b->id,
	       b->id);
	rc = EXIT_OK;
out:
	imagelock_free(&il);
	run_lock_release(&lock);
	return rc;
}

const struct command cmd_rollback = {
	.name = "rollback",
	.args = "[--no-wait] BACKEND",
	.summary = "return a backend to its previous digest and recreate its container",
	.description = "Uses the previous image kept by refresh (works offline), or pulls "
		       "NAME@DIGEST. The backend is then pinned to that digest.",
	.options = cmd_no_wait_only,
	.run = run_rollback,
};
