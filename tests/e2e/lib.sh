# tests/e2e/lib.sh - sourced by every end-to-end test.
#
# The test bed (tests/testbed) is brought up once by tests/run-all and named
# by TBX_TESTBED_DIR; run a single script by hand with:
#   tests/testbed up /tmp/bed && TBX_TESTBED_DIR=/tmp/bed bash tests/e2e/t10-refresh.sh
#
# Each script gets a scratch directory $T with its own tbx home
# ($TBX_HOME: the test definitions from tests/e2e/defs, the tiny model),
# its own lock directory, and TAP helpers.  Never pipe tbx's output into
# another command: a pipe hides a crash.  Use `run` and look at the files.
set -u

REPO=${TBX_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TBX_BIN=${TBX_BIN:-$REPO/tbx}
: "${TBX_TESTBED_DIR:?run through tests/run-all, or set TBX_TESTBED_DIR to a test bed}"
# shellcheck disable=SC1091
. "$TBX_TESTBED_DIR/env"
unset CONTAINER_HOST
# TBX_TEST_ENGINE=4|5: the engine the test bed must run (tests/testbed up
# takes it too); TB_ENGINE is the one it runs, TB_PODMAN_VERSION its version
TB_ENGINE=${TB_ENGINE:-4}
if [ -n "${TBX_TEST_ENGINE:-}" ] && [ "$TBX_TEST_ENGINE" != "$TB_ENGINE" ]; then
	echo "Bail out! TBX_TEST_ENGINE=$TBX_TEST_ENGINE but the test bed $TBX_TESTBED_DIR runs engine $TB_ENGINE"
	exit 1
fi
# the Podman major version of the engine under test (4 or 5): for the few
# places where Podman's documented behaviour differs between them
PODMAN_MAJOR=${TB_PODMAN_VERSION%%.*}

T=$(mktemp -d /tmp/tbx-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
export TBX_HOME=$T/home
export TBX_LOCK_DIR=$T/lock
export TBX_REGISTRY_MIRROR=$TB_MIRROR
unset TBX_CONFIG
export HOME=$T/userhome
export XDG_DATA_HOME=$T/userhome/.local/share
export XDG_CONFIG_HOME=$T/userhome/.config
unset XDG_RUNTIME_DIR
mkdir -p "$TBX_HOME/containers" "$TBX_HOME/manifests" "$HOME"
cp "$REPO"/tests/e2e/defs/containers/*.json "$TBX_HOME/containers/"
cp "$REPO"/tests/e2e/defs/manifests/*.json "$TBX_HOME/manifests/"
cat >"$TBX_HOME/manifests/models.json" <<EOF
{"root": "$TB_MODELS", "models": {"tiny": "tiny.gguf"}}
EOF

_n=0
_failed=0
ok() { # COND-EXIT-STATUS DESCRIPTION  (use: ok "$(cmd; echo $?)" ...) - see check
	_n=$((_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_n - $2"
	else
		echo "not ok $_n - $2"
		_failed=$((_failed + 1))
	fi
}
# check DESCRIPTION CMD...: passes when CMD succeeds
check() {
	local desc=$1
	shift
	if "$@"; then ok 0 "$desc"; else ok 1 "$desc"; fi
}
# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}
# like TEXT PATTERN DESCRIPTION (grep -E)
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   text:    '$(printf '%s' "$1" | head -c 2000)'"
		echo "#   pattern: '$2'"
	fi
}
unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		echo "#   text:    '$(printf '%s' "$1" | head -c 2000)'"
		echo "#   pattern (should not match): '$2'"
	else
		ok 0 "$3"
	fi
}

# run CMD...: runs it; sets $rc, $out (stdout) and $err (stderr)
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
	if [ -n "${TBX_TEST_VERBOSE:-}" ]; then
		echo "# \$ $*  -> $rc"
		sed 's/^/# out: /' "$T/out"
		sed 's/^/# err: /' "$T/err"
	fi
}

tbx() { "$TBX_BIN" --url "$TB_URL" "$@"; }
# the podman CLI on the test bed's own storage (never remote; on engine 5,
# `podman` is the engine's own CLI from the test bed's PATH)
pm() { podman "$@"; }

# Remove every container of the test bed (tests do not share containers).
reset_containers() {
	local ids
	ids=$(podman ps -aq)
	[ -n "$ids" ] && podman rm -f $ids >/dev/null 2>&1
	rm -f "$TBX_HOME/manifests/images.lock.json"
	return 0
}
# Remove the test images too, so the next refresh really pulls.
reset_images() {
	reset_containers
	podman rmi -af >/dev/null 2>&1
	return 0
}

TESTBED="$REPO/tests/testbed"
# Push again any tag an earlier test deleted or broke (a withdrawn tag,
# a removed layer), so every test starts from five good tags.
ensure_tags() {
	local t
	for t in $TB_TAGS; do
		if ! "$TESTBED" digest "$TB_DIR" "$t" >/dev/null 2>&1; then
			"$TESTBED" rebuild "$TB_DIR" "$t" >/dev/null 2>&1
		fi
	done
}

# count registry manifest requests by method since a mark
registry_mark() { wc -l <"$TB_REGISTRY_LOG"; }
registry_count() { # MARK METHOD -> number of "METHOD /v2/.../manifests/" lines after MARK
	tail -n +"$(($1 + 1))" "$TB_REGISTRY_LOG" | grep -c "\"$2 /v2/[^ ]*/manifests/" || true
}
registry_blob_gets() { # MARK -> layer/blob GETs after MARK
	tail -n +"$(($1 + 1))" "$TB_REGISTRY_LOG" | grep -c '"GET /v2/[^ ]*/blobs/' || true
}

container_id() { podman inspect --format '{{.Id}}' "$1" 2>/dev/null; }

done_testing() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
}
# jqe FILTER FILE: true when the filter's result is true (quietly)
jqe() { jq -e "$@" >/dev/null 2>&1; }
