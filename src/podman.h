/* podman.h - a client for Podman's libpod REST API over its unix socket.
 *
 * Every route is versioned (/v4.0.0/libpod/...).  Podman's JSON error
 * bodies ({"cause","message","response"}) become one-line messages.
 * Functions that look something up return 1 for "not found", 0 for found,
 * -1 for errors; a Podman failure (HTTP 5xx) on a lookup is an error that
 * says the answer is unknown, never "not found". */
#ifndef TBX_PODMAN_H
#define TBX_PODMAN_H

#include <json-c/json.h>
#include <sys/types.h>
#include "util.h"

/* The one default bound of an ordinary Podman API call, in seconds (the
 * podman_timeout setting and TBX_PODMAN_TIMEOUT change it).  Pulls and
 * execs are bounded by a stall limit instead. */
#define PODMAN_TIMEOUT_DEFAULT_S 120

struct podman {
	char *socket;  /* path of the unix socket */
	char *host;    /* name of the machine behind it (for records) */
	long timeout_s; /* for ordinary calls (PODMAN_TIMEOUT_DEFAULT_S) */
	pid_t ssh_pid; /* ssh forwarding a remote socket, 0 when local */
	char *tmpdir;  /* holds the forwarded socket, removed on close */
	/* What this client has seen, asked once per command: the image list
	 * and the container names.  Any request that may change something
	 * (every method but GET) forgets both, so a lookup after this
	 * client's own pull, create, rename or remove asks again. */
	json_object *seen_images;
	struct strv seen_names;
	bool seen_names_ok;
	/* inspect answers asked ahead (podman_container_prefetch): each is
	 * handed out once, by name; a JSON null is Podman's "no such container" */
	json_object *seen_inspects;
};

/* url: "unix:///run/podman/podman.sock" or a plain path.  A socket owned
 * by another user than you and root (someone's rootless service) is
 * refused (exit 3), never used in that user's place. */
int podman_open(struct podman *p, const char *url, struct err *e);
void podman_close(struct podman *p);
/* The default socket: CONTAINER_HOST, else $XDG_RUNTIME_DIR/podman/podman.sock
 * when not root (/run/user/UID/podman/podman.sock without XDG_RUNTIME_DIR:
 * never root's), else /run/podman/podman.sock.  Caller frees. */
char *podman_default_url(void);

/* GET _ping (fast); *version is the API version from its
 * Libpod-Api-Version header, e.g. "4.3.1" (caller frees). */
int podman_ping(struct podman *p, char **version, struct err *e);
/* GET version: Podman's own version (slow: it asks runc, conmon...). */
int podman_version(struct podman *p, char **version, struct err *e);

/* A generic call: path below /v4.0.0/libpod (e.g. "/containers/json").
 * *out gets the parsed JSON body (may be NULL for empty bodies).
 * *status gets the HTTP status. HTTP >= 400 is returned as 0 with the
 * status; use podman_error() to turn the body into a message. */
int podman_call(struct podman *p, const char *method, const char *path, json_object *body,
		json_object **out, long *status, struct err *e);
/* Set e to "<what>: <podman's message>" for an error answer. */
int podman_error(struct err *e, long status, json_object *body, const char *fmt, ...)
	PRINTF_LIKE(4, 5);

/* Images. */
int podman_image_inspect(struct podman *p, const char *name, json_object **out, struct err *e);
int podman_image_list(struct podman *p, json_object **out, struct err *e);

/* A local image as Podman lists it. */
struct podman_image {
	char *id;
	char *digest;         /* its Digest (Podman 4.3: the tag's, index or not) */
	struct strv digests;  /* every digest it carries for the repository looked
			       * up: Digest, then its RepoDigests entries */
};
void podman_image_free(struct podman_image *img);
/* The platform manifest's digest behind tag_digest: the one other digest
 * the image carries (a tag served as an index: Podman records the index's
 * and the linux/amd64 manifest's), tag_digest itself when it carries no
 * other (a single manifest), NULL when that is ambiguous.  Caller frees. */
char *podman_image_platform_digest(const struct podman_image *img, const char *tag_digest);
/* The search itself on an image list Podman sent (untrusted; exposed for
 * tests and fuzzing): by digest, or when digest is NULL by id.  0 found,
 * 1 not. */
int podman_image_list_find(json_object *list, const char *name, const char *digest,
			   const char *id, struct podman_image *out);
/* Find the local image of repository name that carries digest (a tag's
 * digest, index or not, or a platform manifest's), from the image list.
 * Never inspects "name@digest": Podman 4.3 answers that with HTTP 500 when
 * the digest is an index's and the image is not local.  0 found (*out set),
 * 1 not present, -1 unknown (Podman failed; e says so with its answer). */
int podman_image_find_by_digest(struct podman *p, const char *name, const char *digest,
				struct podman_image *out, struct err *e);
/* The same by image ID (full, "sha256:"-prefixed, or a prefix of at least
 * 12); digests then lists what it carries for repository name (NULL: any). */
int podman_image_find_by_id(struct podman *p, const char *name, const char *id,
			    struct podman_image *out, struct err *e);
/* Remove without force; refuses while a container uses the image. */
int podman_image_remove(struct podman *p, const char *id, struct err *e);

/* Pull progress: one call per stream line worth showing. */
struct pull_progress {
	const char *layer;  /* short layer id or NULL */
	const char *status; /* "Downloading", "Copying blob ..." */
	int64_t current, total; /* bytes, -1 when unknown */
};
typedef void (*pull_progress_fn)(const struct pull_progress *pp, void *ctx);
/* Pull ref (policy=always).  The HTTP status is 200 even when the pull
 * fails: the stream's "error" line is the verdict.  On success *image_id
 * gets the pulled image's ID. */
int podman_image_pull(struct podman *p, const char *ref, pull_progress_fn fn, void *ctx,
		      char **image_id, struct err *e);

/* Containers. */
/* List all containers (running or not) carrying label (e.g. "tbx.backend"
 * or "tbx.backend=rocm-7.2"); label NULL lists every container. */
int podman_container_list(struct podman *p, const char *label, json_object **out,
			  struct err *e);
int podman_container_inspect(struct podman *p, const char *name, json_object **out,
			     struct err *e);
/* Is there a container of this exact name?  From one list of every
 * container's names, asked once until this client changes something
 * (see struct podman).  0 yes, 1 no, -1 unknown (Podman failed). */
int podman_container_exists(struct podman *p, const char *name, struct err *e);
/* Ask ahead for the inspect answers of these containers and for the
 * list of names (and with images, the image list), while something else
 * waits (the registry): the next podman_container_inspect of each name
 * gets its answer without asking again, unless this client changed
 * something since.  A failure is not kept: the later call asks itself. */
void podman_container_prefetch(struct podman *p, const char *const *names, size_t n,
			       bool images);
/* Forget what this client has seen (struct podman's seen_*). */
void podman_forget(struct podman *p);
/* spec: a SpecGenerator object (consumed: not). *id gets the new ID. */
int podman_container_create(struct podman *p, json_object *spec, char **id, struct err *e);
int podman_container_start(struct podman *p, const char *name, struct err *e);
int podman_container_stop(struct podman *p, const char *name, int timeout_s, struct err *e);
int podman_container_rename(struct podman *p, const char *name, const char *new_name,
			    struct err *e);
/* force=false: fails on a running container; volumes are kept. */
int podman_container_remove(struct podman *p, const char *name, bool force, struct err *e);

/* Exec with the 8-byte framed stream (byte 0: 1 stdout, 2 stderr; bytes
 * 4-7 big-endian length).  Output goes to the callbacks as it arrives. */
typedef void (*exec_output_fn)(int stream, const char *data, size_t len, void *ctx);
struct exec_opts {
	char *const *argv;
	char *const *env; /* "K=V", may be NULL */
	const char *workdir;
	exec_output_fn on_output;
	void *ctx;
	bool interruptible; /* stop (see below) on SIGINT/SIGTERM */
	/* When set, the process is started through `sh -c` that writes its
	 * PID to this path inside the container first, so it can be
	 * signalled later: Podman 4.3 has no exec kill and closing the
	 * connection does not stop the process.  argv is still passed as
	 * arguments, never interpreted by the shell.
	 * Before starting, the wrapper also reaps what a killed (kill -9)
	 * tbx left running: every other "tbx-*.pid" in the pid file's
	 * directory names a process that is killed if it still runs the
	 * same program (argv[0]) and is no longer its own wrapper's child: a
	 * run of another tbx (another home: the run lock is per home) keeps
	 * running, pid file included.  stdin is attached as a
	 * lifeline: when tbx dies (even by kill -9) Podman closes it, and
	 * the wrapper stops the program at once.  The pid file is removed
	 * when the program ends. */
	const char *pidfile;
};
/* Runs to completion. *exit_code gets the process's exit code (128+N for
 * a signal).  On interruption, signals the process inside the container
 * (TERM, then KILL after 5 s) and returns -1 with exit 130/143. */
int podman_exec(struct podman *p, const char *container, const struct exec_opts *o,
		int *exit_code, struct err *e);
/* The wrapper's shell text (exposed for tests). */
extern const char podman_exec_wrapper[];

/* Frame demultiplexer (exposed for tests and fuzzing). Feed any chunking;
 * returns -1 on a malformed frame (bad stream byte or absurd length). */
struct exec_demux {
	unsigned char hdr[8];
	size_t hdr_len;
	uint32_t left; /* payload bytes left in the current frame */
	int stream;
	bool broken;
	exec_output_fn fn;
	void *ctx;
};
void exec_demux_init(struct exec_demux *d, exec_output_fn fn, void *ctx);
int exec_demux_feed(struct exec_demux *d, const char *data, size_t len);

/* Copy one regular file out of a container through the archive endpoint
 * (a tar stream read with libarchive). At most max bytes.  Only the
 * integration test (tests/integration/podman_client.c) uses it, to read a
 * file back; it stays here because it needs the client's request plumbing. */
int podman_copy_out(struct podman *p, const char *container, const char *path, size_t max,
		    struct buf *out, struct err *e);

#endif
