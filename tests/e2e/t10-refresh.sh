#!/bin/bash
# tbx refresh and status on the real test bed: first refresh creates,
# second changes nothing and makes no manifest GET, an upstream rebuild
# recreates exactly one container, failures are per backend and touch
# nothing, --check changes nothing.
. "$(dirname "$0")/lib.sh"
reset_images
ensure_tags

ids() { # the container IDs of the default backends, one line
	local n
	for n in llama-rocm-6.4.4 llama-rocm-7.2 llama-rocm7-nightlies llama-vulkan-radv; do
		printf '%s ' "$(container_id $n)"
	done
}

# --- first refresh creates every (non-optional) container
mark=$(registry_mark)
run tbx refresh
is "$rc" 0 "first refresh succeeds"
like "$out" "rocm-7\.2: created sha256:[0-9a-f]{12}" "it says what it created"
like "$out" "4 backends: 4 changed, 0 unchanged, 0 failed" "summary line"
for n in llama-rocm-6.4.4 llama-rocm-7.2 llama-rocm7-nightlies llama-vulkan-radv; do
	is "$(podman inspect --format '{{.State.Status}}' $n 2>&1)" running "$n exists and runs"
done
is "$(podman inspect --format '{{index .Config.Labels "tbx.backend"}}' llama-rocm-7.2)" rocm-7.2 \
	"containers carry the tbx.backend label"
like "$(podman inspect --format '{{index .Config.Labels "tbx.image-digest"}}' llama-rocm-7.2)" \
	"^sha256:[0-9a-f]{64}$" "and the image digest label"
like "$(podman inspect --format '{{index .Config.Labels "tbx.spec-hash"}}' llama-rocm-7.2)" \
	"^[0-9a-f]{64}$" "and the spec hash label"
is "$(podman inspect --format '{{.HostConfig.Privileged}}' llama-rocm-7.2)" false "never privileged"
like "$(podman inspect --format '{{range .Mounts}}{{.Destination}}:{{.RW}} {{end}}' llama-rocm-7.2)" \
	"$TB_MODELS:false" "models root mounted read-only at the same path"
check "vulkan-amdvlk (optional) was not created" test -z "$(container_id llama-vulkan-amdvlk)"
lockfile=$TBX_HOME/manifests/images.lock.json
want=$("$TESTBED" digest "$TB_DIR" rocm-7.2)
is "$(jq -r '.backends["rocm-7.2"].digest' "$lockfile")" "$want" "lock file records the registry's digest"
check "lock file records when it was verified" \
	test "$(jq -r '.backends["rocm-7.2"].verified_at' "$lockfile")" != null

# --- second refresh: nothing changes, no manifest GET, no layer pulled
before=$(ids)
mark=$(registry_mark)
run tbx refresh
is "$rc" 0 "second refresh succeeds"
like "$out" "0 changed, 4 unchanged" "nothing changed"
is "$(registry_count "$mark" GET)" 0 "no manifest GET when nothing changed"
is "$(registry_blob_gets "$mark")" 0 "no layer pulled"
is "$(registry_count "$mark" HEAD)" 4 "one manifest HEAD per backend"
is "$(ids)" "$before" "no container recreated"

# --- refresh --check and --json
run tbx refresh --check --json
is "$rc" 0 "refresh --check --json"
is "$(printf '%s' "$out" | jq -r '[.backends[].action] | unique | join(",")')" unchanged \
	"--check --json: every backend unchanged"

# --- status: fresh
run tbx status --json
is "$rc" 0 "status"
is "$(printf '%s' "$out" | jq -r '[.[] | select(.kind=="container" and .backend!="vulkan-amdvlk") | .verdict] | unique | join(",")')" \
	fresh "every refreshed backend is fresh"
is "$(printf '%s' "$out" | jq -r '.[] | select(.backend=="vulkan-amdvlk") | .verdict')" missing \
	"the optional one is missing"

# --- an upstream rebuild of one tag
"$TESTBED" rebuild "$TB_DIR" rocm-7.2 >/dev/null 2>&1
newd=$("$TESTBED" digest "$TB_DIR" rocm-7.2)
run tbx status --json
is "$(printf '%s' "$out" | jq -r '.[] | select(.verdict=="stale") | .backend')" rocm-7.2 \
	"status calls exactly the rebuilt backend stale"
like "$(printf '%s' "$out" | jq -r '.[] | select(.backend=="rocm-7.2") | .reason')" \
	"image rebuilt upstream: sha256:[0-9a-f]{12} -> ${newd:0:19}" "with the reason"
run tbx status --offline
like "$out" "offline" "status --offline says it judged offline"
run tbx refresh --check
is "$rc" 0 "refresh --check"
like "$out" "rocm-7\.2: updated .*would pull" "--check says what would change"
is "$(ids)" "$before" "--check changed nothing"
old_7_2=$(container_id llama-rocm-7.2)
mark=$(registry_mark)
run tbx refresh
is "$rc" 0 "refresh after the rebuild"
like "$out" "rocm-7\.2: recreated sha256:[0-9a-f]{12} -> ${newd:0:19}" "recreated exactly the rebuilt one"
like "$out" "1 changed, 3 unchanged" "one changed"
check "llama-rocm-7.2 is a new container" test "$(container_id llama-rocm-7.2)" != "$old_7_2"
for n in llama-rocm-6.4.4 llama-rocm7-nightlies llama-vulkan-radv; do
	check "$n untouched" grep -q "$(container_id $n)" <<<"$before"
done
is "$(jq -r '.backends["rocm-7.2"].digest' "$lockfile")" "$newd" "lock file has the new digest"
is "$(jq -r '.backends["rocm-7.2"].history[0].digest' "$lockfile")" "$want" "and the old one in history"
check "no temporary containers left" test -z "$(podman ps -a --format '{{.Names}}' | grep -e -tbx-)"

# --- a deleted tag: per-backend failure, nothing touched
"$TESTBED" delete-tag "$TB_DIR" rocm7-nightlies >/dev/null 2>&1
before=$(ids)
run tbx refresh
is "$rc" 1 "a deleted tag makes refresh exit 1"
like "$out$err" "rocm7-nightlies: FAILED: .*not found" "the failure names the backend and the cause"
like "$out" "rocm-7\.2: unchanged" "the other backends still refresh"
is "$(ids)" "$before" "containers as they were"

# --- a stopped registry
"$TESTBED" stop-registry "$TB_DIR" >/dev/null 2>&1
run tbx refresh rocm72 vulkan-radv
is "$rc" 1 "a stopped registry makes refresh exit 1"
like "$err" "cannot reach docker.io" "and says it cannot reach the registry"
is "$(ids)" "$before" "containers as they were"
run tbx status --json rocm72
like "$(printf '%s' "$out" | jq -r '.[0].verdict + ": " + .[0].reason')" "^fresh: verified .* ago" \
	"status falls back to the last verification when the registry is down"
"$TESTBED" start-registry "$TB_DIR" >/dev/null 2>&1

# --- a failed pull: the tag moved but its layer is gone
"$TESTBED" rebuild "$TB_DIR" rocm-6.4.4 >/dev/null 2>&1
layer=$(curl -fsS -H "Accept: application/vnd.oci.image.manifest.v1+json" \
	-H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
	"http://$TB_REGISTRY/v2/kyuz0/amd-strix-halo-toolboxes/manifests/rocm-6.4.4" | jq -r '.layers[-1].digest')
hex=${layer#sha256:}
rm -f "$(find "$TB_DIR/registry" -path "*blobs/sha256/${hex:0:2}/$hex/data")"
img_before=$(podman images -q | sort | tr '\n' ' ')
run tbx refresh rocm-6.4.4
is "$rc" 1 "a failed pull makes refresh exit 1"
like "$out$err" "rocm-6.4.4: FAILED: cannot pull" "and says the pull failed"
is "$(ids)" "$before" "containers as they were after a failed pull"
"$TESTBED" rebuild "$TB_DIR" rocm-6.4.4 >/dev/null 2>&1 # whole again

# --- unknown backend
run tbx refresh rocm73
is "$rc" 2 "unknown backend: exit 2"
like "$err" "unknown backend 'rocm73' \(did you mean 'rocm72'" "with the closest match"

# --- optional backend when named
run tbx refresh amdvlk
is "$rc" 0 "naming the optional backend refreshes it"
check "llama-vulkan-amdvlk exists" test -n "$(container_id llama-vulkan-amdvlk)"

# --- a definition change recreates exactly that container
old=$(container_id llama-rocm-7.2)
jq '.env = {"TBX_TEST": "1"}' "$TBX_HOME/containers/rocm-7.2.json" >"$T/d" && mv "$T/d" "$TBX_HOME/containers/rocm-7.2.json"
run tbx status --json --offline rocm72
like "$(printf '%s' "$out" | jq -r '.[0].reason')" "definition changed" "status: definition changed"
run tbx refresh rocm72
like "$out" "rocm-7\.2: recreated .*definition changed" "refresh recreates it"
check "new container" test "$(container_id llama-rocm-7.2)" != "$old"
like "$(podman inspect --format '{{range .Config.Env}}{{.}} {{end}}' llama-rocm-7.2)" "TBX_TEST=1" "with the new env"

ensure_tags
done_testing
