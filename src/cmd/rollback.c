/* rollback.c - tbx rollback BACKEND [DIGEST]: back to the previous digest
 * (or a given one), from the images kept locally when they are there. */
#define _GNU_SOURCE
#include <string.h>

#include "cmd.h"
#include "imagelock.h"
#include "lifecycle.h"
#include "lock.h"
#include "pins.h"

/* A digest given on the command line: a full one, or a prefix ("sha256:"
 * optional, 12 hex digits at least) of one in the backend's history. */
static const char *wanted_digest(const struct lock_entry *le, const char *arg, struct err *e)
{
	if (digest_is_valid(arg))
		return arg;
	const char *hex = strncmp(arg, "sha256:", 7) == 0 ? arg + 7 : arg;
	size_t n = strlen(hex);
	bool shape = n >= 12 && n < 64 && strspn(hex, "0123456789abcdef") == n;
	const char *found = NULL;
	for (size_t i = 0; shape && le && i <= le->n_history; i++) {
		const char *d = i < le->n_history ? le->history[i].digest : le->digest;
		if (d && strncmp(d + 7, hex, n) == 0) {
			if (found && !str_eq(found, d)) {
				err_setx(e, EXIT_USAGE, "digest prefix '%s' is ambiguous", arg);
				return NULL;
			}
			found = d;
		}
	}
	if (!found) {
		char *clean = sanitize_line(arg, strlen(arg), 80);
		err_setx(e, EXIT_USAGE,
			 "'%s' is not a digest (sha256:<64 hex digits>) nor a prefix of one in this "
			 "backend's history", clean);
		free(clean);
	}
	return found;
}

static int run_rollback(struct ctx *c, const struct cmd_args *a)
{
	if (a->argc != 1 && a->argc != 2)
		return cmd_usage(&cmd_rollback, "rollback needs a BACKEND and optionally a DIGEST");
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
	const struct lock_entry *le = imagelock_get(&il, b->id);
	const char *previous = a->argc == 2 ? wanted_digest(le, a->argv[1], &c->err)
					    : lock_entry_previous(le);
	if (!previous) {
		if (a->argc == 1)
			err_set(&c->err, "%s has no previous digest to roll back to", b->id);
		goto out;
	}
	char *prev = xstrdup(previous);
	struct podman_image img = { 0 };
	struct err le_err = { 0 };
	/* kept locally (refresh keeps keep_images previous images): no registry needed */
	bool local = find_local_image(&c->podman, b, le, prev, &img, &le_err) == 0;
	podman_image_free(&img);
	if (!local)
		note("%s: %.19s is not kept locally; asking the registry", b->id, prev);
	int r = pin_switch_print(c, b, &il, prev, "rolled back to");
	if (r < 0 && !local && c->err.exit_code < EXIT_SIGINT)
		err_wrap(&c->err, "%s: digest %s is neither kept locally nor available from the "
			 "registry (upstream keeps only its 3 newest builds per channel)", b->id,
			 prev);
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
	.args = "[--no-wait] BACKEND [DIGEST]",
	.summary = "return a backend to its previous digest (or DIGEST) and recreate its container",
	.description = "Uses the images refresh keeps locally (the last keep_images previous "
		       "ones of each backend, default 2; this works with the registry "
		       "unreachable), or pulls NAME@DIGEST. DIGEST may be a full digest or a "
		       "prefix (12 hex digits at least) of one in the backend's history. When the "
		       "digest is neither kept locally nor in the registry any more (upstream "
		       "keeps only its 3 newest builds per channel), it says so. The backend is "
		       "then pinned to that digest.",
	.options = cmd_no_wait_only,
	.run = run_rollback,
};
