/* toolbox.h - what makes a container a toolbox that `toolbox enter` and
 * `toolbox run` accept, for definitions with "toolbox": true: the labels,
 * namespaces, mounts and `toolbox init-container` command that toolbox
 * 0.0.99.3's own `toolbox create` gives (read from its create command and
 * its source), for the user tbx runs as. */
#ifndef TBX_TOOLBOX_H
#define TBX_TOOLBOX_H

#include <json-c/json.h>
#include <stdbool.h>
#include "util.h"

/* What toolbox takes from the user and the host. */
struct toolbox_host {
	char *user, *home, *shell; /* from the password database */
	unsigned uid, gid;
	bool rootless;             /* not root: --userns keep-id, else host */
	char *runtime_dir;         /* $XDG_RUNTIME_DIR, NULL when unset */
	char *toolbox;             /* the toolbox binary (mounted at /usr/bin/toolbox) */
	char *dbus_socket;         /* the system bus socket, NULL when absent */
};

/* Read them; -1 (exit 1) when the toolbox command is not installed or the
 * user is not in the password database. */
int toolbox_host_read(struct toolbox_host *h, struct err *e);
void toolbox_host_free(struct toolbox_host *h);

/* Make the container spec s (from container_spec) a toolbox: labels,
 * hostname, namespaces, privileges, mounts, environment and the
 * init-container command. */
void toolbox_spec_apply(json_object *s, const struct toolbox_host *h);

#endif
