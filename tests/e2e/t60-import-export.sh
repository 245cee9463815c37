#!/bin/bash
# tbx import and export: every real Strix Halo log imports (one failed
# run among them), importing again skips them all, an export imported into
# a second home gives the same results, hostile archives are refused with
# nothing written, usage errors exit 2.  Needs no container.
. "$(dirname "$0")/lib.sh"

FIX=${TBX_FIXTURES_DIR:-$REPO/../shared/fixtures/strix-halo-logs}
[ -d "$FIX/strix-halo-logs" ] && FIX=$FIX/strix-halo-logs
if ! ls "$FIX"/*__*__fa1.log >/dev/null 2>&1; then
	echo "1..0 # SKIP no fixture logs in $FIX"
	exit 0
fi
logs=("$FIX"/*__*__fa1.log)
n=${#logs[@]}
failed_log=Ministral-3-14B-Instruct-2512-BF16__vulkan_amdvlk__fa1.log

# one array of every record file's JSON, sorted by run_id
records() { # HOME OUT
	if ls "$1"/results/*.json >/dev/null 2>&1; then
		jq -s 'sort_by(.run_id)' "$1"/results/*.json >"$2"
	else
		echo '[]' >"$2"
	fi
}
# `tbx results --json` of a home, without the file paths (they differ)
results_of() { # HOME OUT
	TBX_HOME=$1 "$TBX_BIN" results --json >"$2.raw" 2>"$2.err"
	local r=$?
	[ "$r" = 0 ] && jq 'if type == "array" then map(del(.file)) else . end' "$2.raw" >"$2"
	return $r
}
# another home like lib.sh's: the test definitions and models.json
make_home() { # DIR
	mkdir -p "$1/containers" "$1/manifests"
	cp "$REPO"/tests/e2e/defs/containers/*.json "$1/containers/"
	cp "$TBX_HOME/manifests/models.json" "$1/manifests/"
}
count_results() { # HOME
	if [ -d "$1/results" ]; then
		find "$1/results" -type f | wc -l
	else
		echo 0
	fi
}

# --- every log imports
run tbx import --date 2026-05-16 "${logs[@]}"
is "$rc" 0 "importing all $n logs exits 0"
is "$(grep -c '^imported ' "$T/out")" "$((n - 1))" "all but one are successful runs"
is "$(grep -c '^failed run imported ' "$T/out")" 1 "one failed run is imported as such"
like "$out" "failed run imported [^ ]*$failed_log: vulkan-amdvlk .*vk::DeviceLostError.*exit 134" \
	"the failed run shows its error"
like "$out" "imported [^ ]*gpt-oss-20b-mxfp4__vulkan_radv__fa1.log: vulkan-radv gpt-oss-20b-mxfp4, pp512 1692.49, tg128 79.78" \
	"a line per file with backend, model and numbers"
like "$out" "$((n - 1)) imported, 1 failed run imported, 0 skipped, 0 errors" "summary line"
is "$(count_results "$TBX_HOME")" "$n" "one record per log"

records "$TBX_HOME" "$T/a.json"
is "$(jq length "$T/a.json")" "$n" "records parse as JSON"
is "$(jq '[.[] | select(.imported == true)] | length' "$T/a.json")" "$n" "all marked imported"
is "$(jq '[.[] | select(.image_digest != null)] | length' "$T/a.json")" 0 \
	"none pretends to have an image digest"
is "$(jq '[.[] | select(.status == "failed")] | length' "$T/a.json")" 1 "one failed record"
is "$(jq -r '.[] | select(.status == "failed") | .source' "$T/a.json")" "$failed_log" \
	"the failed record names its source"
is "$(jq -r '.[] | select(.model == "gpt-oss-20b-mxfp4" and .backend == "vulkan-radv")
	| "\(.pp512.mean) \(.pp512.stddev) \(.tg128.mean) \(.tg128.stddev) \(.build_commit) \(.build_number) \(.started_at)"' "$T/a.json")" \
	"1692.49 16.61 79.78 0.23 0253fb21f 9187 2026-05-16T00:00:00Z" \
	"gpt-oss-20b on RADV: the log's numbers, build and the given date"
is "$(jq -r '[.[] | select(.source_env == "rocm-7_2_3") | .backend] | unique | join(",")' "$T/a.json")" \
	rocm-7.2 "rocm-7_2_3 logs are rocm-7.2, the env kept as source_env"
is "$(jq -r '[.[] | .model] | unique | map(select(test("-0000[0-9]-of-"))) | length' "$T/a.json")" 0 \
	"shard suffixes are stripped from model names"

# --- again: all skipped, nothing added
run tbx import "${logs[@]}"
is "$rc" 0 "re-importing exits 0"
is "$(grep -c '^skipped .*: already imported' "$T/out")" "$n" "every file is skipped as already imported"
is "$(count_results "$TBX_HOME")" "$n" "no duplicate record"

# --- a file that is not llama-bench output: exit 1, the others still imported
HJ=$T/home-junk
make_home "$HJ"
printf 'nothing to see\n' >"$T/junk__vulkan_radv__fa1.log"
run env TBX_HOME="$HJ" "$TBX_BIN" import "$T/junk__vulkan_radv__fa1.log" \
	"$FIX/llama-2-7b.Q4_0__vulkan_radv__fa1.log" "$T/missing.log"
is "$rc" 1 "an unparsable or missing file makes the exit code 1"
like "$err" "junk__vulkan_radv__fa1.log.*no result rows" "it says which file and why"
like "$err" "cannot open .*missing.log" "a missing file is named"
like "$out" "^imported .*llama-2-7b.Q4_0__vulkan_radv__fa1.log" "the good file is still imported"
is "$(count_results "$HJ")" 1 "only the good file is recorded"

# --- usage errors
run tbx import
is "$rc" 2 "import without a file is a usage error"
run tbx import --backend no-such-backend "$T/junk__vulkan_radv__fa1.log"
is "$rc" 2 "an unknown --backend is a usage error"
run tbx import --date yesterday-ish "${logs[0]}"
is "$rc" 2 "a bad --date is a usage error"
run tbx export
is "$rc" 2 "export without -o is a usage error"

# --- export, then import into a second home
echo '<p>a report</p>' >"$T/report.html"
mkdir -p "$TBX_HOME/reports" && cp "$T/report.html" "$TBX_HOME/reports/"
run tbx export -o "$T/bundle.tar.gz"
is "$rc" 0 "export exits 0"
like "$out" "exported $n records" "export says what it wrote"
check "the bundle exists" test -s "$T/bundle.tar.gz"
is "$(find "$T" -maxdepth 1 -name 'bundle.tar.gz.tmp*' | wc -l)" 0 "no temporary file is left"
tar tzf "$T/bundle.tar.gz" >"$T/list" 2>&1
is "$(grep -vc '^tbx-export/' "$T/list")" 0 "everything is under tbx-export/"
check "MANIFEST.json is in it" grep -qx 'tbx-export/MANIFEST.json' "$T/list"
is "$(grep -c '^tbx-export/results/.*\.json$' "$T/list")" "$n" "every record is in it"
check "definitions are in it" grep -q '^tbx-export/containers/rocm-7.2.json$' "$T/list"
check "reports are in it" grep -q '^tbx-export/reports/report.html$' "$T/list"
tar xzOf "$T/bundle.tar.gz" tbx-export/MANIFEST.json >"$T/manifest.json" 2>&1
is "$(jq -r '"\(.version) \(.counts.results)"' "$T/manifest.json")" "1 $n" "MANIFEST.json counts the records"

run tbx export --since 2026-05-17 -o "$T/none.tar.gz"
is "$rc" 0 "export --since exits 0"
like "$out" "exported 0 records" "--since filters on started_at"

H2=$T/home2
make_home "$H2"
echo '{"containers": ["mine"]}' >"$H2/manifests/legacy.json"
cp "$H2/manifests/legacy.json" "$T/legacy.before"
TBX_HOME=$H2 "$TBX_BIN" import "$T/bundle.tar.gz" >"$T/out" 2>"$T/err"
rc=$?
out=$(cat "$T/out")
is "$rc" 0 "importing the bundle exits 0"
like "$out" "imported .*bundle.tar.gz: $n records" "it says how many records"
like "$out" "definition/manifest files \(local ones kept\)" "definitions are mentioned as skipped"
check "local manifests are not overwritten" cmp -s "$H2/manifests/legacy.json" "$T/legacy.before"
check "no reports are taken" test ! -e "$H2/reports"
records "$H2" "$T/b.json"
check "the second home has the same records" cmp -s "$T/a.json" "$T/b.json"
check "the same record files, byte for byte" diff -r "$TBX_HOME/results" "$H2/results"
if results_of "$TBX_HOME" "$T/ra.json"; then
	results_of "$H2" "$T/rb.json"
	is "$?" 0 "tbx results works in the second home"
	check "tbx results --json is identical" cmp -s "$T/ra.json" "$T/rb.json"
else
	echo "# tbx results is not available ($(head -1 "$T/ra.json.err")): record files compared instead"
fi
TBX_HOME=$TBX_HOME "$TBX_BIN" report --date 2026-06-01 -o "$T/rep-a" >/dev/null 2>&1
TBX_HOME=$H2 "$TBX_BIN" report --date 2026-06-01 -o "$T/rep-b" >/dev/null 2>&1
check "reports from the imported bundle exist" test -s "$T/rep-b/BENCHMARKS.md"
check "and are identical to the original home's, byte for byte" diff -r "$T/rep-a" "$T/rep-b"
if command -v xmllint >/dev/null; then
	check "every chart of the imported logs is well-formed XML" xmllint --noout "$T"/rep-a/charts/*.svg
else
	check "every chart of the imported logs is well-formed XML" python3 -c \
		'import sys, xml.dom.minidom as m; [m.parse(f) for f in sys.argv[1:]]' "$T"/rep-a/charts/*.svg
fi

TBX_HOME=$H2 "$TBX_BIN" import "$T/bundle.tar.gz" >"$T/out" 2>"$T/err"
rc=$?
is "$rc" 0 "importing the bundle again exits 0"
like "$(cat "$T/out")" ": 0 records.*skipped $n already present" "and adds nothing"
is "$(count_results "$H2")" "$n" "no duplicates"

# --- hostile archives: refused, nothing written
H3=$T/home3
make_home "$H3"
mkdir -p "$T/evil/tbx-export/results"
cp "$T/manifest.json" "$T/evil/tbx-export/MANIFEST.json"
for f in "$TBX_HOME"/results/*.json; do
	cp "$f" "$T/evil/tbx-export/results/good.json"
	break
done
ln -s /etc/passwd "$T/evil/tbx-export/results/link.json"
tar czf "$T/symlink.tar.gz" -C "$T/evil" tbx-export
TBX_HOME=$H3 "$TBX_BIN" import "$T/symlink.tar.gz" >"$T/out" 2>"$T/err"
rc=$?
is "$rc" 1 "an archive with a symlink is refused"
like "$(cat "$T/err")" "nothing imported.*symbolic link" "with a clear message"
is "$(count_results "$H3")" 0 "and nothing is written"

rm "$T/evil/tbx-export/results/link.json"
cp "$T/evil/tbx-export/results/good.json" "$T/abs-record.json"
tar czf "$T/absolute.tar.gz" -P -C "$T/evil" tbx-export "$T/abs-record.json" 2>/dev/null
TBX_HOME=$H3 "$TBX_BIN" import "$T/absolute.tar.gz" >"$T/out" 2>"$T/err"
rc=$?
is "$rc" 1 "an archive with an absolute path is refused"
like "$(cat "$T/err")" "absolute path" "with a clear message"
is "$(count_results "$H3")" 0 "and nothing is written"

# a well-formed bundle is imported (so the refusals below are for the entry)
cp -r "$T/evil" "$T/fine"
tar czf "$T/fine.tar.gz" -C "$T/fine" tbx-export
run env TBX_HOME="$HJ" "$TBX_BIN" import "$T/fine.tar.gz"
is "$rc" 0 "the same bundle without the hostile entry is accepted"

tar czf "$T/dotdot.tar.gz" -C "$T/evil" --transform 's,^tbx-export/results/good,tbx-export/../../escape,' \
	tbx-export 2>/dev/null
TBX_HOME=$H3 "$TBX_BIN" import "$T/dotdot.tar.gz" >"$T/out" 2>"$T/err"
rc=$?
is "$rc" 1 "an archive with '..' is refused"
like "$(cat "$T/err")" "'\.\.'" "with a clear message"
is "$(count_results "$H3")" 0 "and nothing is written"
check "nothing escaped" test ! -e "$T/escape.json"

# --- untrusted file names are printed sanitized; FIFOs are never waited on
HF=$T/home-fifo
make_home "$HF"
esc=$(printf '\033')
evil="$T/evil${esc}[2J${esc}]0;owned$(printf '\007')__vulkan_radv__fa1.log"
cp "$FIX/llama-2-7b.Q4_0__vulkan_radv__fa1.log" "$evil"
run env TBX_HOME="$HF" "$TBX_BIN" import "$evil" "$T/missing${esc}[31m.log"
is "$rc" 1 "import of an oddly named file and a missing one exits 1"
like "$out" "^imported .*evil\?\[2J\?\]0;owned\?__vulkan_radv__fa1\.log" "the name is printed with its escapes made harmless"
unlike "$out$err" "$esc" "no escape character reaches the terminal"
mkfifo "$T/fifo__vulkan_radv__fa1.log" "$T/fifo.tar.gz"
run env TBX_HOME="$HF" timeout 20 "$TBX_BIN" import "$T/fifo__vulkan_radv__fa1.log" "$T/fifo.tar.gz"
is "$rc" 1 "importing FIFOs fails at once (no hang)"
like "$err" "fifo__vulkan_radv__fa1\.log.*not a regular file" "a FIFO log is named"
like "$err" "fifo\.tar\.gz' is a FIFO, not a regular file" "a FIFO bundle is named"
is "$(count_results "$HF")" 1 "only the regular file was recorded"

# --- limits: records per import (option, config file), a full disk: nothing written
HL=$T/home-limits
make_home "$HL"
run env TBX_HOME="$HL" "$TBX_BIN" import --max-records 3 "$T/bundle.tar.gz"
is "$rc" 1 "a bundle over --max-records is refused"
like "$err" "more than 3 records, the limit of one import.*nothing imported|nothing imported.*more than 3 records" \
	"it says which limit and that nothing was imported"
is "$(count_results "$HL")" 0 "nothing is written"
echo 'import_max_records = 5' >"$HL/tbx.conf"
run env TBX_HOME="$HL" "$TBX_BIN" import "$T/bundle.tar.gz"
is "$rc" 1 "import_max_records in tbx.conf is the limit"
like "$err" "more than 5 records" "and is named"
run env TBX_HOME="$HL" "$TBX_BIN" import --max-records 0 "$T/bundle.tar.gz"
is "$rc" 2 "--max-records 0 is a usage error"
rm -f "$HL/tbx.conf"
if [ "$(id -u)" = 0 ] && mkdir -p "$HL/results" && mount -t tmpfs -o size=64k tmpfs "$HL/results"; then
	run env TBX_HOME="$HL" "$TBX_BIN" import "$T/bundle.tar.gz"
	is "$rc" 1 "a bundle onto a disk that fills up fails"
	like "$err" "No space left" "with the cause"
	is "$(find "$HL/results" -name '*.json' | wc -l)" 0 "and not one record of it is written"
	is "$(find "$HL/results" -mindepth 1 | wc -l)" 0 "nor a staging directory left"
	umount "$HL/results"
else
	# not root: a results/ that cannot be written stands in for a full disk
	mkdir -p "$HL/results" && chmod 555 "$HL/results"
	run env TBX_HOME="$HL" "$TBX_BIN" import "$T/bundle.tar.gz"
	is "$rc" 1 "a bundle into a results/ that cannot be written fails"
	is "$(count_results "$HL")" 0 "and nothing is written"
	chmod 755 "$HL/results"
fi

# --- a bundle of hostile records: each field validated (types, names,
# digests, rates) before anything is written, the rest escaped everywhere
HX=$T/home-hostile
make_home "$HX"
B=$T/hx/tbx-export
mkdir -p "$B/results"
cp "$T/manifest.json" "$B/MANIFEST.json"
hostile='# x <img src=x onerror=alert(1)> | a\n# heading \u001b[31m\u001b]0;t\u0007 \ufffe\uffff \u0085\u009b2J \u202e ]]> `c` *b* [l](http://e)'
rec() { # NAME RUN_ID JQ-FILTER
	jq -n --arg id "$2" "{run_id: \$id, backend: \"vulkan-radv\", started_at: \"2026-05-18T00:00:00Z\",
		status: \"ok\", host: {name: \"h\"}, model: \"m.gguf\",
		pp512: {mean: 10, stddev: 1, samples: [9, 11]}, tg128: {mean: 5, stddev: 1, samples: [4, 6]}} | $3" \
		>"$B/results/$1.json"
}
rec evil hx-1 ".lineage = \"$hostile\" | .model = \"$hostile\" | .host = {name: \"$hostile\", kernel: \"$hostile\"} | .build_commit = \"$hostile\" | .device = \"$hostile\""
rec badtype hx-2 '.model = 5'
rec badname hx-3 '.backend = "x|<b>"'
rec baddigest hx-4 '.image_digest = "sha256:<img>|"'
rec badrate hx-5 '.pp512.mean = 1e300'
rec badsample hx-6 '.tg128.samples = [4, "x"]'
tar czf "$T/hostile.tar.gz" -C "$T/hx" tbx-export
run env TBX_HOME="$HX" "$TBX_BIN" import "$T/hostile.tar.gz"
is "$rc" 1 "a bundle with invalid records: exit 1 (some skipped)"
for k in "badtype.json: 'model' must be a string" "badname.json: 'backend' must be at most 64" \
	"baddigest.json: 'image_digest' is not a sha256 digest" "badrate.json: pp512.mean must be a rate" \
	"badsample.json: tg128.samples\[1\] must be a rate"; do
	like "$err" "skipping invalid record .*$k" "skipped, naming file and key: $k"
done
is "$(count_results "$HX")" 1 "only the valid record is written"
like "$out" "1 record .*skipped 5 invalid records" "and counted"
run env TBX_HOME="$HX" "$TBX_BIN" results
is "$rc" 0 "results over the imported hostile record"
unlike "$out$err" "$(printf '\033')|$(printf '\302\233')|$(printf '\302\205')|$(printf '\342\200\256')" \
	"no terminal escape (ESC, C1 CSI/NEL) or bidi override reaches the terminal"
run env TBX_HOME="$HX" "$TBX_BIN" report -o "$T/hxr" --date 2026-05-20
is "$rc" 0 "report over it"
md=$(cat "$T/hxr"/*.md)
unlike "$md" "<img|<script" "no HTML tag from the bundle reaches the Markdown"
unlike "$md" "^#+ *(x|heading)" "no heading from the bundle"
unlike "$md" "$(printf '\033')|$(printf '\357\277\276')|$(printf '\302\233')" "no ESC, U+FFFE or C1 in the Markdown"
if command -v xmllint >/dev/null; then
	check "its charts are well-formed XML" xmllint --noout "$T"/hxr/charts/*.svg
fi
unlike "$(cat "$T"/hxr/charts/*.svg "$T/hxr/index.html")" "<img" "no tag from the bundle in the charts or the page"

done_testing
