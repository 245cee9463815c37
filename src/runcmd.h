/* runcmd.h - the one way tbx runs a child process (as git's run-command):
 * an argv (never a shell, argv[0] looked up in PATH), extra environment,
 * stdin from /dev/null, stdout and stderr through pipes (or merged, or to a
 * file), an optional time bound, and SIGINT/SIGTERM passed on.
 *
 *   struct runcmd c = { .argv = argv };
 *   if (runcmd_start(&c, e) < 0) ...;      // "cannot run 'x': No such file..."
 *   runcmd_pump(&c, fn, ctx, 30);          // output to fn until EOF or 30 s
 *   runcmd_finish(&c, &code);              // exit status, 128+N for signal N
 *
 * runcmd_run() does the three; a long-lived child (ssh forwarding) is
 * started with .detach and later watched with runcmd_exited() and ended
 * with runcmd_stop(). */
#ifndef TBX_RUNCMD_H
#define TBX_RUNCMD_H

#include <sys/types.h>

#include "util.h"

/* Output of a child: stream 1 (stdout) or 2 (stderr). */
typedef void (*runcmd_output_fn)(int stream, const char *data, size_t len, void *ctx);

enum runcmd_stderr {
	RUNCMD_ERR_PIPE = 0, /* its own pipe, stream 2 */
	RUNCMD_ERR_MERGE,    /* into stdout's pipe (stream 1) */
	RUNCMD_ERR_FD,       /* to err_fd (a log file) */
};

struct runcmd {
	/* set by the caller */
	char *const *argv; /* NULL-terminated */
	char *const *env;  /* "K=V" added to (and overriding) tbx's environment, or NULL */
	bool stdout_null;  /* stdout to /dev/null instead of a pipe */
	enum runcmd_stderr err;
	int err_fd;  /* with RUNCMD_ERR_FD */
	bool detach; /* its own session (a Ctrl-C meant for tbx does not reach it),
		      * default signals, SIGTERM when tbx dies */
	/* set by runcmd_start */
	pid_t pid;
	int out_fd, errp_fd; /* read ends, -1 when none */
	int exec_errno;      /* why it could not be run, 0 otherwise */
};

/* Fork and exec; 0 once the program runs, -1 with e set when it could not
 * be started ("cannot run 'NAME': REASON"; c->exec_errno set when exec
 * itself failed). */
int runcmd_start(struct runcmd *c, struct err *e);
/* Read the pipes until both reach EOF, passing output to fn (may be NULL).
 * timeout_s > 0: after that long the child is killed (SIGKILL) and 1 is
 * returned; else 0.  A SIGINT/SIGTERM received by tbx is passed on to the
 * child once. */
int runcmd_pump(struct runcmd *c, runcmd_output_fn fn, void *ctx, double timeout_s);
/* Wait for the child; *exit_code: its status, 128+N when killed by N. */
void runcmd_finish(struct runcmd *c, int *exit_code);
/* start + pump + finish.  Returns -1 when it could not be started, 1 when
 * it timed out, else 0. */
int runcmd_run(struct runcmd *c, runcmd_output_fn fn, void *ctx, double timeout_s, int *exit_code,
	       struct err *e);
/* Without blocking: true (and *exit_code set) once the child has exited. */
bool runcmd_exited(struct runcmd *c, int *exit_code);
/* SIGTERM, then wait for it. */
void runcmd_stop(struct runcmd *c);

#endif
