#!/bin/bash
# Rootless (issue 14): as a test user with subordinate ids and its own
# rootless `podman system service` (tests/testbed rootless-up), tbx works
# with its defaults and no flag - the socket ($XDG_RUNTIME_DIR/podman/
# podman.sock), the home (~/.local/share/tbx), the lock directory
# ($XDG_RUNTIME_DIR/tbx), the timer as a user unit - through refresh, an
# upstream rebuild, bench (a kill -9'd bench leaves no llama-bench behind
# and the lock free), the run lock between two benches, and adoption of a
# --userns keep-id container.  Another user's rootless socket is refused
# (exit 3), root included: no fallback.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rootless.sh"
ensure_tags


# the user's default home, with the test bed's definitions and its own models
H=$RL_HOME/.local/share/tbx
rm -rf "$H" # tests do not share a home
rl mkdir -p "$H/containers" "$H/manifests"
cp "$REPO"/tests/e2e/defs/containers/rocm-6.4.4.json "$REPO"/tests/e2e/defs/containers/rocm-7.2.json \
	"$H/containers/"
cp "$REPO"/tests/e2e/defs/manifests/legacy.json "$H/manifests/" 2>/dev/null
echo '{"root": "~/models", "models": {"tiny": "tiny.gguf"}}' >"$H/manifests/models.json"
chown -R "$RL_UID:$RL_GID" "$H"
rpm rm -af -t 0 >/dev/null 2>&1
rm -f "$H/manifests/images.lock.json"

# --- refresh with the defaults
run rtbx refresh
is "$rc" 0 "rootless refresh with no flag"
like "$out" "rocm-6\.4\.4: created sha256:" "it created the containers"
is "$(rfmt llama-rocm-6.4.4 '{{.State.Status}}')" running "in the user's own Podman, running"
check "not in root's Podman" test -z "$(container_id llama-rocm-6.4.4)"
check "the lock file is in the default home" test -s "$H/manifests/images.lock.json"
check "the run lock is in \$XDG_RUNTIME_DIR/tbx, the user's" \
	test "$(stat -c %U "$RL_RUN/tbx" 2>&1)" = "$RL_USER"
is "$(rfmt llama-rocm-6.4.4 '{{range .Mounts}}{{.Destination}}:{{.RW}} {{end}}')" "$RL_HOME/models:false " \
	"the user's models root mounted read-only"
run rtbx status --json
is "$(jq -r '[.[] | .verdict] | unique | join(",")' "$T/out")" fresh "status: every backend fresh"
is "$(jq -r '.[0].origin' "$T/out")" tbx "origin tbx"

# --- an upstream rebuild
"$TESTBED" rebuild "$TB_DIR" rocm-7.2 >/dev/null 2>&1
old=$(rfmt llama-rocm-7.2 '{{.Id}}')
run rtbx refresh
is "$rc" 0 "refresh after a rebuild"
like "$out" "rocm-7\.2: recreated " "recreates the rebuilt one"
check "a new container" test "$(rfmt llama-rocm-7.2 '{{.Id}}')" != "$old"
like "$out" "1 changed, 1 unchanged" "and only it"

# --- bench
run rtbx bench rocm644 tiny -- -p 8 -n 4 -r 1
is "$rc" 0 "rootless bench"
rec=$(ls "$H"/results/*.json 2>/dev/null | head -n1)
check "a record in the default home" test -n "$rec"
is "$(stat -c %U "$rec" 2>&1)" "$RL_USER" "owned by the user"
is "$(jq -r '.backend' "$rec" 2>/dev/null)" rocm-6.4.4 "for the backend"

# --- kill -9 during a bench: the lifeline stops llama-bench, the lock is free
nbench() { rpm exec llama-rocm-6.4.4 sh -c 'ps -eo comm= | grep -c "^llama-bench" || true' 2>/dev/null; }
n0=$(ls "$H"/results/*.json | wc -l)
(cd "$RL_HOME" && exec setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
	env -i HOME="$RL_HOME" USER="$RL_USER" PATH=/usr/local/bin:/usr/bin:/bin \
	XDG_RUNTIME_DIR="$RL_RUN" "$TBX_BIN" bench rocm644 tiny -- -r 1000) >"$T/kb" 2>&1 &
kpid=$!
for _ in $(seq 150); do
	[ "$(nbench)" -gt 0 ] && break
	sleep 0.2
done
check "llama-bench started" test "$(nbench)" -gt 0
kill -9 "$kpid"
wait "$kpid" 2>/dev/null
for _ in $(seq 20); do
	[ "$(nbench)" = 0 ] && break
	sleep 0.5
done
is "$(nbench)" 0 "kill -9: no llama-bench left behind (the lifeline)"
check "kill -9: the run lock is free" rl flock -n "$RL_RUN/tbx/tbx.lock" true
is "$(ls "$H"/results/*.json | wc -l)" "$n0" "kill -9: nothing recorded"

# --- the run lock between two benches of the user
(cd "$RL_HOME" && exec setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
	env -i HOME="$RL_HOME" USER="$RL_USER" PATH=/usr/local/bin:/usr/bin:/bin \
	XDG_RUNTIME_DIR="$RL_RUN" "$TBX_BIN" bench rocm644 tiny -- -r 200) >"$T/b1" 2>&1 &
p1=$!
for _ in $(seq 150); do
	[ "$(nbench)" -gt 0 ] && break
	sleep 0.2
done
run rtbx bench --no-wait rocm72 tiny
is "$rc" 1 "--no-wait while the user's other bench runs: exit 1"
like "$err" "busy: pid $p1: tbx bench rocm644 tiny|busy: pid $p1: tbx bench rocm-6\.4\.4 tiny" \
	"names who holds the lock"
kill -INT "$p1"
wait "$p1" 2>/dev/null

# --- the timer, as a user unit, with the defaults
run rtbx timer install
units=$RL_HOME/.config/systemd/user
check "timer install writes the user units" test -f "$units/tbx-refresh.timer" -a -f "$units/tbx-refresh.service"
is "$(stat -c %U "$units/tbx-refresh.service" 2>&1)" "$RL_USER" "owned by the user"
like "$(cat "$units/tbx-refresh.service")" "ExecStart=.*refresh" "the service runs refresh"
unlike "$(cat "$units/tbx-refresh.service")" "--url|/run/podman" "with the default socket, not root's"
run rtbx timer remove
check "timer remove" test ! -e "$units/tbx-refresh.timer"

# --- adoption, rootless: a --userns keep-id container made by hand
IMG=$TB_IMAGE:rocm-6.4.4
rpm rm -f -t 0 llama-rocm-6.4.4 >/dev/null
rpm create --name llama-rocm-6.4.4 --userns keep-id --user "$RL_UID:$RL_GID" \
	-v "$RL_HOME/models:$RL_HOME/models:ro" --env MINE=1 "$IMG" sleep infinity >/dev/null
run rtbx refresh rocm644
is "$rc" 1 "rootless: a hand-made container is left alone"
run rtbx refresh --adopt rocm644
is "$rc" 0 "rootless: refresh --adopt"
# Podman 4 shows keep-id as "private" with the maps: the create command tells
is "$(rfmt llama-rocm-6.4.4 '{{index .Config.Labels "tbx.userns"}} {{.Config.User}}')" "keep-id $RL_UID:$RL_GID" \
	"user namespace (keep-id) and user carried"
is "$(rpm exec llama-rocm-6.4.4 id -u 2>&1)" "$RL_UID" "the process runs as the user inside"
like "$(rpm exec llama-rocm-6.4.4 getent passwd "$RL_UID" 2>&1)" "^$RL_USER:" \
	"keep-id's passwd entry for the user is there"
run rtbx bench rocm644 tiny -- -p 8 -n 4 -r 1
is "$rc" 0 "bench on the adopted rootless container"
"$TESTBED" rebuild "$TB_DIR" rocm-6.4.4 >/dev/null 2>&1
run rtbx refresh rocm644
is "$rc" 0 "an adopted rootless container follows an upstream rebuild"
is "$(rpm exec llama-rocm-6.4.4 id -u 2>&1) $(rfmt llama-rocm-6.4.4 '{{index .Config.Labels "tbx.userns"}}')" \
	"$RL_UID keep-id" "keep-id survives the second recreation"

# --- another user's rootless socket: refused, no fallback
run "$TBX_BIN" --url "unix://$RL_SOCK" status
is "$rc" 3 "root with the user's rootless socket: exit 3"
like "$err" "the Podman socket '$RL_SOCK' belongs to $RL_USER \(uid $RL_UID\), not to you \(uid 0\)" \
	"says whose socket it is"
is "$(printf '%s\n' "$err" | wc -l)" 1 "in one line"
run env CONTAINER_HOST="unix://$RL_SOCK" "$TBX_BIN" status
is "$rc" 3 "the same through CONTAINER_HOST"
run rl env XDG_RUNTIME_DIR=/nonexistent "$TBX_BIN" status
isnt_root=$(printf '%s' "$err" | grep -c "/run/podman/podman.sock" || true)
is "$isnt_root" 0 "a user whose socket is missing is never sent to root's"

rpm rm -af -t 0 >/dev/null 2>&1
done_testing
