#!/bin/bash
# Following upstream as it is today (issue 11): upstream's current tag set
# (tests/e2e/defs-upstream: rocm-7.2 and rocm7-nightlies retired), stamp
# tags read from the registry's tag list, frozen channels in refresh,
# refresh --check, status and bench (and the record), retired backends
# skipped unless named, the tag list paginated (through
# tests/torture/faultproxy.c: Debian's registry 2.8 does not paginate tags)
# and broken tag lists (404, bad Link, not JSON, huge, bad names, bad
# stamps) that leave the state "unknown" and change nothing else.
. "$(dirname "$0")/lib.sh"
reset_images
ensure_tags
rm -f "$TBX_HOME"/containers/*.json
cp "$REPO"/tests/e2e/defs-upstream/containers/*.json "$TBX_HOME/containers/"
cache=$TBX_HOME/cache/upstream.json
walks() { # MARK -> tags/list walks (first pages) after MARK
	tail -n +"$(($1 + 1))" "$TB_REGISTRY_LOG" | grep '"GET /v2/[^ ]*/tags/list' | grep -vc 'last=' || true
}
restore_stamps() { # every channel rebuilt "now" again
	local t
	for t in $TB_TAGS; do "$TESTBED" stamp "$TB_DIR" "$t" >/dev/null 2>&1; done
}
restore_stamps

# --- a plain refresh: the stable defaults only, retired ones left alone
mark=$(registry_mark)
run tbx refresh
is "$rc" 0 "refresh of upstream's tag set"
like "$out" "3 backends: 3 changed" "three stable defaults (rocm-6.4.4, rocm-7.14, vulkan-radv)"
unlike "$out" "rocm-7\.2:|rocm7-nightlies:|therock|vulkan-amdvlk:" \
	"retired, experimental and optional backends are not refreshed"
check "no container for the retired rocm-7.2" test -z "$(container_id llama-rocm-7.2)"
is "$(walks "$mark")" 1 "one tag list walk for the one repository"
unlike "$out" "frozen" "no channel is frozen: every channel was rebuilt now"
is "$(jq -r '.repos["docker.io/kyuz0/amd-strix-halo-toolboxes"].channels["rocm-7.14"] | test("^20[0-9-]+T[0-9:]+Z$")' "$cache")" \
	true "the cache keeps each channel's newest stamp"

# --- a no-op refresh of every default backend: 0 manifest GETs, 1 walk
mark=$(registry_mark)
run tbx refresh
is "$rc" 0 "no-op refresh"
is "$(registry_count "$mark" GET)" 0 "no-op refresh: 0 manifest GETs"
is "$(registry_count "$mark" HEAD)" 3 "no-op refresh: one HEAD per default backend"
is "$(walks "$mark")" 1 "no-op refresh: one tag list walk"
run tbx refresh --check
is "$rc" 0 "refresh --check: 0 while nothing is frozen"

# --- a frozen channel: old stamp, no new pushes
"$TESTBED" freeze "$TB_DIR" rocm-7.14 20260409T031500 >/dev/null 2>&1
run tbx refresh
is "$rc" 0 "refresh with a frozen channel still succeeds"
like "$out" "rocm-7\.14: frozen upstream since 2026-04-09" "refresh says the channel is frozen"
is "$(printf '%s\n' "$out" | grep -c 'frozen upstream')" 1 "once per run"
unlike "$out" "(rocm-6\.4\.4|vulkan-radv): frozen" "live channels are not called frozen"
run tbx refresh --check
is "$rc" 1 "refresh --check exits 1: a default backend is frozen"
like "$err" "1 default backend is frozen upstream" "and says why on stderr"
run tbx refresh --json
is "$(printf '%s' "$out" | jq -r '.backends[] | select(.backend=="rocm-7.14") | .upstream.state + " " + .upstream.last_build')" \
	"frozen 2026-04-09T03:15:00Z" "refresh --json: upstream state and last build"
is "$(printf '%s' "$out" | jq -r '.backends[] | select(.backend=="vulkan-radv") | .upstream.state')" \
	live "refresh --json: a live channel"

mark=$(registry_mark)
run tbx status
is "$rc" 0 "status"
like "$out" "rocm-7\.14 +fresh .*; fresh, frozen upstream since 2026-04-09" "status: fresh, frozen upstream since 2026-04-09"
unlike "$(printf '%s\n' "$out" | grep '^vulkan-radv ')" "frozen" "status: vulkan-radv is not frozen"
like "$(printf '%s\n' "$out" | grep '^rocm-7\.2 ')" \
	"missing, frozen upstream since 2026-04-09, successor rocm-7\.14 \(retired upstream\)" \
	"status: rocm-7.2 is retired (its definition's date: its stamps are new), successor rocm-7.14"
is "$(walks "$mark")" 0 "status sends HEADs only: the tag list comes from the cache"
run tbx status --json rocm-7.14 rocm72
is "$(printf '%s' "$out" | jq -r '.[0].upstream.state + "," + .[0].upstream.last_build + "," + .[0].verdict')" \
	"frozen,2026-04-09T03:15:00Z,fresh" "status --json: upstream fields"
is "$(printf '%s' "$out" | jq -r '.[1].upstream.state + "," + .[1].upstream.successor')" \
	"retired,rocm-7.14" "status --json: retired and its successor"

# --- bench on the frozen channel: runs, warns, the record says so
run tbx bench rocm-7.14 tiny
is "$rc" 0 "bench on a frozen channel runs"
like "$err" "rocm-7\.14 is frozen upstream since 2026-04-09" "and warns on stderr"
rec=$(ls -t "$TBX_HOME"/results/*.json | head -n 1)
is "$(jq -c .upstream "$rec")" '{"state":"frozen","last_build":"2026-04-09T03:15:00Z","successor":null}' \
	"the record carries upstream: {state, last_build, successor}"

# --- a retired backend: skipped by a plain refresh, benched with a warning when named
run tbx refresh rocm72
is "$rc" 0 "a retired backend refreshes when named"
like "$out" "rocm-7\.2: created" "its container is created"
like "$out" "rocm-7\.2: frozen upstream since 2026-04-09, successor rocm-7\.14 \(retired upstream\)" \
	"and refresh says it is retired"
run tbx status rocm72
like "$out" "; fresh, frozen upstream since 2026-04-09, successor rocm-7\.14" \
	"status: fresh, frozen upstream since 2026-04-09, successor rocm-7.14"
"$TESTBED" freeze "$TB_DIR" rocm-7.2 20260301T120000 >/dev/null 2>&1
run tbx refresh rocm72
like "$out" "rocm-7\.2: frozen upstream since 2026-03-01, successor rocm-7\.14" \
	"a retired channel whose last stamp is older than its date: frozen since that build"
run tbx refresh
unlike "$out" "rocm-7\.2:" "a plain refresh leaves it alone again"
run tbx bench rocm72 tiny
is "$rc" 0 "bench on a retired backend runs"
like "$err" "rocm-7\.2 is retired upstream \(frozen upstream since 2026-03-01\), successor rocm-7\.14" \
	"and warns that it is retired"
like "$err" "replaced by rocm-7\.14" "and names its successor"
rec=$(ls -t "$TBX_HOME"/results/*.json | head -n 1)
is "$(jq -r '.upstream.state + " " + .upstream.successor + " " + .upstream.last_build' "$rec")" \
	"retired rocm-7.14 2026-03-01T12:00:00Z" "the record says retired, successor rocm-7.14, its last build"
run tbx bench vulkan-radv tiny
rec=$(ls -t "$TBX_HOME"/results/*.json | head -n 1)
is "$(jq -r '.upstream.state + " " + (.upstream.last_build | test("^20[0-9-]+T[0-9:]+Z$") | tostring)' "$rec")" \
	"live true" "a live channel's record says live, with its last build"
unlike "$err" "frozen|retired" "and bench warns of nothing"
run tbx report -o "$T/rep"
is "$rc" 0 "report"
like "$(cat "$T"/rep/*.md)" "frozen upstream" "the report marks the frozen channel's rows"
like "$(cat "$T"/rep/*.md)" "retired upstream, successor rocm-7\.14" "and the retired one's, with its successor"

# --- experimental channels: with --include-experimental (check only)
run tbx refresh --check --include-experimental
like "$out" "therock-nightly: created" "--include-experimental takes the experimental channels"
like "$out" "10 backends" "3 stable + 7 experimental"

# --- no stamps for a channel while its siblings have them: unknown
"$TESTBED" delete-stamps "$TB_DIR" rocm-7.14 >/dev/null 2>&1
run tbx refresh --json rocm-7.14
is "$(printf '%s' "$out" | jq -r '.backends[0].upstream.state')" unknown \
	"no stamps while siblings have them: unknown, not frozen"
like "$(printf '%s' "$out" | jq -r '.backends[0].upstream.detail')" "siblings" "and says why"
# --- no stamps at all: the local images' Created times
"$TESTBED" delete-stamps "$TB_DIR" >/dev/null 2>&1
run tbx refresh --json
is "$(printf '%s' "$out" | jq -r '[.backends[].upstream.source] | unique | join(",")')" local \
	"no stamps at all: judged from the local images"
is "$(printf '%s' "$out" | jq -r '[.backends[].upstream.state] | unique | join(",")')" live \
	"images built together are live"
restore_stamps

# --- the tag list across several pages (faultproxy paginates by 4)
${CC:-cc} -std=c11 -O2 -Wall -Wextra -o "$T/faultproxy" "$REPO/tests/torture/faultproxy.c"
: >"$T/proxy.ctl"
"$T/faultproxy" "$T/proxy.port" "${TB_REGISTRY##*:}" "$T/proxy.ctl" "$T/proxy.log" &
proxy_pid=$!
for _ in $(seq 50); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
via_proxy() { TBX_REGISTRY_MIRROR="docker.io=http://127.0.0.1:$(cat "$T/proxy.port")" "$@"; }
"$TESTBED" freeze "$TB_DIR" rocm-7.14 20260409T031500 >/dev/null 2>&1
echo "tagpages:4 /tags/list" >"$T/proxy.ctl"
: >"$T/proxy.log"
run via_proxy tbx refresh --json
is "$rc" 0 "refresh through a paginating registry"
pages=$(grep -c 'tags/list' "$T/proxy.log")
check "the walk followed several pages ($pages)" test "$pages" -ge 6
is "$(printf '%s' "$out" | jq -r '.backends[] | select(.backend=="rocm-7.14") | .upstream.state')" frozen \
	"a stamp on a later page is found: rocm-7.14 frozen"
is "$(printf '%s' "$out" | jq -r '.backends[] | select(.backend=="rocm-6.4.4") | .upstream.state')" live \
	"paginated: rocm-6.4.4 live"
# absolute Links (http://HOST/v2/...), each after a rel="prev" link-value
echo "tagpagesabs:3 /tags/list" >"$T/proxy.ctl"
: >"$T/proxy.log"
run via_proxy tbx refresh --json
is "$rc" 0 "refresh through a registry sending absolute Links"
pages=$(grep -c 'tags/list' "$T/proxy.log")
check "the walk followed the absolute Links ($pages pages)" test "$pages" -ge 8
is "$(printf '%s' "$out" | jq -r '[.backends[] | .backend + "=" + .upstream.state] | sort | join(" ")')" \
	"rocm-6.4.4=live rocm-7.14=frozen vulkan-radv=live" "absolute Links: the same answer"
unlike "$err" "upstream state unknown" "absolute Links: nothing unknown"
echo "tagpages:4 /tags/list" >"$T/proxy.ctl"
TBX_TAGS_PAGE_SIZE=2 run via_proxy tbx refresh --json rocm-7.14
is "$(printf '%s' "$out" | jq -r '.backends[0].upstream.state')" frozen "tags_page_size=2: same answer"
check "with n=2 in the first request" grep -q 'tags/list?n=2 ' "$T/proxy.log"

# a registry refusing n=1000 (distribution 3's tags.maxtags): the list without n
echo "n400 /tags/list" >"$T/proxy.ctl"
: >"$T/proxy.log"
run via_proxy tbx refresh --json rocm-7.14
is "$(printf '%s' "$out" | jq -r '.backends[0].upstream.state')" frozen \
	"n refused with 400: the tag list without n, rocm-7.14 frozen"
is "$(grep -c 'tags/list' "$T/proxy.log")" 2 "one walk: the refused first page, then the whole list"

# --- broken tag lists: unknown, one clear line, nothing else changes
for mode in 404 badlink selflink notjson hugetags badtagname badstamp; do
	echo "$mode /tags/list" >"$T/proxy.ctl"
	cp "$TBX_HOME/manifests/images.lock.json" "$T/lock.before"
	run via_proxy tbx refresh --json rocm-7.14
	is "$rc" 0 "tags/list $mode: refresh still succeeds"
	is "$(printf '%s' "$out" | jq -r '.backends[0].upstream.state')" unknown "tags/list $mode: state unknown, not frozen"
	is "$(printf '%s' "$out" | jq -r '.backends[0].action')" unchanged "tags/list $mode: the backend is untouched"
	is "$(jq -c '.backends | map_values([.digest, .image_id, .pinned])' "$TBX_HOME/manifests/images.lock.json")" \
		"$(jq -c '.backends | map_values([.digest, .image_id, .pinned])' "$T/lock.before")" \
		"tags/list $mode: the lock file's digests and pins are as they were"
	is "$(printf '%s\n' "$err" | grep -c 'upstream state unknown')" 1 "tags/list $mode: one line says so"
	case $mode in
	404) want="no tag list.*HTTP 404" ;;
	badlink | selflink) want="Link" ;;
	notjson) want="tag list of .*(JSON|json|parse)" ;;
	hugetags) want="(too large|too big|larger|cap|limit|MiB)" ;;
	badtagname) want="invalid tag name" ;;
	badstamp) want="not a UTC time" ;;
	esac
	like "$err" "$want" "tags/list $mode: the line says what was wrong"
	unlike "$err" $'\e' "tags/list $mode: no escape characters printed"
	run tbx status --json rocm-7.14
	is "$(printf '%s' "$out" | jq -r '.[0].verdict')" fresh "tags/list $mode: status still fresh"
done
kill "$proxy_pid" 2>/dev/null
wait "$proxy_pid" 2>/dev/null

# --- bad definitions: retired not a date or boolean, successor naming no backend
cp "$TBX_HOME/containers/rocm-7.2.json" "$T/r72.json"
jq '.retired = "last spring"' "$T/r72.json" >"$TBX_HOME/containers/rocm-7.2.json"
run tbx backends
is "$rc" 1 "retired: not a date: exit 1"
like "$err" "rocm-7\.2\.json: 'retired' must be true, false or a date" "names the file and the key"
jq '.successor = "rocm-9"' "$T/r72.json" >"$TBX_HOME/containers/rocm-7.2.json"
run tbx backends
is "$rc" 1 "successor naming no backend: exit 1"
like "$err" "rocm-7\.2\.json: 'successor' names 'rocm-9', which is not a backend" "names the file and the key"
cp "$T/r72.json" "$TBX_HOME/containers/rocm-7.2.json"

# --- settings
echo "frozen_after = 400d" >"$TBX_HOME/tbx.conf"
run tbx refresh --check rocm-7.14
is "$rc" 0 "frozen_after = 400d: rocm-7.14 is live again"
echo "frozen_after = soon" >"$TBX_HOME/tbx.conf"
run tbx status
is "$rc" 2 "a bad frozen_after is a usage error"
like "$err" "frozen_after 'soon'" "naming the value"
rm -f "$TBX_HOME/tbx.conf"

restore_stamps
done_testing
