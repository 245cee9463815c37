/* remote.h - reaching another host's Podman through a Podman system
 * connection (podman system connection list) and ssh's unix-socket
 * forwarding. */
#ifndef TBX_REMOTE_H
#define TBX_REMOTE_H

#include "podman.h"
#include "util.h"

struct connection {
	char *name;
	char *uri;      /* ssh://user@host:port/run/user/1000/podman/podman.sock or unix:// */
	char *identity; /* ssh key, may be NULL */
	bool is_default;
};

struct connections {
	struct connection *v;
	size_t n;
};

/* Read Podman's connection list (podman-connections.json of Podman 5, or
 * [engine.service_destinations] in containers.conf of Podman 4). */
int connections_load(struct connections *out, struct err *e);
void connections_free(struct connections *c);

/* Open p on connection NAME: a unix:// URI directly, an ssh:// URI by
 * starting `ssh -L LOCAL.sock:REMOTE.sock` and waiting for the socket. */
int remote_connect(const char *name, struct podman *p, struct err *e);

#endif
