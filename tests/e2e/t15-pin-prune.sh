#!/bin/bash
# pin, unpin, rollback, and --prune-legacy on the real test bed.
. "$(dirname "$0")/lib.sh"
reset_containers
ensure_tags
lockfile=$TBX_HOME/manifests/images.lock.json

run tbx refresh rocm72 rocm644
is "$rc" 0 "refresh two backends"
d1=$("$TESTBED" digest "$TB_DIR" rocm-7.2)

# --- pin: refresh keeps the digest even after an upstream rebuild
run tbx pin rocm72
is "$rc" 0 "pin rocm72"
like "$out" "rocm-7\.2: pinned to ${d1:0:19}" "says what it pinned"
is "$(jq -r '.backends["rocm-7.2"].pinned' "$lockfile")" true "the lock file says pinned"
"$TESTBED" rebuild "$TB_DIR" rocm-7.2 >/dev/null 2>&1
d2=$("$TESTBED" digest "$TB_DIR" rocm-7.2)
cid=$(container_id llama-rocm-7.2)
run tbx refresh rocm72
is "$rc" 0 "refresh a pinned backend"
like "$out" "rocm-7\.2: unchanged ${d1:0:19}, pinned" "keeps the pinned digest"
is "$(container_id llama-rocm-7.2)" "$cid" "container untouched"
run tbx status --json rocm72
is "$(printf '%s' "$out" | jq -r '.[0].verdict')" fresh "a pinned backend is fresh"
like "$(printf '%s' "$out" | jq -r '.[0].reason')" "pinned to ${d1:0:19} \(upstream has ${d2:0:19}\)" \
	"status shows the pin and what upstream has"
run tbx bench rocm72 tiny
is "$rc" 0 "bench on a pinned backend"

# --- unpin: the next refresh follows the tag again
run tbx unpin rocm72
is "$rc" 0 "unpin"
run tbx refresh rocm72
like "$out" "rocm-7\.2: recreated ${d1:0:19} -> ${d2:0:19}" "refresh moves to the new digest"

# --- rollback: back to the previous digest, offline from the kept image
"$TESTBED" stop-registry "$TB_DIR" >/dev/null 2>&1
run tbx rollback rocm72
is "$rc" 0 "rollback works with the registry down"
like "$out" "rocm-7\.2: rolled back to ${d1:0:19}" "says where it went"
is "$(jq -r '.backends["rocm-7.2"].digest' "$lockfile")" "$d1" "lock file has the previous digest"
is "$(jq -r '.backends["rocm-7.2"].pinned' "$lockfile")" true "and pins it"
is "$(podman inspect --format '{{index .Config.Labels "tbx.image-digest"}}' llama-rocm-7.2)" "$d1" \
	"the container runs the previous image"
"$TESTBED" start-registry "$TB_DIR" >/dev/null 2>&1
run tbx unpin rocm72

# --- pin to a given digest (pulls NAME@DIGEST)
run tbx pin rocm72 "$d2"
is "$rc" 0 "pin to a given digest"
is "$(podman inspect --format '{{index .Config.Labels "tbx.image-digest"}}' llama-rocm-7.2)" "$d2" \
	"the container runs it"
run tbx pin rocm72 sha256:nothex
is "$rc" 2 "a malformed digest is a usage error"
run tbx pin rocm72 "sha256:$(printf '0%.0s' $(seq 64))"
is "$rc" 1 "a digest the registry does not have: exit 1"
like "$err" "cannot pull" "the pull failed"
is "$(podman inspect --format '{{index .Config.Labels "tbx.image-digest"}}' llama-rocm-7.2)" "$d2" \
	"and the container is untouched"
run tbx unpin rocm72
run tbx rollback vulkan-native
is "$rc" 2 "rollback of a native backend: usage error"

# --- prune: exactly the legacy names, and tbx containers whose definition is gone
img=$(podman inspect --format '{{.Image}}' llama-rocm-7.2)
podman create --name llama-rocm7rc "$img" sleep infinity >/dev/null
podman create --name llama-rocm-6.4.2 "$img" sleep infinity >/dev/null
podman create --name llama-rocm7rc-mine "$img" sleep infinity >/dev/null
podman create --name mine-llama-rocm-7rc "$img" sleep infinity >/dev/null
hid=$(podman inspect --format '{{index .Config.Labels "tbx.home"}}' llama-rocm-7.2)
check "tbx labels its containers with the home's id" test -n "$hid"
podman create --name llama-old-backend --label tbx.backend=old-backend --label tbx.home="$hid" \
	"$img" sleep infinity >/dev/null
run tbx refresh --check --prune-legacy rocm72
like "$out" "would remove container 'llama-rocm7rc'" "--check says what prune would remove"
check "and removes nothing" test -n "$(container_id llama-rocm7rc)"
run tbx refresh --prune-legacy rocm72
is "$rc" 0 "refresh --prune-legacy"
for n in llama-rocm7rc llama-rocm-6.4.2 llama-old-backend; do
	check "$n removed" test -z "$(container_id $n)"
done
for n in llama-rocm7rc-mine mine-llama-rocm-7rc llama-rocm-7.2 llama-rocm-6.4.4; do
	check "$n kept (exact names only)" test -n "$(container_id $n)"
done
prev=$(jq -r '.backends["rocm-7.2"].history[0].image_id' "$lockfile")
check "the previous image is kept for rollback" podman image exists "$prev"
podman rm -f llama-rocm7rc-mine mine-llama-rocm-7rc >/dev/null

# --- prune with --json: stdout is the JSON document and nothing else
podman create --name llama-rocm7rc "$img" sleep infinity >/dev/null
run tbx refresh --prune-legacy --json rocm72
is "$rc" 0 "refresh --prune-legacy --json"
check "its output parses as JSON (no text before it)" jqe . "$T/out"
is "$(jq -r '.pruned.containers | join(",")' "$T/out" 2>/dev/null)" llama-rocm7rc \
	"and names the container it pruned"
check "llama-rocm7rc removed" test -z "$(container_id llama-rocm7rc)"

# --- two homes on one Podman: each prunes only its own containers
home2=$T/home2
mkdir -p "$home2/containers" "$home2/manifests"
cp "$TBX_HOME/manifests/models.json" "$home2/manifests/"
sed 's/"llama-rocm-6.4.4"/"llama-other-home"/; s/"rocm644"/"other"/' \
	"$TBX_HOME/containers/rocm-6.4.4.json" >"$home2/containers/other-home.json"
run tbx -C "$home2" refresh other-home
is "$rc" 0 "a second home makes its own container"
hid2=$(podman inspect --format '{{index .Config.Labels "tbx.home"}}' llama-other-home)
check "labelled with the second home's id" test -n "$hid2" -a "$hid2" != "$hid"
podman create --name llama-unlabelled --label tbx.backend=gone-too "$img" sleep infinity >/dev/null
run tbx refresh --prune-legacy rocm72
is "$rc" 0 "prune in the first home"
check "the second home's container is kept" test -n "$(container_id llama-other-home)"
unlike "$out" "llama-other-home" "and not mentioned"
like "$out" "kept container 'llama-unlabelled'" "a tbx container of no known home is kept, and prune says so"
check "llama-unlabelled kept" test -n "$(container_id llama-unlabelled)"
run tbx -C "$home2" refresh --prune-legacy other-home
is "$rc" 0 "prune in the second home"
for n in llama-rocm-7.2 llama-rocm-6.4.4; do
	check "the first home's $n is kept" test -n "$(container_id $n)"
done
podman rm -f llama-other-home llama-unlabelled >/dev/null

done_testing
