/* remote.h - reaching another host's Podman through a Podman system
 * connection (podman system connection list) and ssh's unix-socket
 * forwarding. */
#ifndef TBX_REMOTE_H
#define TBX_REMOTE_H

#include "podman.h"
#include "util.h"

struct connection {
	char *name;
	char *uri;	/* ssh://user@host:port/run/user/1000/podman/podman.sock or unix:// */
	char *identity; /* ssh key, may be NULL */
	bool is_default;
};

struct connections {
	struct connection *v;
	size_t n;
};

/* Read Podman's connection list, as Podman does: the connections of
 * podman-connections.json (Podman 5: $PODMAN_CONNECTIONS_CONF, else
 * ${XDG_CONFIG_HOME:-~/.config}/containers/) first, then those of
 * [engine.service_destinations.NAME] in containers.conf ($CONTAINERS_CONF
 * alone when set, else /usr/share/containers, /etc/containers and
 * ~/.config/containers, later files overriding earlier ones).  The default
 * is the JSON file's "Default", else containers.conf's active_service.
 * Missing files are no error; a malformed one is ("FILE:LINE: ..."). */
int connections_load(struct connections *out, struct err *e);
void connections_free(struct connections *c);
/* By name; NULL when unknown. */
const struct connection *connection_find(const struct connections *c, const char *name);

/* Parse one containers.conf (a TOML subset: tables, dotted and quoted keys,
 * strings of the four kinds, and the other values skipped, arrays and
 * inline tables included) and merge its service destinations into out;
 * *active gets active_service when present.  name is used in errors.
 * Exposed for tests and fuzzing. */
int connections_parse_conf(const char *text, size_t len, const char *name, struct connections *out,
			   char **active, struct err *e);
/* Parse podman-connections.json text and merge it into out (its entries
 * win); *def gets Connection.Default when present. */
int connections_parse_json(const char *text, size_t len, const char *name, struct connections *out,
			   char **def, struct err *e);

/* A connection URI taken apart. */
struct remote_uri {
	bool ssh;   /* else unix */
	char *user; /* NULL: ssh's default */
	char *host; /* without IPv6 brackets */
	int port;   /* 0: ssh's default */
	char *path; /* the socket, absolute */
};
int remote_uri_parse(const char *uri, struct remote_uri *u, struct err *e);
void remote_uri_free(struct remote_uri *u);

/* Open p on connection NAME: a unix:// URI directly, an ssh:// URI by
 * starting `ssh -nNT -L LOCAL.sock:REMOTE.sock` (BatchMode: never a
 * prompt; the user's ssh config applies) in its own session, waiting
 * (at most 15 s) for the forwarded socket and asking Podman its version
 * through it.  p->host is then the remote host; podman_close() stops ssh.
 * Unknown NAME: exit 2. */
int remote_connect(const char *name, struct podman *p, struct err *e);

#endif
