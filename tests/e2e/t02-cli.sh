#!/bin/bash
# The command-line contract: help and version from the command table, exit
# codes, global options, tbx home discovery and seeding, definition errors
# with file:line:col, the socket-missing message, make install.
. "$(dirname "$0")/lib.sh"

run "$TBX_BIN" --version
is "$rc" 0 "--version"
like "$out" "^tbx [0-9]+\.[0-9]+\.[0-9]+$" "prints the version"
run "$TBX_BIN" help
is "$rc" 0 "help"
for c in refresh status bench results report pin unpin rollback backends models doctor import export timer; do
	like "$out" "  $c " "help lists $c"
	run "$TBX_BIN" "$c" --help
	is "$rc" 0 "tbx $c --help"
	like "$out" "^usage: tbx $c" "tbx $c --help shows its usage"
	run "$TBX_BIN" help
done
run "$TBX_BIN"
is "$rc" 2 "no command: exit 2"
run "$TBX_BIN" frobnicate
is "$rc" 2 "unknown command: exit 2"
like "$err" "unknown command 'frobnicate'" "names it"
run "$TBX_BIN" --frob status
is "$rc" 2 "unknown global option: exit 2"
run "$TBX_BIN" refresh --frob
is "$rc" 2 "unknown command option: exit 2"
like "$err" "usage: tbx refresh" "with the usage line"

# --- backends and models
run tbx backends
is "$rc" 0 "backends"
like "$out" "rocm-7\.2 +container +rocm72" "lists ids, kinds and aliases"
run tbx backends --json
is "$(printf '%s' "$out" | jq -r '[.[].id] | join(",")')" \
	"rocm-6.4.4,rocm-7.2,rocm7-nightlies,vulkan-amdvlk,vulkan-radv" "backends --json"
run tbx --json models
is "$(printf '%s' "$out" | jq -r '.models[0].alias + " " + (.models[0].present|tostring)')" "tiny true" \
	"models --json (global --json)"

# --- the shipped definitions are valid and production-correct
run "$TBX_BIN" -C "$REPO" backends --json
is "$rc" 0 "the shipped definitions load"
is "$(printf '%s' "$out" | jq -r '[.[].id] | join(",")')" \
	"hip-local,lemonade,rocm-6.4.4,rocm-7.14,rocm-7.14-pr26592,rocm-7.14-rocmfpx,rocm-7.2,rocm-7.2.4-rdma-fix,rocm-7.2.4-turboquant,rocm7-nightlies,therock-nightly,vulkan-amdvlk,vulkan-native,vulkan-radv,vulkan-radv-performance,vulkan-rocmfpx" \
	"the seed's eight backends and upstream's channels of today"
is "$(printf '%s' "$out" | jq -r '[.[] | select(.kind=="container" and .retired==false and .optional==false and .experimental==false) | .id] | join(",")')" \
	"rocm-6.4.4,rocm-7.14,vulkan-radv" "stable defaults: vulkan-radv, rocm-6.4.4, rocm-7.14"
is "$(printf '%s' "$out" | jq -r '[.[] | select(.retired != false) | .id + ">" + .successor] | join(",")')" \
	"rocm-7.2>rocm-7.14,rocm7-nightlies>therock-nightly" "retired channels name their successors"
is "$(printf '%s' "$out" | jq -r '[.[] | select(.experimental) | .id] | join(",")')" \
	"rocm-7.14-pr26592,rocm-7.14-rocmfpx,rocm-7.2.4-rdma-fix,rocm-7.2.4-turboquant,therock-nightly,vulkan-radv-performance,vulkan-rocmfpx" \
	"experimental channels are opt-in"
is "$(printf '%s' "$out" | jq -r '[.[] | select(.container) | select(.container != "llama-" + (.image | sub(".*:"; ""))) | .id] | join(",")')" \
	"" "every container is llama-<tag>"
run jq -r '.containers[]' "$REPO/manifests/legacy.json"
unlike "$out" "^llama-(rocm-7\.2|rocm7-nightlies|rocm-7\.14|therock-nightly|vulkan-radv|rocm-6\.4\.4)$" \
	"legacy.json never names a current container"
like "$out" "llama-rocm-7\.2\.3-mtp" "legacy.json has upstream's retired -mtp containers"
run "$TBX_BIN" -C "$REPO" backends --json
is "$(printf '%s' "$out" | jq -r '.[] | select(.id=="rocm-7.2") | .container + " " + .image')" \
	"llama-rocm-7.2 docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.2" "container names follow upstream"
is "$(printf '%s' "$out" | jq -r '.[] | select(.id=="vulkan-native") | .env.VK_ICD_FILENAMES + " " + .env.VK_LOADER_LAYERS_DISABLE')" \
	"/usr/share/vulkan/icd.d/radeon_icd.x86_64.json all" "vulkan-native forces the RADV ICD"
is "$(printf '%s' "$out" | jq -r '.[] | select(.id=="vulkan-amdvlk") | .optional')" true "amdvlk is optional"
is "$(printf '%s' "$out" | jq -r '.[] | select(.id=="lemonade") | .lineage')" lemonade "lemonade lineage"

# --- home discovery: -C, TBX_HOME, nearest parent with containers/
mkdir -p "$T/proj/containers" "$T/proj/manifests" "$T/proj/a/b"
cp "$TBX_HOME/containers/rocm-7.2.json" "$T/proj/containers/"
cp "$TBX_HOME/manifests/models.json" "$T/proj/manifests/"
run env -u TBX_HOME -C "$T/proj/a/b" "$TBX_BIN" backends --json
is "$(printf '%s' "$out" | jq -r '[.[].id] | join(",")')" "rocm-7.2" "finds the nearest parent with containers/"
run "$TBX_BIN" -C "$T/proj" backends --json
is "$(printf '%s' "$out" | jq -r 'length')" 1 "-C DIR"
run "$TBX_BIN" -C "$T/nope" backends
is "$rc" 2 "-C to a missing directory: exit 2"

# --- seeding from the installed definitions
san=
[ "${TBX_BUILD:-}" = build/san ] && san=address,undefined # keep the binary under test
run make -s -C "$REPO" install DESTDIR="$T/dest" PREFIX=/usr SANITIZE=$san
is "$rc" 0 "make install DESTDIR=... PREFIX=/usr"
for f in usr/bin/tbx usr/share/man/man1/tbx.1 usr/share/tbx/containers/rocm-7.2.json \
	usr/share/tbx/manifests/models.json usr/share/bash-completion/completions/tbx; do
	check "installed $f" test -e "$T/dest/$f"
done
run env -u TBX_HOME -C / TBX_DATADIR="$T/dest/usr/share/tbx" "$TBX_BIN" backends
is "$rc" 0 "first use outside a project seeds ~/.local/share/tbx"
check "seeded containers/" test -e "$XDG_DATA_HOME/tbx/containers/rocm-7.2.json"
check "seeded manifests/" test -e "$XDG_DATA_HOME/tbx/manifests/legacy.json"

# --- definition errors name file, line and column, or the key
cp -r "$TBX_HOME" "$T/bad"
printf '{\n  "image": "x",\n  "container": ,\n}\n' >"$T/bad/containers/broken.json"
run "$TBX_BIN" -C "$T/bad" backends
is "$rc" 1 "a JSON syntax error: exit 1"
like "$err" "^tbx: $T/bad/containers/broken\.json:3:[0-9]+: " "names file:line:col"
printf '{"image": "a/b:c", "container": "x", "colour": "red"}' >"$T/bad/containers/broken.json"
run "$TBX_BIN" -C "$T/bad" backends
like "$err" "broken\.json: unknown key 'colour'" "an unknown key is named"
printf '{"image": "a/b:c", "container": "x", "devices": "/dev/dri"}' >"$T/bad/containers/broken.json"
run "$TBX_BIN" -C "$T/bad" backends
like "$err" "'devices' must be a list of strings" "a wrong type is named"
printf '{"image": "a/b:c", "container": "x", "devices": ["/etc/passwd"]}' >"$T/bad/containers/broken.json"
run "$TBX_BIN" -C "$T/bad" backends
like "$err" "device '/etc/passwd' is not a path under /dev" "an absurd value is named"
head -c 300000 /dev/zero | tr '\0' ' ' >"$T/bad/containers/broken.json"
run "$TBX_BIN" -C "$T/bad" backends
like "$err" "too large" "a huge file is refused"
rm -f "$T/bad/containers/broken.json"
printf '{"root": 5}' >"$T/bad/manifests/models.json"
run "$TBX_BIN" -C "$T/bad" models
like "$err" "models\.json: 'root' must be a string" "models.json type errors are named"

# --- Podman socket missing
run "$TBX_BIN" --url unix:///nonexistent/podman.sock status
is "$rc" 1 "socket missing: exit 1"
like "$err" "cannot connect to Podman at /nonexistent/podman.sock" "says where it looked"
like "$err" "systemctl --user enable --now podman.socket" "and how to start the service"
is "$(printf '%s\n' "$err" | wc -l)" 1 "in one line"
run "$TBX_BIN" --url tcp://x:1 status
is "$rc" 2 "an unsupported URL is a usage error"

# arguments are quoted back through the one sanitizer: no escape reaches the terminal
run tbx $'fr\e[2Job'
is "$rc" 2 "an unknown command with a terminal escape is a usage error"
like "$err" "unknown command 'fr\?\[2Job'" "its escape is shown as '?'"
run tbx report $'--x\e]0;t\a'
is "$rc" 2 "an unknown option with escapes is a usage error"
unlike "$err" "$(printf '\033')" "no escape character on stderr"

done_testing
