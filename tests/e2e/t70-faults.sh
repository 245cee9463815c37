#!/bin/bash
# Faults tbx must survive and bad input it must refuse cleanly: a quick
# subset of `make torture` (tests/torture/run.sh, tests/torture/lib.sh) for
# `make check`: a few kill -9 rounds during refresh and bench, registry
# faults through tests/torture/faultproxy.c (404, 401, 429, 500, connection
# closed), Podman faults (socket missing, service restarted and container
# removed during a bench), a full results/manifests disk, concurrent
# refreshes/benches with status all along, and bad input (names, models,
# definitions, manifests, config, hostile llama-bench output).
# Crashes (exit >= 128 other than 130/143, "Sanitizer", "runtime error")
# are failures.
# the quick subset; these knobs are read when tests/torture/lib.sh is sourced
export TBX_TORTURE_QUICK=1
export TBX_KILL_ROUNDS=${TBX_KILL_ROUNDS:-3}
export TBX_BENCH_KILL_ROUNDS=${TBX_BENCH_KILL_ROUNDS:-2}
export TBX_BENCH_KILL_ARGS=${TBX_BENCH_KILL_ARGS:--r 3}
export TBX_PODMAN_ROUNDS=${TBX_PODMAN_ROUNDS:-1}
export TBX_CONC_ROUNDS=${TBX_CONC_ROUNDS:-1}

. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$REPO/tests/torture/lib.sh"
trap 'torture_cleanup; rm -rf "$T"' EXIT
[ "$(id -u)" = 0 ] || {
	echo "1..0 # SKIP needs root (tmpfs and bind mounts)"
	exit 0
}
T_START=$SECONDS

class_kill
class_registry
class_podman
class_disk
class_concurrency
class_input
reset_containers
torture_summary "# "
done_testing
