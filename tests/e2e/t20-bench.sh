#!/bin/bash
# tbx bench on the real test bed: the record's digest is the registry's,
# its numbers are the measured run's samples; a rebuild makes bench refuse
# until refreshed; a wrong device is refused; failures record nothing;
# Ctrl-C leaves no llama-bench behind; benches never overlap; model paths
# with shell metacharacters are passed as argv.
. "$(dirname "$0")/lib.sh"
reset_containers
ensure_tags
results=$TBX_HOME/results
nrec() { find "$results" -name '*.json' 2>/dev/null | wc -l; }

run tbx refresh rocm72 vulkan-radv
is "$rc" 0 "refresh the backends under test"

# --- a bench records a traceable result
run tbx bench rocm72 tiny
is "$rc" 0 "bench rocm72 tiny"
like "$out" "tiny on rocm-7\.2" "prints a result block"
like "$out" "pp512 +[0-9.]+ ± [0-9.]+ t/s" "with pp512 ± sd"
like "$out" "build +Debian \(11669\)" "and the llama.cpp build"
is "$(nrec)" 1 "one record written"
rec=$(find "$results" -name '*.json' | head -1)
check "the record is valid JSON" jqe . "$rec"
is "$(jq -r .image_digest "$rec")" "$("$TESTBED" digest "$TB_DIR" rocm-7.2)" \
	"the record's digest equals the registry's"
is "$(jq -r .backend "$rec")" rocm-7.2 "backend id, not the alias"
is "$(jq -r '.command | join(" ")' "$rec")" \
	"llama-bench -m $TB_MODELS/tiny.gguf --n-gpu-layers 99 -p 512 -n 128 -o jsonl" "the exact command"
is "$(jq -r '.build_number' "$rec")" 11669 "build number"
like "$(jq -r '.run_id' "$rec")" '^[0-9a-f-]{36}$' "a uuid run id"
is "$(jq -r '(.pp512.samples | add / length) - .pp512.mean | fabs < 1e-6' "$rec")" true \
	"pp512 mean is the mean of its samples"
is "$(jq -r '(.tg128.samples | add / length) - .tg128.mean | fabs < 1e-6' "$rec")" true \
	"tg128 mean is the mean of its samples"
is "$(jq -r '.warmup.discarded' "$rec")" true "the warmup is kept, marked discarded"
is "$(jq -r '.stale' "$rec")" false "not stale"
for k in started_at finished_at lineage model model_path model_bytes host tbx_version image_ref image_id container_id; do
	check "record has $k" jqe "has(\"$k\")" "$rec"
done

# --- the dry run
run tbx bench --dry-run rocm72 tiny -- -r 2
is "$rc" 0 "--dry-run"
like "$out" "container: llama-rocm-7\.2" "names the container"
like "$out" "command: llama-bench -m $TB_MODELS/tiny.gguf --n-gpu-layers 99 -p 512 -n 128 -o jsonl -r 2" \
	"and the exact command with the extra arguments"
is "$(nrec)" 1 "--dry-run records nothing"

# --- extra arguments are recorded
run tbx bench rocm72 tiny -- -r 2
is "$rc" 0 "bench with extra arguments"
rec=$(ls -t "$results"/*.json | head -1)
is "$(jq -r '.extra_args | join(" ")' "$rec")" "-r 2" "extra arguments recorded"
is "$(jq -r '.pp512.samples | length' "$rec")" 2 "and used (-r 2: two samples)"
like "$out" "first result for this configuration" \
	"other arguments: never compared with the canonical run"

# --- model paths with spaces and shell metacharacters: argv, never a shell
weird="$TB_MODELS/we ird \$(touch pwned) 'q' ; x.gguf"
cp "$TB_MODELS/tiny.gguf" "$weird"
run tbx bench rocm72 "$weird"
is "$rc" 0 "a model path with spaces, quotes and \$(...) works"
rec=$(ls -t "$results"/*.json | head -1)
is "$(jq -r .model_path "$rec")" "$weird" "recorded verbatim"
check "nothing was interpreted by a shell" test ! -e pwned
run podman exec llama-rocm-7.2 ls /pwned
check "not inside the container either" test "$rc" -ne 0
rm -f "$weird"

# --- bad input, before anything starts
run tbx bench rocm73 tiny
is "$rc" 2 "unknown backend: exit 2"
like "$err" "unknown backend 'rocm73' \(did you mean 'rocm72'" "closest match suggested"
run tbx bench rocm72 tinyy
is "$rc" 2 "unknown model: exit 2"
like "$err" "unknown model 'tinyy' \(did you mean 'tiny'" "closest model suggested"
run tbx bench rocm72 "$TB_MODELS/missing.gguf"
is "$rc" 1 "missing model file: exit 1"
like "$err" "missing.gguf.*No such file" "names the file"
run tbx bench rocm72 /etc/hostname
like "$err" "outside the models root" "a model outside the models root is refused"
mkdir -p "$TB_MODELS/split"
cp "$TB_MODELS/tiny.gguf" "$TB_MODELS/split/m-00001-of-00002.gguf"
run tbx bench rocm72 "$TB_MODELS/split/m-00001-of-00002.gguf"
is "$rc" 1 "a split model with a shard missing: exit 1"
like "$err" "m-00002-of-00002.gguf" "names the missing shard"
run tbx bench rocm72 "$TB_MODELS/split"
like "$err" "is a directory" "a directory is refused"
rm -rf "$TB_MODELS/split"
run tbx bench rocm72
is "$rc" 2 "missing MODEL: usage error"

# --- llama-bench failing records nothing
n=$(nrec)
printf 'not a gguf file' >"$TB_MODELS/broken.gguf"
run tbx bench rocm72 "$TB_MODELS/broken.gguf"
is "$rc" 1 "llama-bench failing on a broken model: exit 1"
like "$err" "llama-bench (failed|died)" "says llama-bench failed"
is "$(nrec)" "$n" "nothing recorded"
rm -f "$TB_MODELS/broken.gguf"
run tbx bench rocm72 tiny -- --no-such-option
is "$rc" 1 "a bad llama-bench argument: exit 1"
is "$(nrec)" "$n" "nothing recorded"

# --- an upstream rebuild makes bench refuse until refreshed
"$TESTBED" rebuild "$TB_DIR" rocm-7.2 >/dev/null 2>&1
run tbx bench rocm72 tiny
is "$rc" 3 "bench refuses a stale container: exit 3"
like "$err" "refused: rocm-7\.2 is stale: image rebuilt upstream" "with the reason"
like "$err" "tbx refresh rocm-7\.2" "and the command that fixes it"
is "$(nrec)" "$n" "nothing recorded"
run tbx bench --allow-stale rocm72 tiny
is "$rc" 0 "--allow-stale runs anyway"
rec=$(ls -t "$results"/*.json | head -1)
is "$(jq -r .stale "$rec")" true "and records stale: true"
like "$(jq -r .stale_reason "$rec")" "rebuilt upstream" "with the reason"
run tbx refresh rocm72
run tbx bench rocm72 tiny
is "$rc" 0 "after refresh, bench runs"
n=$(nrec)

# --- the device check: lavapipe is what the Vulkan definition expects
run tbx bench vulkan-radv tiny -- -r 1
is "$rc" 0 "vulkan bench on lavapipe"
rec=$(ls -t "$results"/*.json | head -1)
like "$(jq -r .device "$rec")" "ggml_vulkan: 0 = llvmpipe" "the device line is recorded"
n=$(nrec)
# an expect that does not match (AMDVLK expected, lavapipe seen)
jq '.expect.device = "AMD open-source driver"' "$TBX_HOME/containers/vulkan-radv.json" >"$T/d"
cp "$TBX_HOME/containers/vulkan-radv.json" "$T/vulkan-radv.json.orig"
mv "$T/d" "$TBX_HOME/containers/vulkan-radv.json"
run tbx bench vulkan-radv tiny -- -r 1
is "$rc" 3 "an expect that does not match: exit 3"
like "$err" "refused: vulkan-radv expects device 'AMD open-source driver' but llama-bench showed .*llvmpipe" \
	"shows what was seen"
is "$(nrec)" "$n" "nothing recorded"
# a forced ICD with no device behind it: silent CPU fallback, caught
jq '.env.VK_ICD_FILENAMES = "/usr/share/vulkan/icd.d/radeon_icd.x86_64.json" | .expect.device = "llvmpipe"' \
	"$T/vulkan-radv.json.orig" >"$TBX_HOME/containers/vulkan-radv.json"
run tbx refresh vulkan-radv
is "$rc" 0 "refresh after the definition change"
run tbx bench vulkan-radv tiny -- -r 1
is "$rc" 3 "a forced ICD with no device: exit 3"
like "$err" "no device line" "says no device was seen"
is "$(nrec)" "$n" "nothing recorded"
cp "$T/vulkan-radv.json.orig" "$TBX_HOME/containers/vulkan-radv.json"
run tbx refresh vulkan-radv

# --- two benches never overlap; --no-wait names the holder
"$TBX_BIN" --url "$TB_URL" bench vulkan-radv tiny -- -r 3 >"$T/b1" 2>&1 &
p1=$!
sleep 1
run tbx bench --no-wait rocm72 tiny
is "$rc" 1 "--no-wait while another bench runs: exit 1"
like "$err" "busy: pid $p1: tbx bench vulkan-radv tiny" "names who holds the lock"
"$TBX_BIN" --url "$TB_URL" bench rocm72 tiny >"$T/b2" 2>&1 &
p2=$!
wait $p1
r1=$?
wait $p2
r2=$?
is "$r1 $r2" "0 0" "both benches succeed"
like "$(cat "$T/b2")" "waiting for pid $p1" "the second waited for the first"
r1f=$(ls -t "$results"/*vulkan-radv*.json | head -1)
r2f=$(ls -t "$results"/*rocm-7.2*.json | head -1)
check "the runs did not overlap" test "$(jq -r .finished_at "$r1f")" \< "$(jq -r .started_at "$r2f")" -o \
	"$(jq -r .finished_at "$r1f")" = "$(jq -r .started_at "$r2f")"

# --- Ctrl-C stops llama-bench inside the container too
n=$(nrec)
"$TBX_BIN" --url "$TB_URL" bench vulkan-radv tiny -- -r 20 >"$T/b3" 2>&1 &
p3=$!
for _ in $(seq 50); do
	podman exec llama-vulkan-radv sh -c 'ps -eo comm' 2>/dev/null | grep -q llama-bench && break
	sleep 0.2
done
kill -INT $p3
wait $p3
is "$?" 130 "SIGINT: exit 130"
sleep 0.5
run podman exec llama-vulkan-radv sh -c 'ps -eo comm | grep -c llama-bench'
is "$out" 0 "no llama-bench left in the container"
is "$(nrec)" "$n" "nothing recorded"
"$TBX_BIN" --url "$TB_URL" bench rocm72 tiny -- -r 50 >"$T/b4" 2>&1 &
p4=$!
sleep 0.3
kill -TERM $p4
wait $p4
r=$?
check "SIGTERM: exit 143 (or done before the signal)" test "$r" = 143 -o "$r" = 0

# --- a native backend: the host binary with the definition's env
mkdir -p "$T/bin"
cat >"$T/bin/llama-bench" <<'SH'
#!/bin/sh
# stands in for a host build: runs the real llama-bench of the test bed
[ "$ROCBLAS_USE_HIPBLASLT" = 1 ] || { echo "env not passed" >&2; exit 9; }
exec podman exec llama-rocm-7.2 llama-bench "$@"
SH
chmod +x "$T/bin/llama-bench"
cat >"$TBX_HOME/containers/hip-local.json" <<JSON
{"kind": "native", "bench": ["$T/bin/llama-bench"], "env": {"ROCBLAS_USE_HIPBLASLT": "1"},
 "expect": {"backend": "CPU"}}
JSON
run tbx bench hip-local tiny
is "$rc" 0 "a native backend benches with the host binary"
rec=$(ls -t "$results"/*hip-local*.json | head -1)
is "$(jq -r .binary_path "$rec")" "$T/bin/llama-bench" "records the binary path"
is "$(jq -r .binary_sha256 "$rec")" "sha256:$(sha256sum "$T/bin/llama-bench" | cut -c1-64)" "and its sha256"
is "$(jq -r '.image_digest, .container_id' "$rec" | tr '\n' ' ')" "null null " "and no image"
cat >"$TBX_HOME/containers/vulkan-native.json" <<JSON
{"kind": "native", "bench": ["$T/bin/llama-bench"],
 "env": {"VK_ICD_FILENAMES": "/nonexistent/radeon_icd.x86_64.json", "VK_LOADER_LAYERS_DISABLE": "all"}}
JSON
run tbx bench vulkan-native tiny
is "$rc" 3 "a forced ICD file that does not exist: exit 3"
like "$err" "forces the Vulkan ICD '/nonexistent/radeon_icd.x86_64.json', which does not exist" "names it"
rm -f "$TBX_HOME/containers/vulkan-native.json" "$TBX_HOME/containers/hip-local.json"

# --- results lists them
run tbx results --backend rocm72
is "$rc" 0 "tbx results --backend rocm72"
like "$out" "rocm-7\.2" "lists the records"

done_testing
