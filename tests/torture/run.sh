#!/bin/bash
# shellcheck disable=SC2034,SC2154 # T_START, _n, _failed: shared with the sourced libraries
# tests/torture/run.sh - `make torture`: faults tbx must survive, bad input
# it must refuse cleanly, on its own real test bed (tests/testbed).
#
# Fault classes (tests/torture/lib.sh): kill (kill -9 during refresh and
# bench), registry (stopped, 404, 401, 429, 5xx, connection closed, ... via
# tests/torture/faultproxy.c), podman (socket missing, service frozen or
# restarted, container removed or stopped during a bench), disk (results /
# manifests full or read-only), concurrency (two refreshes, refresh during
# bench, two benches, status all along), input (names, models, definitions,
# manifests, config, arguments, hostile llama-bench output), records
# (hostile record strings, invalid fields, FIFOs and links in results/,
# symlinked report directories, too many or too big records, expansion
# bombs, a disk that fills up in the middle of an import).
#
# Prints per class: faults injected, survived with nothing lost, bad inputs
# tried, crashes (exit >= 128 but our own 130/143/137, or "Sanitizer" /
# "runtime error" on stderr); then "N passed, N failed"; exits 1 if anything
# failed.
#
#   TBX_BIN=path/to/tbx          the binary under test (default ./tbx; e.g. a
#                                `make SANITIZE=address,undefined` build)
#   TBX_TORTURE_CLASSES="kill registry podman disk concurrency input"
#   TBX_TORTURE_BED=DIR          use this running test bed instead of a new one
#   TBX_KILL_ROUNDS=50 ...       more knobs: see tests/torture/lib.sh
#
# Needs root (the test bed, tmpfs and bind mounts) and what tests/testbed
# needs; nothing else (the fault proxy is C, compiled here with cc).
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 1
export TBX_REPO=$REPO
export TBX_BIN=${TBX_BIN:-$REPO/tbx}
WANTED=${TBX_TORTURE_CLASSES:-kill registry podman disk concurrency input records}
T_START=$SECONDS

[ -x "$TBX_BIN" ] || {
	echo "torture: no tbx binary at $TBX_BIN (make tbx, or set TBX_BIN)" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || {
	echo "torture: needs root (the test bed, tmpfs and bind mounts)" >&2
	exit 1
}
for c in $WANTED; do
	case $c in kill | registry | podman | disk | concurrency | input | records) ;;
	*)
		echo "torture: unknown class '$c' (kill registry podman disk concurrency input records)" >&2
		exit 2
		;;
	esac
done

WORK=$(mktemp -d /tmp/tbx-torture.XXXXXX)
if [ -n "${TBX_TORTURE_BED:-}" ]; then
	BED=$TBX_TORTURE_BED
	OWN_BED=0
else
	BED=$WORK/bed
	OWN_BED=1
	echo "# bringing up the test bed in $BED"
	if ! tests/testbed up "$BED"; then
		echo "not ok - the test bed did not come up"
		tests/testbed down "$BED" >/dev/null 2>&1
		rm -rf "$WORK"
		echo "0 passed, 1 failed"
		exit 1
	fi
fi
export TBX_TESTBED_DIR=$BED

# shellcheck source=tests/e2e/lib.sh
. "$REPO/tests/e2e/lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$REPO/tests/torture/lib.sh"

finish() {
	local r=$?
	trap - EXIT INT TERM
	torture_cleanup
	if [ "$OWN_BED" = 1 ]; then
		tests/testbed down "$BED" >/dev/null 2>&1
	else
		reset_containers
	fi
	rm -rf "$T" "$WORK"
	exit "$r"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "# tbx under test: $TBX_BIN ($("$TBX_BIN" --version 2>&1 | head -n 1))"
for c in $WANTED; do
	"class_$c"
done

torture_summary ""
[ "$_failed" -eq 0 ] && [ "$_n" -gt 0 ]
