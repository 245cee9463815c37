/* pin.c - tbx pin BACKEND [DIGEST]: keep (or restore) exactly this digest. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "imagelock.h"
#include "lock.h"
#include "pins.h"
#include "registry.h"

static int run_pin(struct ctx *c, const struct cmd_args *a)
{
	if (a->argc < 1 || a->argc > 2)
		return cmd_usage(&cmd_pin, "pin needs a BACKEND and optionally a DIGEST");
	const char *digest = a->argc == 2 ? a->argv[1] : NULL;
	if (digest && !digest_is_valid(digest))
		return cmd_usage(&cmd_pin, "'%s' is not a digest (sha256: and 64 hex digits)", digest);
	if (ctx_load(c) < 0)
		return -1;
	const struct backend *b = backend_resolve(&c->backends, a->argv[0], &c->err);
	if (!b)
		return -1;
	if (b->native)
		return err_setx(&c->err, EXIT_USAGE, "%s is a native backend: there is no image to pin",
				b->id);
	struct run_lock lock;
	if (cmd_lock(c, &lock, "tbx pin", !c->no_wait) < 0)
		return -1;
	int rc = -1;
	struct imagelock il;
	if (imagelock_load(c->home, &il, &c->err) < 0)
		goto out;
	struct lock_entry *le = imagelock_get(&il, b->id);
	if (!digest) {
		if (!le || !le->digest) {
			err_set(&c->err, "%s has no digest yet: run 'tbx refresh %s' first, or give one",
				b->id, b->id);
			goto out;
		}
		lock_entry_set_pinned(le, true);
		if (imagelock_save(&il, &c->err) < 0)
			goto out;
		char sd[24];
		printf("%s: pinned to %s\n", b->id, short_digest(le->digest, sd));
		rc = EXIT_OK;
		goto out;
	}
	/* a given digest: make it the current one, pulling ref@digest if needed */
	if (ctx_podman(c) < 0)
		goto out;
	if (pin_switch_print(c, b, &il, digest, "pinned") < 0)
		goto out;
	rc = EXIT_OK;
out:
	imagelock_free(&il);
	run_lock_release(&lock);
	return rc;
}

const struct command cmd_pin = {
	.name = "pin",
	.args = "[--no-wait] BACKEND [DIGEST]",
	.summary = "pin a backend to its current digest, or to the given one",
	.description = "A pinned backend keeps exactly its digest: refresh never moves it (it "
		       "restores it, pulling NAME@DIGEST if needed) and status does not call it "
		       "stale when upstream moves on. With DIGEST, switches to that digest now and "
		       "recreates the container. DIGEST may be the tag's digest or, for a tag "
		       "served as an image index, its linux/amd64 manifest's digest recorded in "
		       "the lock file; both are kept. 'tbx unpin' follows the tag again.",
	.options = cmd_no_wait_only,
	.run = run_pin,
};
