#!/bin/bash
# tbx report's index.html and --html FILE, on the hand-written records of
# tests/fixtures/records (no container is run):
#   - the files: index.html beside the Markdown, --html FILE alone,
#     byte-identical twice, atomic and never written through a link;
#   - structure (Debian's python3-html5lib): a strict HTML5 parse without
#     an error, every inline SVG well-formed XML, nothing loaded from a URL;
#   - a real browser (Debian's chromium, headless, network disabled): the
#     DOM holds every number of the matrix, the page's script ran without a
#     console error, screenshots at 1280 and 390 px are not blank (kept in
#     build/report-screenshots/ for CI);
#   - depth curves (curve records, docs/CURVES.md) in their own section:
#     every point's number in the DOM;
#   - a hostile record (HTML, quotes, control characters in every string
#     field): no element or attribute of the page, as parsed by html5lib and
#     as chromium built it, came from the record.
# Each checker is shown to fail on a page made to fail it.  Without
# python3-html5lib or chromium (scripts/install-deps.sh installs both) those
# checks are TAP skips that say so, never passes.  TBX_CHROMIUM names another
# browser binary (default: chromium).
. "$(dirname "$0")/lib.sh"

R=$TBX_HOME/results
mkdir -p "$R"
cp "$REPO"/tests/fixtures/records/*.json "$R/"
PY=/usr/bin/python3 # Debian's, where python3-html5lib is
CHROMIUM=${TBX_CHROMIUM:-chromium}
[ -x "$PY" ] || PY=python3
HC=$REPO/tests/tools/html-check.py
SHOTS=$REPO/build/report-screenshots
mkdir -p "$SHOTS"
D=2026-05-20

# depth curves of the fixtures' Qwen on two backends, one stopped part-way;
# every point's mean (as the page prints it) into curve-numbers
"$PY" - "$R" "$T/curve-numbers" <<'PY'
import json, sys
d, numbers = sys.argv[1], []
def curve(run_id, t, backend, pf, gen, depths_gen):
    depths = [0, 8192, 16384, 32768, 65536]
    def pts(base, drop, ds):
        out = []
        for dep in ds:
            m = round(base * (1 - dep / drop), 2)
            numbers.append("%.2f" % m)
            out.append({"depth": dep, "mean": m, "stddev": 0.25, "samples": [m - 0.25, m + 0.25]})
        return out
    partial = len(depths_gen) < len(depths)
    r = {"schema": 2, "run_id": run_id, "status": "ok", "started_at": t, "finished_at": t,
         "backend": backend, "lineage": "llama.cpp", "model": "Qwen3.6-35B-A3B-UD-Q4_K_XL",
         "model_path": "/home/bench/models/Qwen3.6-35B-A3B-UD-Q4_K_XL.gguf",
         "model_bytes": 22837000000, "command": ["llama-bench"], "extra_args": [],
         "host": {"name": "strix"}, "image_digest": "sha256:" + "c" * 64,
         "build_commit": "1a68ec937", "build_number": 9193, "run_kind": "curve",
         "pp512": None, "tg128": None, "settings": {"n_ubatch": 512, "flash_attn": 1},
         "curve": {"depths": depths, "ubatch": 512, "ubatch_from": "calibration",
                   "repetitions": 3, "cooldown_s": 10, "load_flag": "--load-mode none",
                   "partial": partial,
                   "prefill": {"n_prompt": 2048, "n_gen": 0, "partial": False,
                               "points": pts(pf, 100000, depths)},
                   "generation": {"n_prompt": 0, "n_gen": 128, "partial": partial,
                                  "error": "llama-bench failed (exit 1)" if partial else None,
                                  "points": pts(gen, 150000, depths_gen)}}}
    with open("%s/20260517T0%s0000Z-%s-curve-%s.json" % (d, run_id[-1], backend, run_id), "w") as f:
        json.dump(r, f)
curve("curve-1", "2026-05-17T01:00:00Z", "rocm-7.2", 1003.17, 51.3, [0, 8192, 16384, 32768, 65536])
curve("curve-2", "2026-05-17T02:00:00Z", "vulkan-radv", 1107.41, 56.9, [0, 8192, 16384])
with open(sys.argv[2], "w") as f:
    f.write("\n".join(numbers) + "\n")
PY

# skip REASON CHECK...: one TAP skip per check that cannot run
skip() {
	local why=$1
	shift
	for name in "$@"; do
		_n=$((_n + 1))
		echo "ok $_n # SKIP $name: $why"
	done
}

# ---- the files ----
run tbx report -o "$T/r" --date $D
is "$rc" 0 "report exits 0"
like "$err" "wrote .*BENCHMARKS\.md, DEPTH-CURVES\.md, index\.html and 4 charts in $T/r" "says it wrote index.html (and the depth curves, whose records are here too)"
P=$T/r/index.html
check "index.html beside the Markdown" test -s "$P"
like "$(head -c 200 "$P")" "^<!DOCTYPE html>" "a HTML5 document"

run tbx report --html "$T/page.html" --date $D
is "$rc" 0 "--html FILE exits 0"
like "$err" "wrote $T/page\.html" "says what it wrote"
check "--html writes the same page as index.html" cmp "$P" "$T/page.html"
check "--html alone writes nothing else" test ! -e "$TBX_HOME/reports"
run tbx report -o "$T/r2" --date $D
check "same records, same bytes" cmp "$P" "$T/r2/index.html"

ln -s "$T/planted-target" "$T/link.html"
run tbx report --html "$T/link.html" --date $D
is "$rc" 0 "--html onto a symbolic link exits 0"
check "the link is replaced by the page" test -f "$T/link.html" -a ! -L "$T/link.html"
check "nothing is written through the link" test ! -e "$T/planted-target"
mkdir -p "$T/adir"
run tbx report --html "$T/adir" --date $D
is "$rc" 1 "--html onto a directory fails"
like "$err" "cannot write the page '$T/adir'.*Is a directory" "and names it"
check "no temporary file is left" test -z "$(find "$T" -maxdepth 1 -name '*.tmp.*')"
run tbx report --check --html "$T/check.html" --date $D
is "$rc" 1 "--check --html: exit 1 on the fixtures' regression"
check "--check --html writes the page" cmp "$P" "$T/check.html"

# a hostile record: every string field carries markup, quotes and controls
EVIL='"'"'"'><img src=x onerror=alert(1)><script>alert(2)</script>\u2028\u0001\u001b[31m</style></svg><!--'
H=$T/hostile-home
mkdir -p "$H/results"
cp -r "$TBX_HOME/containers" "$TBX_HOME/manifests" "$H/"
"$PY" - "$H/results" "$EVIL" <<'PY'
import json, sys
d, evil = sys.argv[1], json.loads('"' + sys.argv[2].replace('"', '\\"') + '"')
def rec(run_id, t, backend, **kw):
    r = {"schema": 2, "run_id": run_id, "status": "ok", "started_at": t, "finished_at": t,
         "backend": backend, "lineage": "llama.cpp", "model": evil, "model_path": "/m/" + evil,
         "model_bytes": 1000, "command": ["llama-bench", "-m", evil, "--", evil],
         "extra_args": [evil], "host": {"name": evil, "kernel": evil,
                                        "kernel_params": {evil: evil, "a": evil}},
         "tbx_version": evil, "kind": "container", "image_ref": evil,
         "image_digest": "sha256:" + "1" * 64, "image_id": evil, "container": evil,
         "container_id": evil, "build_commit": evil, "build_number": 9193, "device": evil,
         "devices": [evil], "backends": evil, "gpu_info": evil, "model_type": evil,
         "settings": {evil: evil, "n_threads": 16},
         "upstream": {"state": "retired", "last_build": evil, "successor": evil},
         "pp512": {"mean": 100.0, "stddev": 0.1, "samples": [100.0, 100.1, 99.9]},
         "tg128": {"mean": 50.0, "stddev": 0.1, "samples": [50.0, 50.1, 49.9]},
         "stale": True, "stale_reason": evil}
    r.update(kw)
    with open("%s/%s.json" % (d, run_id), "w") as f:
        json.dump(r, f)
rec("h0", "2026-05-01T00:00:00Z", "vulkan-radv", stale=False, upstream=None,
    host={"name": evil, "kernel": evil, "kernel_params": {evil: "x"}})
rec("h1", "2026-05-02T00:00:00Z", "vulkan-radv", image_digest="sha256:" + "2" * 64,
    pp512={"mean": 50.0, "stddev": 0.1, "samples": [50.0, 50.1, 49.9]})
rec("h2", "2026-05-02T01:00:00Z", "rocm-7.2", status="failed", error=evil, pp512=None,
    tg128=None)
rec("h3", "2026-05-02T02:00:00Z", "lemonade", lineage=evil, imported=True, image_digest=None,
    kind=None, source=evil, source_env=evil, command=[], extra_args=[])
rec("h4", "2026-05-02T03:00:00Z", "hip-local", kind="native", image_digest=None,
    binary_sha256="3" * 64, binary_path=evil)
point = {"depth": 0, "mean": 10.0, "stddev": 0.1, "samples": [10.0]}
rec("h5", "2026-05-02T04:00:00Z", "rocm-7.2", run_kind="curve", pp512=None, tg128=None,
    curve={"depths": [0, 4096], "ubatch": 512, "ubatch_from": evil, "repetitions": 3,
           "cooldown_s": 10, "load_flag": evil, "partial": True,
           "prefill": {"n_prompt": 2048, "n_gen": 0, "partial": True, "error": evil,
                       "command": [evil], "points": [point]},
           "generation": {"n_prompt": 0, "n_gen": 128, "partial": False, "error": None,
                          "command": [evil], "points": [point, dict(point, depth=4096)]},
           "calibration": {"ubatch": 512, "note": evil}, "campaign": {"id": evil}})
PY
run env TBX_HOME="$H" "$TBX_BIN" report --html "$T/hostile.html" --baseline vulkan-radv --date $D
is "$rc" 0 "report over hostile records exits 0"
unlike "$err" "skipping" "every hostile record is read (none skipped)"
like "$(cat "$T/hostile.html")" "REGRESSION" "the hostile runs are in the page (a regression flagged)"
like "$(cat "$T/hostile.html")" "retired upstream" "the hostile upstream state is shown"
like "$(cat "$T/hostile.html")" "<h3>Failed or partial curves</h3>" "the hostile curve is shown"
like "$(cat "$T/hostile.html")" "&lt;img src=x onerror=alert\(1\)&gt;" "the markup is shown as text"

# ---- structure (html5lib) ----
if "$PY" -c 'import html5lib' 2>/dev/null; then
	run "$PY" "$HC" structure "$P"
	is "$rc" 0 "strict HTML5 parse, every inline SVG well-formed XML, no remote URL"
	[ "$rc" = 0 ] || echo "# $err"
	run "$PY" "$HC" elements "$P"
	is "$rc" 0 "only the writer's elements and attributes"
	run "$PY" "$HC" structure "$T/hostile.html"
	is "$rc" 0 "the hostile page: strict HTML5, SVGs well-formed, no URL"
	[ "$rc" = 0 ] || echo "# $err"
	run "$PY" "$HC" elements "$T/hostile.html"
	is "$rc" 0 "the hostile page (html5lib): no element or attribute from a record"
	[ "$rc" = 0 ] || echo "# $err"
	# the checkers can fail
	sed 's#<main>#<main><p title="a" title="b">#' "$P" >"$T/bad-parse.html"
	run "$PY" "$HC" structure "$T/bad-parse.html"
	is "$rc" 1 "checker: a parse error fails the strict parse"
	sed 's#</main>#<img alt="" src="https://example.com/x.png"></main>#' "$P" >"$T/bad-url.html"
	run "$PY" "$HC" structure "$T/bad-url.html"
	like "$err" "loads a remote URL" "checker: a remote image is found"
	sed 's#</head>#<link rel="stylesheet" href="http://example.com/s.css"></head>#' "$P" >"$T/bad-css.html"
	run "$PY" "$HC" structure "$T/bad-css.html"
	is "$rc" 1 "checker: a remote stylesheet is found"
	sed '0,/<rect width="\([0-9]*\)"/s//<rect width=\1/' "$P" >"$T/bad-svg.html"
	run "$PY" "$HC" structure "$T/bad-svg.html"
	like "$err" "not well-formed XML" "checker: an SVG that is not XML is found"
	sed 's#<main>#<main><p onclick="x()">injected</p>#' "$P" >"$T/bad-attr.html"
	run "$PY" "$HC" elements "$T/bad-attr.html"
	like "$err" "attribute onclick on <p>" "checker: an injected attribute is found"
else
	skip "python3-html5lib is not installed (scripts/install-deps.sh installs it)" \
		"strict HTML5 parse" "elements" "hostile structure" "hostile elements" \
		"checker: parse error" "checker: remote image" "checker: remote stylesheet" \
		"checker: SVG" "checker: attribute"
fi

# ---- a real browser ----
# chrome LOG ARGS... FILE: headless, no network (every host unresolvable, a
# dead proxy), its own profile; console messages logged to LOG
chrome() {
	local log=$1
	shift
	timeout 180 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
		--user-data-dir="$T/chrome-profile" --proxy-server=127.0.0.1:9 \
		--host-resolver-rules='MAP * ~NOTFOUND' --enable-logging=stderr --v=0 \
		--hide-scrollbars "$@" 2>"$log"
}
# console lines of a log ("INFO:CONSOLE:12] "Uncaught ReferenceError..."")
console() { grep -E ':CONSOLE[(:]' "$1"; }

if command -v "$CHROMIUM" >/dev/null 2>&1 && "$PY" -c 'import html5lib' 2>/dev/null; then
	chrome "$T/dom.log" --dump-dom "file://$P" >"$T/dom.html"
	is "$?" 0 "chromium opens the page from disk"
	is "$(console "$T/dom.log")" "" "no console message while loading the page"
	run "$PY" "$HC" numbers "$T/r/REBENCH-MATRIX-$D.md" "$T/dom.html"
	is "$rc" 0 "the DOM holds every number of the matrix ($out)"
	[ "$rc" = 0 ] || echo "# $err"
	missing=$(grep -vxFf <(grep -oE '[0-9]+\.[0-9]{2}' "$T/dom.html" | sort -u) "$T/curve-numbers")
	is "$missing" "" "the DOM holds every point of the depth curves ($(wc -l <"$T/curve-numbers") numbers)"
	like "$(cat "$T/dom.html")" "<h3>Failed or partial curves</h3>" "a partial curve is flagged"
	like "$(cat "$T/dom.html")" '<button type="button" class="sort">' "the script ran: sort buttons"
	like "$(cat "$T/dom.html")" "<legend>Backends shown</legend>" "the script ran: chart toggles"
	run "$PY" "$HC" elements "$T/dom.html" --after-script
	is "$rc" 0 "the DOM: only the writer's and the script's elements"
	for w in 1280 390; do
		rm -f "$SHOTS/index-$w.png"
		chrome "$T/shot-$w.log" --screenshot="$SHOTS/index-$w.png" --window-size="$w,2400" "file://$P" >/dev/null
		is "$(console "$T/shot-$w.log")" "" "no console message at $w px"
		run "$PY" "$HC" png "$SHOTS/index-$w.png" "$w"
		is "$rc" 0 "the $w px screenshot is not blank ($out)"
		[ "$rc" = 0 ] || echo "# $err"
	done
	chrome "$T/hdom.log" --dump-dom "file://$T/hostile.html" >"$T/hostile-dom.html"
	is "$(console "$T/hdom.log")" "" "the hostile page: no console message"
	run "$PY" "$HC" elements "$T/hostile-dom.html" --after-script
	is "$rc" 0 "the hostile page (chromium's DOM): no element or attribute from a record"
	[ "$rc" = 0 ] || echo "# $err"
	like "$(cat "$T/hostile-dom.html")" "&lt;img src=x onerror=alert\(1\)&gt;&lt;script&gt;" \
		"the hostile markup is text in the DOM"
	chrome "$T/hshot.log" --screenshot="$SHOTS/hostile-390.png" --window-size=390,2400 \
		"file://$T/hostile.html" >/dev/null
	is "$(console "$T/hshot.log")" "" "the hostile page: no console message at 390 px"
	# the script works: a copy of the page with a test script after the
	# page's clicks a sort button twice and a chart's first checkbox
	cat >"$T/clicks.js" <<'JS'
(function () {
	var out = [], col = function (t) {
		return Array.prototype.map.call(t.tBodies[0].rows, function (r) {
			return r.cells[1].getAttribute("data-v");
		}).join(",");
	};
	try {
		var table = document.querySelector("table.matrix");
		var button = table.tHead.rows[0].cells[1].querySelector("button.sort");
		button.click();
		out.push("up:" + col(table));
		button.click();
		out.push("down:" + col(table));
		var fig = document.querySelector("figure.chart");
		fig.querySelector("fieldset.toggles input").click();
		out.push("hidden:" + fig.querySelectorAll("[data-series][style]").length);
	} catch (e) {
		out.push("error:" + e);
	}
	var p = document.createElement("p");
	p.id = "clicks";
	p.textContent = out.join(" ");
	document.body.appendChild(p);
}());
JS
	{ sed '/^<\/body>$/,$d' "$P"; printf '<script>\n'; cat "$T/clicks.js"; printf '</script>\n</body>\n</html>\n'; } >"$T/clicks.html"
	chrome "$T/clicks.log" --dump-dom "file://$T/clicks.html" >"$T/clicks-dom.html"
	like "$(grep -o '<p id="clicks">[^<]*' "$T/clicks-dom.html")" \
		'up:1092\.00,1148\.00, down:1148\.00,1092\.00, hidden:[1-9]' \
		"the script sorts a column both ways (unmeasured last) and hides a backend's lines"
	# the browser checks can fail: a script error is seen, a blank page is blank
	sed 's#</body>#<script>undefinedFunction();</script></body>#' "$P" >"$T/bad-js.html"
	chrome "$T/bad-js.log" --dump-dom "file://$T/bad-js.html" >/dev/null
	like "$(console "$T/bad-js.log")" "Uncaught ReferenceError: undefinedFunction" \
		"checker: a script error on the page is logged and found"
	printf '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>x</title></head><body></body></html>\n' >"$T/blank.html"
	chrome "$T/blank.log" --screenshot="$T/blank.png" --window-size=390,800 "file://$T/blank.html" >/dev/null
	run "$PY" "$HC" png "$T/blank.png" 390
	like "$err" "blank" "checker: a blank screenshot is found"
else
	why="python3-html5lib is not installed (scripts/install-deps.sh installs it)"
	command -v "$CHROMIUM" >/dev/null 2>&1 ||
		why="$CHROMIUM is not installed (scripts/install-deps.sh installs chromium)"
	skip "$why" "chromium opens the page" "no console message" "every number" \
		"curve points" "partial curve" "sort buttons" "chart toggles" "DOM elements" "1280 px console" "1280 px screenshot" \
		"390 px console" "390 px screenshot" "hostile console" "hostile DOM" "hostile text" \
		"hostile 390 px" "clicks" "checker: script error" "checker: blank"
fi

done_testing
