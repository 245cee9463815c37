/* print.c - the front end's output of what the core returns: JSON
 * documents, prune's lines, the notes shown while waiting or pulling. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "escape.h"
#include "json.h"
#include "lifecycle.h"
#include "lock.h"
#include "pins.h"
#include "prune.h"
#include "regcheck.h"

void cmd_print_json(json_object *j)
{
	char *s = json_pretty(j), *safe = esc_json_out(s);
	fputs(safe, stdout);
	free(safe);
	free(s);
}

void print_prune(const struct prune_result *r)
{
	const char *verb = r->check ? "would remove" : "removed";
	for (size_t i = 0; i < r->n_items; i++) {
		const struct prune_item *it = &r->items[i];
		if (it->kind == PRUNE_LEGACY_CURRENT) {
			warn("manifests/legacy.json names '%s', the container of a current backend: "
			     "kept", it->name);
			continue;
		}
		if (g_verbosity < 0)
			continue;
		switch (it->kind) {
		case PRUNE_CONTAINER:
			printf("prune: %s container '%s' (%s)\n", verb, it->name, it->why);
			break;
		case PRUNE_IMAGE:
			printf("prune: %s image %.12s\n", verb, it->name);
			break;
		case PRUNE_IMAGE_KEPT:
			printf("prune: kept image %.12s (%s)\n", it->name, it->why);
			break;
		case PRUNE_CONTAINER_KEPT:
			printf("prune: kept container '%s' (%s)\n", it->name, it->why);
			break;
		case PRUNE_LEGACY_CURRENT:
			break;
		}
	}
}

static void say_waiting(const char *holder)
{
	fprintf(stderr, "tbx: waiting for %s to finish\n", holder);
}

int cmd_lock(struct ctx *c, struct run_lock *l, const char *what, bool wait)
{
	return run_lock_acquire(l, c->connection, what, wait, say_waiting, &c->err);
}

void print_converge_event(const struct backend *b, enum converge_event ev, const char *detail,
			  void *ctx)
{
	(void)ctx;
	switch (ev) {
	case EVENT_PULLING:
		note("%s: pulling %s", b->id, detail);
		break;
	case EVENT_RECOVER_FINISH:
		note("%s: finishing an interrupted replacement", b->id);
		break;
	case EVENT_RECOVER_RESTORE:
		note("%s: restoring '%s' from an interrupted replacement", b->id, detail);
		break;
	case EVENT_REMOVED_NEW:
		verbose("%s: removing the unfinished '%s'", b->id, detail);
		break;
	case EVENT_REMOVED_OLD:
		verbose("%s: removing the replaced '%s'", b->id, detail);
		break;
	}
}

int pin_switch_print(struct ctx *c, const struct backend *b, struct imagelock *il,
		     const char *digest, const char *verb)
{
	struct registry_opts ro;
	registry_opts_from(&c->cfg, &ro);
	/* adopt = yes in the config lets pin and rollback adopt too */
	struct converge_opts o = { .event = print_converge_event, .registry = &ro,
				   .adopt = c->cfg.adopt };
	struct converge_outcome out;
	if (ctx_podman(c) < 0)
		return -1;
	int rc = pins_switch(&c->podman, b, c->models.root, il, digest, &o, &out, &c->err);
	if (rc == 0) {
		char sd[24], sp[24];
		printf("%s: %s %s%s%s%s%s\n", b->id, verb, short_digest(out.new_digest, sd),
		       out.platform_digest ? " (linux/amd64 manifest " : "",
		       out.platform_digest ? short_digest(out.platform_digest, sp) : "",
		       out.platform_digest ? ")" : "", out.recreated ? " (container recreated)" : "");
	}
	converge_outcome_free(&out);
	return rc;
}
