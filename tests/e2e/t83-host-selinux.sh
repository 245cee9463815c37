#!/bin/bash
# Host state and SELinux (issues 12 and 20): tbx containers disable SELinux
# labelling unless a definition says otherwise, and a change recreates the
# container; records carry the host state (read below TBX_HOST_ROOT: the
# Strix Halo fixtures in tests/fixtures/host), the container's effective
# limits, its Mesa version and GPU variables, and a native backend's GPU
# variables; doctor judges SELinux and the environment from fixtures.
# Benches use -r 1: the host state does not need five repetitions.
. "$(dirname "$0")/lib.sh"

FIX=$REPO/tests/fixtures/host
results=$TBX_HOME/results
reset_containers
ensure_tags

# --- containers: label=disable by default, relabel-shared on request
run tbx refresh rocm72 vulkan-radv
is "$rc" 0 "refresh"
for c in llama-rocm-7.2 llama-vulkan-radv; do
	is "$(podman inspect --format '{{index .Config.Labels "tbx.selinux"}}' $c)" disable \
		"$c: made with SELinux labelling disabled"
	# as toolbox's: Podman's inspect shows it on any host, SELinux or not
	is "$(podman inspect --format '{{json .HostConfig.SecurityOpt}}' $c | jq -c '[.[] | select(startswith("label="))]')" \
		'["label=disable"]' "$c: inspect shows label=disable in HostConfig.SecurityOpt"
done
run tbx backends
like "$out" "^rocm-7\.2 +container +rocm72 +llama\.cpp +disable +docker\.io/" "backends shows the choice"
run tbx backends --json
is "$(printf '%s' "$out" | jq -r '[.[].selinux] | unique | join(",")')" disable "backends --json: selinux"

id0=$(container_id llama-rocm-7.2)
sed 's/"aliases"/"selinux": "relabel-shared", "aliases"/' "$REPO/tests/e2e/defs/containers/rocm-7.2.json" \
	>"$TBX_HOME/containers/rocm-7.2.json"
run tbx status --offline rocm72
like "$out" "rocm-7\.2 +stale .*definition" "a changed selinux key makes the container stale"
run tbx refresh rocm72
is "$rc" 0 "refresh after the change"
like "$err$out" "rocm-7\.2: recreated .*definition changed" "the container is recreated"
check "with a new container" test "$(container_id llama-rocm-7.2)" != "$id0"
is "$(podman inspect --format '{{index .Config.Labels "tbx.selinux"}}' llama-rocm-7.2)" relabel-shared \
	"made with the relabel (:z) option on the models mount"
# Podman drops :z from the inspected mount once it relabelled at start: the
# label above is where the choice shows; labelling is no longer disabled
is "$(podman inspect --format '{{json .HostConfig.SecurityOpt}}' llama-rocm-7.2 | jq -c '[.[] | select(startswith("label="))]')" \
	'[]' "relabel-shared: no label=disable in SecurityOpt"
is "$(podman inspect --format '{{json .HostConfig.Binds}}' llama-rocm-7.2 | jq -r '.[0]')" \
	"$TB_MODELS:$TB_MODELS:rbind,ro,rprivate" "the models root is still mounted read-only"
run tbx backends
like "$out" "^rocm-7\.2 +container +rocm72 +llama\.cpp +relabel-shared " "backends shows relabel-shared"
printf '{"image": "x/y:z", "container": "c", "selinux": "off"}\n' >"$TBX_HOME/containers/bad.json"
run tbx backends
is "$rc" 1 "an unknown selinux value is refused"
like "$err" "bad\.json: 'selinux' must be \"disable\", \"relabel-shared\" or \"default\", not \"off\"" \
	"naming the file and the choices"
rm -f "$TBX_HOME/containers/bad.json"
cp "$REPO/tests/e2e/defs/containers/rocm-7.2.json" "$TBX_HOME/containers/"
run tbx refresh rocm72
like "$err$out" "rocm-7\.2: recreated .*definition changed" "back to the default: recreated again"

# --- records: host state from the fixture root, limits from the container
TBX_HOST_ROOT=$FIX/strix-halo run tbx --json bench rocm72 tiny -- -r 1
is "$rc" 0 "bench with the Strix Halo fixture as host root"
rec=$out
is "$(printf '%s' "$rec" | jq -r .host.kernel_release)" "6.17.7-300.fc43.x86_64" "kernel release"
is "$(printf '%s' "$rec" | jq -c .host.kernel_params)" \
	'{"amdgpu.gttsize":"126976","ttm.pages_limit":"32505856","ttm.page_pool_size":"32505856"}' \
	"the performance-relevant kernel parameters, and only those"
is "$(printf '%s' "$rec" | jq -r '[.host.ttm_pages_limit, .host.ttm_page_pool_size, .host.amdgpu_gttsize] | join(" ")')" \
	"32505856 32505856 126976" "TTM and GTT limits"
is "$(printf '%s' "$rec" | jq -r '.host.platform_profile + " " + .host.tuned_profile')" \
	"performance accelerator-performance" "power and TuneD profiles"
is "$(printf '%s' "$rec" | jq -r .host.cpu_model)" "AMD RYZEN AI MAX+ 395 w/ Radeon 8060S" "CPU model"
is "$(printf '%s' "$rec" | jq -r .host.mem_total_bytes)" "$((130023424 * 1024))" "memory size"
is "$(printf '%s' "$rec" | jq -r '.host.firmware, .host.rocm')" "null
null" "absent items are null, not guessed"
is "$(printf '%s' "$rec" | jq -r '.host.limits.memlock.soft | type')" number "the container's memlock limit"
is "$(printf '%s' "$rec" | jq -r '.host.limits.nofile.hard | type')" number "and its open files limit"
is "$(printf '%s' "$rec" | jq -r '.host.limits.nofile.soft')" \
	"$(podman exec llama-rocm-7.2 sh -c 'ulimit -n')" "the limit is the container's own"
is "$(printf '%s' "$rec" | jq -c .host.gpu_env)" "{}" "no GPU variables in this container"

TBX_HOST_ROOT=$FIX/strix-halo-iommu-off run tbx --json bench vulkan-radv tiny -- -r 1
is "$rc" 0 "bench with the amd_iommu=off fixture"
rec=$out
is "$(printf '%s' "$rec" | jq -r '.host.kernel_params.amd_iommu')" off "amd_iommu=off recorded"
like "$(printf '%s' "$rec" | jq -r .host.mesa)" "^[0-9]+\.[0-9]+" "the container's Mesa version"
is "$(printf '%s' "$rec" | jq -r '.host.gpu_env.GGML_VK_VISIBLE_DEVICES + " " + .host.gpu_env.VK_ICD_FILENAMES')" \
	"0 /usr/share/vulkan/icd.d/lvp_icd.json" "the GPU variables llama-bench saw"
is "$(jq -r .host.kernel_params.amd_iommu "$(ls -t "$results"/*vulkan-radv*.json | head -1)")" off \
	"and the stored record has them"

# the real root: the host's own kernel
run tbx --json bench rocm72 tiny -- -r 1
is "$(printf '%s' "$out" | jq -r .host.kernel_release)" "$(cat /proc/sys/kernel/osrelease)" \
	"without TBX_HOST_ROOT: this host's kernel"

# --- a native backend records the GPU variables it inherited and was given
mkdir -p "$T/bin"
cat >"$T/bin/llama-bench" <<'SH'
#!/bin/sh
exec podman exec llama-rocm-7.2 llama-bench "$@"
SH
chmod +x "$T/bin/llama-bench"
cat >"$TBX_HOME/containers/hip-local.json" <<JSON
{"kind": "native", "bench": ["$T/bin/llama-bench"], "env": {"ROCBLAS_USE_HIPBLASLT": "1"},
 "expect": {"backend": "CPU"}}
JSON
HSA_OVERRIDE_GFX_VERSION=11.0.0 TBX_HOST_ROOT=$FIX/strix-halo run tbx --json bench hip-local tiny -- -r 1
is "$rc" 0 "native bench"
is "$(printf '%s' "$out" | jq -c .host.gpu_env)" \
	'{"HSA_OVERRIDE_GFX_VERSION":"11.0.0","ROCBLAS_USE_HIPBLASLT":"1"}' \
	"a native record carries the leaked and the given GPU variables"
is "$(printf '%s' "$out" | jq -r .host.limits.memlock.soft)" 8388608 "and the limits it runs with"
rm -f "$TBX_HOME/containers/hip-local.json"

# --- doctor: SELinux from fixtures, GPU variables in the environment
mkdir -p "$T/models"
cp "$TB_MODELS/tiny.gguf" "$T/models/"
cat >"$TBX_HOME/manifests/models.json" <<EOF
{"root": "$T/models", "models": {"tiny": "tiny.gguf"}}
EOF
# a models root labelled like a home directory (the test override of
# security.selinux under a fixture root; see README)
setfattr -n user.tbx.selinux -v unconfined_u:object_r:user_home_t:s0 "$T/models"
TBX_HOST_ROOT=$FIX/strix-halo run tbx doctor --offline
is "$rc" 0 "enforcing, every definition disables labelling: passes"
like "$out" "^OK +selinux +SELinux is enforcing; every container backend disables labelling \(label=disable\), so the models root's label \(user_home_t\) does not matter" \
	"the label does not matter then (and is named)"
sed 's/"aliases"/"selinux": "default", "aliases"/' "$REPO/tests/e2e/defs/containers/rocm-7.2.json" \
	>"$TBX_HOME/containers/rocm-7.2.json"
TBX_HOST_ROOT=$FIX/strix-halo run tbx doctor --offline
is "$rc" 1 "enforcing, a definition keeps labelling, user_home_t models root: fails"
like "$out" "^FAIL +selinux +SELinux is enforcing and the models root $T/models is labelled user_home_t, which containers cannot read: benches in rocm-7\.2 .* would fail with 'permission denied'; fix: set \"selinux\": \"disable\"" \
	"the verdict names the root, its label and the definition, and says what to do"
like "$out" "chcon -R -t container_file_t $T/models" "or how to relabel"
TBX_HOST_ROOT=$FIX/strix-halo-permissive run tbx doctor --offline
is "$rc" 0 "permissive: does not fail"
like "$out" "^WARN +selinux +SELinux is permissive: the models root $T/models is labelled user_home_t, which containers could not read once it enforces" \
	"but warns"
TBX_HOST_ROOT=$FIX/debian run tbx doctor --offline
like "$out" "^OK +selinux +SELinux is not enabled \(no $FIX/debian/sys/fs/selinux/enforce\)" \
	"absent: not enabled"
setfattr -n user.tbx.selinux -v system_u:object_r:container_file_t:s0 "$T/models"
TBX_HOST_ROOT=$FIX/strix-halo run tbx doctor --offline
is "$rc" 0 "enforcing, a container_file_t models root: passes"
like "$out" "^OK +selinux +SELinux is enforcing; the models root $T/models is labelled container_file_t, which containers can read" \
	"a container_file_t root is readable"
setfattr -n user.tbx.selinux -v system_u:object_r:container_ro_file_t:s0 "$T/models"
TBX_HOST_ROOT=$FIX/strix-halo run tbx doctor --offline
like "$out" "^OK +selinux +SELinux is enforcing; the models root $T/models is labelled container_ro_file_t, which containers can read" \
	"so is a container_ro_file_t one"
# the real attribute, where this file system lets root set it without SELinux
setfattr -x user.tbx.selinux "$T/models"
if setfattr -n security.selinux -v unconfined_u:object_r:user_home_t:s0 "$T/models" 2>/dev/null; then
	TBX_HOST_ROOT=$FIX/strix-halo run tbx doctor --offline
	like "$out" "^FAIL +selinux +SELinux is enforcing and the models root $T/models is labelled user_home_t" \
		"security.selinux itself is read"
else
	ok 0 "security.selinux itself is read # skip this file system refuses security.selinux"
fi
# no label at all: said, not guessed
mkdir "$T/models2"
cat >"$TBX_HOME/manifests/models.json" <<EOF
{"root": "$T/models2", "models": {}}
EOF
TBX_HOST_ROOT=$FIX/strix-halo run tbx doctor --offline
like "$out" "^WARN +selinux +SELinux is enforcing; cannot read the label of the models root $T/models2, which rocm-7\.2 .*; fix: look at it with 'ls -Zd $T/models2'" \
	"an unreadable label is a warning"
# devices of a definition that keeps labelling: the fixture's booleans say
# /dev/dri is allowed (container_use_dri_devices 1) and /dev/kfd is not
sed 's/"aliases"/"selinux": "default", "devices": ["\/dev\/dri", "\/dev\/kfd"], "aliases"/' \
	"$REPO/tests/e2e/defs/containers/rocm-7.2.json" >"$TBX_HOME/containers/rocm-7.2.json"
TBX_HOST_ROOT=$FIX/strix-halo run tbx doctor --offline
is "$rc" 1 "enforcing, a labelled definition with /dev/kfd, container_use_devices off: fails"
like "$out" "^FAIL +selinux +SELinux is enforcing and container_use_devices is off: /dev/kfd in rocm-7\.2 \(which keeps labelling\) cannot be opened \('permission denied'\); fix: sudo setsebool -P container_use_devices on, or set \"selinux\": \"disable\"" \
	"the verdict names the device, the boolean and what to do"
like "$out" "^OK +selinux +SELinux is enforcing; /dev/dri \(used by rocm-7\.2, which keeps labelling\) is allowed to containers: container_use_dri_devices is on" \
	"/dev/dri: its boolean is on"
TBX_HOST_ROOT=$FIX/strix-halo-permissive run tbx doctor --offline
like "$out" "^WARN +selinux +SELinux is permissive; cannot read the boolean container_use_devices" \
	"a boolean the policy lacks is a warning"
cp "$REPO/tests/e2e/defs/containers/rocm-7.2.json" "$TBX_HOME/containers/"
TBX_HOST_ROOT=$FIX/strix-halo run tbx doctor --offline
unlike "$out" "container_use" "definitions that disable labelling: the booleans do not matter"
cat >"$TBX_HOME/manifests/models.json" <<EOF
{"root": "$TB_MODELS", "models": {"tiny": "tiny.gguf"}}
EOF

HSA_OVERRIDE_GFX_VERSION=11.0.0 run tbx doctor --offline
is "$rc" 0 "a GPU variable in the environment does not fail the doctor"
like "$out" "^WARN +env +HSA_OVERRIDE_GFX_VERSION=11\.0\.0 is set: native backends \(none defined\) inherit it .*gfx1151 detect as gfx1100.*; fix: unset HSA_OVERRIDE_GFX_VERSION" \
	"it warns, names the value and says what to do"
run tbx doctor --offline
like "$out" "^OK +env +no GPU-related variable" "none set: OK"
# several at once, a native backend defined: one warning each, naming it
printf '{"kind": "native", "bench": ["/usr/bin/llama-bench"]}\n' >"$TBX_HOME/containers/hip-local.json"
HIP_VISIBLE_DEVICES=1 VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/radeon_icd.x86_64.json \
	CUDA_VISIBLE_DEVICES=0 run tbx doctor --offline --json
is "$(printf '%s' "$out" | jq -r '[.checks[] | select(.check == "env") | .status] | join(",")')" \
	"warn,warn,warn" "--json: one env warning per variable"
is "$(printf '%s' "$out" | jq -r '[.checks[] | select(.check == "env") | .message | capture("^(?<n>[A-Z_]+)=").n] | sort | join(",")')" \
	"CUDA_VISIBLE_DEVICES,HIP_VISIBLE_DEVICES,VK_ICD_FILENAMES" "naming each variable"
like "$(printf '%s' "$out" | jq -r '.checks[] | select(.check == "env") | .message' | head -1)" \
	"native backends \(hip-local\) inherit it" "and the native backends that inherit it"
is "$(printf '%s' "$out" | jq -r '[.checks[] | select(.check == "env") | .fix | startswith("unset ")] | all')" \
	true "each with what to do"
rm -f "$TBX_HOME/containers/hip-local.json"

done_testing
