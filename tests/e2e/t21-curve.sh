#!/bin/bash
# tbx curve on the real test bed (the tiny model, small depths): a record
# with every point of both series; the calibration choosing a micro-batch,
# storing it and the next curve reusing it; the load flag probed once per
# image (and -mmp 0 for a build without --load-mode); the device check;
# Ctrl-C and kill -9
# mid-curve leave no record, no temp file and no llama-bench; a depth that
# cannot get its context gives a partial record and exit 1.
. "$(dirname "$0")/lib.sh"
reset_containers
ensure_tags
results=$TBX_HOME/results
nrec() { find "$results" -name '*.json' 2>/dev/null | wc -l; }
newest() { ls -t "$results"/*.json | head -1; }
lb_running() { # CONTAINER -> number of llama-bench processes in it
	podman exec "$1" sh -c 'ps -eo comm | grep -c llama-bench; true' 2>/dev/null
}
wait_prefill() { # OUTPUT-FILE: until the curve's prefill series runs (at most 30 s)
	for _ in $(seq 150); do
		grep -q "prefill series" "$1" && [ "$(lb_running llama-rocm-7.2)" -gt 0 ] && return
		sleep 0.2
	done
}

run tbx refresh rocm72
is "$rc" 0 "refresh the backend under test"

# --- usage errors, before anything runs
run tbx curve --depths 0,,256 rocm72 tiny
is "$rc" 2 "--depths with an empty item: exit 2"
like "$err" "bad depth list '0,,256'" "names the list"
run tbx curve --depths 0,x rocm72 tiny
is "$rc" 2 "--depths with a word: exit 2"
like "$err" "bad depth 'x'" "names the item"
run tbx curve --depths 0,256,0 rocm72 tiny
like "$err" "depth 0 is given twice" "a repeated depth is refused"
run tbx curve --calibrate --ubatch 512 rocm72 tiny
is "$rc" 2 "--calibrate with --ubatch: exit 2"
run tbx curve --cooldown -1 rocm72 tiny
is "$rc" 2 "a negative cooldown: exit 2"
run tbx curve rocm73 tiny
is "$rc" 2 "unknown backend: exit 2"
is "$(nrec)" 0 "nothing recorded"

# --- the dry run shows both commands
run tbx curve --dry-run --depths 0,256 --ubatch 256 rocm72 tiny
is "$rc" 0 "--dry-run"
like "$out" "prefill: llama-bench -m $TB_MODELS/tiny.gguf -ngl 99 --load-mode none -fa 1 -p 2048 -n 0 -d 0,256 -b 2048 -ub 256 -r 3 -o jsonl" \
	"the prefill command"
like "$out" "generation: llama-bench .* -p 0 -n 128 -d 0,256 .*-ub 256 -r 3 -o jsonl" "the generation command"

# --- a curve: one record, every point, the settings asked for
run tbx curve --depths 0,256,512 --repetitions 2 --cooldown 1 rocm72 tiny
is "$rc" 0 "tbx curve rocm72 tiny"
like "$out" "tiny on rocm-7\.2: depth curve" "prints a result block"
like "$out" "d512 +[0-9.]+ ± [0-9.]+ t/s +\(2 samples\)" "with a line per depth"
like "$err" "no calibration stored for tiny.gguf: -ub 512" "says the micro-batch is the default"
like "$err" "cooling down 1s" "pauses between the series"
is "$(nrec)" 1 "one record for the whole curve"
rec=$(newest)
is "$(jq -r .run_kind "$rec")" curve "run_kind curve"
is "$(jq -r '.curve.depths | join(",")' "$rec")" "0,256,512" "the depths asked for"
is "$(jq -r '[.curve.prefill.points[].depth] | join(",")' "$rec")" "0,256,512" "every prefill point"
is "$(jq -r '[.curve.generation.points[].depth] | join(",")' "$rec")" "0,256,512" "every generation point"
is "$(jq -r '[.curve.prefill.points[], .curve.generation.points[] | .samples | length] | unique | join(",")' "$rec")" 2 \
	"two samples each (--repetitions 2)"
is "$(jq -r '[.curve.prefill.points[], .curve.generation.points[] | ((.samples | add / length) - .mean | fabs < 1e-6)] | all' "$rec")" true \
	"each mean is the mean of its samples"
is "$(jq -r '.curve.prefill.n_prompt, .curve.prefill.n_gen, .curve.generation.n_prompt, .curve.generation.n_gen' "$rec" | tr '\n' ' ')" \
	"2048 0 0 128 " "prefill -p 2048 -n 0, generation -p 0 -n 128"
is "$(jq -r '.curve.ubatch, .curve.ubatch_from, .curve.repetitions, .curve.cooldown_s, .curve.load_flag, .curve.partial' "$rec" | tr '\n' ' ')" \
	"512 default 2 1 --load-mode none false " "ubatch, its origin, repetitions, cooldown, load flag, not partial"
is "$(jq -r '.curve.prefill.command | join(" ")' "$rec")" \
	"llama-bench -m $TB_MODELS/tiny.gguf -ngl 99 --load-mode none -fa 1 -p 2048 -n 0 -d 0,256,512 -b 2048 -ub 512 -r 2 -o jsonl" \
	"the prefill series is one llama-bench run over every depth"
is "$(jq -r '.command == .curve.prefill.command' "$rec")" true "command is the prefill series'"
is "$(jq -r .image_digest "$rec")" "$("$TESTBED" digest "$TB_DIR" rocm-7.2)" "the digest is the registry's"
is "$(jq -r '.build_number, .settings.n_ubatch, .settings.flash_attn' "$rec" | tr '\n' ' ')" "11669 512 1 " \
	"build and the effective settings llama-bench printed"
is "$(jq -r '.curve.warmup.samples | length' "$rec")" 1 "the discarded warmup is kept"
is "$(jq -r '.pp512, .tg128' "$rec" | tr '\n' ' ')" "null null " "no pp512/tg128 in a curve"
check "the host state is recorded" jqe '.host | has("state_read")' "$rec"
is "$(jq -r .config_key "$rec")" "curve|rocm-7.2|tiny.gguf|$(stat -c %s "$TB_MODELS/tiny.gguf")|" "the configuration key"
image_id=$(podman inspect --format '{{.Image}}' llama-rocm-7.2)
is "$(jq -r --arg k "${image_id#sha256:}" '.load_flag[$k]' "$TBX_HOME/cache/llama-bench-flags.json")" "--load-mode none" \
	"the load flag is cached by image ID"
run tbx results --backend rocm72
is "$rc" 0 "tbx results lists the curve"

# --- the device check, as for bench (a CPU build has no device line)
cp "$TBX_HOME/containers/rocm-7.2.json" "$T/rocm-7.2.json.orig"
jq '.expect.device = "gfx1151"' "$T/rocm-7.2.json.orig" >"$TBX_HOME/containers/rocm-7.2.json"
run tbx refresh rocm72
n=$(nrec)
run tbx curve --depths 0 --repetitions 1 --cooldown 0 rocm72 tiny
is "$rc" 3 "a device that does not match: exit 3"
like "$err" "refused: rocm-7\.2 expects device 'gfx1151' but llama-bench showed .*no device line" \
	"shows what was seen"
is "$(nrec)" "$n" "nothing recorded"
cp "$T/rocm-7.2.json.orig" "$TBX_HOME/containers/rocm-7.2.json"
run tbx refresh rocm72

# --- calibration: four micro-batches at the first depth, the fastest kept and reused
run tbx curve --calibrate --depths 0 --repetitions 1 --cooldown 0 rocm72 tiny
is "$rc" 0 "tbx curve --calibrate"
for ub in 256 512 1024 2048; do
	like "$err" "calibration: -ub $ub at depth 0" "tries -ub $ub"
done
rec=$(newest)
chosen=$(jq -r '.calibrations["rocm-7.2"]["tiny.gguf"].ubatch' "$TBX_HOME/calibrations.json")
like "$chosen" '^(256|512|1024|2048)$' "the choice is stored in calibrations.json"
is "$(jq -r '.curve.calibration.candidates | length' "$rec")" 4 "the record keeps the four candidates"
best=$(jq -r '.curve.calibration.candidates | max_by(.mean) | .ubatch' "$rec")
is "$chosen" "$best" "the fastest prefill wins"
is "$(jq -r '.curve.ubatch, .curve.ubatch_from, .settings.n_ubatch' "$rec" | tr '\n' ' ')" "$chosen calibration $chosen " \
	"the curve ran with it"
run tbx curve --depths 0 --repetitions 1 --cooldown 0 rocm72 tiny
is "$rc" 0 "the next curve"
like "$err" "-ub $chosen, calibrated 20" "reuses the stored calibration"
is "$(jq -r '.curve.ubatch, .curve.ubatch_from, .curve.calibration' "$(newest)" | tr '\n' ' ')" "$chosen calibration null " \
	"and says so in the record"

# --- a build without --load-mode gets -mmp 0 (its --help is asked once)
mkdir -p "$T/bin"
cat >"$T/bin/llama-bench" <<'SH'
#!/bin/sh
# an older build: its --help without --load-mode, and it takes -mmp 0 (the
# test bed's build no longer does: it becomes --load-mode none here)
case " $* " in *" --help "*) echo probed >>"$(dirname "$0")/probes"
	podman exec llama-rocm-7.2 llama-bench --help 2>&1 | grep -v -e '--load-mode'; exit 0 ;; esac
echo "$*" >>"$(dirname "$0")/argv"
for a; do
	shift
	case "$a" in -mmp) set -- "$@" --load-mode ;; *) set -- "$@" "$a" ;; esac
done
for a; do
	shift
	case "$prev" in --load-mode) [ "$a" = 0 ] && a=none ;; esac
	set -- "$@" "$a"
	prev=$a
done
exec podman exec llama-rocm-7.2 llama-bench "$@"
SH
chmod +x "$T/bin/llama-bench"
cat >"$TBX_HOME/containers/old-build.json" <<JSON
{"kind": "native", "bench": ["$T/bin/llama-bench"], "expect": {"backend": "CPU"}}
JSON
run tbx curve --depths 0 --repetitions 1 --cooldown 0 old-build tiny
is "$rc" 0 "a curve with a build that lacks --load-mode"
is "$(jq -r .curve.load_flag "$(newest)")" "-mmp 0" "uses -mmp 0"
like "$(jq -r '.curve.generation.command | join(" ")' "$(newest)")" " -ngl 99 -mmp 0 -fa 1 " "in both series"
like "$(tail -1 "$T/bin/argv")" "-ngl 99 -mmp 0 -fa 1 -p 0 -n 128" "as llama-bench was given"
run tbx curve --depths 0 --repetitions 1 --cooldown 0 old-build tiny
is "$(wc -l <"$T/bin/probes")" 1 "--help is asked once (cached by the binary's hash)"

# --- a depth whose context cannot be allocated: partial record, exit 1
cat >"$T/bin/llama-bench" <<'SH'
#!/bin/sh
# the test bed's llama-bench with 2 GB of address space: a 5 GB KV cache fails
exec podman exec llama-rocm-7.2 sh -c 'ulimit -v 2000000; exec llama-bench "$@"' sh "$@"
SH
n=$(nrec)
run tbx curve --depths 0,10000000 --repetitions 1 --cooldown 0 old-build tiny
is "$rc" 1 "a failing depth: exit 1"
like "$err" "prefill series stopped after 1 of 2 depths: .*failed to create context" "says where and why"
like "$err" "the curve is partial \(recorded, marked partial\)" "and that the record is partial"
is "$(nrec)" $((n + 1)) "the finished points are recorded"
rec=$(newest)
is "$(jq -r '.curve.partial, .curve.prefill.partial, .curve.generation.partial' "$rec" | tr '\n' ' ')" "true true true " \
	"marked partial"
is "$(jq -r '([.curve.prefill.points[].depth] | join(",")), ([.curve.generation.points[].depth] | join(","))' "$rec" | tr '\n' ' ')" \
	"0 0 " "with the points it finished"
like "$(jq -r .curve.prefill.error "$rec")" "failed to create context" "and the reason per series"
is "$(jq -r .status "$rec")" ok "the points are results (status ok)"
rm -f "$TBX_HOME/containers/old-build.json"

# --- Ctrl-C mid-curve: llama-bench stopped, nothing recorded, nothing half-written
n=$(nrec)
"$TBX_BIN" --url "$TB_URL" curve --depths 0,256,512 --repetitions 30 --cooldown 0 rocm72 tiny >"$T/c1" 2>&1 &
p=$!
wait_prefill "$T/c1"
kill -INT $p
wait $p
is "$?" 130 "SIGINT mid-curve: exit 130"
like "$(cat "$T/c1")" "interrupted" "says so"
sleep 0.5
is "$(lb_running llama-rocm-7.2)" 0 "no llama-bench left in the container"
is "$(nrec)" "$n" "nothing recorded"
is "$(find "$results" -name '.*' -type f | wc -l)" 0 "no temporary file in results/"

# --- kill -9 mid-curve: the lifeline stops llama-bench; the lock is free again
"$TBX_BIN" --url "$TB_URL" curve --depths 0,256,512 --repetitions 30 --cooldown 0 rocm72 tiny >"$T/c2" 2>&1 &
p=$!
wait_prefill "$T/c2"
kill -9 $p
wait $p 2>/dev/null
for _ in $(seq 50); do
	[ "$(lb_running llama-rocm-7.2)" = 0 ] && break
	sleep 0.2
done
is "$(lb_running llama-rocm-7.2)" 0 "kill -9: llama-bench stopped by the lifeline"
is "$(nrec)" "$n" "nothing recorded"
is "$(find "$results" -name '.*' -type f | wc -l)" 0 "no temporary file in results/"
run tbx curve --no-wait --depths 0 --repetitions 1 --cooldown 0 rocm72 tiny
is "$rc" 0 "the run lock is free again"

# --- scripts/run-curve.sh: the seed's style, options after the model
n=$(nrec)
run env CONTAINER_HOST="$TB_URL" "$REPO/scripts/run-curve.sh" rocm72 tiny --depths 0 --repetitions 1 --cooldown 0
is "$rc" 0 "run-curve.sh BACKEND MODEL OPTIONS"
is "$(nrec)" $((n + 1)) "records one curve"
run "$REPO/scripts/run-curve.sh" rocm72
is "$rc" 2 "run-curve.sh with one argument exits 2"
like "$err" "usage: run-curve.sh BACKEND MODEL" "and prints the usage"

done_testing
