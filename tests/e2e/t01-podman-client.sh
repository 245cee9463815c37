#!/bin/bash
# The Podman client against the real service: pull through the mirror,
# create, start, exec the real llama-bench (framed output, exit codes),
# copy a file out through the archive endpoint, rename, stop, remove.
. "$(dirname "$0")/lib.sh"
reset_containers
"$REPO/${TBX_BUILD:-build/rel}/itest/podman_client" "$TB_SOCK" \
	"docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.2" "$TB_MODELS"
