#!/bin/bash
# tbx report and tbx results on the hand-written records of
# tests/fixtures/records (no container is run): the files, the key numbers,
# --check's exit codes, --print, determinism, a corrupt record named and
# skipped, the results table and its filters.
. "$(dirname "$0")/lib.sh"

R=$TBX_HOME/results
mkdir -p "$R"
cp "$REPO"/tests/fixtures/records/*.json "$R/"
QWEN=Qwen3.6-35B-A3B-UD-Q4_K_XL
GLM=GLM-4.7-Flash-UD-Q8_K_XL

# ---- report ----
run tbx report -o "$T/r" --date 2026-05-20
is "$rc" 0 "report exits 0"
like "$err" "wrote $T/r/REBENCH-MATRIX-2026-05-20.md" "says what it wrote"
M=$T/r/REBENCH-MATRIX-2026-05-20.md
check "matrix written" test -s "$M"
check "history written" test -s "$T/r/BENCHMARKS.md"
check "a chart per model ($QWEN)" test -s "$T/r/charts/$QWEN.svg"
check "a chart per model ($GLM)" test -s "$T/r/charts/$GLM.svg"
matrix=$(cat "$M")
history=$(cat "$T/r/BENCHMARKS.md")
chart=$(cat "$T/r/charts/$QWEN.svg")

like "$matrix" "^# Rebench matrix 2026-05-20" "matrix titled with the date"
like "$matrix" "\| $QWEN \| \*\*1148\.00 ± 44\.38\*\*<br><sub>sha256:9513efa92889 · b9193</sub>" \
	"fastest pp512 in bold, with its digest and build"
like "$matrix" "1120\.00 ± 2\.24 \(-2\.4%\)" "difference from the baseline vulkan-radv"
like "$matrix" "51\.52 ± 0\.06 \(-14\.7%\)<br>\*\*▼ -8\.0% regression\*\*" "regression flagged in the cell"
like "$matrix" "failed\[\^1\]<br><sub>sha256:a8ccfee453b8 · b9193</sub>" "a failed run shows as failed"
like "$matrix" "\[\^1\]: $GLM on rocm-7\.2, 2026-05-16 06:00 UTC .*HIP error: out of memory" \
	"its error in a footnote"
like "$matrix" "## Separate lineage: lemonade" "lemonade kept apart"
like "$matrix" "\| $GLM \(arguments unknown\) \| 950\.00 ± 1\.58<br><sub>imported · b1189</sub>" \
	"an imported run: arguments unknown, a row of its own, never compared with tbx's runs"
like "$matrix" "9 runs of 2 models in 3 configurations" "rows are configurations"
like "$matrix" "\*\*REGRESSION\*\* $QWEN on rocm-7\.2: tg128 -8\.0% after image sha256:587be1cc62ac -> sha256:a8ccfee453b8, build 9187 -> 9193" \
	"the regression spelled out"
unlike "$matrix" "improvement" "noise (+3.6% on a noisy pp512) is not flagged"
unlike "$matrix" "2000\.00|2026-05-21" "a run after the date does not count"

like "$history" "## $GLM" "history: a section per model"
like "$history" "!\[pp512 and tg128 of $QWEN over time\]\(charts/$QWEN\.svg\)" "history links the chart"
like "$history" "\| 2026-05-16 03:00 \| rocm-7\.2 \| sha256:a8ccfee453b8 \| b9193 \(1a68ec937\) \| 1120\.00 ± 2\.24 \| 51\.52 ± 0\.06 \| pp512 \+0\.0%, tg128 -8\.0%<br>\*\*REGRESSION: tg128 -8\.0%" \
	"history: change against the previous run, flagged"
like "$history" "\| 2026-05-16 02:00 \| vulkan-radv .* \| pp512 \+3\.6%, tg128 \+0\.0% \|" \
	"history: noise shown, not flagged"
newest=$(grep -n "2026-05-16 04:00 | lemonade" "$T/r/BENCHMARKS.md" | cut -d: -f1)
oldest=$(grep -n "2026-05-10 02:00 | vulkan-radv" "$T/r/BENCHMARKS.md" | cut -d: -f1)
check "history: newest first" test "${newest:-0}" -gt 0 -a "${newest:-0}" -lt "${oldest:-0}"

like "$chart" "^<svg xmlns=\"http://www.w3.org/2000/svg\"" "chart is SVG"
like "$chart" ">pp512: prompt processing, 512 tokens \(t/s\)</text>" "chart: pp512 panel with units"
like "$chart" ">tg128: text generation, 128 tokens \(t/s\)</text>" "chart: tg128 panel"
like "$chart" ">2026-05-10</text>" "chart: dates on the axis"
like "$chart" "font-weight=\"bold\">rocm-7\.2</text>" "chart: backend named at its line's end"

# ---- determinism ----
run tbx report -o "$T/r2" --date 2026-05-20
is "$rc" 0 "second report exits 0"
check "same records, byte-identical files" diff -r "$T/r" "$T/r2"

# ---- --check ----
run tbx report --check --date 2026-05-20
is "$rc" 1 "--check: exit 1 on a significant regression"
like "$out" "^REGRESSION: $QWEN on rocm-7\.2: tg128 -8\.0% after image .*; attributed to the image$" \
	"--check prints it, attributed to the image (only the image and its build changed)"
check "--check without -o writes nothing" test ! -e "$TBX_HOME/reports"
run tbx report --check --date 2026-05-15
is "$rc" 0 "--check: exit 0 before the image change"
run tbx report --check --date 2026-05-20 --host elsewhere
is "$rc" 0 "--check --host: another host's runs only"
run tbx report --check -o "$T/r3" --date 2026-05-20 --print
is "$rc" 1 "--check -o: still exit 1"
check "--check -o writes the files" test -s "$T/r3/REBENCH-MATRIX-2026-05-20.md"
like "$out" "^# Rebench matrix 2026-05-20" "--print: the matrix on stdout"
run tbx report --date 2026-05-20 --baseline rocm72
is "$rc" 0 "report into the default directory, baseline by alias"
check "default directory is <home>/reports" test -s "$TBX_HOME/reports/REBENCH-MATRIX-2026-05-20.md"
like "$(cat "$TBX_HOME/reports/REBENCH-MATRIX-2026-05-20.md")" "\| model \| rocm-7\.2 \(baseline\) \| vulkan-radv \|" \
	"--baseline alias resolved to its id"
run tbx report -o "$T/r5"
is "$rc" 0 "report without --date"
check "default date is today (UTC)" test -s "$T/r5/REBENCH-MATRIX-$(date -u +%F).md"
run tbx report --date 2026-02-30
is "$rc" 2 "a bad --date is a usage error"

# ---- a corrupt record ----
printf '{"run_id": "broken", ' >"$R/20260517T000000Z-broken.json"
run tbx report -o "$T/r4" --date 2026-05-20
is "$rc" 0 "a corrupt record is not fatal"
like "$err" "skipping corrupt record .*20260517T000000Z-broken\.json" "the corrupt record is named"
check "the report is unchanged" diff -r "$T/r" "$T/r4"

# ---- results ----
run tbx results
is "$rc" 0 "results exits 0 despite the corrupt record"
like "$err" "20260517T000000Z-broken\.json" "results names the corrupt record"
like "$out" "^DATE +BACKEND +MODEL +DIGEST +BUILD +PP512 \(t/s\) +TG128 \(t/s\) +FLAGS" "results header"
is "$(grep -c '^2026-' "$T/out")" 10 "results: every record"
like "$out" "2026-05-16 06:00 rocm-7\.2 +$GLM +sha256:a8ccfee453b8 b9193 .*FAILED: llama-bench died" "results: failed run"
like "$out" "2026-05-15 04:00 lemonade +$GLM +imported +b1189 +950\.00 ± 1\.58 +38\.00 ± 0\.07" "results: imported run"
like "$out" "2026-05-16 04:00 lemonade +$QWEN +native +b1189" "results: native run"
run tbx results --backend vulkan-container --since 2026-05-12
is "$rc" 0 "results --backend ALIAS --since"
is "$(grep -c '^2026-' "$T/out")" 3 "results: filtered by backend alias and date"
run tbx results --backend deleted-backend
is "$rc" 0 "results: a deleted backend's id is accepted"
like "$err" "no results match" "results: says none match"
run tbx results --model "$GLM" --host strix --json
is "$rc" 0 "results --json"
is "$(grep -c '"run_id"' "$T/out")" 4 "results --json: an object per matching record"
like "$out" "^\[" "results --json: an array"
like "$out" "\"image_digest\": null" "results --json: null digest for imported runs"

# ---- every chart is well-formed XML ----
xml_ok() { # FILE...: xmllint (libxml2-utils) or python3's parser
	if command -v xmllint >/dev/null; then
		xmllint --noout "$@"
	else
		python3 -c 'import sys, xml.dom.minidom as m; [m.parse(f) for f in sys.argv[1:]]' "$@"
	fi
}
check "every chart parses as XML" xml_ok "$T"/r/charts/*.svg

# ---- a FIFO in results/ is skipped with a note, never waited on ----
tbx_to() { timeout 20 "$TBX_BIN" --url "$TB_URL" "$@"; }
mkfifo "$R/20260517T010000Z-fifo.json"
run tbx_to results
is "$rc" 0 "results with a FIFO in results/ exits 0 (no hang)"
like "$err" "skipping .*20260517T010000Z-fifo\.json' is a FIFO, not a regular file" "the FIFO is named"
run tbx_to report -o "$T/r6" --date 2026-05-20
is "$rc" 0 "report with a FIFO in results/ exits 0 (no hang)"
like "$err" "20260517T010000Z-fifo\.json' is a FIFO" "report names it too"
run tbx_to export -o "$T/fifo.tar.gz"
is "$rc" 0 "export with a FIFO in results/ exits 0 (no hang)"
like "$err" "not exporting .*fifo\.json" "export names it"
rm -f "$R/20260517T010000Z-fifo.json" "$R/20260517T000000Z-broken.json"

# ---- hostile record strings: escaped for Markdown and XML ----
cat >"$R/20260518T000000Z-hostile.json" <<'JSON'
{"run_id": "hostile-1", "backend": "vulkan-radv", "started_at": "2026-05-18T00:00:00Z",
 "lineage": "x\n# owned <img src=x onerror=alert(1)>",
 "model": "# m|`<img src=x onerror=alert(1)>`\u0001\ufffe\uffff\u202e",
 "host": {"name": "strix"}, "image_digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
 "build_commit": "*[a](b)|", "status": "failed", "error": "boom\n# heading <script>x</script>",
 "pp512": {"mean": 10, "stddev": 1, "samples": [9, 11]}}
JSON
cat >"$R/20260518T010000Z-baddigest.json" <<'JSON'
{"run_id": "hostile-2", "backend": "vulkan-radv", "started_at": "2026-05-18T01:00:00Z",
 "image_digest": "sha256:<img>|`*[x](y)", "pp512": {"mean": 10}}
JSON
run tbx report -o "$T/rh" --date 2026-05-20
is "$rc" 0 "report over a hostile record exits 0"
like "$err" "skipping corrupt record .*baddigest\.json: 'image_digest' is not a sha256 digest" \
	"a record with a malformed digest is skipped, naming the key"
like "$(cat "$T/rh/BENCHMARKS.md")" "owned" "the hostile record itself is in the report"
hm=$(cat "$T/rh/REBENCH-MATRIX-2026-05-20.md" "$T/rh/BENCHMARKS.md")
unlike "$hm" "<img|<script" "no HTML tag from the data reaches the Markdown"
unlike "$hm" "^#+ *(owned|heading|m)" "no heading from the data"
unlike "$hm" "[^\\]\]\((y|b)\)" "no link from the data (every ] escaped)"
is "$(grep -c '^| .*owned' "$T/rh/REBENCH-MATRIX-2026-05-20.md")" 0 "the lineage stays in its heading"
check "the hostile chart parses as XML too" xml_ok "$T"/rh/charts/*.svg
unlike "$(cat "$T"/rh/charts/*.svg)" "<img|<script" "no tag from the data in the charts"
rm -f "$R/20260518T000000Z-hostile.json" "$R/20260518T010000Z-baddigest.json"

# ---- -o DIR: a symlinked charts/ is refused, nothing written through it ----
mkdir -p "$T/rl" "$T/outside"
ln -s "$T/outside" "$T/rl/charts"
run tbx report -o "$T/rl" --date 2026-05-20
is "$rc" 1 "report refuses a symlinked charts/ in the output directory"
like "$err" "refusing '.*/rl/charts': it is a symbolic link" "and says why"
is "$(find "$T/outside" -type f | wc -l)" 0 "nothing is written through the link"
check "no temporary file is left in the output directory" test -z "$(find "$T/rl" -name '*.tmp.*')"

# ---- the record cache (cache/records.cache): the same output without, cold and warm ----
RC=$TBX_HOME/cache/records.cache
printf '{"run_id": ' >"$R/20260519T000000Z-broken2.json"
sleep 3 # a file changed in the last 2 s is not cached
rm -f "$RC"
run tbx results --json
is "$rc" 0 "results --json, no cache"
plain_out=$out plain_err=$err
like "$err" "skipping corrupt record .*broken2\.json" "the corrupt record is named"
check "the cache is written" test -s "$RC"
is "$(stat -c %a "$RC")" 600 "the cache is private (0600)"
run tbx report -o "$T/rc-cold" --date 2026-05-20
run tbx results --json
is "$out" "$plain_out" "results --json: the same from the cache"
is "$err" "$plain_err" "and the same warnings (corrupt records are never cached)"
run tbx report -o "$T/rc-warm" --date 2026-05-20
check "report: the same files from the cache" diff -r "$T/rc-cold" "$T/rc-warm"
printf 'TBXRECC\ngarbage' >"$RC"
run tbx results --json
is "$out$err" "$plain_out$plain_err" "a corrupt cache is ignored"
unlike "$(head -c 8 "$RC")" "garbage" "and rewritten"
run tbx results --backend rocm-7.2 --json
is "$rc" 0 "a filtered load from the same cache"
like "$out" "rocm-7\.2" "rocm-7.2 runs listed"
unlike "$out" "\"backend\": \"vulkan-radv\"" "and only those"
rm -f "$R/20260519T000000Z-broken2.json" "$RC"

done_testing
