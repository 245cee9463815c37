#!/bin/bash
# tests/perf/bench.sh - tbx's performance benchmark (`make bench`).
#
# Brings up its own test bed (tests/testbed, in a fresh temp directory, taken
# down at the end), measures each item TBX_BENCH_REPEAT times (default 5),
# interleaving tbx with the alternative it is compared with so both see the
# same machine load, and prints one table of medians and ratios with each
# target marked met or MISSED.  A benchmark, not a test: it exits 0 whatever
# the numbers (1 only when the test bed cannot come up).
#
#   1  nightly refresh, nothing changed upstream, 5 backends: manifest GETs,
#      blob GETs and containers recreated (tbx refresh --include-amdvlk vs an
#      upstream-style script: per backend podman rm -f; pull; create)
#   2  the same, wall time (target: tbx >= 3x faster)
#   3  refresh after one upstream rebuild (tests/testbed rebuild): pulls and
#      recreations (target: exactly 1 and 1)
#   4  tbx status --offline vs 10 `podman inspect` calls (target: >= 10x)
#   5  tbx bench rocm72 tiny (with and without --offline) minus two direct
#      `podman exec ... llama-bench` runs (target: < 100 ms overhead)
#   6  tbx's own CPU time (user+sys) during a ~10 s bench (target: < 1%)
#   7  tbx report / tbx results over 10,000 generated records
#      (target: < 0.5 s and < 32 MB peak RSS each); the HTML page alone
#      (tbx report --html FILE) over the same records (target: < 1 s, < 5 MB).
#      Each is measured warm (the record cache, cache/records.cache, as the
#      previous run left it) and cold (the cache removed first: every record
#      parsed, the cache written); the targets are marked against the warm
#      run, the cold figure printed beside it
#   8  peak RSS of tbx refresh and tbx bench (target: < 16 MB)
#   9  upstream's tag set today (tests/e2e/defs-upstream): a no-op refresh of
#      every stable and experimental backend (11) with its one tag list walk,
#      vs the upstream-style script over the same 11 tags: wall time and
#      registry requests (target: 0 manifest GETs, 1 tags/list walk)
#  10  live `tbx status` of 5 and of 12 backends against a registry with token
#      auth ~100 ms away (tests/testbed token-up), no token cached: wall time
#      vs the floor (one token request + one HEAD, each on a new connection,
#      with curl), and token requests (target: <= 1.3x the floor, exactly 1)
#  11  the same for a no-op `tbx refresh`
#  12  tbx's own CPU time (user+sys) during one depth curve (`tbx curve
#      --depths 0,256,512 --repetitions N --cooldown 2 rocm72 tiny`: warmup,
#      two series, the pause; N sized by a first curve so it lasts about
#      TBX_BENCH_LONG_MS, as item 6's bench; measured in one run; target: < 1%)
#
# Knobs: TBX_BENCH_REPEAT (5), TBX_BENCH_RECORDS (10000),
# TBX_BENCH_TOKEN_DELAY_MS (50: the token registry's delay each way),
# TBX_BENCH_LONG_MS (10000, the length of the bench in item 6),
# TBX_BIN (default ./tbx; copied first, so a rebuild during the run does not
# change what is measured), TBX_BENCH_OUT (also write the table there),
# TBX_BENCH_KEEP=1 (leave the test bed up; prints its directory).
#
# Needs /usr/bin/time (Debian package "time") for CPU time and peak RSS;
# without it those cells say n/a and wall times come from date +%s%N.
# shellcheck disable=SC2317 # functions called through tm/tw and trap
set -u
unset CONTAINER_HOST CONTAINER_CONNECTION

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REPEAT=${TBX_BENCH_REPEAT:-5}
NREC=${TBX_BENCH_RECORDS:-10000}
LONG_MS=${TBX_BENCH_LONG_MS:-10000}
case "$REPEAT$NREC$LONG_MS" in *[!0-9]*)
	echo "bench: TBX_BENCH_REPEAT, TBX_BENCH_RECORDS and TBX_BENCH_LONG_MS must be numbers" >&2
	exit 2
	;;
esac
[ "$REPEAT" -ge 1 ] || REPEAT=1
TESTBED=$REPO/tests/testbed
GTIME=/usr/bin/time
[ -x "$GTIME" ] || GTIME=

log() { printf 'bench: %s\n' "$*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

WORK=$(mktemp -d /tmp/tbx-bench.XXXXXX)
BED=$WORK/bed
cleanup() {
	if [ "${TBX_BENCH_KEEP:-0}" = 1 ]; then
		log "test bed kept in $BED (tests/testbed down $BED)"
		return
	fi
	"$TESTBED" down "$BED" >/dev/null 2>&1 || log "tests/testbed down $BED failed"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

src_bin=${TBX_BIN:-$REPO/tbx}
[ -x "$src_bin" ] || {
	log "no tbx binary at $src_bin (run: make tbx)"
	exit 1
}
cp "$src_bin" "$WORK/tbx"
TBX=$WORK/tbx
cd "$WORK" || exit 1

log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
log "bringing up the test bed in $BED"
t0=$(now_ms)
if ! "$TESTBED" up "$BED" >"$WORK/testbed-up.log" 2>&1; then
	tail -n 20 "$WORK/testbed-up.log" >&2
	log "the test bed did not come up; nothing measured"
	exit 1
fi
log "test bed up in $((($(now_ms) - t0) / 1000)) s"
# shellcheck disable=SC1091
. "$BED/env"
unset CONTAINER_HOST

# tbx's home, as tests/e2e/lib.sh makes it
export TBX_HOME=$WORK/home TBX_LOCK_DIR=$WORK/lock TBX_REGISTRY_MIRROR=$TB_MIRROR
export HOME=$WORK/userhome XDG_DATA_HOME=$WORK/userhome/.local/share XDG_CONFIG_HOME=$WORK/userhome/.config
unset TBX_CONFIG XDG_RUNTIME_DIR
mkdir -p "$TBX_HOME/containers" "$TBX_HOME/manifests" "$HOME"
cp "$REPO"/tests/e2e/defs/containers/*.json "$TBX_HOME/containers/"
cp "$REPO"/tests/e2e/defs/manifests/*.json "$TBX_HOME/manifests/"
printf '{"root": "%s", "models": {"tiny": "tiny.gguf"}}\n' "$TB_MODELS" >"$TBX_HOME/manifests/models.json"
MODEL=$TB_MODELS/tiny.gguf

# ---------------------------------------------------------------------------
# measuring

declare -A S # key -> space-separated samples

add() { S[$1]="${S[$1]:-} $2"; }

# tm KEY CMD...: run CMD (tbx) under /usr/bin/time; records KEY.wall (ms),
# KEY.cpu (s, user+sys), KEY.rss (KB); sets RC
tm() {
	local key=$1 t1 t2 tu ts tr
	shift
	t1=$(now_ms)
	if [ -n "$GTIME" ]; then
		"$GTIME" -o "$WORK/time" -f '%U %S %M' "$@" >"$WORK/out" 2>"$WORK/err"
		RC=$?
	else
		"$@" >"$WORK/out" 2>"$WORK/err"
		RC=$?
	fi
	t2=$(now_ms)
	add "$key.wall" $((t2 - t1))
	if [ -n "$GTIME" ]; then
		# the last line: a signalled child adds a "Command terminated" line first
		read -r tu ts tr < <(tail -n 1 "$WORK/time")
		add "$key.cpu" "$(awk -v u="$tu" -v s="$ts" 'BEGIN { printf "%.2f", u + s }')"
		add "$key.rss" "$tr"
	fi
	if [ "$RC" != 0 ]; then
		log "$key: $* exited $RC"
		sed 's/^/bench:   /' "$WORK/err" | tail -n 5 >&2
	fi
}

# tw KEY CMD...: wall time only (shell functions, podman CLI)
tw() {
	local key=$1 t1
	shift
	t1=$(now_ms)
	"$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	add "$key.wall" $(($(now_ms) - t1))
	[ "$RC" = 0 ] || {
		log "$key: $* exited $RC"
		tail -n 5 "$WORK/err" | sed 's/^/bench:   /' >&2
	}
}

tbx() { "$TBX" --url "$TB_URL" "$@"; }
TBXU=("$TBX" --url "$TB_URL") # for tm: /usr/bin/time cannot run a shell function

# registry access log: requests since a mark
reg_mark() { wc -l <"$TB_REGISTRY_LOG"; }
reg_count() { # MARK REGEX
	sleep 0.2 # let the registry finish writing its log line
	tail -n +"$(($1 + 1))" "$TB_REGISTRY_LOG" | grep -cE "$2" || true
}
manifest_gets() { reg_count "$1" '"GET /v2/[^ ]*/manifests/'; }
blob_gets() { reg_count "$1" '"GET /v2/[^ ]*/blobs/'; }

# ids PREFIX: "name=id ..." of the five containers PREFIX<tag>
ids() {
	local t
	for t in $TB_BUILT_TAGS; do
		printf '%s=%s ' "$t" "$(podman inspect --format '{{.Id}}' "$1$t" 2>/dev/null)"
	done
}
changed() { # BEFORE AFTER -> how many of the five differ
	local n=0 i
	local -a a b
	read -r -a a <<<"$1"
	read -r -a b <<<"$2"
	for i in "${!a[@]}"; do
		[ "${a[$i]}" = "${b[$i]:-}" ] || n=$((n + 1))
	done
	echo "$n"
}

# The upstream-style refresh: what a shell script calling the podman CLI does
# every night.  Its containers are named up-llama-<tag> so that they sit
# beside tbx's llama-<tag> (tbx and the script alternate in one bed); the
# options are those of tbx's containers (models root read-only, env, devices).
create_args() { # TAG -> podman create options from the definition, one per line
	local def=$TBX_HOME/containers/$1.json
	printf '%s\n' -v "$TB_MODELS:$TB_MODELS:ro"
	jq -r '(.env // {} | to_entries[] | "--env", "\(.key)=\(.value)"),
		(.devices // [] | .[] | "--device", .),
		(if .seccomp == "unconfined" then "--security-opt", "seccomp=unconfined" else empty end),
		(if ((.groups // []) | index("keep-groups")) then "--group-add", "keep-groups" else empty end)' "$def"
}
declare -A CARGS
for t in $TB_BUILT_TAGS; do
	CARGS[$t]=$(create_args "$t")
done
upstream_refresh() { # [TAG...] (default: the five test definitions' tags)
	local t
	local -a args
	[ $# -gt 0 ] || set -- $TB_BUILT_TAGS
	for t in "$@"; do
		mapfile -t args <<<"${CARGS[$t]}"
		podman rm -f "up-llama-$t" >/dev/null 2>&1
		podman pull -q "$TB_IMAGE:$t" >/dev/null || return 1
		podman create --name "up-llama-$t" "${args[@]}" "$TB_IMAGE:$t" sleep infinity >/dev/null || return 1
	done
}

# ---------------------------------------------------------------------------
# setup: first refresh (creates the five containers), first script run

log "first refresh (pulls the five images)"
tbx refresh --include-amdvlk >"$WORK/out" 2>&1 || {
	cat "$WORK/out" >&2
	log "the first refresh failed; the numbers below may be meaningless"
}
upstream_refresh || log "the first upstream-style script run failed"

# --- 1, 2: nightly refresh, nothing changed
log "1, 2: refresh with nothing changed upstream (x$REPEAT, alternating with the script)"
for i in $(seq "$REPEAT"); do
	before=$(ids llama-)
	m=$(reg_mark)
	tm refresh0 "${TBXU[@]}" refresh --include-amdvlk
	add refresh0.get "$(manifest_gets "$m")"
	add refresh0.blob "$(blob_gets "$m")"
	add refresh0.recreated "$(changed "$before" "$(ids llama-)")"

	before=$(ids up-llama-)
	m=$(reg_mark)
	tw script0 upstream_refresh
	add script0.get "$(manifest_gets "$m")"
	add script0.blob "$(blob_gets "$m")"
	add script0.recreated "$(changed "$before" "$(ids up-llama-)")"
done

# --- 4: status --offline vs podman inspect x10
inspect10() {
	local t
	for t in $TB_BUILT_TAGS; do
		podman container inspect "llama-$t" >/dev/null || return 1
		podman image inspect "$TB_IMAGE:$t" >/dev/null || return 1
	done
}
log "4: status --offline vs 10 podman inspect (x$REPEAT)"
for i in $(seq "$REPEAT"); do
	tm status "${TBXU[@]}" status --offline
	tw inspect inspect10
done

# --- 5: bench overhead
# On a loaded machine llama-bench's own run time varies by seconds from one
# run to the next, far more than the 100 ms looked for, so the difference of
# wall times is also measured from inside: own KEY CMD... runs CMD under
# strace (seccomp-bpf: only sendto, execve and exit_group stop it) and
# records the run's length minus the time spent in llama-bench's exec
# sessions (from POST /exec/ID/start to GET /exec/ID/json).
STRACE=$(command -v strace || true)
own() {
	local key=$1
	shift
	"$STRACE" -f --seccomp-bpf -ttt -s 200 -e trace=sendto,execve,exit_group \
		-o "$WORK/strace" "$@" >/dev/null 2>&1 || log "$key: $* failed"
	add "$key" "$(awk '
		{ t = $2 + 0 }
		NR == 1 { first = t }
		{ last = t }
		/sendto\(.*"POST [^ "]*\/exec\/[0-9a-f]+\/start/ { start = t }
		/sendto\(.*"GET [^ "]*\/exec\/[0-9a-f]+\/json/ { if (start) { inexec += t - start; start = 0 } }
		END { printf "%d", (last - first - inexec) * 1000 }' "$WORK/strace")"
	# where it went: the slowest Podman/registry requests outside llama-bench
	awk '{ t = $2 + 0 }
		prev != "" && !inx { d[prev] += t - pt }
		/sendto\(/ { match($0, /"[A-Z]+ [^ ]*/); r = substr($0, RSTART + 1, RLENGTH - 1)
			gsub(/\/exec\/[0-9a-f]+\//, "/exec/ID/", r); prev = r; pt = t
			inx = r ~ /\/exec\/ID\/start/ }
		END { for (r in d) printf "%d %s\n", d[r] * 1000, r }' "$WORK/strace" >>"$WORK/own.$key"
}
direct2() {
	local k
	for k in 1 2; do
		podman exec llama-rocm-7.2 llama-bench -m "$MODEL" --n-gpu-layers 99 -p 512 -n 128 -o jsonl || return 1
	done
}
log "5: tbx bench vs two direct podman exec llama-bench (x$REPEAT)"
for i in $(seq "$REPEAT"); do
	tm bench "${TBXU[@]}" bench rocm72 tiny
	w_b=${S[bench.wall]##* }
	tm bencho "${TBXU[@]}" bench --offline rocm72 tiny
	w_bo=${S[bencho.wall]##* }
	tw direct direct2
	w_d=${S[direct.wall]##* }
	add bench.over $((w_b - w_d))
	add bencho.over $((w_bo - w_d))
	# the same, timed from inside: a second run of each under strace
	if [ -n "$STRACE" ]; then
		own bench.own "${TBXU[@]}" bench rocm72 tiny
		own bencho.own "${TBXU[@]}" bench --offline rocm72 tiny
	fi
done
REAL_RECORD=$(find "$TBX_HOME/results" -name '*.json' 2>/dev/null | sort | head -n 1)

# --- 6: CPU time of tbx during a ~10 s bench
one_rep_ms() { # N -> wall ms of one direct llama-bench -r N
	local t1
	t1=$(now_ms)
	podman exec llama-rocm-7.2 llama-bench -m "$MODEL" --n-gpu-layers 99 -p 512 -n 128 -o jsonl \
		-r "$1" >/dev/null 2>&1
	echo $(($(now_ms) - t1))
}
w5=$(one_rep_ms 5)
w45=$(one_rep_ms 45)
per=$(((w45 - w5) / 40))
[ "$per" -ge 1 ] || per=1
# tbx runs llama-bench twice (warmup, measured), each with the extra -r N
NREP=$((LONG_MS / 2 / per))
[ "$NREP" -ge 10 ] || NREP=10
[ "$NREP" -le 2000 ] || NREP=2000
log "6: tbx CPU during a ~$((LONG_MS / 1000)) s bench (-r $NREP, ~$per ms a repetition; x$REPEAT)"
for i in $(seq "$REPEAT"); do
	tm long "${TBXU[@]}" bench rocm72 tiny -- -r "$NREP"
	w=${S[long.wall]##* }
	if [ -n "$GTIME" ]; then
		add long.pct "$(awk -v c="${S[long.cpu]##* }" -v w="$w" 'BEGIN { printf "%.3f", 100 * c * 1000 / w }')"
	fi
done

# --- 12: tbx's own time in one depth curve
# tbx's share is a fixed cost over the curve's length: as in 6, the curve
# measured lasts about LONG_MS (a real curve lasts minutes to hours).  A
# first curve of 3 repetitions tells how long a repetition takes here.
t1=$(now_ms)
"${TBXU[@]}" curve --depths 0,256,512 --repetitions 3 --cooldown 0 rocm72 tiny >/dev/null 2>&1 ||
	log "12: the sizing curve failed"
CREP=$((3 * LONG_MS / ($(now_ms) - t1 + 1) + 1))
[ "$CREP" -ge 3 ] || CREP=3
[ "$CREP" -le 200 ] || CREP=200
log "12: tbx CPU during one depth curve (--depths 0,256,512 --repetitions $CREP --cooldown 2)"
tm curve "${TBXU[@]}" curve --depths 0,256,512 --repetitions "$CREP" --cooldown 2 rocm72 tiny
if [ -n "$GTIME" ]; then
	add curve.pct "$(awk -v c="${S[curve.cpu]##* }" -v w="${S[curve.wall]##* }" 'BEGIN { printf "%.3f", 100 * c * 1000 / w }')"
fi

# --- 3: one upstream rebuild
log "3: refresh after one upstream rebuild (x$REPEAT; a new rebuild before each side)"
for i in $(seq "$REPEAT"); do
	"$TESTBED" rebuild "$BED" rocm-7.2 >/dev/null 2>"$WORK/rebuild.err" || {
		log "rebuild failed"
		cat "$WORK/rebuild.err" >&2
	}
	before=$(ids llama-)
	m=$(reg_mark)
	tm refresh1 "${TBXU[@]}" refresh --include-amdvlk
	add refresh1.get "$(manifest_gets "$m")"
	add refresh1.blob "$(blob_gets "$m")"
	add refresh1.recreated "$(changed "$before" "$(ids llama-)")"

	"$TESTBED" rebuild "$BED" rocm-7.2 >/dev/null 2>"$WORK/rebuild.err" || {
		log "rebuild failed"
		cat "$WORK/rebuild.err" >&2
	}
	before=$(ids up-llama-)
	m=$(reg_mark)
	tw script1 upstream_refresh
	add script1.get "$(manifest_gets "$m")"
	add script1.blob "$(blob_gets "$m")"
	add script1.recreated "$(changed "$before" "$(ids up-llama-)")"
done

# --- 9: upstream's tag set today, every stable and experimental backend
UH=$WORK/uhome
mkdir -p "$UH/containers" "$UH/manifests"
cp "$REPO"/tests/e2e/defs-upstream/containers/*.json "$UH/containers/"
cp "$TBX_HOME/manifests/models.json" "$UH/manifests/"
UP_TAGS=""
for f in "$UH"/containers/*.json; do
	jq -e '(.retired // false) == false' "$f" >/dev/null && UP_TAGS="$UP_TAGS $(basename "$f" .json)"
done
n_up=$(wc -w <<<"$UP_TAGS")
for t in $UP_TAGS; do
	CARGS[$t]=$(TBX_HOME=$UH create_args "$t")
done
tags_gets() { reg_count "$1" '"GET /v2/[^ ]*/tags/list'; }
all_reqs() { reg_count "$1" '"(GET|HEAD|PUT|POST) /v2/'; }
log "9: upstream's $n_up stable and experimental channels: first refresh and script run"
TBX_HOME=$UH tbx refresh --include-amdvlk --include-experimental >"$WORK/out" 2>&1 ||
	log "the first refresh of upstream's tag set failed"
# shellcheck disable=SC2086
upstream_refresh $UP_TAGS || log "the upstream-style script over upstream's tag set failed"
log "9: no-op refresh of $n_up backends vs the script (x$REPEAT)"
for i in $(seq "$REPEAT"); do
	m=$(reg_mark)
	tm refreshu env TBX_HOME="$UH" "${TBXU[@]}" refresh --include-amdvlk --include-experimental
	add refreshu.get "$(manifest_gets "$m")"
	add refreshu.tags "$(tags_gets "$m")"
	add refreshu.reqs "$(all_reqs "$m")"
	m=$(reg_mark)
	# shellcheck disable=SC2086
	tw scriptu upstream_refresh $UP_TAGS
	add scriptu.get "$(manifest_gets "$m")"
	add scriptu.tags "$(tags_gets "$m")"
	add scriptu.reqs "$(all_reqs "$m")"
done

# --- 10, 11: the registry as Docker Hub is: token auth, ~100 ms away
# tests/testbed token-up: docker-registry with `auth: token` and a JWT token
# server behind a proxy holding each chunk 50 ms each way (a new connection
# costs one more round trip).  Podman pulls through it too.  Each tbx run
# starts with no cached token (the remembered challenge kept: the second
# run of a day), so it asks for exactly one token per repository; the floor
# is what any client must do: one token request and one HEAD, each on a new
# connection (two curl calls).
TOKEN_DELAY_MS=${TBX_BENCH_TOKEN_DELAY_MS:-50}
log "10, 11: token registry ~$((2 * TOKEN_DELAY_MS)) ms away"
if "$TESTBED" token-up "$BED" "$TOKEN_DELAY_MS" >"$WORK/token-up.log" 2>&1; then
	# shellcheck disable=SC1091
	. "$BED/token/env"
	TOKEN_OK=1
else
	tail -n 5 "$WORK/token-up.log" >&2
	log "the token registry did not come up; rows 10 and 11 are n/a"
	TOKEN_OK=0
fi
T12=$WORK/home12 # upstream's 11 channels and rocm-7.2: 12 backends
mkdir -p "$T12/containers" "$T12/manifests"
cp "$UH"/containers/*.json "$T12/containers/"
rm -f "$T12/containers/rocm7-nightlies.json"
cp "$TBX_HOME/manifests/models.json" "$T12/manifests/"
IDS12=$(for f in "$T12"/containers/*.json; do basename "$f" .json; done | tr '\n' ' ')
token_counts() { curl -s "$TB_TOKEN_SERVER/_counts" | jq -r '.by_agent.tbx // 0'; }
# forget the tokens, keep the challenge (as after a token's 5 minutes)
cold_tokens() { # HOME
	local c=$1/cache/registry-tokens.json
	[ -f "$c" ] && jq 'del(.tokens)' "$c" >"$c.tmp" && mv -f "$c.tmp" "$c"
}
floor() {
	local tok
	tok=$(curl -sf "$TB_TOKEN_REALM?service=tbx-testbed-registry&scope=repository:kyuz0/amd-strix-halo-toolboxes:pull" |
		sed -n 's/.*"token": *"\([^"]*\)".*/\1/p') || return 1
	[ -n "$tok" ] || return 1
	curl -sf -o /dev/null -I -H "Authorization: Bearer $tok" \
		-H "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json" \
		"http://$TB_TOKEN_REGISTRY/v2/kyuz0/amd-strix-halo-toolboxes/manifests/vulkan-radv"
}
# tk KEY HOME CMD...: a cold-token tbx run through the token registry, with
# its wall time and its token requests (KEY.tok)
tk() {
	local key=$1 home=$2 n0
	shift 2
	cold_tokens "$home"
	n0=$(token_counts)
	tm "$key" env TBX_HOME="$home" TBX_REGISTRY_MIRROR="$TB_TOKEN_MIRROR" REGISTRY_AUTH_FILE="$TB_AUTH_FILE" \
		"${TBXU[@]}" "$@"
	add "$key.tok" $(($(token_counts) - n0))
}
if [ "$TOKEN_OK" = 1 ]; then
	for h in "$TBX_HOME" "$T12"; do
		TBX_HOME=$h TBX_REGISTRY_MIRROR=$TB_TOKEN_MIRROR REGISTRY_AUTH_FILE=$TB_AUTH_FILE \
			tbx refresh --include-amdvlk --include-experimental >"$WORK/out" 2>&1 ||
			log "the first refresh through the token registry failed ($h): $(tail -n 1 "$WORK/out")"
	done
	# shellcheck disable=SC2086
	TBX_HOME=$T12 TBX_REGISTRY_MIRROR=$TB_TOKEN_MIRROR REGISTRY_AUTH_FILE=$TB_AUTH_FILE \
		tbx refresh $IDS12 >"$WORK/out" 2>&1 || log "the first refresh of 12 failed: $(tail -n 1 "$WORK/out")"
	log "10, 11: live status and no-op refresh of 5 and 12 backends vs the floor (x$REPEAT)"
	for i in $(seq "$REPEAT"); do
		tw floor floor
		tk status5 "$TBX_HOME" status
		tk refresh5 "$TBX_HOME" refresh --include-amdvlk
		tw floor floor
		tk status12 "$T12" status
		# shellcheck disable=SC2086
		tk refresh12 "$T12" refresh $IDS12
		# the same commands against the plain registry next door: what
		# the Podman side and tbx itself cost, without the distance
		tm status5.local env TBX_HOME="$TBX_HOME" "${TBXU[@]}" status
		tm refresh5.local env TBX_HOME="$TBX_HOME" "${TBXU[@]}" refresh --include-amdvlk
		tm status12.local env TBX_HOME="$T12" "${TBXU[@]}" status
		# shellcheck disable=SC2086
		tm refresh12.local env TBX_HOME="$T12" "${TBXU[@]}" refresh $IDS12
	done
	# informative: with the anonymous token cached (the next run within 5 minutes)
	for i in $(seq "$REPEAT"); do
		tm status5w env TBX_HOME="$TBX_HOME" TBX_REGISTRY_MIRROR="$TB_TOKEN_MIRROR" \
			REGISTRY_AUTH_FILE="$TB_AUTH_FILE" "${TBXU[@]}" status
	done
	"$TESTBED" token-down "$BED" >/dev/null 2>&1 || log "tests/testbed token-down failed"
fi

# --- 7: report and results over NREC records
RH=$WORK/rhome
mkdir -p "$RH/results"
cp -r "$REPO/containers" "$REPO/manifests" "$RH/"
GEN=${TBX_BENCH_GEN:-$REPO/tests/perf/gen-records.sh}
shape="n/a"
if [ -f "$GEN" ]; then
	log "7: generating $NREC records with tests/perf/gen-records.sh"
	sh "$GEN" "$RH/results" "$NREC" 42 >/dev/null 2>"$WORK/gen.err" || {
		log "gen-records.sh failed"
		cat "$WORK/gen.err" >&2
	}
	GEN_NAME=tests/perf/gen-records.sh
else
	# no generator: copies of the real record, with run ids, times,
	# backends and models varied
	log "7: tests/perf/gen-records.sh absent; copying a real record $NREC times"
	GEN_NAME="copies of a real record"
	if [ -n "$REAL_RECORD" ]; then
		awk -v dir="$RH/results" -v n="$NREC" '
			{ tpl = tpl $0 "\n" }
			END {
				split("vulkan-radv vulkan-amdvlk rocm-6.4.4 rocm-7.2 rocm7-nightlies", B, " ")
				for (i = 0; i < n; i++) {
					s = tpl
					b = B[i % 5 + 1]; mo = "m" int(i / 5) % 10
					id = sprintf("%08x-0000-4000-8000-%012x", i, i)
					d = int(i / 50); mon = int(d / 28) % 12 + 1; dd = d % 28 + 1
					day = sprintf("2026-%02d-%02d", mon, dd)
					gsub(/"run_id": "[^"]*"/, "\"run_id\": \"" id "\"", s)
					gsub(/"backend": "[^"]*"/, "\"backend\": \"" b "\"", s)
					gsub(/"model": "[^"]*"/, "\"model\": \"" mo "\"", s)
					gsub(/"started_at": "[0-9-]*T/, "\"started_at\": \"" day "T", s)
					gsub(/"finished_at": "[0-9-]*T/, "\"finished_at\": \"" day "T", s)
					f = sprintf("%s/2026%02d%02dT000000Z-%s-%s-%s.json", dir, mon, dd, b, mo, id)
					printf "%s", s > f
					close(f)
				}
			}' "$REAL_RECORD"
	fi
fi
# do the generated records have every key a real one has?
if [ -n "$REAL_RECORD" ]; then
	keys() { jq -r '[paths | map(if type == "number" then "N" else . end) | join(".")] | unique | .[]' "$@" 2>/dev/null | sort -u; }
	sample=$(find "$RH/results" -name '*.json' | sort | awk 'NR % 97 == 1' | head -n 50)
	# shellcheck disable=SC2086
	missing=$(comm -23 <(keys "$REAL_RECORD") <(keys $sample) | tr '\n' ' ')
	if [ -z "$missing" ]; then shape="every key of a real record present"; else shape="keys missing: $missing"; fi
fi
nfiles=$(find "$RH/results" -name '*.json' | wc -l)
log "7: tbx report / results over $nfiles records, cold and warm cache (x$REPEAT)"
# the cache leaves out files changed in the last 2 s (reccache.h)
sleep 3
RCACHE=$RH/cache/records.cache
for i in $(seq "$REPEAT"); do
	rm -rf "$WORK/reports"
	rm -f "$RCACHE"
	tm reportc env TBX_HOME="$RH" "$TBX" report -o "$WORK/reports"
	rm -rf "$WORK/reports"
	tm report env TBX_HOME="$RH" "$TBX" report -o "$WORK/reports"
	rm -f "$RCACHE"
	tm resultsc env TBX_HOME="$RH" "$TBX" results
	tm results env TBX_HOME="$RH" "$TBX" results
	tm resultsj env TBX_HOME="$RH" "$TBX" results --json
	rm -f "$WORK/page.html" "$RCACHE"
	tm htmlc env TBX_HOME="$RH" "$TBX" report --html "$WORK/page.html"
	rm -f "$WORK/page.html"
	tm html env TBX_HOME="$RH" "$TBX" report --html "$WORK/page.html"
	add html.kb "$(($(stat -c %s "$WORK/page.html" 2>/dev/null || echo 0) / 1024))"
done
rckb=$(($(stat -c %s "$RCACHE" 2>/dev/null || echo 0) / 1024))

# ---------------------------------------------------------------------------
# the table

med() { # KEY -> median of its samples (or n/a)
	local v=${S[$1]:-}
	[ -n "$v" ] || {
		echo n/a
		return
	}
	tr ' ' '\n' <<<"$v" | grep . | sort -g | awk '{ a[NR] = $1 } END {
		m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		if (m == int(m)) printf "%d", m; else printf "%.2f", m }'
}
maxof() { # KEY... -> max of all their samples
	local k all=""
	for k in "$@"; do all="$all ${S[$k]:-}"; done
	[ -n "${all// /}" ] || {
		echo n/a
		return
	}
	tr ' ' '\n' <<<"$all" | grep . | sort -g | tail -n 1
}
rng() { # KEY -> "min-max" of the samples
	local v=${S[$1]:-}
	[ -n "$v" ] || return
	tr ' ' '\n' <<<"$v" | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.1fx", a / b }'; }
mark() { # CONDITION-EXPR (awk) -> met / MISSED / n/a
	awk "BEGIN { if ($1) print \"met\"; else print \"**MISSED**\" }" 2>/dev/null || echo n/a
}
mb() { awk -v k="$1" 'BEGIN { if (k == "n/a") print "n/a"; else printf "%.1f MB", k / 1024 }'; }
ms() { [ "$1" = n/a ] && echo n/a || echo "$1 ms"; }
isnum() { [[ "$1" =~ ^-?[0-9.]+$ ]]; }
cond() { # VALUE OP LIMIT -> met/MISSED/n/a
	isnum "$1" || {
		echo n/a
		return
	}
	mark "$1 $2 $3"
}

r0g=$(med refresh0.get) r0b=$(med refresh0.blob) r0r=$(med refresh0.recreated)
s0g=$(med script0.get) s0b=$(med script0.blob) s0r=$(med script0.recreated)
r0max=$(maxof refresh0.get refresh0.blob refresh0.recreated)
r0w=$(med refresh0.wall) s0w=$(med script0.wall)
r1g=$(med refresh1.get) r1b=$(med refresh1.blob) r1r=$(med refresh1.recreated)
s1g=$(med script1.get) s1b=$(med script1.blob) s1r=$(med script1.recreated)
r1w=$(med refresh1.wall) s1w=$(med script1.wall)
stw=$(med status.wall) inw=$(med inspect.wall)
bw=$(med bench.wall) bow=$(med bencho.wall) dw=$(med direct.wall)
bov=$(med bench.over) boov=$(med bencho.over)
bown=$(med bench.own) boown=$(med bencho.own)
# a wall-time difference means nothing when llama-bench alone varies by more
# than ten times the target from run to run (a loaded machine)
dspread=$(tr ' ' '\n' <<<"${S[direct.wall]:-}" | grep . | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print hi - lo }')
over_ok() { # VALUE
	if [ "$REPEAT" -gt 1 ] && [ "${dspread:-0}" -gt 1000 ]; then
		echo "inconclusive (llama-bench alone varied by $((dspread / 1000)) s)"
	else
		cond "$1" "<" 100
	fi
}
lw=$(med long.wall) lc=$(med long.cpu) lp=$(med long.pct)
cvw=$(med curve.wall) cvc=$(med curve.cpu) cvp=$(med curve.pct)
rpw=$(med report.wall) rpm=$(maxof report.rss)
rsw=$(med results.wall) rsm=$(maxof results.rss)
rpcw=$(med reportc.wall) rpcm=$(maxof reportc.rss)
rscw=$(med resultsc.wall) rscm=$(maxof resultsc.rss)
hcw=$(med htmlc.wall) hcm=$(maxof htmlc.rss)
rjw=$(med resultsj.wall) rjm=$(maxof resultsj.rss)
hw=$(med html.wall) hkb=$(maxof html.kb) hm=$(maxof html.rss)
rfm=$(maxof refresh0.rss refresh1.rss refreshu.rss)
ruw=$(med refreshu.wall) suw=$(med scriptu.wall)
rug=$(med refreshu.get) rut=$(med refreshu.tags) rur=$(med refreshu.reqs)
sug=$(med scriptu.get) sut=$(med scriptu.tags) sur=$(med scriptu.reqs)
ok9=$(cond "$(maxof refreshu.get)" "==" 0)
[ "$ok9" = met ] && [ "$(maxof refreshu.tags)" != 1 ] && ok9="**MISSED**"
 bnm=$(maxof bench.rss bencho.rss long.rss)
flw=$(med floor.wall)
# 10, 11: every run exactly one token request, the median within 1.3x the floor
tok_row() { # NUM LABEL KEY
	local w t ok r
	w=$(med "$3.wall")
	t=$(maxof "$3.tok")
	r=$(ratio "$w" "$flw")
	ok=$(cond "${r%x}" "<=" 1.3)
	[ "$ok" = met ] && [ "$(all1 "$3.tok")" != 1 ] && ok="**MISSED** (token requests: ${S[$3.tok]:-})"
	echo "| $1 | $2: wall / token requests (max) | $(ms "$w") / $t | floor: $(ms "$flw") | $r | <= 1.3x the floor, 1 token | $ok |"
	# what the distance and the auth cost: the run minus the same run
	# against the plain registry next door (Podman's and tbx's own work)
	local l d
	l=$(med "$3.local.wall")
	d=$(awk -v a="$w" -v b="$l" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else print a - b }')
	echo "| $1 | the same minus the run against the local plain registry ($(ms "$l")): what distance and auth cost | $(ms "$d") | floor: $(ms "$flw") | $(ratio "$d" "$flw") | (informative) | |"
}

# 1: every run all zero; 3: every run exactly 1 and 1
ok1=$(cond "$r0max" "==" 0)
all1() { # KEY -> 1 when every sample is 1
	local v
	for v in ${S[$1]:-x}; do [ "$v" = 1 ] || {
		echo 0
		return
	}; done
	echo 1
}
if [ "$(all1 refresh1.get)$(all1 refresh1.recreated)" = 11 ]; then ok3=met; else ok3="**MISSED**"; fi
rat2=$(ratio "$s0w" "$r0w")
rat4=$(ratio "$inw" "$stw")

TABLE=$WORK/table.md
{
	echo "$("$TBX" --version 2>/dev/null | head -n 1) on $(nproc) CPUs, $(date -u +%FT%TZ), medians of $REPEAT runs" \
		"(load average $(cut -d' ' -f1-3 /proc/loadavg))"
	echo
	echo "| # | measurement | tbx | alternative | ratio | target | result |"
	echo "|---|---|--:|--:|--:|---|---|"
	echo "| 1 | nightly refresh, nothing changed, 5 backends: manifest GETs / blob GETs / recreated | $r0g / $r0b / $r0r | script: $s0g / $s0b / $s0r | | 0 / 0 / 0 | $ok1 |"
	echo "| 2 | the same, wall time | $(ms "$r0w") | script: $(ms "$s0w") | $rat2 | tbx >= 3x faster | $(cond "${rat2%x}" ">=" 3) |"
	echo "| 3 | refresh after one upstream rebuild: pulls (manifest GETs) / blob GETs / recreated | $r1g / $r1b / $r1r | script: $s1g / $s1b / $s1r | | 1 pull, 1 recreated | $ok3 |"
	echo "| 3 | the same, wall time (informative) | $(ms "$r1w") | script: $(ms "$s1w") | $(ratio "$s1w" "$r1w") | | |"
	echo "| 4 | \`tbx status --offline\`, 5 backends, wall time | $(ms "$stw") | 10 podman inspect: $(ms "$inw") | $rat4 | tbx >= 10x faster | $(cond "${rat4%x}" ">=" 10) |"
	echo "| 5 | \`tbx bench rocm72 tiny\` overhead over 2 direct \`podman exec llama-bench\` (registry HEAD) | $(ms "$bov") ($(ms "$bw") total) | direct: $(ms "$dw") | | < 100 ms | $(over_ok "$bov") |"
	echo "| 5 | the same with \`--offline\` | $(ms "$boov") ($(ms "$bow") total) | direct: $(ms "$dw") | | < 100 ms | $(over_ok "$boov") |"
	echo "| 5 | tbx's own time in \`tbx bench rocm72 tiny\` (strace: run minus llama-bench's exec sessions) | $(ms "$bown") | | | < 100 ms | $(cond "$bown" "<" 100) |"
	echo "| 5 | the same with \`--offline\` | $(ms "$boown") | | | < 100 ms | $(cond "$boown" "<" 100) |"
	echo "| 6 | tbx CPU (user+sys) during a bench of $(ms "$lw") (\`-- -r $NREP\`) | ${lc} s = ${lp}% | | | < 1% | $(cond "$lp" "<" 1) |"
	echo "| 7 | \`tbx report\` over $nfiles records, warm record cache: wall / peak RSS | $(ms "$rpw") / $(mb "$rpm") | cold cache: $(ms "$rpcw") / $(mb "$rpcm") | | < 500 ms, < 32 MB (warm) | $(cond "$rpw" "<" 500) / $(cond "$rpm" "<" 32768) |"
	echo "| 7 | \`tbx results\` over $nfiles records, warm record cache: wall / peak RSS | $(ms "$rsw") / $(mb "$rsm") | cold cache: $(ms "$rscw") / $(mb "$rscm") | | < 500 ms, < 32 MB (warm) | $(cond "$rsw" "<" 500) / $(cond "$rsm" "<" 32768) |"
	echo "| 7 | \`tbx report --html FILE\` over $nfiles records, warm record cache: wall / page size (peak RSS $(mb "$hm")) | $(ms "$hw") / $(mb "$hkb") | cold cache: $(ms "$hcw") (peak RSS $(mb "$hcm")) | | < 1000 ms, < 5 MB (warm) | $(cond "$hw" "<" 1000) / $(cond "$hkb" "<" 5120) |"
	echo "| 7 | \`tbx results --json\`, warm record cache (informative; cache file $(mb "$rckb")) | $(ms "$rjw") / $(mb "$rjm") | | | < 500 ms, < 32 MB | $(cond "$rjw" "<" 500) / $(cond "$rjm" "<" 32768) |"
	echo "| 8 | peak RSS of \`tbx refresh\` (max of all runs) | $(mb "$rfm") | | | < 16 MB | $(cond "$rfm" "<" 16384) |"
	echo "| 8 | peak RSS of \`tbx bench\` (max of all runs) | $(mb "$bnm") | | | < 16 MB | $(cond "$bnm" "<" 16384) |"
	echo "| 9 | upstream's tag set today: no-op refresh of $n_up stable and experimental backends: manifest GETs / tags/list GETs / registry requests | $rug / $rut / $rur | script: $sug / $sut / $sur | | 0 GETs, 1 tags/list walk | $ok9 |"
	echo "| 9 | the same, wall time | $(ms "$ruw") | script: $(ms "$suw") | $(ratio "$suw" "$ruw") | | |"
	tok_row 10 "live \`tbx status\`, 5 backends, token registry ~$((2 * TOKEN_DELAY_MS)) ms away, no token cached" status5
	tok_row 10 "the same, 12 backends" status12
	tok_row 11 "no-op \`tbx refresh\`, 5 backends (HEADs and the tags/list walk)" refresh5
	tok_row 11 "the same, 12 backends" refresh12
	echo "| 12 | tbx CPU (user+sys) during one depth curve of $(ms "$cvw") (\`tbx curve --depths 0,256,512 --repetitions $CREP --cooldown 2\`, sized to ~$((LONG_MS / 1000)) s) | ${cvc} s = ${cvp}% | | | < 1% | $(cond "$cvp" "<" 1) |"
	echo "| 10 | live \`tbx status\`, 5 backends, anonymous token cached (informative) | $(ms "$(med status5w.wall)") | floor: $(ms "$flw") | $(ratio "$(med status5w.wall)" "$flw") | | |"
	echo
	echo "- Ranges (min-max, ms): refresh $(rng refresh0.wall), script $(rng script0.wall);" \
		"status $(rng status.wall), inspect x10 $(rng inspect.wall);" \
		"bench $(rng bench.wall), bench --offline $(rng bencho.wall), direct x2 $(rng direct.wall);" \
		"report $(rng report.wall) (cold $(rng reportc.wall)), report --html $(rng html.wall) (cold $(rng htmlc.wall))," \
		"results $(rng results.wall) (cold $(rng resultsc.wall));" \
		"floor $(rng floor.wall), token status 5 $(rng status5.wall) / 12 $(rng status12.wall)," \
		"token refresh 5 $(rng refresh5.wall) / 12 $(rng refresh12.wall)."
	echo "- Records: $GEN_NAME ($shape)."
	for k in bench.own bencho.own; do
		[ -s "$WORK/own.$k" ] || continue
		echo "- Slowest requests outside llama-bench ($k, ms summed over $REPEAT runs):" \
			"$(awk '{ s[$2 " " $3] += $1 } END { for (r in s) printf "%d %s\n", s[r], r }' "$WORK/own.$k" |
				sort -rn | head -n 3 | awk '{ printf "%s%s %s %d", (NR > 1 ? "; " : ""), $2, $3, $1 }')."
	done
	[ -n "$GTIME" ] || echo "- /usr/bin/time missing (Debian package \"time\"): CPU time and RSS not measured."
} >"$TABLE"
echo
cat "$TABLE"
if [ -n "${TBX_BENCH_OUT:-}" ]; then
	cp "$TABLE" "$TBX_BENCH_OUT" && log "table written to $TBX_BENCH_OUT"
fi
exit 0
