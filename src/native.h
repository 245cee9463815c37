/* native.h - running a host binary (native backends) the way
 * podman_exec() runs one in a container: argv (never a shell), extra
 * environment, output through the same callback, and SIGINT/SIGTERM
 * passed on to the child. */
#ifndef TBX_NATIVE_H
#define TBX_NATIVE_H

#include "podman.h"
#include "util.h"

/* env: "K=V" entries added to (and overriding) tbx's own environment.
 * *exit_code: the exit status, or 128+N when killed by signal N. */
int native_run(char *const *argv, char *const *env, exec_output_fn fn, void *ctx, int *exit_code,
	       struct err *e);

#endif
