#!/bin/bash
# Rollback depth (issue 11): upstream keeps only its 3 newest builds per
# channel, so refresh keeps the last keep_images (2) previous images of each
# backend locally, --prune-legacy never removes them, and `tbx rollback
# BACKEND [DIGEST]` uses them with the registry down; a digest neither kept
# locally nor in the registry is said plainly.
. "$(dirname "$0")/lib.sh"
reset_images
ensure_tags
lockfile=$TBX_HOME/manifests/images.lock.json
repo=127.0.0.1:${TB_REGISTRY##*:}
has_image() { podman image exists "$1"; }
no_image() { ! podman image exists "$1"; }

# four builds of rocm-6.4.4, each refreshed: d0 (oldest) .. d3 (current)
run tbx refresh rocm644
d0=$("$TESTBED" digest "$TB_DIR" rocm-6.4.4)
for i in 1 2 3; do
	"$TESTBED" rebuild "$TB_DIR" rocm-6.4.4 >/dev/null 2>&1
	run tbx refresh rocm644
	is "$rc" 0 "refresh after upstream rebuild $i"
done
hist() { jq -r ".backends[\"rocm-6.4.4\"].history[$1].$2" "$lockfile"; }
d2=$(hist 0 digest) i2=$(hist 0 image_id)
d1=$(hist 1 digest) i1=$(hist 1 image_id)
i0=$(hist 2 image_id)
d3=$("$TESTBED" digest "$TB_DIR" rocm-6.4.4)
i3=$(jq -r '.backends["rocm-6.4.4"].image_id' "$lockfile")
is "$(jq -r '.backends["rocm-6.4.4"].history | map(.digest) | join(" ")' "$lockfile")" \
	"$d2 $d1 $d0" "the lock file's history: the three previous digests, newest first"
is "$(jq -r '.backends["rocm-6.4.4"].digest' "$lockfile")" "$d3" "current: the newest build"

# --prune-legacy keeps the current image and the last 2 previous ones
run tbx refresh --prune-legacy rocm644
is "$rc" 0 "refresh --prune-legacy"
for i in "$i3" "$i2" "$i1"; do
	check "image ${i:0:12} kept (current or one of the 2 previous)" has_image "$i"
done
check "the oldest, ${i0:0:12}, pruned" no_image "$i0"
no_image "$i0" || {
	printf '# %s\n' "$out" "$err"
	podman ps -a --format '# {{.Names}} {{.ImageID}} {{.Status}}'
}

# the registry down: rollback from the kept images
"$TESTBED" stop-registry "$TB_DIR" >/dev/null 2>&1
run tbx rollback rocm644
is "$rc" 0 "rollback with the registry down"
like "$out" "rocm-6\.4\.4: rolled back to ${d2:0:19}" "to the previous digest"
run tbx rollback rocm644 "${d1:0:19}"
is "$rc" 0 "rollback to a given digest prefix, registry down"
like "$out" "rolled back to ${d1:0:19}" "to the second previous digest"
is "$(podman inspect --format '{{index .Config.Labels "tbx.image-digest"}}' llama-rocm-6.4.4)" "$d1" \
	"the container runs it"
run tbx rollback rocm644 "$d0"
is "$rc" 1 "rollback to a pruned digest with the registry down: exit 1"
like "$err" "digest $d0 is neither kept locally nor available from the registry" "says so plainly"
is "$(podman inspect --format '{{index .Config.Labels "tbx.image-digest"}}' llama-rocm-6.4.4)" "$d1" \
	"and the container is untouched"
"$TESTBED" start-registry "$TB_DIR" >/dev/null 2>&1

# the registry up but no longer holding the digest (upstream pruned it)
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://$repo/v2/kyuz0/amd-strix-halo-toolboxes/manifests/$d0")
is "$code" 202 "the oldest build deleted from the registry"
run tbx rollback rocm644 "$d0"
is "$rc" 1 "rollback to a digest neither local nor in the registry: exit 1"
like "$err" "neither kept locally nor available from the registry" "says so"
like "$err" "(not found|manifest unknown|404|cannot pull)" "with the registry's answer"
run tbx rollback rocm644 "sha256:abc"
is "$rc" 2 "a malformed digest: usage error"
run tbx rollback rocm644 "ffffffffffffffff"
is "$rc" 2 "a prefix of no digest in the history: usage error"

# keep_images = 0: prune keeps only what runs
run tbx unpin rocm644
run tbx refresh rocm644
echo "keep_images = 0" >"$TBX_HOME/tbx.conf"
run tbx refresh --prune-legacy rocm644
is "$rc" 0 "keep_images = 0: prune"
check "the previous images are gone" no_image "$i1"
check "and the other" no_image "$i2"
check "the current one stays" has_image "$i3"
echo "keep_images = many" >"$TBX_HOME/tbx.conf"
run tbx refresh --check rocm644
is "$rc" 2 "a bad keep_images is a usage error"
rm -f "$TBX_HOME/tbx.conf"
done_testing
