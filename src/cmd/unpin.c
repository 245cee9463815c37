/* unpin.c - tbx unpin BACKEND: follow the tag again. */
#define _GNU_SOURCE
#include <string.h>

#include "cmd.h"
#include "imagelock.h"
#include "lock.h"

static int run_unpin(struct ctx *c, const struct cmd_args *a)
{
	if (a->argc != 1)
		return cmd_usage(&cmd_unpin, "unpin needs exactly one BACKEND");
	if (ctx_load(c) < 0)
		return -1;
	const struct backend *b = backend_resolve(&c->backends, a->argv[0], &c->err);
	if (!b)
		return -1;
	struct run_lock lock;
	if (cmd_lock(c, &lock, "tbx unpin", true) < 0)
		return -1;
	struct imagelock il;
	int rc = -1;
	if (imagelock_load(c->home, &il, &c->err) < 0)
		goto out;
	struct lock_entry *le = imagelock_get(&il, b->id);
	if (!le || !le->pinned) {
		printf("%s: not pinned\n", b->id);
		rc = EXIT_OK;
		goto out;
	}
	lock_entry_set_pinned(le, false);
	if (imagelock_save(&il, &c->err) < 0)
		goto out;
	printf("%s: unpinned; the next refresh follows %s again\n", b->id, b->image);
	rc = EXIT_OK;
out:
	imagelock_free(&il);
	run_lock_release(&lock);
	return rc;
}

const struct command cmd_unpin = {
	.name = "unpin",
	.args = "BACKEND",
	.summary = "let refresh follow the backend's tag again",
	.run = run_unpin,
};
