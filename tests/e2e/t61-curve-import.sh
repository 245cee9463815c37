#!/bin/bash
# tbx import of upstream's real depth-curve campaigns
# (tests/fixtures/upstream-curves): one curve record per model and
# toolbox, every point the file's; importing again skips them; an export
# imported into a second home gives the same record files; one series
# file alone; a folder with a broken manifest imports nothing; the report
# writes DEPTH-CURVES.md, well-formed depth charts and the matrix's "at
# 32k" columns, escapes a hostile model name, and flags a slower curve per
# depth.  Needs no container.
. "$(dirname "$0")/lib.sh"

CAMP=$REPO/tests/fixtures/upstream-curves
results=$TBX_HOME/results
nrec() { find "$1" -name '*.json' 2>/dev/null | wc -l; }
make_home() { # DIR
	mkdir -p "$1/containers" "$1/manifests"
	cp "$REPO"/tests/e2e/defs/containers/*.json "$1/containers/"
	cp "$TBX_HOME/manifests/models.json" "$1/manifests/"
}

run tbx import "$CAMP/rocm-7.2.4" "$CAMP/vulkan-radv"
is "$rc" 0 "import of two campaign folders"
is "$(nrec "$results")" 10 "one record per model and toolbox (5 + 5)"
like "$out" "imported .*rocm-7\.2\.4: curve Qwen3\.6-27B-UD-Q8_K_XL on rocm-7\.2\.4: 9 prefill and 9 generation points" \
	"one line per curve"
rec=$(grep -l '"model": "Qwen3.6-27B-UD-Q8_K_XL"' "$results"/*rocm-7.2.4*.json)
f=$CAMP/rocm-7.2.4/Qwen3.6-27B-UD-Q8_K_XL__llama-rocm-7.2.4__curve-prefill__fa1__ub512.jsonl
is "$(jq -r '[.curve.prefill.points[].depth] | join(",")' "$rec")" "$(jq -r .n_depth "$f" | paste -sd,)" \
	"the prefill points are the file's depths"
is "$(jq -r '[.curve.prefill.points[].mean * 1e4 | round] | join(",")' "$rec")" \
	"$(jq -r '.avg_ts * 1e4 | round' "$f" | paste -sd,)" "with the file's avg_ts"
is "$(jq -r '.run_kind, .imported, .curve.ubatch, .curve.ubatch_from, .curve.load_flag, .curve.cooldown_s' "$rec" | tr '\n' ' ')" \
	"curve true 512 file name -mmp 0 10 " "kind, micro-batch from the name, load flag from the manifest's command"
is "$(jq -r .image_digest "$rec")" "$(sed -n 's/^image_digest: //p' "$CAMP/rocm-7.2.4/run_metadata.txt")" \
	"the digest run_metadata.txt names"
is "$(jq -r '.curve.campaign.id, .curve.campaign.prefill.status' "$rec" | tr '\n' ' ')" \
	"20260806T175651Z-rocm-7.2.4-evidence reused-calibration " "the campaign and its statuses"
is "$(jq -r '.curve.calibration.ubatch' "$rec")" 512 "the calibration's choice"
like "$(jq -r .device "$rec")" "gfx1151" "the device line from the stderr log"
run tbx import "$CAMP/rocm-7.2.4"
is "$rc" 0 "importing again"
like "$out" "skipped .*already imported" "skips what is there"
is "$(nrec "$results")" 10 "nothing added"

# --- export, import into a second home: the same record files
run tbx export -o "$T/bundle.tar.gz"
is "$rc" 0 "export"
H2=$T/home2
make_home "$H2"
run env TBX_HOME="$H2" "$TBX_BIN" import "$T/bundle.tar.gz"
is "$rc" 0 "import of the bundle"
check "the same record files, byte for byte" diff -r "$results" "$H2/results"

# --- one series file alone
H3=$T/home3
make_home "$H3"
run env TBX_HOME="$H3" "$TBX_BIN" import "$f"
is "$rc" 0 "one series file"
r3=$(ls "$H3"/results/*.json)
is "$(jq -r '(.curve.prefill.points | length), .curve.generation' "$r3" | tr '\n' ' ')" "9 null " \
	"a curve with that series only"
like "$out" "curve Qwen3\.6-27B-UD-Q8_K_XL on rocm-7\.2\.4: 9 prefill and 0 generation points" "said so"

# --- a broken manifest: nothing imported
H4=$T/home4
make_home "$H4"
cp -r "$CAMP/vulkan-radv" "$T/broken"
echo '{"statuses": 3}' >"$T/broken/campaign_manifest.json"
run env TBX_HOME="$H4" "$TBX_BIN" import "$T/broken"
is "$rc" 1 "a broken manifest: exit 1"
like "$err" "campaign_manifest.json: statuses is not an array" "names the file and the fault"
is "$(nrec "$H4/results")" 0 "nothing imported"

# --- the report
run tbx report -o "$T/rep"
is "$rc" 0 "tbx report with curves"
check "DEPTH-CURVES.md is written" test -s "$T/rep/DEPTH-CURVES.md"
like "$(cat "$T/rep/DEPTH-CURVES.md")" "\| 32768 \| [0-9.]+ ± [0-9.]+ \|" "a row per depth"
like "$(cat "$T/rep/REBENCH-MATRIX-"*.md)" "At 32k context" "the matrix has the at-32k columns"
n_svg=$(find "$T/rep/charts" -name 'curve-*.svg' | wc -l)
is "$n_svg" 5 "a depth chart per model"
check "the charts are well-formed XML" xmllint --noout "$T/rep/charts/"curve-*.svg

# --- a hostile model name is escaped; a slower curve is flagged per depth
evil='Q<script>alert(1)<_script>|*x*'
cp "$f" "$T/$evil""__llama-rocm-7.2.4__curve-prefill__fa1__ub512.jsonl"
run tbx import "$T/$evil""__llama-rocm-7.2.4__curve-prefill__fa1__ub512.jsonl"
is "$rc" 0 "a file with a hostile model name imports"
slow=$T/slow.json
jq '.run_id = "00000000-0000-4000-8000-000000000001" | .started_at = "2026-09-01T00:00:00Z"
	| .build_number = 99999 | .source_sha256 = null
	| .curve.prefill.points |= map(if .depth == 32768 then (.samples |= map(. * 0.8)) | .mean *= 0.8 else . end)' \
	"$rec" >"$slow"
cp "$slow" "$results/20260901T000000Z-rocm-7.2.4-slow-00000000-0000-4000-8000-000000000001.json"
run tbx report --check -o "$T/rep2"
is "$rc" 1 "report --check: a regression"
like "$out$err" "REGRESSION: Qwen3\.6-27B-UD-Q8_K_XL on rocm-7\.2\.4: prefill at 32k -20\.0% after build 10217 -> 99999" \
	"flagged at its depth, with what changed"
unlike "$out$err" "prefill at 0 " "not at the depths that did not change"
md=$(cat "$T/rep2/DEPTH-CURVES.md")
like "$md" "\*\*REGRESSION\*\* prefill at 32k -20\.0%" "DEPTH-CURVES.md says it"
unlike "$md" "<script>" "no raw markup from a model name in Markdown"
check "every chart is well-formed XML" xmllint --noout "$T/rep2/charts/"curve-*.svg
unlike "$(cat "$T/rep2/charts/"curve-*.svg)" "<script>" "no raw markup in the charts"

done_testing
