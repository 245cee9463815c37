# tests/e2e/rootless.sh - sourced (after lib.sh) by the e2e tests that run
# as the rootless test user of the bed (tests/testbed rootless-up): skips
# when not root or on engine 5 (the rootless service is the host's Podman),
# brings the rootless part up when missing, and gives:
#   rl CMD...    CMD as the test user, in its home, with a login's environment
#                only (no TBX_*, no --url: tbx's defaults), plus RL_ENV (array)
#   rtbx ARGS    tbx as the user;  rpm ARGS: podman as the user
#   rfmt NAME FORMAT   podman inspect --format FORMAT NAME, as the user
[ "$(id -u)" = 0 ] || {
	echo "1..0 # SKIP needs root (creates the test user)"
	exit 0
}
[ "${TBX_TEST_ENGINE:-4}" = 4 ] || {
	echo "1..0 # SKIP the rootless service is the host's Podman (TBX_TEST_ENGINE=4 only)"
	exit 0
}
if [ ! -f "$TB_DIR/rootless/env" ]; then
	"$TESTBED" rootless-up "$TB_DIR" >"$T/rootless-up.log" 2>&1 || {
		cat "$T/rootless-up.log"
		echo "not ok 1 - tests/testbed rootless-up"
		echo "1..1"
		exit 1
	}
fi
# shellcheck disable=SC1091
. "$TB_DIR/rootless/env"
RL_ENV=()
rl() {
	(cd "$RL_HOME" && setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
		env -i HOME="$RL_HOME" USER="$RL_USER" LOGNAME="$RL_USER" SHELL=/bin/sh \
		PATH=/usr/local/bin:/usr/bin:/bin XDG_RUNTIME_DIR="$RL_RUN" TBX_DATADIR="$REPO" \
		"${RL_ENV[@]}" "$@")
}
rtbx() { rl "$TBX_BIN" "$@"; }
rpm() { rl podman "$@"; }
rfmt() { rpm inspect --format "$2" "$1" 2>&1; }
