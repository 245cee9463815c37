#!/bin/bash
# Interop with the real tools (issue 14), as the test user of the rootless
# bed: Debian's toolbox makes llama-rocm-7.14 from the test image (made
# toolbox-ready: tests/testbed interop-image), upstream rebuilds the tag,
# `tbx refresh` leaves the toolbox alone until --adopt, and afterwards
# `toolbox run -c llama-rocm-7.14 llama-bench --version` works, runs the new
# image, with the same mounts and user; `tbx bench` on it records as usual.
# The same with distrobox (`distrobox create`, `distrobox enter -- ...`) on
# llama-rocm-6.4.4.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rootless.sh"
for c in toolbox distrobox dbus-daemon; do
	command -v "$c" >/dev/null || {
		echo "1..0 # SKIP $c is not installed (scripts/install-deps.sh)"
		exit 0
	}
done
ensure_tags

# toolbox resolves the system D-Bus socket (and mounts it): a private bus of
# this test, at the address it is told
BUS=$TB_DIR/rootless/dbus
mkdir -p "$BUS"
chown "$RL_UID:$RL_GID" "$BUS"
RL_ENV=(DBUS_SYSTEM_BUS_ADDRESS="unix:path=$BUS/system_bus_socket")
BUS_PID=$(rl dbus-daemon --session --address="unix:path=$BUS/system_bus_socket" --fork --print-pid)
trap 'kill "$BUS_PID" 2>/dev/null; rpm rm -af -t 0 >/dev/null 2>&1; rm -rf "$T"' EXIT

H=$RL_HOME/.local/share/tbx
rm -rf "$H" # tests do not share a home
rl mkdir -p "$H/containers" "$H/manifests"
rm -f "$H"/containers/*.json "$H/manifests/images.lock.json"
for tag in rocm-7.14 rocm-6.4.4; do
	sed "s/rocm-6\.4\.4/$tag/g; s/rocm644/x$tag/g" "$REPO/tests/e2e/defs/containers/rocm-6.4.4.json" \
		>"$H/containers/$tag.json"
done
echo '{"root": "~/models", "models": {"tiny": "tiny.gguf"}}' >"$H/manifests/models.json"
chown -R "$RL_UID:$RL_GID" "$H"
rpm rm -af -t 0 >/dev/null 2>&1

# mounts as "destination<-source" lines, sorted; the user
mounts() { rfmt "$1" '{{range .Mounts}}{{.Destination}}<-{{.Source}} {{end}}' | tr ' ' '\n' | sort | tr '\n' ' '; }

# ------------------------------------------------------------------ toolbox
"$TESTBED" interop-image "$TB_DIR" rocm-7.14 >"$T/interop.log" 2>&1
is "$?" 0 "the toolbox-ready test image is pushed as rocm-7.14"
IMG=$TB_IMAGE:rocm-7.14
rpm pull -q "$IMG" >/dev/null 2>&1
run rl toolbox create --image "$IMG" llama-rocm-7.14
is "$rc" 0 "toolbox create llama-rocm-7.14 from the test image"
run rl toolbox run -c llama-rocm-7.14 llama-bench --version
is "$rc" 0 "toolbox run llama-bench --version works before"
before_rebuild=$(rl toolbox run -c llama-rocm-7.14 cat /etc/tbx-rebuild 2>/dev/null)
m0=$(mounts llama-rocm-7.14)
u0=$(rfmt llama-rocm-7.14 '{{.Config.User}}')
id0=$(rfmt llama-rocm-7.14 '{{.Id}}')

"$TESTBED" rebuild "$TB_DIR" rocm-7.14 >/dev/null 2>&1
run rtbx refresh rocm-7.14
is "$rc" 1 "refresh leaves the toolbox alone without --adopt"
like "$out" "is a toolbox container" "and says it is one"
is "$(rfmt llama-rocm-7.14 '{{.Id}}')" "$id0" "untouched"
run rtbx refresh --adopt rocm-7.14
is "$rc" 0 "refresh --adopt"
like "$out" "adopted a toolbox container" "adopted"
run rl toolbox run -c llama-rocm-7.14 llama-bench --version
is "$rc" 0 "toolbox run -c llama-rocm-7.14 llama-bench --version works after"
after_rebuild=$(rl toolbox run -c llama-rocm-7.14 cat /etc/tbx-rebuild 2>/dev/null)
check "it runs the new image (toolbox run sees the rebuild)" \
	test -n "$after_rebuild" -a "$after_rebuild" != "$before_rebuild"
is "$(rfmt llama-rocm-7.14 '{{.Image}}')" "$(rpm image inspect --format '{{.Id}}' "$IMG" 2>&1)" \
	"the container's image is the rebuilt tag's"
is "$(mounts llama-rocm-7.14)" "$m0" "its mounts are unchanged"
is "$(rfmt llama-rocm-7.14 '{{.Config.User}}')" "$u0" "its user is unchanged"
is "$(rfmt llama-rocm-7.14 '{{index .Config.Labels "com.github.containers.toolbox"}}')" true \
	"still labelled a toolbox"
run rl toolbox list --containers
like "$out" "llama-rocm-7\.14" "toolbox list still lists it"
run rtbx status --json rocm-7.14
is "$(jq -r '.[0].origin + " " + .[0].verdict' "$T/out")" "toolbox fresh" "status: origin toolbox, fresh"
run rtbx bench rocm-7.14 tiny -- -p 8 -n 4 -r 1
is "$rc" 0 "tbx bench on the adopted toolbox"
rec=$(ls -t "$H"/results/*rocm-7.14*.json 2>/dev/null | head -n1)
is "$(jq -r '.backend' "$rec" 2>/dev/null)" rocm-7.14 "it records as usual"

# ------------------------------------------- "toolbox": true (made by tbx)
rpm rm -f -t 0 llama-rocm-7.14 >/dev/null 2>&1
jq '. + {"toolbox": true}' "$H/containers/rocm-7.14.json" >"$T/def" && cp "$T/def" "$H/containers/rocm-7.14.json"
run rtbx refresh rocm-7.14
is "$rc" 0 "refresh creates a toolbox-compatible container from the definition"
is "$(rfmt llama-rocm-7.14 '{{index .Config.Labels "tbx.backend"}} {{index .Config.Labels "com.github.containers.toolbox"}}')" \
	"rocm-7.14 true" "made by tbx, labelled a toolbox"
run rl toolbox run -c llama-rocm-7.14 llama-bench --version
is "$rc" 0 "toolbox run -c works on tbx's own container"
run rl toolbox run -c llama-rocm-7.14 sh -c 'id -un; pwd'
like "$out" "^$RL_USER" "toolbox runs it as the user"
run rtbx status --json rocm-7.14
is "$(jq -r '.[0].origin + " " + .[0].verdict' "$T/out")" "tbx fresh" "status: origin tbx, fresh"
run rtbx bench rocm-7.14 tiny -- -p 8 -n 4 -r 1
is "$rc" 0 "tbx bench on its toolbox-compatible container"

# ---------------------------------------------------------------- distrobox
"$TESTBED" interop-image "$TB_DIR" rocm-6.4.4 >"$T/interop2.log" 2>&1
IMG=$TB_IMAGE:rocm-6.4.4
rpm pull -q "$IMG" >/dev/null 2>&1
run rl distrobox create --yes --image "$IMG" --name llama-rocm-6.4.4
is "$rc" 0 "distrobox create llama-rocm-6.4.4 from the test image"
run rl timeout 300 distrobox enter llama-rocm-6.4.4 -- llama-bench --version
is "$rc" 0 "distrobox enter -- llama-bench --version works before"
m0=$(mounts llama-rocm-6.4.4)
u0=$(rfmt llama-rocm-6.4.4 '{{.Config.User}}')
"$TESTBED" rebuild "$TB_DIR" rocm-6.4.4 >/dev/null 2>&1
run rtbx refresh rocm-6.4.4
is "$rc" 1 "refresh leaves the distrobox alone without --adopt"
like "$out" "is a distrobox container" "and says it is one"
run rtbx refresh --adopt rocm-6.4.4
is "$rc" 0 "refresh --adopt the distrobox"
run rl timeout 300 distrobox enter llama-rocm-6.4.4 -- cat /etc/tbx-rebuild
is "$rc" 0 "distrobox enter works after"
like "$out" "^rebuilt " "and runs the new image"
run rl timeout 300 distrobox enter llama-rocm-6.4.4 -- llama-bench --version
is "$rc" 0 "distrobox enter -- llama-bench --version works after"
is "$(mounts llama-rocm-6.4.4)" "$m0" "its mounts are unchanged"
is "$(rfmt llama-rocm-6.4.4 '{{.Config.User}}')" "$u0" "its user is unchanged"
run rtbx status --json rocm-6.4.4
is "$(jq -r '.[0].origin' "$T/out")" distrobox "status: origin distrobox"

done_testing
