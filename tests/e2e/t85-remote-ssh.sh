#!/bin/bash
# tbx --connection over real ssh: a private sshd on loopback (its own host
# key, config and authorized key) stands in for a remote machine whose
# Podman socket is the test bed's; containers.conf names it the way
# `podman system connection add` would. refresh, bench and
# status --all-connections go through the forward; failures name the
# connection and say what ssh said; nothing is left behind.
. "$(dirname "$0")/lib.sh"

SSHD=/usr/sbin/sshd
if [ "$(id -u)" -ne 0 ] || [ ! -x "$SSHD" ] || ! command -v ssh >/dev/null ||
	! command -v ssh-keygen >/dev/null; then
	echo "1..0 # skip needs root, openssh-server and openssh-client (scripts/install-deps.sh)"
	exit 0
fi
reset_containers
ensure_tags

S=$T/ssh
mkdir -m 700 "$S" "$T/bin" "$T/tmp"
ssh-keygen -q -t ed25519 -N '' -C tbx-test-host -f "$S/host_key"
ssh-keygen -q -t ed25519 -N '' -C tbx-test-client -f "$S/client_key"
ssh-keygen -q -t ed25519 -N '' -C tbx-test-stranger -f "$S/stranger_key"
cp "$S/client_key.pub" "$S/authorized_keys"

# --- a private sshd on a free loopback port, stopped by its PID
sshd_pid=""
stop_sshd() {
	if [ -n "$sshd_pid" ] && kill -0 "$sshd_pid" 2>/dev/null; then
		kill "$sshd_pid"
		wait "$sshd_pid" 2>/dev/null
	fi
	sshd_pid=""
}
trap 'stop_sshd; rm -rf "$T"' EXIT
mkdir -p /run/sshd # sshd's privilege separation directory (Debian's unit makes it)
for attempt in 1 2 3 4 5; do
	PORT=$((20000 + RANDOM % 40000))
	cat >"$S/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $S/host_key
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowStreamLocalForwarding yes
X11Forwarding no
PrintMotd no
LogLevel VERBOSE
EOF
	"$SSHD" -t -f "$S/sshd_config" || break
	"$SSHD" -D -e -f "$S/sshd_config" >"$S/sshd.log" 2>&1 &
	sshd_pid=$!
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break 2
		kill -0 "$sshd_pid" 2>/dev/null || break
		sleep 0.1
	done
	stop_sshd # the port was taken: try another
done
check "a private sshd listens on 127.0.0.1:$PORT" test -n "$sshd_pid"
[ -n "$sshd_pid" ] || { cat "$S/sshd.log"; done_testing; exit; }

# ssh reads ~/.ssh/config from the passwd entry, not from $HOME: a wrapper
# on PATH (for tbx only) points it at the test's config and known_hosts
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$S/host_key.pub")" >"$S/known_hosts"
cat >"$S/ssh_config" <<EOF
Host *
  UserKnownHostsFile $S/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  IdentitiesOnly yes
EOF
cat >"$T/bin/ssh" <<EOF
#!/bin/sh
exec "$(command -v ssh)" -F "$S/ssh_config" "\$@"
EOF
chmod +x "$T/bin/ssh"

# the connections, as `podman system connection add` of Podman 4 writes them
# (Podman 5 reads them too; its own file is below)
cat >"$T/containers.conf" <<EOF
# Podman's own settings may sit beside the connections
[containers]
default_ulimits = [
  "nofile=20000:20000",
]

[engine]
active_service = "bed"

[engine.service_destinations]
  [engine.service_destinations.bed]
  uri = "ssh://root@127.0.0.1:$PORT$TB_SOCK"
  identity = "$S/client_key"
  [engine.service_destinations.nosock]
  uri = "ssh://root@127.0.0.1:$PORT$T/no/podman.sock"
  identity = "$S/client_key"
  [engine.service_destinations.stranger]
  uri = "ssh://root@127.0.0.1:$PORT$TB_SOCK"
  identity = "$S/stranger_key"
  [engine.service_destinations.unknownhost]
  uri = "ssh://root@localhost:$PORT$TB_SOCK"
  identity = "$S/client_key"
EOF
# tbx alone sees that containers.conf (the podman CLI keeps the test bed's);
# TMPDIR: where the forwarded sockets are made, to see that none is left
rtbx() {
	CONTAINERS_CONF=$T/containers.conf PATH=$T/bin:$PATH TMPDIR=$T/tmp "$TBX_BIN" "$@"
}
leftovers() { # forward directories or ssh processes of ours still there
	local dirs procs
	dirs=$(ls -A "$T/tmp")
	procs=$(ps -eo args= | grep -c -- "-L $T/tm[p]/" || true) # [p]: not grep itself
	echo "dirs=[$dirs] ssh=$procs"
}

# --- refresh through the forward
run rtbx -v --connection bed refresh rocm72
is "$rc" 0 "refresh --connection bed succeeds"
like "$out" "rocm-7\.2: created sha256:[0-9a-f]{12}" "it created the container"
like "$err" "ssh -nNT -o BatchMode=yes .* -i $S/client_key -p$PORT -l root -L $T/tmp/tbx-ssh-[A-Za-z0-9]+/podman.sock:$TB_SOCK -- 127\.0\.0\.1" \
	"-v shows the ssh command"
like "$err" "connection 'bed' \(root@127\.0\.0\.1\): Podman $PODMAN_MAJOR\.[0-9.]+ through ssh" \
	"-v says Podman answered through ssh"
is "$(podman inspect --format '{{.State.Status}}' llama-rocm-7.2 2>&1)" running \
	"the container runs on the (remote) Podman"
like "$(cat "$S/sshd.log")" "Accepted publickey for root from 127\.0\.0\.1" "sshd saw the login"
check "the run lock is per connection" test -e "$T/lock/tbx-bed.lock"
is "$(leftovers)" "dirs=[] ssh=0" "ssh stopped and the forward directory removed"

# --- bench through the forward
run rtbx --connection bed bench --json rocm72 tiny
is "$rc" 0 "bench --connection bed succeeds"
rec=$(ls "$TBX_HOME"/results/*.json 2>/dev/null | head -1)
check "a record was written" test -f "$rec"
is "$(jq -r '.host.name' "$rec")" "$(hostname)" "the record carries the Podman host's name"
is "$(jq -r '.backend' "$rec")" rocm-7.2 "and the backend"
like "$(jq -r '.image_digest' "$rec")" "^sha256:" "and the image digest"
is "$(leftovers)" "dirs=[] ssh=0" "nothing left after the bench"

# --- status --all-connections: every connection, failures said and skipped
run rtbx status --all-connections
is "$rc" 0 "status --all-connections exits 0"
like "$out" "== bed ==" "a section per connection"
like "$out" "rocm-7\.2 +fresh +llama-rocm-7\.2 +running" "bed's rocm-7.2 is fresh"
like "$err" "nosock: connection 'nosock' \(root@127\.0\.0\.1\): ssh works, but Podman does not answer on $T/no/podman\.sock there .*: ssh said: channel [0-9]+: open failed" \
	"a connection without Podman is named, with what is wrong"
like "$err" "stranger: .*Permission denied \(publickey" "a refused key: ssh's own words"
like "$err" "unknownhost: .*Host key verification failed" "an unknown host key: ssh's own words"
run rtbx --json status --all-connections
is "$rc" 0 "status --all-connections --json"
is "$(printf '%s' "$out" | jq -r '.[] | select(.connection == "bed") | .backends[] | select(.backend == "rocm-7.2") | .verdict')" \
	fresh "JSON: bed's rocm-7.2 is fresh"
is "$(printf '%s' "$out" | jq -r '[.[].connection] | join(",")')" "bed,nosock,stranger,unknownhost" \
	"JSON: every connection listed"
is "$(leftovers)" "dirs=[] ssh=0" "nothing left after --all-connections"

# --- doctor through the connection: Podman checked there, devices not here
run rtbx --connection bed doctor --offline
like "$out" "OK +podman +connection 'bed' \(ssh://root@127\.0\.0\.1:$PORT$TB_SOCK\) answers: Podman $PODMAN_MAJOR\.[0-9.]+ on 127\.0\.0\.1" \
	"doctor: Podman answers through the connection"
like "$out" "SKIP +devices +not checked: they are on the remote host" "doctor: devices skipped"
is "$(leftovers)" "dirs=[] ssh=0" "nothing left after doctor"

# --- a nightly refresh of the remote host: the crontab line carries the
# connection and where it is defined; run it as cron would
run rtbx --connection bed timer install --cron --refresh-args rocm72
is "$rc" 0 "timer install --cron --connection"
like "$out" " CONTAINERS_CONF=$T/containers\.conf .* --connection bed refresh rocm-7\.2 >>" \
	"the line names the connection and its containers.conf"
mkdir -p "$HOME/.local/state/tbx"
(cd / && env -i PATH="$T/bin:/usr/bin:/bin" HOME="$HOME" TMPDIR="$T/tmp" \
	sh -c "$(printf '%s' "$out" | cut -d' ' -f6-)" 2>"$T/cron.err")
is "$?" 0 "the cron command refreshes through ssh"
like "$(cat "$HOME/.local/state/tbx/refresh.log")" "rocm-7\.2: unchanged" "and logs the outcome"
is "$(leftovers)" "dirs=[] ssh=0" "nothing left after the cron run"

# --- errors: one line naming the connection
run rtbx --connection nope status
is "$rc" 2 "an unknown connection is a usage error"
like "$err" "^tbx: unknown Podman connection 'nope' \(known: bed, nosock, stranger, unknownhost\)$" \
	"it lists the known ones"
run rtbx --connection stranger refresh rocm72
is "$rc" 1 "a refused login fails"
like "$err" "^tbx: connection 'stranger' \(root@127\.0\.0\.1\): ssh failed: .*Permission denied \(publickey" \
	"and says what ssh said"
is "$(leftovers)" "dirs=[] ssh=0" "nothing left after a failure"

# --- kill -9 of tbx ends its ssh too (PR_SET_PDEATHSIG): hold the
# connection's run lock so refresh waits with its forward up, then kill it
ssh_count() { ps -eo args= | grep -c -- "-L $T/tm[p]/" || true; }
(exec 9>"$T/lock/tbx-bed.lock" && flock 9 && exec sleep 60) &
holder=$!
(CONTAINERS_CONF=$T/containers.conf PATH=$T/bin:$PATH TMPDIR=$T/tmp \
	exec "$TBX_BIN" --connection bed refresh rocm72 >"$T/victim.out" 2>&1) &
victim=$! # tbx itself (exec), not a subshell
for _ in $(seq 100); do
	[ "$(ssh_count)" -ge 1 ] && grep -q "waiting for" "$T/victim.out" && break
	sleep 0.1
done
like "$(cat "$T/victim.out")" "waiting for" "refresh waits for the lock with its forward up"
is "$(ssh_count)" 1 "one ssh forwarding"
{
	kill -9 "$victim"
	wait "$victim"
} 2>/dev/null
for _ in $(seq 50); do
	[ "$(ssh_count)" -eq 0 ] && break
	sleep 0.1
done
is "$(ssh_count)" 0 "kill -9 of tbx ends its ssh"
kill "$holder"
wait "$holder" 2>/dev/null
rm -rf "$T"/tmp/tbx-ssh-* # kill -9 leaves the forward's directory

# --- the same through Podman 5's podman-connections.json (the file Podman 5
# writes; the Podman behind it is the test bed's engine: a real Podman 5 when
# TBX_TEST_ENGINE=5)
mkdir -p "$XDG_CONFIG_HOME/containers"
cat >"$XDG_CONFIG_HOME/containers/podman-connections.json" <<EOF
{"Connection": {"Default": "five", "Connections": {"five": {
  "URI": "ssh://root@127.0.0.1:$PORT$TB_SOCK", "Identity": "$S/client_key", "IsMachine": false}}}}
EOF
run rtbx -v --connection five status rocm72
is "$rc" 0 "a Podman 5 connection works"
like "$out" "rocm-7\.2 +fresh" "and sees the same container"
like "$err" "connection 'five' \(root@127\.0\.0\.1\): Podman ${TB_PODMAN_VERSION//./\\.} through ssh" \
	"through the engine's Podman ($TB_PODMAN_VERSION)"

stop_sshd
check "sshd stopped by its PID" test -z "$sshd_pid"
done_testing
