# shellcheck shell=bash disable=SC2154
# tests/torture/lib.sh - the fault classes of `make torture`.
#
# Sourced after tests/e2e/lib.sh (which gives $T, $TBX_HOME, $TBX_LOCK_DIR,
# run/is/like/check and the test bed's env) by tests/torture/run.sh (many
# rounds) and tests/e2e/t70-faults.sh (a quick subset for `make check`).
#
# Every fault class counts what it injected and how many of those faults
# were survived with nothing lost (a fault is survived when every check made
# for it passed), the bad inputs it tried, and crashes: a tbx exit code
# >= 128 other than 130/143 and other than our own kill -9 (137), or
# "Sanitizer" / "runtime error" on its stderr (run with TBX_BIN pointing at
# a `make SANITIZE=address,undefined` binary to catch memory errors).
#
# Knobs (defaults are run.sh's; t70 sets small ones):
#   TBX_KILL_ROUNDS        kill -9 rounds during refresh (50)
#   TBX_BENCH_KILL_ROUNDS  kill -9 rounds during bench (TBX_KILL_ROUNDS)
#   TBX_BENCH_KILL_ARGS    extra llama-bench args of the killed benches ("-r 10")
#   TBX_PODMAN_ROUNDS      rounds of each Podman fault during a bench (3)
#   TBX_CONC_ROUNDS        rounds of each concurrency scenario (2)
#   TBX_CONC_BENCH_ARGS    llama-bench args of the bench a refresh waits for
#                          (default: calibrated to last about 10 s)
#   TBX_ORPHAN_GRACE       seconds a llama-bench may outlive its tbx (3)
#   TBX_STATUS_MAX         seconds a `tbx status` may take during the chaos (30)
#   TBX_TORTURE_QUICK=1    fewer registry modes and bad inputs (t70)

TORTURE_DIR=$REPO/tests/torture
BACKENDS="rocm-6.4.4 rocm-7.2 rocm7-nightlies vulkan-radv"
# (read when sourced: set the knobs before sourcing this file)
ORPHAN_GRACE=${TBX_ORPHAN_GRACE:-3}
STATUS_MAX=${TBX_STATUS_MAX:-30}
QUICK=${TBX_TORTURE_QUICK:-0}

declare -A INJ SURV BAD CRASH
CLASSES=()
CLASS=none
MOUNTS=()
PROXY_PID=

class_begin() { # NAME DESCRIPTION
	CLASS=$1
	CLASSES+=("$1")
	INJ[$1]=0 SURV[$1]=0 BAD[$1]=0 CRASH[$1]=0
	echo "# ===== $1: $2"
	CLASS_T0=$SECONDS
}
class_end() {
	echo "# ===== $CLASS: ${INJ[$CLASS]} faults injected, ${SURV[$CLASS]} survived;" \
		"${BAD[$CLASS]} bad inputs; ${CRASH[$CLASS]} crashes ($((SECONDS - CLASS_T0)) s)"
}

# A fault whose checks are TAP checks: fault_begin ... fault_end.
fault_begin() { _fault_failed0=$_failed; }
fault_end() {
	INJ[$CLASS]=$((INJ[$CLASS] + 1))
	[ "$_failed" -eq "$_fault_failed0" ] && SURV[$CLASS]=$((SURV[$CLASS] + 1))
	return 0
}
# A fault judged by the caller: fault_done 0 (survived) or 1.
fault_done() {
	INJ[$CLASS]=$((INJ[$CLASS] + 1))
	[ "$1" = 0 ] && SURV[$CLASS]=$((SURV[$CLASS] + 1))
	return 0
}

# ---------------------------------------------------------------------------
# running tbx

short() { printf '%s' "$*" | tr -c '[:print:]' '?' | head -c 160; }

# is_crash RC ERRFILE [OWN_RC]: true when tbx crashed
is_crash() {
	local r=$1
	if [ "$r" -ge 128 ] && [ "$r" != 130 ] && [ "$r" != 143 ] && [ "$r" != "${3:-none}" ]; then
		return 0
	fi
	[ -f "$2" ] && grep -aEq 'Sanitizer|runtime error' "$2"
}
# crash_check DESC RC ERRFILE [OWN_RC]: counts and reports a crash
crash_check() {
	if is_crash "$2" "$3" "${4:-none}"; then
		CRASH[$CLASS]=$((CRASH[$CLASS] + 1))
		ok 1 "$CLASS: no crash: $(short "$1") (exit $2)"
		grep -aE -m 20 'Sanitizer|runtime error|#[0-9]+ 0x|SUMMARY' "$3" 2>/dev/null | sed 's/^/#   /' | head -c 4000
		return 1
	fi
	return 0
}
# trun ARGS...: run tbx (sets rc, out, err) and check it did not crash
trun() {
	run tbx "$@"
	crash_check "tbx $*" "$rc" "$T/err"
	return 0
}
# tbg OUTPREFIX ARGS...: start tbx in the background ($! is its pid)
tbg() {
	local o=$1
	shift
	"$TBX_BIN" --url "$TB_URL" "$@" >"$o.out" 2>"$o.err" &
}

# one_line_error RC_ALLOWED PATTERN DESC: after trun, for a bad input
bad_input() { # DESC RCS PATTERN ARGS...  (RCS like "1 2")
	local desc=$1 rcs=$2 pat=$3 nl good=1
	shift 3
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	trun "$@"
	# a usage error may add the usage lines after its one-line message
	nl=$(grep -cvE '^(usage: |\(see .tbx )' "$T/err")
	case " $rcs " in *" $rc "*) ;; *) good=0 ;; esac
	[ "$nl" = 1 ] || good=0
	printf '%s' "$err" | grep -aEq -- "$pat" || good=0
	if [ $good = 1 ]; then
		ok 0 "$CLASS: bad input: $desc"
	else
		ok 1 "$CLASS: bad input: $desc"
		echo "#   tbx $(short "$*")"
		echo "#   exit $rc (want one of: $rcs); $nl stderr line(s) (want 1); want /$pat/"
		printf '%s\n' "$err" | head -n 5 | cut -c 1-400 | sed 's/^/#   err: /'
	fi
}

# ---------------------------------------------------------------------------
# state

ids() { # the container IDs of the default backends, one line
	local b
	for b in $BACKENDS; do printf '%s=%s ' "$b" "$(container_id "llama-$b")"; done
}
image_of() { podman inspect --format '{{.Image}}' "$1" 2>/dev/null; }
image_exists() { [ -n "$1" ] && podman image exists "$1" 2>/dev/null; }
lock_digest() { jq -r --arg b "$1" '.backends[$b].digest // "none"' "$TBX_HOME/manifests/images.lock.json" 2>/dev/null; }
lock_free() { flock -n "$TBX_LOCK_DIR/tbx.lock" true; }
nrec() { find "$TBX_HOME/results" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l; }
tmp_files() { find "$TBX_HOME" "$TBX_LOCK_DIR" -name '*.tmp.*' 2>/dev/null; }
# bad_records: prints the records that are not whole (valid JSON with pp512/tg128 means)
bad_records() {
	local f
	for f in "$TBX_HOME"/results/*.json; do
		[ -e "$f" ] || continue
		jq -e '(.pp512.mean | type) == "number" and (.tg128.mean | type) == "number"' \
			"$f" >/dev/null 2>&1 || echo "$f"
	done
}
lockfile_valid() {
	[ ! -e "$TBX_HOME/manifests/images.lock.json" ] ||
		jq -e .backends "$TBX_HOME/manifests/images.lock.json" >/dev/null 2>&1
}
# a backend is usable when a container exists under one of its names
usable() {
	local n=llama-$1 s
	for s in "" -tbx-new -tbx-old; do
		[ -n "$(container_id "$n$s")" ] && return 0
	done
	return 1
}
# containers of backend B (its name, or a -tbx-new/-tbx-old temporary)
ncontainers() {
	podman ps -a --format '{{.Names}}' | grep -cxE -e "llama-$1(-tbx-new|-tbx-old)?" || true
}
# llama-bench processes in a container
nbench() {
	local n
	n=$(podman exec "$1" sh -c 'ps -eo comm= | grep -c "^llama-bench" || true' 2>/dev/null)
	echo "${n:-0}"
}
wait_bench_running() { # CONTAINER [TRIES of 0.2 s]
	local i
	for i in $(seq "${2:-150}"); do
		[ "$(nbench "$1")" -gt 0 ] && return 0
		sleep 0.2
	done
	return 1
}
# shellcheck disable=SC2034 # waited: for the callers
wait_no_bench() { # CONTAINER SECONDS -> 0 when none left in time; sets waited (s)
	local t0=$SECONDS
	waited=0
	while [ "$(nbench "$1")" -gt 0 ]; do
		if [ $((SECONDS - t0)) -ge "$2" ]; then
			waited=$((SECONDS - t0))
			return 1
		fi
		sleep 0.5
	done
	waited=$((SECONDS - t0))
	return 0
}
rebuild() { local t; for t in "$@"; do "$TESTBED" rebuild "$TB_DIR" "$t" >/dev/null 2>&1; done; }
rand_delay() { # MAX_SECONDS -> a uniform random delay in [0, MAX)
	awk -v s="$RANDOM$RANDOM" -v m="$1" 'BEGIN { srand(s); printf "%.2f", rand() * m }'
}
now_s() { date +%s.%N; }
# long_args SECONDS: llama-bench args ("-r N") making one rocm72 bench of the
# tiny model last about that long on this machine now (whatever its load)
long_args() {
	local rec per
	run tbx -q bench rocm72 tiny -- -r 3
	# the seconds one repetition takes, from the record's rates (warmup +
	# measured run); llama-bench spends about 3 times that per repetition
	# here (the rates count the timed part only)
	rec=$(find "$TBX_HOME/results" -name '*.json' -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2-)
	per=$(jq -r '3 * 2 * (512 / .pp512.mean + 128 / .tg128.mean)' "$rec" 2>/dev/null)
	awk -v per="${per:-1}" -v want="$1" 'BEGIN {
		if (per + 0 <= 0) per = 1
		r = int(want / per) + 1
		if (r < 3) r = 3
		if (r > 5000) r = 5000
		printf "-r %d", r }'
}
since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'; }

# mounts made by the disk class are undone here, whatever happens
torture_unmount_all() {
	local m
	for m in "${MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	MOUNTS=()
}
torture_cleanup() {
	torture_unmount_all
	if [ -n "$PROXY_PID" ]; then
		kill "$PROXY_PID" 2>/dev/null
		wait "$PROXY_PID" 2>/dev/null
		PROXY_PID=
	fi
	if [ -n "${STATUS_LOOP_PID:-}" ]; then
		kill "$STATUS_LOOP_PID" 2>/dev/null
		wait "$STATUS_LOOP_PID" 2>/dev/null
		STATUS_LOOP_PID=
	fi
	# the registry may have been stopped by a fault
	"$TESTBED" start-registry "$TB_DIR" >/dev/null 2>&1 || true
	return 0
}

# the state every class starts from: the four default backends fresh
baseline() {
	torture_unmount_all
	ensure_tags
	export TBX_REGISTRY_MIRROR=$TB_MIRROR
	run tbx refresh
	if [ "$rc" != 0 ]; then
		reset_containers
		run tbx refresh
	fi
	is "$rc" 0 "$CLASS: baseline refresh"
}

# ===========================================================================
# 1. kill -9 during refresh and during bench

class_kill() {
	local rounds=${TBX_KILL_ROUNDS:-50} brounds=${TBX_BENCH_KILL_ROUNDS:-${TBX_KILL_ROUNDS:-50}}
	local bargs=${TBX_BENCH_KILL_ARGS:--r 10}
	class_begin kill "kill -9 of tbx during refresh ($rounds rounds) and bench ($brounds rounds, -- $bargs)"
	reset_containers
	baseline

	# --- refresh: spread the kills over a whole refresh with real work
	local t0 dur i b pid bad lost_lock notes
	rebuild rocm-7.2 rocm7-nightlies
	t0=$(now_s)
	trun refresh
	dur=$(since "$t0")
	is "$rc" 0 "kill: a refresh with work succeeds (took ${dur}s; kills spread over 0..${dur}s)"
	bad=0 lost_lock=0
	for i in $(seq "$rounds"); do
		# give refresh real work: two rebuilt tags, so it pulls and recreates
		rebuild rocm-7.2 rocm7-nightlies
		tbg "$T/k" -q refresh
		pid=$!
		sleep "$(rand_delay "$dur")"
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		crash_check "refresh (kill round $i)" "$?" "$T/k.err" 137
		notes=""
		for b in $BACKENDS; do
			usable "$b" || notes="$notes $b has no container;"
		done
		lockfile_valid || notes="$notes images.lock.json is not valid JSON;"
		lock_free || {
			notes="$notes the run lock was still held;"
			lost_lock=$((lost_lock + 1))
		}
		if [ -n "$notes" ]; then
			bad=$((bad + 1))
			echo "# refresh kill round $i:$notes"
			fault_done 1
		else
			fault_done 0
		fi
	done
	is "$bad" 0 "kill: $rounds refresh kills: every backend always had a usable container, images.lock.json stayed whole, the lock was free"
	trun refresh
	is "$rc" 0 "kill: the next refresh succeeds"
	for b in $BACKENDS; do
		is "$(ncontainers "$b")" 1 "kill: $b has exactly one container"
		is "$(podman inspect --format '{{.State.Status}}' "llama-$b" 2>&1)" running "kill: llama-$b runs"
	done
	check "kill: no temporary files left after the next refresh" test -z "$(tmp_files)"
	trun status --json
	is "$(printf '%s' "$out" | jq -r '[.[] | select(.kind=="container" and .backend!="vulkan-amdvlk") | .verdict] | unique | join(",")' 2>&1)" \
		fresh "kill: every backend fresh after the next refresh"

	# --- bench: kill anywhere between the start and the record
	local n0 nnew orphans=0 orphan_late=0 killed_orphans=0 finished=0 after_record=0 cnt recs r maxcnt
	t0=$(now_s)
	# shellcheck disable=SC2086
	trun bench rocm72 tiny -- $bargs
	dur=$(since "$t0")
	is "$rc" 0 "kill: a whole bench -- $bargs succeeds (took ${dur}s; kills spread over 0..${dur}s)"
	bad=0
	for i in $(seq "$brounds"); do
		n0=$(nrec)
		# shellcheck disable=SC2086
		tbg "$T/kb" bench rocm72 tiny -- $bargs
		pid=$!
		sleep "$(rand_delay "$dur")"
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		r=$?
		[ "$r" = 0 ] && finished=$((finished + 1))
		crash_check "bench (kill round $i)" "$r" "$T/kb.err" 137
		notes=""
		lock_free || notes="$notes the run lock was still held;"
		recs=$(bad_records)
		[ -z "$recs" ] || notes="$notes partial record(s): $recs;"
		nnew=$(($(nrec) - n0))
		[ "$nnew" -le 1 ] || notes="$notes $nnew records from one bench;"
		# a kill that lands after the record's rename (while tbx compares
		# it with the previous run, slow under ASan) leaves that one whole
		# record: bad_records above finds any partial one
		[ "$r" = 0 ] || [ "$nnew" = 0 ] || after_record=$((after_record + 1))
		usable rocm-7.2 || notes="$notes rocm-7.2 has no container;"
		# a kill -9'd tbx cannot stop the llama-bench it started: how long does it live?
		cnt=$(nbench llama-rocm-7.2)
		if [ "$cnt" -gt 0 ]; then
			orphans=$((orphans + 1))
			if ! wait_no_bench llama-rocm-7.2 "$ORPHAN_GRACE"; then
				orphan_late=$((orphan_late + 1))
				# keep the rounds independent (and the machine usable): the
				# harness stops what tbx left behind
				podman exec llama-rocm-7.2 pkill -KILL -x llama-bench >/dev/null 2>&1
				killed_orphans=$((killed_orphans + 1))
				wait_no_bench llama-rocm-7.2 30
			fi
		fi
		if [ -n "$notes" ]; then
			bad=$((bad + 1))
			echo "# bench kill round $i:$notes"
			fault_done 1
		else
			fault_done 0
		fi
	done
	is "$bad" 0 "kill: $brounds bench kills: lock always free, no partial record, the container always there"
	echo "# bench kills: $finished of $brounds benches finished before the kill, $after_record killed after writing their (whole) record; $orphans kills left" \
		"a llama-bench running; $orphan_late of those still ran ${ORPHAN_GRACE}s later (the harness killed them)"

	# a kill -9 while llama-bench surely has long to go: does it stop soon
	# after (the next tbx could stop it), and does the next bench run beside it?
	local long
	long=$(long_args 20)
	# shellcheck disable=SC2086
	tbg "$T/kb" bench rocm72 tiny -- $long
	pid=$!
	wait_bench_running llama-rocm-7.2
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	wait_no_bench llama-rocm-7.2 "$ORPHAN_GRACE"
	is "$?" 0 "kill: no orphaned llama-bench outlives its kill -9'd tbx by more than ${ORPHAN_GRACE}s (bench -- $long)"
	tbg "$T/kb2" bench rocm72 tiny -- -r 3
	pid=$!
	maxcnt=0
	while kill -0 "$pid" 2>/dev/null; do
		cnt=$(nbench llama-rocm-7.2)
		[ "$cnt" -gt "$maxcnt" ] && maxcnt=$cnt
		sleep 0.5
	done
	wait "$pid"
	r=$?
	crash_check "bench (after a killed bench)" "$r" "$T/kb2.err"
	is "$r" 0 "kill: a bench right after a killed one succeeds"
	check "kill: and never runs beside the killed bench's orphaned llama-bench (saw $maxcnt at once)" test "$maxcnt" -le 1
	podman exec llama-rocm-7.2 pkill -KILL -x llama-bench >/dev/null 2>&1
	wait_no_bench llama-rocm-7.2 30

	# what a tbx killed while saving leaves, in each place it saves to:
	# the next bench removes them (a dead process's only)
	dead=$(sh -c 'echo $$')
	for f in "$TBX_LOCK_DIR/x.owner.tmp.$dead.AbC123" "$TBX_HOME/manifests/images.lock.json.tmp.$dead.AbC123" \
		"$TBX_HOME/cache/upstream.json.tmp.$dead.AbC123" "$TBX_HOME/results/x.json.tmp.$dead.AbC123"; do
		[ -d "$(dirname "$f")" ] && : >"$f"
	done
	trun bench rocm72 tiny -- -r 2
	is "$rc" 0 "kill: the next bench succeeds"
	check "kill: no temporary files left after the next bench" test -z "$(tmp_files)"
	[ -z "$(tmp_files)" ] || echo "#   left: $(tmp_files | tr '\n' ' ')"
	is "$(bad_records | wc -l)" 0 "kill: every record is whole"
	is "$(ncontainers rocm-7.2)" 1 "kill: rocm-7.2 still has exactly one container"
	check "kill: the run lock is free" lock_free
	# the pid files tbx leaves in the container for each run
	cnt=$(podman exec llama-rocm-7.2 sh -c 'ls /tmp | grep -c "^tbx-bench-.*\.pid$" || true' 2>/dev/null)
	is "${cnt:-0}" 0 "kill: no tbx-bench-*.pid files left in the container's /tmp after the next bench"
	class_end
}

# ===========================================================================
# 2. the registry: stopped, 404, 401, 429, 500, connection closed, ...

proxy_start() {
	if [ ! -x "$T/faultproxy" ] || [ "$TORTURE_DIR/faultproxy.c" -nt "$T/faultproxy" ]; then
		${CC:-cc} -std=c11 -O2 -Wall -Wextra -o "$T/faultproxy" "$TORTURE_DIR/faultproxy.c" || return 1
	fi
	: >"$T/proxy.ctl"
	: >"$T/proxy.log"
	rm -f "$T/proxy.port"
	"$T/faultproxy" "$T/proxy.port" "${TB_REGISTRY##*:}" "$T/proxy.ctl" "$T/proxy.log" &
	PROXY_PID=$!
	local i
	for i in $(seq 50); do
		[ -s "$T/proxy.port" ] && break
		sleep 0.1
	done
	[ -s "$T/proxy.port" ] || return 1
	PROXY_PORT=$(cat "$T/proxy.port")
}
proxy_mode() { printf '%s\n' "$@" >"$T/proxy.ctl"; }

registry_pattern() { # MODE -> what the failure message must say
	case "$1" in
	404) echo "not found.*HTTP 404" ;;
	401) echo "access denied.*HTTP 401" ;;
	401bearer) echo "access denied by the token service.*HTTP 401" ;;
	403) echo "access denied.*HTTP 403" ;;
	429) echo "rate limited.*HTTP 429" ;;
	5??) echo "answered HTTP $1" ;;
	close) echo "cannot reach docker.io.*(Empty reply|closed)" ;;
	reset) echo "cannot reach docker.io.*reset" ;;
	midclose | cut:*) echo "(closed|incomplete|truncated|cut short|ended before)" ;;
	hang) echo "cannot reach docker.io.*timed out" ;;
	baddigest) echo "invalid digest" ;;
	nodigest) echo "without a Docker-Content-Digest" ;;
	hugeheader) echo "(too large|too long|header)" ;;
	garbage) echo "cannot reach docker.io.*(HTTP/0.9|not HTTP|invalid|malformed)" ;;
	*) echo "." ;;
	esac
}

class_registry() {
	class_begin registry "registry faults on the digest check (HEAD), through tests/torture/faultproxy.c"
	baseline
	local modes m pat before id72 img72 d72 id644 i
	if [ "$QUICK" = 1 ]; then
		modes="404 401 429 500 close midclose"
	else
		modes="404 401 401bearer 403 429 500 502 503 close reset midclose cut:40 hang baddigest nodigest hugeheader garbage"
	fi
	if ! proxy_start; then
		ok 1 "registry: the fault proxy starts"
		class_end
		return
	fi
	export TBX_REGISTRY_MIRROR=docker.io=http://127.0.0.1:$PROXY_PORT
	export TBX_REGISTRY_TIMEOUT=3s
	trun refresh
	is "$rc" 0 "registry: refresh through the (passing) proxy"
	check "registry: the proxy saw the HEADs" grep -q '^pass HEAD ' "$T/proxy.log"

	# rocm-7.2 moves upstream: a refresh would recreate it if it could see that
	rebuild rocm-7.2
	for m in $modes; do
		fault_begin
		rebuild rocm-6.4.4 # the other backends must still refresh
		id72=$(container_id llama-rocm-7.2)
		img72=$(image_of llama-rocm-7.2)
		d72=$(lock_digest rocm-7.2)
		id644=$(container_id llama-rocm-6.4.4)
		proxy_mode "$m /manifests/rocm-7.2"
		: >"$T/proxy.log"
		trun refresh
		pat=$(registry_pattern "$m")
		is "$rc" 1 "registry $m: refresh exits 1"
		like "$out" "rocm-7\.2: FAILED: .*$pat" "registry $m: the failure names the backend and the cause"
		like "$err" "rocm-7\.2: .*$pat" "registry $m: and says so on stderr"
		like "$out" "rocm-6\.4\.4: recreated" "registry $m: another backend still refreshes"
		check "registry $m: it really recreated that one" test "$(container_id llama-rocm-6.4.4)" != "$id644"
		is "$(container_id llama-rocm-7.2)" "$id72" "registry $m: rocm-7.2's container untouched"
		is "$(image_of llama-rocm-7.2)" "$img72" "registry $m: on the same image"
		check "registry $m: which still exists" image_exists "$img72"
		is "$(lock_digest rocm-7.2)" "$d72" "registry $m: its pinned digest unchanged"
		check "registry $m: the fault was really injected" grep -q "^$m HEAD .*rocm-7.2" "$T/proxy.log"
		fault_end
	done

	# status and bench ride out a failing registry
	fault_begin
	proxy_mode "500"
	trun status --json
	is "$rc" 0 "registry 500 everywhere: status exits 0"
	like "$(printf '%s' "$out" | jq -r '.[] | select(.backend=="rocm-7.2") | .reason' 2>&1)" \
		"registry not reachable|HTTP 500" "registry 500 everywhere: status says the registry failed"
	n0=$(nrec)
	trun bench rocm644 tiny -- -r 1
	is "$rc" 0 "registry 500 everywhere: bench judges from the last verification and runs"
	like "$err" "registry not reachable" "registry 500 everywhere: bench says so"
	is "$(nrec)" "$((n0 + 1))" "registry 500 everywhere: one record"
	fault_end

	# the registry itself stopped (no proxy: connection refused)
	fault_begin
	proxy_mode ""
	export TBX_REGISTRY_MIRROR=$TB_MIRROR
	before=$(ids)
	d72=$(lock_digest rocm-7.2)
	"$TESTBED" stop-registry "$TB_DIR" >/dev/null 2>&1
	trun refresh
	is "$rc" 1 "registry stopped: refresh exits 1"
	for b in $BACKENDS; do
		like "$out" "$b: FAILED: cannot reach docker.io" "registry stopped: $b fails, naming the registry"
	done
	is "$(ids)" "$before" "registry stopped: no container touched"
	is "$(lock_digest rocm-7.2)" "$d72" "registry stopped: images.lock.json unchanged"
	"$TESTBED" start-registry "$TB_DIR" >/dev/null 2>&1
	fault_end

	# all healthy again: everything refreshes
	trun refresh
	is "$rc" 0 "registry: after the faults, refresh succeeds"
	like "$out" "rocm-7\.2: recreated" "registry: and now recreates rocm-7.2"
	kill "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null
	PROXY_PID=
	unset TBX_REGISTRY_TIMEOUT
	class_end
}

# ===========================================================================
# 3. Podman: socket missing, service restarted / container removed or
#    stopped during a bench, service frozen

class_podman() {
	local rounds=${TBX_PODMAN_ROUNDS:-3} i c n0 r what pid url
	class_begin podman "Podman faults (socket missing, service restarted, container removed/stopped during a bench; $rounds rounds each)"
	baseline

	# --- the socket is missing (or not a socket)
	mkdir -p "$T/notsock"
	: >"$T/notsock/file.sock"
	local urls="unix://$T/nowhere/podman.sock unix://$T/notsock/file.sock unix://$T/notsock"
	local cmds="status refresh bench:rocm72:tiny refresh:--check" whats="restart rm stop"
	if [ "$QUICK" = 1 ]; then
		urls="unix://$T/nowhere/podman.sock"
		cmds="status bench:rocm72:tiny"
		whats="restart rm"
	fi
	for url in $urls; do
		for c in $cmds; do
			c=${c//:/ }
			fault_begin
			# shellcheck disable=SC2086
			run "$TBX_BIN" --url "$url" $c
			crash_check "tbx --url $url $c" "$rc" "$T/err"
			is "$rc" 1 "podman socket ${url#unix://"$T"/}: tbx $c exits 1"
			is "$(grep -c '' "$T/err")" 1 "podman socket ${url#unix://"$T"/}: tbx $c says it in one line"
			like "$err" "${url#unix://}" "podman socket ${url#unix://"$T"/}: tbx $c names the path"
			fault_end
		done
	done

	# --- the service frozen (SIGSTOP): calls time out, nothing hangs
	local ppid
	ppid=$(cat "$TB_DIR/podman.pid" 2>/dev/null)
	if [ -n "$ppid" ]; then
		fault_begin
		kill -STOP "$ppid"
		local t0
		t0=$(now_s)
		TBX_PODMAN_TIMEOUT=3s run timeout 60 "$TBX_BIN" --url "$TB_URL" status --offline
		kill -CONT "$ppid"
		crash_check "status (podman frozen)" "$rc" "$T/err"
		is "$rc" 1 "podman frozen: status exits 1 (took $(since "$t0")s)"
		like "$err" "(timed out|timeout|did not answer)" "podman frozen: and says Podman did not answer"
		fault_end
		sleep 1
	fi

	# --- during a bench: the service restarted, the container removed or stopped
	local long
	long=$(long_args 20)
	echo "# benches of about 20 s here: -- $long"
	for what in $whats; do
		for i in $(seq "$rounds"); do
			fault_begin
			local attempt
			for attempt in 1 2 3; do
				n0=$(nrec)
				# shellcheck disable=SC2086
				tbg "$T/pb" bench rocm72 tiny -- $long
				pid=$!
				if ! wait_bench_running llama-rocm-7.2; then
					ok 1 "podman $what: llama-bench started"
				fi
				sleep "$(rand_delay 1)"
				case $what in
				restart) "$TESTBED" restart-podman "$TB_DIR" >/dev/null 2>&1 ;;
				rm) podman rm -f -t 0 llama-rocm-7.2 >/dev/null 2>&1 ;;
				stop) podman stop -t 1 llama-rocm-7.2 >/dev/null 2>&1 ;;
				esac
				wait "$pid"
				r=$?
				# the bench may have ended before the fault: that fault was not injected
				[ "$r" = 0 ] && [ "$(nrec)" = "$((n0 + 1))" ] || break
				echo "# podman $what #$i: the bench ended before the fault (attempt $attempt), again with a longer one"
				long="-r $((${long#-r } * 3))"
				[ "$what" = rm ] && run tbx refresh rocm72
			done
			crash_check "bench ($what round $i)" "$r" "$T/pb.err"
			is "$r" 1 "podman $what #$i: the bench fails, exit 1"
			echo "#   tbx said: $(tail -n 1 "$T/pb.err" | cut -c 1-300)"
			like "$(tail -n 1 "$T/pb.err")" "^tbx: .+" "podman $what #$i: with an error message"
			unlike "$(cat "$T/pb.err")" "(record /|Segmentation|Aborted)" "podman $what #$i: nothing recorded, no crash"
			is "$(nrec)" "$n0" "podman $what #$i: no record"
			check "podman $what #$i: the run lock is free" lock_free
			is "$(bad_records | wc -l)" 0 "podman $what #$i: no partial record"
			if [ "$what" = restart ]; then
				# tbx is still alive when the stream breaks, but does not stop
				# llama-bench: it lives on until its next write to the dead
				# stream (timing-dependent, so reported, not checked)
				if wait_no_bench llama-rocm-7.2 "$ORPHAN_GRACE"; then
					echo "# restart #$i: llama-bench was gone within ${ORPHAN_GRACE}s"
				else
					echo "# restart #$i: llama-bench still ran ${ORPHAN_GRACE}s after tbx failed (the harness killed it)"
				fi
				podman exec llama-rocm-7.2 pkill -KILL -x llama-bench >/dev/null 2>&1
				wait_no_bench llama-rocm-7.2 30
			fi
			if [ "$what" = rm ]; then
				trun refresh rocm72
				is "$rc" 0 "podman rm #$i: refresh recreates the removed container"
			fi
			trun bench rocm72 tiny -- -r 1
			is "$rc" 0 "podman $what #$i: the next bench works"
			fault_end
		done
	done
	class_end
}

# ===========================================================================
# 4. the disk: results on a full tmpfs or read-only, manifests full

fill_tmpfs() { # DIR: mount a 64k tmpfs on DIR keeping its files, then fill it
	local d=$1 keep=$T/keep.$$
	rm -rf "$keep"
	mkdir -p "$keep" "$d"
	cp -a "$d"/. "$keep"/ 2>/dev/null
	mount -t tmpfs -o size=256k tmpfs "$d" || return 1
	MOUNTS+=("$d")
	cp -a "$keep"/. "$d"/ || return 1
	dd if=/dev/zero of="$d/zz-filler" bs=4k >/dev/null 2>&1
	rm -rf "$keep"
	return 0
}
readonly_bind() { # DIR
	mount --bind "$1" "$1" && MOUNTS+=("$1") && mount -o remount,bind,ro "$1"
}
sums() { (cd "$1" && find . -maxdepth 1 -name '*.json' -type f -exec sha256sum {} + | sort); }

class_disk() {
	class_begin disk "disk faults (results full / read-only, manifests full / read-only, lock dir read-only)"
	baseline
	local R=$TBX_HOME/results M=$TBX_HOME/manifests n0 s0 l0
	trun bench rocm72 tiny -- -r 1 # at least one record to keep
	local kinds="full readonly"
	[ "$QUICK" = 1 ] && kinds=full
	for kind in $kinds; do
		fault_begin
		n0=$(nrec)
		s0=$(sums "$R")
		l0=$(sha256sum <"$M/images.lock.json")
		if [ $kind = full ]; then fill_tmpfs "$R"; else readonly_bind "$R"; fi
		is "$?" 0 "disk results $kind: set up"
		trun bench rocm72 tiny -- -r 1
		is "$rc" 1 "disk results $kind: bench exits 1"
		like "$(tail -n 1 "$T/err")" "$R/.*(No space left|Read-only file system)" "disk results $kind: the error names the path and the cause"
		is "$(sums "$R")" "$s0" "disk results $kind: existing records intact"
		is "$(nrec)" "$n0" "disk results $kind: no new record"
		check "disk results $kind: no temporary file left" test -z "$(find "$R" -name '*.tmp.*')"
		check "disk results $kind: images.lock.json valid" lockfile_valid
		torture_unmount_all
		trun bench rocm72 tiny -- -r 1
		is "$rc" 0 "disk results $kind: once there is room, bench works"
		fault_end
	done

	# the manifests directory full / read-only while a refresh has work
	for kind in $kinds; do
		fault_begin
		rebuild rocm-6.4.4 rocm-7.2
		l0=$(sha256sum <"$M/images.lock.json")
		if [ $kind = full ]; then fill_tmpfs "$M"; else readonly_bind "$M"; fi
		trun refresh
		is "$rc" 1 "disk manifests $kind: refresh exits 1"
		like "$err" "$M/images\.lock\.json.*(No space left|Read-only file system)" "disk manifests $kind: the error names images.lock.json and the cause"
		# rocm-6.4.4 comes first: pulled and recreated before the lock file write fails
		like "$out$err" "rocm-6\.4\.4: recreated" "disk manifests $kind: refresh still reports the container it recreated"
		is "$(sha256sum <"$M/images.lock.json")" "$l0" "disk manifests $kind: images.lock.json intact"
		check "disk manifests $kind: no temporary file left" test -z "$(find "$M" -name '*.tmp.*')"
		for b in $BACKENDS; do
			usable "$b" || ok 1 "disk manifests $kind: $b has no container"
		done
		torture_unmount_all
		trun refresh
		is "$rc" 0 "disk manifests $kind: once there is room, refresh works"
		trun status --json
		is "$(printf '%s' "$out" | jq -r '[.[] | select(.kind=="container" and .backend!="vulkan-amdvlk") | .verdict] | unique | join(",")' 2>&1)" \
			fresh "disk manifests $kind: and every backend is fresh again"
		fault_end
	done

	# the lock directory read-only
	fault_begin
	rm -f "$TBX_LOCK_DIR"/tbx.lock*
	readonly_bind "$TBX_LOCK_DIR"
	trun bench rocm72 tiny -- -r 1
	is "$rc" 1 "disk lock dir read-only: bench exits 1"
	like "$err" "$TBX_LOCK_DIR.*Read-only" "disk lock dir read-only: the error names the lock and the cause"
	torture_unmount_all
	fault_end

	# results is a file, not a directory
	fault_begin
	mv "$R" "$R.away"
	: >"$R"
	trun bench rocm72 tiny -- -r 1
	is "$rc" 1 "disk results is a file: bench exits 1"
	like "$err" "$R" "disk results is a file: the error names it"
	rm -f "$R"
	mv "$R.away" "$R"
	fault_end
	class_end
}

# ===========================================================================
# 5. concurrency: two refreshes, refresh during bench, two benches; status
#    all along never blocks and never fails

status_loop() { # FILE: runs status until killed, one line per run: "RC SECONDS KIND"
	local kind t0 r i=0
	while :; do
		i=$((i + 1))
		case $((i % 3)) in
		0) kind="status --json" ;;
		1) kind="status --offline --json" ;;
		2) kind="status" ;;
		esac
		t0=$(now_s)
		# shellcheck disable=SC2086
		timeout 120 "$TBX_BIN" --url "$TB_URL" $kind >"$T/sl.out" 2>"$T/sl.err"
		r=$?
		if [ "$r" = 0 ] && [ "$kind" != status ] && ! jq -e 'type == "array"' "$T/sl.out" >/dev/null 2>&1; then
			r=json
		fi
		if is_crash "$r" "$T/sl.err" 2>/dev/null; then r="crash:$r"; fi
		[ "$r" = 0 ] || { echo "# status failed ($kind, $r): $(head -c 300 "$T/sl.err")"; }
		echo "$r $(since "$t0") $kind" >>"$1"
		sleep 0.5
	done
}

class_concurrency() {
	local rounds=${TBX_CONC_ROUNDS:-2} i p1 p2 r1 r2 n0 f1 f2
	class_begin concurrency "two refreshes, refresh during bench, two benches, with tbx status all along ($rounds rounds each)"
	baseline
	local long=${TBX_CONC_BENCH_ARGS:-}
	[ -n "$long" ] || long=$(long_args 10)
	echo "# the bench a refresh waits for: -- $long"
	: >"$T/status.log"
	status_loop "$T/status.log" &
	STATUS_LOOP_PID=$!

	for i in $(seq "$rounds"); do
		# --- two refreshes at once, with work
		fault_begin
		rebuild rocm-7.2
		rebuild rocm-6.4.4 # more to pull: the first refresh holds the lock longer
		tbg "$T/r1" refresh
		p1=$!
		for _ in $(seq 200); do
			lock_free || break
			sleep 0.02
		done
		tbg "$T/r2" refresh
		p2=$!
		wait $p1
		r1=$?
		wait $p2
		r2=$?
		crash_check "refresh (concurrent #$i)" "$r1" "$T/r1.err"
		crash_check "refresh (concurrent #$i)" "$r2" "$T/r2.err"
		is "$r1 $r2" "0 0" "concurrency two refreshes #$i: both succeed"
		like "$(cat "$T/r1.err" "$T/r2.err")" "waiting for pid [0-9]+: tbx refresh" "concurrency two refreshes #$i: one waits, saying for what"
		like "$(cat "$T/r1.out" "$T/r2.out")" "rocm-7\.2: recreated" "concurrency two refreshes #$i: the rebuilt one recreated"
		for b in $BACKENDS; do
			is "$(ncontainers "$b")" 1 "concurrency two refreshes #$i: $b has exactly one container"
		done
		check "concurrency two refreshes #$i: images.lock.json valid" lockfile_valid
		fault_end

		# --- a refresh while a bench runs: it waits, saying for what
		fault_begin
		n0=$(nrec)
		rebuild rocm7-nightlies
		# shellcheck disable=SC2086
		tbg "$T/b1" bench rocm72 tiny -- $long
		p1=$!
		wait_bench_running llama-rocm-7.2
		tbg "$T/r1" refresh
		p2=$!
		run tbx refresh --no-wait
		crash_check "refresh --no-wait (during bench)" "$rc" "$T/err"
		is "$rc" 1 "concurrency refresh during bench #$i: --no-wait exits 1"
		like "$err" "busy: pid $p1: tbx bench rocm-7\.2 tiny" "concurrency refresh during bench #$i: --no-wait names the holder"
		local t0
		t0=$(now_s)
		run timeout 60 "$TBX_BIN" --url "$TB_URL" refresh --check
		crash_check "refresh --check (during bench)" "$rc" "$T/err"
		is "$rc" 0 "concurrency refresh during bench #$i: refresh --check does not wait (took $(since "$t0")s)"
		wait $p1
		r1=$?
		wait $p2
		r2=$?
		crash_check "bench (during refresh #$i)" "$r1" "$T/b1.err"
		crash_check "refresh (during bench #$i)" "$r2" "$T/r1.err"
		is "$r1 $r2" "0 0" "concurrency refresh during bench #$i: both succeed"
		like "$(cat "$T/r1.err")" "waiting for pid $p1: tbx bench rocm-7\.2 tiny" "concurrency refresh during bench #$i: refresh waits, saying for what"
		like "$(cat "$T/r1.out")" "rocm7-nightlies: recreated" "concurrency refresh during bench #$i: then refreshes"
		is "$(nrec)" "$((n0 + 1))" "concurrency refresh during bench #$i: one record"
		fault_end

		# --- two benches
		fault_begin
		n0=$(nrec)
		tbg "$T/b1" bench rocm72 tiny -- -r 5
		p1=$!
		sleep 0.5
		tbg "$T/b2" bench rocm644 tiny -- -r 5
		p2=$!
		wait $p1
		r1=$?
		wait $p2
		r2=$?
		crash_check "bench (concurrent #$i)" "$r1" "$T/b1.err"
		crash_check "bench (concurrent #$i)" "$r2" "$T/b2.err"
		is "$r1 $r2" "0 0" "concurrency two benches #$i: both succeed"
		is "$(nrec)" "$((n0 + 2))" "concurrency two benches #$i: two records"
		f1=$(sed -n 's/^  record //p' "$T/b1.out")
		f2=$(sed -n 's/^  record //p' "$T/b2.out")
		if [ -f "$f1" ] && [ -f "$f2" ]; then
			check "concurrency two benches #$i: they did not overlap" test \
				"$(jq -r .finished_at "$f1")" \< "$(jq -r .started_at "$f2")" -o \
				"$(jq -r .finished_at "$f1")" = "$(jq -r .started_at "$f2")" -o \
				"$(jq -r .finished_at "$f2")" \< "$(jq -r .started_at "$f1")" -o \
				"$(jq -r .finished_at "$f2")" = "$(jq -r .started_at "$f1")"
		fi
		fault_end
	done

	kill "$STATUS_LOOP_PID" 2>/dev/null
	wait "$STATUS_LOOP_PID" 2>/dev/null
	STATUS_LOOP_PID=
	local total failed slow maxd
	total=$(grep -c '' "$T/status.log")
	failed=$(awk '$1 != "0"' "$T/status.log" | wc -l)
	maxd=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$T/status.log")
	slow=$(awk -v m="$STATUS_MAX" '$2 > m' "$T/status.log" | wc -l)
	fault_begin
	check "concurrency: tbx status ran during all of it ($total runs)" test "$total" -gt 0
	is "$failed" 0 "concurrency: tbx status never failed ($total runs)"
	is "$slow" 0 "concurrency: tbx status never blocked (longest ${maxd}s, limit ${STATUS_MAX}s)"
	is "$(grep -c crash "$T/status.log")" 0 "concurrency: tbx status never crashed"
	fault_end
	CRASH[$CLASS]=$((CRASH[$CLASS] + $(grep -c crash "$T/status.log")))
	class_end
}

# ===========================================================================
# 6. bad input

with_file() { # PATH -: replace PATH by stdin (the original is kept aside once)
	if [ ! -e "$1.torture-orig" ] && [ ! -e "$1.torture-none" ]; then
		if [ -e "$1" ]; then mv "$1" "$1.torture-orig"; else : >"$1.torture-none"; fi
	fi
	rm -rf "$1"
	cat >"$1"
}
restore_file() { # PATH: back to what it was before the first with_file
	rm -rf "$1"
	[ -e "$1.torture-orig" ] && mv "$1.torture-orig" "$1"
	rm -f "$1.torture-none"
	return 0
}
def() { # NAME: write stdin as containers/NAME.json
	cat >"$TBX_HOME/containers/$1.json"
}
undef() { rm -rf "$TBX_HOME/containers/$1.json"; }

class_input() {
	class_begin input "bad input: names, models, definitions, manifests, config, arguments, hostile llama-bench output"
	baseline
	local C=$TBX_HOME/containers M=$TBX_HOME/manifests MR=$TB_MODELS f n0 big

	# --- names
	bad_input "unknown backend (bench)" "2" "unknown backend 'rocm73' \(did you mean 'rocm72'" bench rocm73 tiny
	bad_input "unknown backend (refresh)" "2" "unknown backend 'rocm73' \(did you mean 'rocm72'" refresh rocm73
	bad_input "unknown backend (status)" "2" "unknown backend 'rocm73'" status rocm73
	bad_input "unknown backend (pin)" "2" "unknown backend 'vulkan-radvv' \(did you mean 'vulkan-radv'" pin vulkan-radvv
	bad_input "unknown model" "2" "unknown model 'tinyy' \(did you mean 'tiny'" bench rocm72 tinyy
	bad_input "backend name with a newline and escapes" "2" "unknown backend 'rocm.*72" bench $'rocm\n\e[31m72' tiny
	big=$(head -c 100000 /dev/zero | tr '\0' r)
	bad_input "a 100 kB backend name" "2" "unknown backend 'rrrr" bench "$big" tiny
	if [ "$(printf '%s' "$err" | wc -c)" -gt 2000 ]; then
		ok 1 "input: the error for a 100 kB name is short ($(printf '%s' "$err" | wc -c) bytes)"
	fi
	bad_input "empty backend name" "2" "unknown backend ''|backend" bench "" tiny
	bad_input "unknown option" "2" "unknown option '--frobnicate'" bench --frobnicate rocm72 tiny
	bad_input "unknown command" "2" "frobnicate" frobnicate
	bad_input "option without its value" "2" "option '--at' needs a value" timer install --at
	XDG_STATE_HOME="$T/state"$'\n'"* * * * * touch $T/injected" \
		bad_input "newline in the crontab line (XDG_STATE_HOME)" "2" \
		"control character in the log path" timer install --cron
	TBX_LOCK_DIR="$T/lock"$'\r' bad_input "carriage return in a unit's Environment=" "2" \
		"control character in TBX_LOCK_DIR" timer install --cron

	# --- models
	bad_input "model missing" "1" "missing\.gguf.*(No such file|not found|missing)" bench rocm72 "$MR/missing.gguf"
	bad_input "model is a directory" "1 2" "$MR/adir.*is a directory" bench rocm72 "$(mkdir -p "$MR/adir" && echo "$MR/adir")"
	rmdir "$MR/adir"
	bad_input "model outside the root" "1 2" "outside the models root" bench rocm72 /etc/hostname
	bad_input "model outside the root via .." "1 2" "outside the models root" bench rocm72 "$MR/../env"
	ln -sf /etc/hostname "$MR/link-out.gguf"
	bad_input "model symlinked outside the root" "1 2" "link-out\.gguf.*outside the models root" bench rocm72 "$MR/link-out.gguf"
	rm -f "$MR/link-out.gguf"
	ln -sf "$MR/nothing-here.gguf" "$MR/dangling.gguf"
	bad_input "model is a dangling symlink" "1" "dangling\.gguf" bench rocm72 "$MR/dangling.gguf"
	rm -f "$MR/dangling.gguf"
	ln -sf "$MR/loop-b.gguf" "$MR/loop-a.gguf"
	ln -sf "$MR/loop-a.gguf" "$MR/loop-b.gguf"
	bad_input "model is a symlink loop" "1" "loop-a\.gguf" bench rocm72 "$MR/loop-a.gguf"
	rm -f "$MR/loop-a.gguf" "$MR/loop-b.gguf"
	mkfifo "$MR/fifo.gguf"
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	run timeout 60 "$TBX_BIN" --url "$TB_URL" bench rocm72 "$MR/fifo.gguf"
	crash_check "bench on a FIFO" "$rc" "$T/err"
	check "input: a model that is a FIFO fails cleanly, does not hang (exit $rc)" test "$rc" = 1 -o "$rc" = 2
	like "$err" "fifo\.gguf" "input: the FIFO's error names it"
	rm -f "$MR/fifo.gguf"
	if [ "$(id -u)" != 0 ]; then
		cp "$MR/tiny.gguf" "$MR/unreadable.gguf"
		chmod 000 "$MR/unreadable.gguf"
		bad_input "model unreadable" "1" "unreadable\.gguf.*(Permission denied|readable)" bench rocm72 "$MR/unreadable.gguf"
		rm -f "$MR/unreadable.gguf"
	fi
	mkdir -p "$MR/split"
	cp "$MR/tiny.gguf" "$MR/split/m-00001-of-00003.gguf"
	cp "$MR/tiny.gguf" "$MR/split/m-00003-of-00003.gguf"
	bad_input "split model with a shard missing" "1" "m-00002-of-00003\.gguf" bench rocm72 "$MR/split/m-00001-of-00003.gguf"
	rm -rf "$MR/split"
	n0=$(nrec)
	: >"$MR/empty.gguf"
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	trun bench rocm72 "$MR/empty.gguf"
	check "input: an empty model file fails cleanly (exit $rc)" test "$rc" = 1 -o "$rc" = 2
	is "$(nrec)" "$n0" "input: an empty model records nothing"
	rm -f "$MR/empty.gguf"

	# model paths and extra args with spaces, quotes, $(...), newlines: argv, never a shell
	local weird pwned=tbx-torture-pwned
	rm -f "/$pwned" "$pwned" "$T/$pwned"
	weird="$MR/sp ace \"dq\" 'sq' \$(touch $pwned) \`touch $pwned\` >$pwned;
nl.gguf"
	cp "$MR/tiny.gguf" "$weird"
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	trun bench rocm72 "$weird" -- -r 1
	is "$rc" 0 "input: a model path with spaces, quotes, \$(...), backticks and a newline works"
	[ "$rc" = 0 ] || printf '%s\n' "$err" | tail -n 3 | sed 's/^/#   err: /'
	rec=$(ls -t "$TBX_HOME"/results/*.json | head -1)
	is "$(jq -r .model_path "$rec")" "$weird" "input: and is recorded verbatim"
	check "input: nothing was run by a shell" test ! -e "$pwned" -a ! -e "/$pwned" -a ! -e "$TBX_HOME/$pwned"
	run podman exec llama-rocm-7.2 sh -c "ls / /tmp | grep -c $pwned"
	is "$out" 0 "input: not in the container either"
	rm -f "$weird"
	n0=$(nrec)
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	trun bench rocm72 tiny -- -r 1 "--x \$(touch $pwned) \`touch $pwned\` 'q' \"d\"
nl"
	is "$rc" 1 "input: hostile extra args reach llama-bench as one argument (which refuses it)"
	is "$(nrec)" "$n0" "input: and nothing is recorded"
	check "input: nothing was run by a shell" test ! -e "$pwned" -a ! -e "/$pwned"
	run podman exec llama-rocm-7.2 sh -c "ls / /tmp | grep -c $pwned"
	is "$out" 0 "input: not in the container either"
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	trun bench --dry-run rocm72 tiny -- "a b" '$(x)' $'n\nl'
	is "$rc" 0 "input: --dry-run with hostile extra args"
	is "$(printf '%s\n' "$out" | grep -c '^command:')" 1 "input: --dry-run shows the command on one line"

	# --- malformed definitions
	def zz-syntax <<<$'{\n  "image": "docker.io/a/b:c",\n  "container": \n}'
	bad_input "definition: JSON syntax error" "1 2" "zz-syntax\.json:[34]:[0-9]+" backends
	undef zz-syntax
	if [ "$QUICK" != 1 ]; then
		def zz-trailing <<<'{"image": "docker.io/a/b:c", "container": "zz",}'
		bad_input "definition: trailing comma (not JSON)" "1 2" "zz-trailing\.json:1:[0-9]+" backends
		undef zz-trailing
	fi
	def zz-types <<<'{"image": "docker.io/a/b:c", "container": "zz", "aliases": "zz1"}'
	bad_input "definition: wrong type (aliases)" "1 2" "zz-types\.json.*aliases" backends
	undef zz-types
	def zz-types2 <<<'{"image": 42, "container": "zz"}'
	bad_input "definition: wrong type (image)" "1 2" "zz-types2\.json.*image" backends
	undef zz-types2
	def zz-types3 <<<'{"image": "docker.io/a/b:c", "container": "zz", "optional": "yes"}'
	bad_input "definition: wrong type (optional)" "1 2" "zz-types3\.json.*optional" backends
	undef zz-types3
	def zz-types4 <<<'{"image": "docker.io/a/b:c", "container": "zz", "env": {"A": 1}}'
	bad_input "definition: wrong type (env value)" "1 2" "zz-types4\.json.*env" backends
	undef zz-types4
	def zz-unknown <<<'{"image": "docker.io/a/b:c", "container": "zz", "imagee": "x"}'
	bad_input "definition: unknown key" "1 2" "zz-unknown\.json.*imagee" backends
	undef zz-unknown
	def zz-expect <<<'{"image": "docker.io/a/b:c", "container": "zz", "expect": {"device": "/[unclosed/"}}'
	bad_input "definition: invalid expect regex" "1 2" "zz-expect\.json.*regular expression" backends
	undef zz-expect
	def zz-kind <<<'{"image": "docker.io/a/b:c", "container": "zz", "kind": "vm"}'
	bad_input "definition: unknown kind" "1 2" "zz-kind\.json.*kind" backends
	undef zz-kind
	def zz-devs <<<"{\"image\": \"docker.io/a/b:c\", \"container\": \"zz\", \"devices\": [$(for i in $(seq 1000); do printf '"/dev/dri/card%d",' "$i"; done)\"/dev/kfd\"]}"
	bad_input "definition: 1000 devices" "1 2" "zz-devs\.json.*devices" backends
	undef zz-devs
	def zz-devpath <<<'{"image": "docker.io/a/b:c", "container": "zz", "devices": ["/dev/../etc/shadow"]}'
	bad_input "definition: device outside /dev" "1 2" "zz-devpath\.json.*/dev/\.\./etc/shadow" backends
	undef zz-devpath
	def zz-ctr <<<'{"image": "docker.io/a/b:c", "container": "../evil name"}'
	bad_input "definition: bad container name" "1 2" "zz-ctr\.json.*container" backends
	undef zz-ctr
	def zz-ctl <<<'{"image": "docker.io/a/b:c", "container": "zz", "description": "a\u001b[31mred\u0007"}'
	bad_input "definition: control characters in a string" "1 2" "zz-ctl\.json.*description" backends
	undef zz-ctl
	def zz-str <<<"{\"image\": \"docker.io/a/b:c\", \"container\": \"zz\", \"description\": \"$(head -c 100000 /dev/zero | tr '\0' d)\"}"
	bad_input "definition: a 100 kB string" "1 2" "zz-str\.json.*description.*too long" backends
	undef zz-str
	head -c 10000000 /dev/zero | tr '\0' x | { printf '{"image": "docker.io/a/b:c", "container": "zz", "description": "'; cat; printf '"}\n'; } | def zz-10mb
	bad_input "definition: a 10 MB string" "1 2" "zz-10mb\.json.*(too large|too big|bytes)" backends
	undef zz-10mb
	{ printf '{"image": "docker.io/a/b:c", "container": "zz"}'; head -c 50000000 /dev/zero | tr '\0' ' '; } | def zz-huge
	bad_input "definition: a 50 MB file" "1 2" "zz-huge\.json.*(too large|too big|bytes)" backends
	undef zz-huge
	{ head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; } | def zz-deep
	bad_input "definition: 100000 nested arrays" "1 2" "zz-deep\.json" backends
	undef zz-deep
	printf '{"image": "docker.io/a/b:c", "container": "zz\000", "x": 1}' | def zz-nul
	bad_input "definition: a NUL byte" "1 2" "zz-nul\.json" backends
	undef zz-nul
	printf '{"image": "docker.io/a/b:c", "container": "zz", "description": "\377\376"}' | def zz-utf8
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	trun backends
	check "input: definition with invalid UTF-8: loads or fails cleanly (exit $rc)" test "$rc" -le 2
	undef zz-utf8
	: | def zz-empty
	bad_input "definition: empty file" "1 2" "zz-empty\.json" backends
	undef zz-empty
	echo '[]' | def zz-array
	bad_input "definition: not an object" "1 2" "zz-array\.json.*object" backends
	undef zz-array
	echo 'null' | def zz-null
	bad_input "definition: null" "1 2" "zz-null\.json" backends
	undef zz-null
	mkdir -p "$C/zz-dir.json"
	bad_input "definition: a directory" "1 2" "zz-dir\.json" backends
	rmdir "$C/zz-dir.json"
	ln -sf "$C/zz-loop.json" "$C/zz-loop.json"
	bad_input "definition: a symlink loop" "1 2" "zz-loop\.json" backends
	rm -f "$C/zz-loop.json"
	def zz-dup <<<'{"image": "docker.io/a/b:c", "container": "zz", "aliases": ["rocm72"]}'
	bad_input "definition: alias already used" "1 2" "rocm72" backends
	undef zz-dup
	def zz-native <<<'{"kind": "native", "bench": ["relative/llama-bench"]}'
	bad_input "definition: native with a relative binary" "1 2" "zz-native\.json.*absolute" backends
	undef zz-native
	def zz-image <<<'{"image": "docker.io/a/b:c d", "container": "zz"}'
	bad_input "definition: image with a space" "1 2" "zz-image\.json.*image" backends
	undef zz-image
	def "zz bad id" <<<'{"image": "docker.io/a/b:c", "container": "zzbad"}'
	bad_input "definition: file name not a valid id" "1 2" "zz bad id" backends
	undef "zz bad id"
	def zz-envkey <<<'{"image": "docker.io/a/b:c", "container": "zz", "env": {"A=B": "1"}}'
	bad_input "definition: env key with '='" "1 2" "zz-envkey\.json.*A=B" backends
	undef zz-envkey

	# --- malformed models.json, legacy.json, images.lock.json, tbx.conf
	f=$M/models.json
	with_file "$f" - <<<$'{"root": "/tmp",\n "models": {"a": }}'
	bad_input "models.json: syntax error" "1 2" "models\.json:2:[0-9]+" bench rocm72 tiny
	with_file "$f" - <<<'{"models": {"tiny": "tiny.gguf"}}'
	bad_input "models.json: no root" "1 2" "models\.json.*root" bench rocm72 tiny
	with_file "$f" - <<<'{"root": 7, "models": {}}'
	bad_input "models.json: root not a string" "1 2" "models\.json.*root" bench rocm72 tiny
	with_file "$f" - <<<"{\"root\": \"$MR\", \"models\": {\"tiny\": 3}}"
	bad_input "models.json: model path not a string" "1 2" "models\.json.*tiny" bench rocm72 tiny
	with_file "$f" - <<<"{\"root\": \"$MR\", \"models\": [\"tiny.gguf\"]}"
	bad_input "models.json: models not an object" "1 2" "models\.json.*models" bench rocm72 tiny
	with_file "$f" - <<<"{\"root\": \"$MR\", \"models\": {\"a b\": \"tiny.gguf\"}}"
	bad_input "models.json: bad alias" "1 2" "models\.json.*a b" bench rocm72 tiny
	with_file "$f" - <<<"{\"root\": \"$MR\", \"models\": {\"tiny\": \"/etc/passwd\"}}"
	bad_input "models.json: alias pointing outside the root" "1 2" "outside the models root" bench rocm72 tiny
	with_file "$f" - <<<"{\"root\": \"$MR\", \"models\": {\"tiny\": \"tiny.gguf\"}, \"extra\": 1}"
	bad_input "models.json: unknown key" "1 2" "models\.json.*extra" bench rocm72 tiny
	restore_file "$f"

	# --- hostile definitions and planted homes (issue 15, items 1 and 3)
	with_file "$f" - <<<'{"root": "/etc", "models": {"shadow": "shadow"}}'
	bad_input "models.json: root /etc" "1" "models\.json: 'root' '/etc' is the system directory /etc" models
	ln -sfn /proc "$T/proc-link"
	with_file "$f" - <<<"{\"root\": \"$T/proc-link/self\", \"models\": {}}"
	bad_input "models.json: root symlinked into /proc" "1" "models\.json: 'root' .*resolves to '/proc/[0-9]+', under the system directory /proc" models
	with_file "$f" - <<<'{"root": "/", "models": {}}'
	bad_input "models.json: root /" "1" "models\.json: 'root' '/' is the system directory /" bench rocm72 tiny
	restore_file "$f"
	rm -f "$T/proc-link"
	def zz-dev <<<'{"image": "docker.io/a/b:c", "container": "zz", "devices": ["/dev/dri", "/dev/mem"]}'
	bad_input "definition: device /dev/mem" "1" "zz-dev\.json: 'devices': '/dev/mem' is not a GPU or accelerator device" backends
	undef zz-dev
	local P=$T/planted here=$PWD saved_home=$TBX_HOME
	mkdir -p "$P/containers" "$P/manifests" "$P/sub"
	cp "$f" "$P/manifests/"
	printf '{"kind": "native", "bench": ["/bin/sh", "-c", "touch %s/planted-ran", "sh"]}\n' "$T" >"$P/containers/zz.json"
	chmod 1777 "$P"
	cd "$P/sub" && unset TBX_HOME
	bad_input "a home planted in a world-writable directory" "3" "refusing the tbx home '$P' found above .*'$P' is writable by others" bench zz tiny
	chmod 755 "$P"
	chmod 666 "$P/containers/zz.json"
	bad_input "a world-writable definition in a discovered home" "3" "'$P/containers/zz\.json' is writable by others" bench zz tiny
	export TBX_HOME=$saved_home
	cd "$here" || return 1
	check "input: no planted definition ran" test ! -e "$T/planted-ran"
	rm -rf "$P"

	f=$M/legacy.json
	with_file "$f" - <<<'{"containers": ["a" "b"]}'
	bad_input "legacy.json: syntax error" "1 2" "legacy\.json:1:[0-9]+" refresh --prune-legacy
	with_file "$f" - <<<'{"containers": "llama-old"}'
	bad_input "legacy.json: wrong type" "1 2" "legacy\.json.*containers" refresh --prune-legacy
	with_file "$f" - <<<'{"containers": ["../../etc"]}'
	bad_input "legacy.json: not a container name" "1 2" "legacy\.json.*\.\./\.\./etc" refresh --prune-legacy
	# a legacy list naming a live backend's container must not delete it
	with_file "$f" - <<<'{"containers": ["llama-rocm-7.2"]}'
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	local id72
	id72=$(container_id llama-rocm-7.2)
	trun refresh --prune-legacy
	crash_check "refresh --prune-legacy (legacy names a live container)" "$rc" "$T/err"
	is "$(container_id llama-rocm-7.2)" "$id72" "input: legacy.json naming a live backend's container does not remove it (exit $rc: $(short "$out$err" | head -c 200))"
	restore_file "$f"
	usable rocm-7.2 || run tbx refresh rocm72

	f=$M/images.lock.json
	cp "$f" "$T/lock.saved"
	with_file "$f" - <<<$'{"backends": {\n  "rocm-7.2": {"digest": "sha256:'
	bad_input "images.lock.json: truncated" "1 2" "images\.lock\.json:[0-9]+:[0-9]+" status
	with_file "$f" - <<<'{"backends": []}'
	bad_input "images.lock.json: wrong type" "1 2" "images\.lock\.json" status
	with_file "$f" - <<<'{"backends": {"rocm-7.2": "x"}}'
	bad_input "images.lock.json: entry not an object" "1 2" "images\.lock\.json.*rocm-7\.2" status
	jq '.backends["rocm-7.2"].digest = "sha256:../../etc/passwd"' "$T/lock.saved" | with_file "$f" -
	bad_input "images.lock.json: invalid digest" "1 2" "images\.lock\.json.*(digest|sha256)" bench rocm72 tiny
	jq '.backends["rocm-7.2"].verified_at = "yesterday"' "$T/lock.saved" | with_file "$f" -
	bad_input "images.lock.json: verified_at a string" "1 2" "images\.lock\.json.*verified_at" bench rocm72 tiny
	jq '.backends["rocm-7.2"].history = [range(0; 100000) | {"digest": "sha256:\(. | tostring)"}]' "$T/lock.saved" | with_file "$f" -
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	trun status --offline
	check "input: images.lock.json with 100000 history entries: fails cleanly or copes (exit $rc)" test "$rc" -le 2
	# a verification from the future must not make a container fresh forever
	jq '.backends["rocm-7.2"].verified_at = 4102444800' "$T/lock.saved" | with_file "$f" -
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	TBX_REGISTRY_MIRROR=docker.io=http://127.0.0.1:9 run tbx status --json rocm72
	crash_check "status (verified_at in 2100)" "$rc" "$T/err"
	unlike "$(printf '%s' "$out" | jq -r '.[0].verdict + ": " + .[0].reason' 2>&1)" "^fresh: verified -" \
		"input: images.lock.json verified_at in 2100 (registry down): not 'fresh: verified -N ago'"
	restore_file "$f"
	cp "$T/lock.saved" "$f"

	f=$TBX_HOME/tbx.conf
	with_file "$f" - <<<'max_age = 36 parsecs'
	bad_input "tbx.conf: bad duration" "1 2" "tbx\.conf.*max_age" status --offline
	with_file "$f" - <<<'frobnicate = 1'
	bad_input "tbx.conf: unknown setting" "1 2" "tbx\.conf.*frobnicate" status --offline
	with_file "$f" - <<<'this line has no equals sign'
	bad_input "tbx.conf: no '='" "1 2" "tbx\.conf:1" status --offline
	with_file "$f" - <<<'registry_timeout = -5s'
	bad_input "tbx.conf: negative timeout" "1 2" "tbx\.conf.*registry_timeout" status --offline
	with_file "$f" - <<<'max_age = 99999999999999999999h'
	bad_input "tbx.conf: absurd duration" "1 2" "tbx\.conf.*max_age" status --offline
	with_file "$f" - <<<'registry_mirror = docker.io=http://user:s3cr3t@127.0.0.1:5000'
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	run env -u TBX_REGISTRY_MIRROR "$TBX_BIN" --url "$TB_URL" refresh rocm72
	crash_check "refresh (mirror with credentials)" "$rc" "$T/err"
	like "$rc:$(grep -c '' "$T/err"):$err" "^[12]:1:.*mirror" "input: tbx.conf: a mirror with credentials is refused in one line"
	unlike "$out$err" "s3cr3t" "input: the credentials in a bad mirror are not shown"
	head -c 300000 /dev/urandom | with_file "$f" -
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	trun status --offline
	check "input: tbx.conf of binary garbage fails cleanly (exit $rc)" test "$rc" = 1 -o "$rc" = 2
	is "$(grep -c '' "$T/err")" 1 "input: tbx.conf of binary garbage: one line"
	restore_file "$f"
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	TBX_MAX_AGE=soon run tbx status --offline
	crash_check "status (TBX_MAX_AGE=soon)" "$rc" "$T/err"
	like "$rc:$err" "^[12]:.*TBX_MAX_AGE" "input: TBX_MAX_AGE=soon is refused, naming the variable"
	bad_input "--url that is not unix://" "1 2" "http://x" --url http://x status
	bad_input "-C to a missing home" "1 2" "$T/no-home" -C "$T/no-home" backends

	# --- hostile llama-bench output (a native backend running hostile-bench.sh)
	hostile_output
	class_end
}

hostile_output() {
	local s n0 rec good
	cp "$TORTURE_DIR/hostile-bench.sh" "$T/hostile-bench"
	chmod 755 "$T/hostile-bench"
	def hostile <<EOF
{"kind": "native", "bench": ["$T/hostile-bench"], "aliases": ["hostile"], "expect": {"backend": "CPU"},
 "description": "tests/torture: canned hostile llama-bench output"}
EOF
	export TBX_HOSTILE=ok TBX_HOSTILE_ARGV=$T/hostile.argv
	trun bench hostile tiny -- -r 1 "a b" '$(x)' $'n\nl'
	is "$rc" 0 "hostile: the well-behaved canned output is recorded"
	rec=$(ls -t "$TBX_HOME"/results/*.json | head -1)
	is "$(jq -r '"\(.pp512.mean * 10 | round) \(.tg128.mean * 10 | round)"' "$rec" 2>&1)" "1005 205" \
		"hostile: with the canned numbers"
	printf '%s\0' "-m" "$TB_MODELS/tiny.gguf" "--n-gpu-layers" "99" "-p" "512" "-n" "128" "-o" "jsonl" \
		"-r" "1" "a b" '$(x)' $'n\nl' >"$T/argv.want"
	check "hostile: the native binary got exactly the argv, byte for byte" cmp -s "$T/argv.want" "$T/hostile.argv"
	unset TBX_HOSTILE_ARGV
	local scenarios="huge-line huge-json-line flood-stdout flood-stderr invalid-utf8 nan-inf nan-quoted
		zero-time huge-numbers negative wrong-types missing-tg missing-pp no-rows empty duplicated truncated-json
		truncated-all interleaved control-chars many-samples deep-nesting nul-bytes abort segv
		exit-zero-garbage rows-then-fail"
	[ "$QUICK" = 1 ] && scenarios="huge-line invalid-utf8 nan-inf zero-time missing-tg duplicated truncated-json interleaved abort"
	for s in $scenarios; do
		BAD[$CLASS]=$((BAD[$CLASS] + 1))
		n0=$(nrec)
		export TBX_HOSTILE=$s
		run timeout 300 "$TBX_BIN" --url "$TB_URL" bench hostile tiny
		crash_check "bench hostile ($s)" "$rc" "$T/err"
		good=1
		case $rc in
		0)
			rec=$(ls -t "$TBX_HOME"/results/*.json | head -1)
			if [ "$(nrec)" != "$((n0 + 1))" ]; then
				good=0
				echo "# $s: exit 0 but $(($(nrec) - n0)) new records"
			elif ! jq -e '(.pp512.mean | type) == "number" and (.tg128.mean | type) == "number"
					and (.pp512.mean | isinfinite | not) and (.tg128.mean | isinfinite | not)
					and .pp512.mean > 0 and .tg128.mean > 0
					and .pp512.mean < 1e12 and .tg128.mean < 1e12' "$rec" >/dev/null 2>&1; then
				good=0
				echo "# $s: recorded, but the record is not whole or holds absurd numbers: $(jq -c '{pp512, tg128}' "$rec" 2>&1 | head -c 300)"
			elif [ "$(stat -c %s "$rec")" -gt 1000000 ]; then
				good=0
				echo "# $s: recorded, but the record is $(stat -c %s "$rec") bytes"
			fi
			;;
		1 | 3)
			[ "$(nrec)" = "$n0" ] || {
				good=0
				echo "# $s: failed (exit $rc) but recorded something"
			}
			printf '%s' "$(tail -n 1 "$T/err")" | grep -q '^tbx: ' || {
				good=0
				echo "# $s: the last stderr line is not tbx's error"
			}
			;;
		*)
			good=0
			echo "# $s: exit $rc"
			;;
		esac
		if grep -q $'\e' "$T/out" "$T/err"; then
			good=0
			echo "# $s: raw escape characters reached the terminal"
		fi
		if [ $good = 1 ]; then
			ok 0 "hostile $s: fails cleanly or records correctly (exit $rc: $(tail -n 1 "$T/err" | cut -c 1-150))"
		else
			ok 1 "hostile $s: fails cleanly or records correctly (exit $rc)"
			tail -n 3 "$T/err" | cut -c 1-300 | sed 's/^/#   err: /'
		fi
	done
	unset TBX_HOSTILE
	check "hostile: no temporary files left" test -z "$(tmp_files)"
	undef hostile
}

# ok as in tests/e2e/lib.sh, remembering the failures for the summary
FAILS=()
ok() {
	_n=$((_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_n - $2"
	else
		echo "not ok $_n - $2"
		_failed=$((_failed + 1))
		FAILS+=("$2")
	fi
}

# the per-class table and "N passed, N failed" (PREFIX, e.g. "# " inside TAP)
torture_summary() {
	local c crashes=0 p=${1:-}
	echo
	echo "${p}torture summary ($((SECONDS - ${T_START:-0})) s, tbx: $TBX_BIN):"
	printf '%s  %-12s %8s %9s %11s %8s\n' "$p" class injected survived "bad inputs" crashes
	for c in "${CLASSES[@]}"; do
		printf '%s  %-12s %8d %9d %11d %8d\n' "$p" "$c" "${INJ[$c]}" "${SURV[$c]}" "${BAD[$c]}" "${CRASH[$c]}"
		crashes=$((crashes + CRASH[$c]))
	done
	echo "${p}  $crashes crashes"
	if [ "$_failed" -gt 0 ]; then
		echo "${p}"
		echo "${p}Failures (details above, at each \"not ok\"):"
		printf "${p}  %s\n" "${FAILS[@]}"
	fi
	echo "${p}"
	echo "${p}$((_n - _failed)) passed, $_failed failed"
}

# ===========================================================================
# 7. records and bundles from elsewhere: hostile strings, FIFOs, links,
#    oversized and too many records, expansion bombs, a full disk mid-import

xml_valid() { # FILE...
	if command -v xmllint >/dev/null; then
		xmllint --noout "$@" 2>/dev/null
	else
		python3 -c 'import sys, xml.dom.minidom as m; [m.parse(f) for f in sys.argv[1:]]' "$@" 2>/dev/null
	fi
}
make_bundle() { # OUT DIR: DIR holds tbx-export/
	tar czf "$1" -C "$2" tbx-export
}
bundle_dir() { # DIR: a tbx-export/ with a manifest, empty results/
	rm -rf "$1"
	mkdir -p "$1/tbx-export/results"
	echo '{"version": 1, "host": "elsewhere"}' >"$1/tbx-export/MANIFEST.json"
}
a_record() { # RUN_ID [jq filter]
	jq -c --arg id "$1" ".run_id = \$id | ${2:-.}" <<'JSON'
{"schema": 1, "run_id": "x", "status": "ok", "started_at": "2026-05-16T10:00:00Z",
 "backend": "vulkan-radv", "model": "m", "host": {"name": "elsewhere"}, "imported": true,
 "image_digest": null, "build_commit": "0253fb21f", "build_number": 9187,
 "pp512": {"mean": 1000.25, "stddev": 2.5, "samples": [998.0, 1002.5]},
 "tg128": {"mean": 50.0, "stddev": 0.5, "samples": [49.5, 50.5]}}
JSON
}

class_records() {
	class_begin records "records and bundles: hostile strings, FIFOs, links, limits, a full disk mid-import"
	local R=$TBX_HOME/results B=$T/bundle n0 s0 i esc
	mkdir -p "$R"
	esc=$(printf '\033')

	# --- hostile strings reach reports escaped, terminals sanitized
	fault_begin
	bundle_dir "$B"
	a_record hostile-1 '.lineage = "x\n# owned <img src=x onerror=alert(1)>" |
		.model = "# m|`<img src=x onerror=alert(1)>`\u0001\ufffe\uffff\u202e\u001b[2J" |
		.host.name = "h|<b>\u001b]0;t\u0007" | .build_commit = "*[a](b)|\n#" |
		.status = "failed" | .error = "boom\n# heading <script>x</script>\u001b[31m"' \
		>"$B/tbx-export/results/hostile.json"
	make_bundle "$T/hostile.tar.gz" "$B"
	trun import "$T/hostile.tar.gz"
	is "$rc" 0 "records: a bundle with hostile strings imports"
	unlike "$out$err" "$esc" "records: no terminal escape reaches the terminal (import)"
	trun results
	unlike "$out$err" "$esc" "records: no terminal escape reaches the terminal (results)"
	trun report -o "$T/rep" --date 2026-05-20
	is "$rc" 0 "records: report over hostile strings exits 0"
	unlike "$(cat "$T/rep"/*.md)" "<img|<script|^#+ *(owned|heading)" "records: no tag or heading from the data in the Markdown"
	check "records: every chart is well-formed XML" xml_valid "$T"/rep/charts/*.svg
	trun report --check --date 2026-05-20
	unlike "$out$err" "$esc" "records: report --check prints no escape"
	fault_end

	# --- invalid fields: skipped by name, nothing of them written
	fault_begin
	bundle_dir "$B"
	a_record bad-backend '.backend = "../../etc"' >"$B/tbx-export/results/a.json"
	a_record bad-digest '.image_digest = "sha256:<img>"' >"$B/tbx-export/results/b.json"
	a_record bad-rate '.pp512.mean = 1e12' >"$B/tbx-export/results/c.json"
	a_record bad-sample '.tg128.samples = [50, -1]' >"$B/tbx-export/results/d.json"
	a_record bad-status '.status = "<b>"' >"$B/tbx-export/results/e.json"
	a_record 'bad/id' >"$B/tbx-export/results/f.json"
	a_record bad-type '.model = 5' >"$B/tbx-export/results/g.json"
	a_record bad-sample-type '.pp512.samples = [50, "x", null]' >"$B/tbx-export/results/h.json"
	make_bundle "$T/fields.tar.gz" "$B"
	n0=$(nrec)
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	trun import "$T/fields.tar.gz"
	is "$rc" 1 "records: invalid records make import exit 1"
	is "$(grep -c 'skipping invalid record' "$T/err")" 8 "records: each invalid record is named"
	like "$err" "'backend' must be at most 64 letters" "records: the bad key is said (backend)"
	like "$err" "'image_digest' is not a sha256 digest" "records: the bad key is said (digest)"
	like "$err" "pp512\.mean must be a rate" "records: the bad key is said (rate)"
	like "$err" "'model' must be a string" "records: the bad key is said (type)"
	is "$(nrec)" "$n0" "records: none of them is written"
	fault_end

	# --- FIFOs and links in results/ and as import arguments: never waited on
	fault_begin
	mkfifo "$R/20260517T010000Z-fifo.json"
	ln -sf /etc/passwd "$R/20260517T020000Z-link.json"
	for cmd in results "report -o $T/rep2" "export -o $T/exp.tar.gz"; do
		# shellcheck disable=SC2086 # cmd is words
		run timeout 30 "$TBX_BIN" --url "$TB_URL" $cmd
		crash_check "tbx $cmd (FIFO in results/)" "$rc" "$T/err"
		is "$rc" 0 "records: tbx ${cmd%% *} with a FIFO and a link in results/ exits 0 (no hang)"
		like "$err" "fifo\.json" "records: tbx ${cmd%% *} names the FIFO"
	done
	like "$err" "link\.json" "records: export names the link it does not follow"
	rm -f "$R/20260517T010000Z-fifo.json" "$R/20260517T020000Z-link.json"
	mkfifo "$T/in.tar.gz" "$T/in__vulkan_radv__fa1.log"
	run timeout 30 "$TBX_BIN" --url "$TB_URL" import "$T/in.tar.gz" "$T/in__vulkan_radv__fa1.log"
	crash_check "import of FIFOs" "$rc" "$T/err"
	is "$rc" 1 "records: import of FIFOs fails at once (no hang)"
	rm -f "$T/in.tar.gz" "$T/in__vulkan_radv__fa1.log"
	fault_end

	# --- symlinked output directories
	fault_begin
	mkdir -p "$T/rout" "$T/outside"
	rm -rf "$T/rout/charts"
	ln -s "$T/outside" "$T/rout/charts"
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	trun report -o "$T/rout" --date 2026-05-20
	is "$rc" 1 "records: report refuses a symlinked charts/"
	like "$err" "rout/charts': it is a symbolic link" "records: and says why"
	is "$(find "$T/outside" -type f | wc -l)" 0 "records: nothing is written through it"
	fault_end

	# --- too many records, an oversized record, an expansion bomb
	fault_begin
	bundle_dir "$B"
	for i in $(seq 1 30); do a_record "many-$i"; done | split -l 1 - "$B/tbx-export/results/r-"
	for f in "$B"/tbx-export/results/r-*; do mv "$f" "$f.json"; done
	make_bundle "$T/many.tar.gz" "$B"
	n0=$(nrec)
	bad_input "a bundle over --max-records" "1" "more than 20 records, the limit of one import" import --max-records 20 "$T/many.tar.gz"
	is "$(nrec)" "$n0" "records: nothing of it is written"
	BAD[$CLASS]=$((BAD[$CLASS] + 1))
	TBX_IMPORT_MAX_RECORDS=10 run tbx import "$T/many.tar.gz"
	crash_check "import (TBX_IMPORT_MAX_RECORDS=10)" "$rc" "$T/err"
	like "$rc:$err" "^1:.*more than 10 records" "records: TBX_IMPORT_MAX_RECORDS is the limit too"
	bundle_dir "$B"
	a_record big | jq -c '.pad = ("x" * 5000000)' >"$B/tbx-export/results/big.json"
	make_bundle "$T/big.tar.gz" "$B"
	bad_input "a record over the store's 4 MiB" "1" "larger than 4 MiB" import "$T/big.tar.gz"
	is "$(nrec)" "$n0" "records: the oversized record is not written"
	bundle_dir "$B"
	mkdir -p "$B/tbx-export/reports"
	head -c 15000000 /dev/zero >"$B/tbx-export/reports/zeros.md"
	make_bundle "$T/bomb.tar.gz" "$B"
	bad_input "a bundle that expands 1000 times" "1" "expands more than 100 times" import "$T/bomb.tar.gz"
	fault_end

	# --- a full disk in the middle of an import: nothing written
	fault_begin
	bundle_dir "$B"
	for i in $(seq 1 120); do a_record "full-$i"; done | split -l 1 - "$B/tbx-export/results/r-"
	for f in "$B"/tbx-export/results/r-*; do mv "$f" "$f.json"; done
	make_bundle "$T/full.tar.gz" "$B"
	rm -rf "$T/keep-r"
	mkdir -p "$T/keep-r"
	cp -a "$R"/. "$T/keep-r"/
	if mount -t tmpfs -o size=200k tmpfs "$R"; then
		MOUNTS+=("$R")
		cp -a "$T/keep-r"/. "$R"/
		s0=$(sums "$R")
		n0=$(nrec)
		trun import "$T/full.tar.gz"
		is "$rc" 1 "records: import onto a disk that fills up exits 1"
		like "$err" "No space left.*|nothing imported" "records: it says why"
		is "$(nrec)" "$n0" "records: not one record of it is written"
		is "$(sums "$R")" "$s0" "records: existing records intact"
		is "$(find "$R" -mindepth 1 -name '.import-*' | wc -l)" 0 "records: no staging directory left"
		torture_unmount_all
	else
		ok 1 "records: cannot mount a tmpfs for the full-disk import"
	fi
	rm -rf "$T/keep-r"
	fault_end
	class_end
}
