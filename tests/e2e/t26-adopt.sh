#!/bin/bash
# Adoption (issue 14): a container tbx did not make - by hand, or labelled
# like a toolbox or a distrobox - is named and left alone by refresh (exit
# 1, nothing changed); with --adopt it is recreated from its own inspect
# answer with only the image changed and tbx's labels added, stays managed
# across upstream rebuilds, and benches as usual.  What cannot be carried
# (a pod member, a healthcheck, a systemd unit's container, a namespace
# shared with another container) is refused by field name, untouched.
. "$(dirname "$0")/lib.sh"
reset_containers
ensure_tags

# rocm-7.14 (upstream's current ROCm channel): the definition is the
# test bed's CPU one under that name
sed 's/rocm-6\.4\.4/rocm-7.14/g; s/rocm644/rocm714/g' \
	"$REPO/tests/e2e/defs/containers/rocm-6.4.4.json" >"$TBX_HOME/containers/rocm-7.14.json"
IMG=$TB_IMAGE:rocm-7.14
NAME=llama-rocm-7.14
podman pull -q "$IMG" >/dev/null
fmt() { podman inspect --format "$1" "$NAME" 2>&1; }

# --- made by hand: reported and left alone
podman create --name "$NAME" --env ADOPT_ME=yes --label mine=1 --hostname handmade \
	--annotation org.example.note=kept --device /dev/zero:/dev/myzero \
	--group-add 12345 --cap-add SYS_PTRACE --security-opt seccomp=unconfined \
	--ulimit nofile=1024:2048 --ulimit nproc=4096:4096 --workdir /tmp --user 0:0 \
	-v "$TB_MODELS:$TB_MODELS:ro" --entrypoint '["sleep"]' "$IMG" infinity >/dev/null
before=$(container_id "$NAME")
run tbx refresh rocm714
is "$rc" 1 "refresh fails for a container tbx did not make"
like "$out" "rocm-7\.14: FAILED: container 'llama-rocm-7\.14' is a container made by hand" \
	"and says what it is"
like "$err" "refresh --adopt" "and how to adopt it"
is "$(container_id "$NAME")" "$before" "the container is untouched"
check "no lock entry was written" \
	test "$(jq -r '.backends["rocm-7.14"].digest // "none"' "$TBX_HOME/manifests/images.lock.json" 2>/dev/null || echo none)" = none
run tbx status --json rocm714
is "$(jq -r '.[0].origin' "$T/out")" other "status --json: origin other"
like "$(jq -r '.[0].reason' "$T/out")" "made by hand.*--adopt" "status says why it is stale"

run tbx refresh --check --adopt rocm714
is "$rc" 0 "refresh --check --adopt"
like "$out" "would adopt a container made by hand" "says it would adopt"
is "$(container_id "$NAME")" "$before" "--check changed nothing"

run tbx refresh --adopt rocm714
is "$rc" 0 "refresh --adopt succeeds"
like "$out" "rocm-7\.14: (created|recreated) .*adopted a container made by hand" "says it adopted"
check "the container was replaced" test "$(container_id "$NAME")" != "$before"
is "$(fmt '{{.State.Status}}')" running "the adopted container runs"
is "$(fmt '{{index .Config.Labels "tbx.backend"}} {{index .Config.Labels "tbx.origin"}} {{index .Config.Labels "mine"}}')" \
	"rocm-7.14 other 1" "tbx's labels added, its own kept"
is "$(fmt '{{.Config.Hostname}} {{.Config.User}} {{.Config.WorkingDir}}')" "handmade 0:0 /tmp" \
	"hostname, user, working directory carried"
like "$(fmt '{{.Config.Env}}')" "ADOPT_ME=yes" "env carried"
is "$(fmt '{{index .Config.Annotations "org.example.note"}}')" kept "annotations carried"
is "$(fmt '{{.Path}} {{.Args}}')" "sleep [infinity]" "entrypoint and command carried"
like "$(fmt '{{json .HostConfig.Devices}}')" '"/dev/zero".*"/dev/myzero"' "devices carried"
is "$(fmt '{{.HostConfig.GroupAdd}} {{.HostConfig.CapAdd}}')" "[12345] [CAP_SYS_PTRACE]" \
	"groups and capabilities carried"
like "$(fmt '{{.HostConfig.SecurityOpt}}')" "seccomp=unconfined" "security options carried"
like "$(fmt '{{json .HostConfig.Ulimits}}')" '"RLIMIT_NOFILE","Soft":1024,"Hard":2048' "ulimits carried"
is "$(fmt '{{range .Mounts}}{{.Source}}:{{.Destination}}:{{.RW}} {{end}}')" "$TB_MODELS:$TB_MODELS:false " \
	"mounts carried"
run tbx status --json rocm714
is "$(jq -r '.[0].origin + " " + .[0].verdict' "$T/out")" "other fresh" "status: origin other, fresh"
run tbx status rocm714
like "$out" "ORIGIN" "status has an origin column"
like "$out" "rocm-7\.14 +fresh +llama-rocm-7\.14 +running +other " "and shows it"

# --- an upstream rebuild: managed now, recreated without --adopt, still its own
"$TESTBED" rebuild "$TB_DIR" rocm-7.14 >/dev/null 2>&1
adopted=$(container_id "$NAME")
run tbx refresh rocm714
is "$rc" 0 "refresh after the rebuild, no --adopt needed"
like "$out" "rocm-7\.14: recreated .*new image" "recreated for the new image"
check "a new container" test "$(container_id "$NAME")" != "$adopted"
is "$(fmt '{{.Config.Hostname}} {{index .Config.Labels "tbx.origin"}} {{.Path}}')" "handmade other sleep" \
	"its configuration is still its own"
is "$(podman exec "$NAME" cat /etc/tbx-rebuild 2>/dev/null | cut -c1-7)" rebuilt "it runs the rebuilt image"
like "$(fmt '{{.HostConfig.SecurityOpt}}')" "seccomp=unconfined" "security options survive a second recreation"
is "$(awk '/^Seccomp:/ {print $2}' "/proc/$(fmt '{{.State.Pid}}')/status")" 0 "and really apply (no seccomp filter)"
run tbx refresh rocm714
like "$out" "rocm-7\.14: unchanged" "a second refresh leaves it alone (no spec-hash churn)"
run tbx bench rocm714 tiny -- -p 8 -n 4 -r 1
is "$rc" 0 "bench on the adopted container"
rec=$(ls "$TBX_HOME"/results/*.json 2>/dev/null | head -n1)
check "a record was written" test -n "$rec"
is "$(jq -r '.backend' "$rec" 2>/dev/null)" rocm-7.14 "recorded for the backend"
podman rm -f -t 0 "$NAME" >/dev/null

# --- labelled like a toolbox (toolbox's own flags, as root: --userns host)
podman create --name "$NAME" --cgroupns host --dns none --env TOOLBOX_PATH=/usr/bin/toolbox \
	--hostname toolbox --ipc host --label com.github.containers.toolbox=true \
	--mount type=devpts,destination=/dev/pts --network host --no-hosts --pid host --privileged \
	--security-opt label=disable --ulimit host --userns host --user root:root \
	--volume "$TB_MODELS:$TB_MODELS:rslave" --volume /dev:/dev:rslave \
	--entrypoint '["sleep","infinity"]' "$IMG" >/dev/null
run tbx refresh rocm714
is "$rc" 1 "a toolbox container is left alone without --adopt"
like "$out" "is a toolbox container \(made by toolbox 0\.0\.90 or later" "named as a toolbox container"
run tbx status --json rocm714
is "$(jq -r '.[0].origin' "$T/out")" toolbox "status: origin toolbox"
run tbx refresh --adopt rocm714
is "$rc" 0 "refresh --adopt adopts the toolbox container"
is "$(fmt '{{index .Config.Labels "com.github.containers.toolbox"}} {{index .Config.Labels "tbx.origin"}}')" \
	"true toolbox" "still a toolbox (its label), origin recorded"
is "$(fmt '{{.HostConfig.Privileged}} {{.HostConfig.PidMode}} {{.HostConfig.NetworkMode}} {{.HostConfig.CgroupMode}}')" \
	"true host host host" "privileged, pid, network and cgroup namespaces carried"
is "$(fmt '{{.HostsPath}}|{{.ResolvConfPath}}|{{.Config.Hostname}}|{{index .Config.Annotations "io.podman.annotations.label"}}')" \
	"||toolbox|disable" "--no-hosts, --dns none, hostname, label=disable carried"
pid=$(fmt '{{.State.Pid}}')
is "$(readlink "/proc/$pid/ns/ipc")" "$(readlink /proc/self/ns/ipc)" "the host IPC namespace (--ipc host) carried"
like "$(fmt '{{json .Mounts}}')" '"Source":"devpts","Destination":"/dev/pts"' "the devpts mount carried"
like "$(fmt '{{json .Mounts}}')" "\"Destination\":\"/dev\".*\"Propagation\":\"rslave\"" "bind mounts keep their propagation"
"$TESTBED" rebuild "$TB_DIR" rocm-7.14 >/dev/null 2>&1
run tbx refresh rocm714
is "$rc" 0 "refresh after a rebuild"
pid=$(fmt '{{.State.Pid}}')
is "$(readlink "/proc/$pid/ns/ipc")" "$(readlink /proc/self/ns/ipc)" "--ipc host survives a second recreation"
podman rm -f -t 0 "$NAME" >/dev/null

# --- labelled like a distrobox: named so
podman create --name "$NAME" --label manager=distrobox --hostname "$NAME.box" "$IMG" sleep infinity >/dev/null
run tbx refresh rocm714
like "$out" "is a distrobox container" "a distrobox container is named"
run tbx status --json rocm714
is "$(jq -r '.[0].origin' "$T/out")" distrobox "status: origin distrobox"
podman rm -f -t 0 "$NAME" >/dev/null

# --- what cannot be carried: refused by field name, untouched
refused() { # FIELD DESCRIPTION
	local id
	id=$(container_id "$NAME")
	run tbx refresh --adopt rocm714
	is "$rc" 1 "$2: refused"
	like "$out" "FAILED: .*cannot carry $1" "$2: the field is named"
	is "$(container_id "$NAME")" "$id" "$2: untouched"
	podman rm -f -t 0 "$NAME" >/dev/null 2>&1
}
podman pod create --name adopt-pod >/dev/null
podman create --name "$NAME" --pod adopt-pod "$IMG" sleep infinity >/dev/null
refused "Pod" "a pod member"
podman pod rm -f adopt-pod >/dev/null
podman create --name "$NAME" --health-cmd true "$IMG" sleep infinity >/dev/null
refused "Config\.Healthcheck" "a healthcheck"
podman create --name "$NAME" --label PODMAN_SYSTEMD_UNIT=llama.service "$IMG" sleep infinity >/dev/null
refused "Config\.Labels\.PODMAN_SYSTEMD_UNIT" "a systemd unit's container"
podman create --name adopt-other "$IMG" sleep infinity >/dev/null
podman create --name "$NAME" --pid container:adopt-other "$IMG" sleep infinity >/dev/null
refused "HostConfig\.PidMode" "a namespace shared with another container"
podman rm -f -t 0 adopt-other >/dev/null
podman create --name "$NAME" --memory 512m "$IMG" sleep infinity >/dev/null
refused "HostConfig\.Memory" "a memory limit"

# --- adopt = yes in the config file
podman create --name "$NAME" "$IMG" sleep infinity >/dev/null
mkdir -p "$XDG_CONFIG_HOME/tbx"
echo "adopt = yes" >"$XDG_CONFIG_HOME/tbx/config"
run tbx refresh rocm714
is "$rc" 0 "adopt = yes in the config adopts"
is "$(fmt '{{index .Config.Labels "tbx.origin"}}')" other "adopted by the config setting"
echo "adopt = maybe" >"$XDG_CONFIG_HOME/tbx/config"
run tbx refresh rocm714
is "$rc" 2 "a bad adopt value is a usage error"
like "$err" "adopt 'maybe' must be yes or no" "naming the value"
rm -f "$XDG_CONFIG_HOME/tbx/config"

reset_containers
done_testing
