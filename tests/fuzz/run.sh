#!/bin/bash
# tests/fuzz/run.sh [SECONDS] [TARGET...]   build, then fuzz each target
# tests/fuzz/run.sh --replay [TARGET...]    build, then run each target once
#                                           over its seed corpus (regression)
# tests/fuzz/run.sh --build                 build only
#
# libFuzzer targets (tests/fuzz/fuzz_<target>.c) built with clang and
# -fsanitize=fuzzer,address,undefined into build/fuzz/, linked with the
# project's src/*.c except src/tbx.c and src/cmd/ (built here too, with
# the sanitizers, into build/fuzz/obj/).
#
# Fuzzing runs the targets one after another, each for SECONDS (default
# $TBX_FUZZ_SECONDS, else 60), starting from tests/fuzz/corpus/<target>/
# (read only) and build/fuzz/corpus/<target>/ (new inputs are kept there).
# tests/fuzz/<target>.dict, when there, is passed as -dict.
# A crash, leak, UB report, timeout (10 s per input) or contract violation
# leaves its input in build/fuzz/artifacts/<target>/.  One line per target:
#   <target>: N runs in S s, clean (corpus K)
# or the crash; exits 1 if any target failed, 2 on a build or usage error.
#
# Environment: CLANG (default clang), TBX_FUZZ_SECONDS, TBX_FUZZ_FLAGS
# (more libFuzzer flags, e.g. "-dict=..." or "-seed=1").
set -uo pipefail

cd "$(dirname "$0")/../.."
CLANG=${CLANG:-clang}
OUT=build/fuzz
PKGS="libcurl json-c libarchive uuid"
ALL_TARGETS=(llama_bench lb_devices exec_demux registry defs record json containers_conf remote_uri mirrors base64 import_log bundle image_list index upstream hoststate adopt token curve_campaign reccache)

declare -A MAX_LEN=(
	[llama_bench]=65536 # several table rows, jsonl lines and stderr
	[lb_devices]=65536
	[exec_demux]=16384  # many frames, some cut short
	[registry]=8192     # past CHALLENGE_VALUE_MAX (4096) and REF_MAX (1024)
	[defs]=16384
	[record]=16384      # a record with samples is about 3 KiB
	[json]=16384
	[containers_conf]=16384 # containers.conf with drop-in sized tables
	[remote_uri]=4096       # past the 200-byte shown limit, far past a real URI
	[mirrors]=4096          # several host=url entries
	[base64]=4096
	[import_log]=65536  # a log with its device lines, table and build line
	[bundle]=65536      # a gzipped tar of a few records (an uncompressed one too)
	[image_list]=16384
	[index]=16384
	[upstream]=65536    # several pages of tags
	[hoststate]=16384  # a cmdline, limits or probe output; dpkg status past a few paragraphs
	[adopt]=32768      # a toolbox container's inspect answer is about 10 KiB
	[token]=131072    # a token answer past REGISTRY_TOKEN_MAX (64 KiB); a cache file
	[curve_campaign]=32768 # a manifest with a few statuses, a calibration entry, metadata lines
	[reccache]=65536   # a cache of 12 records is about 6 KiB; room for more entries and long texts
)

usage() {
	sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

mode=fuzz
case "${1:-}" in
--replay) mode=replay; shift ;;
--build) mode=build; shift ;;
-h | --help) usage ;;
esac
seconds=${TBX_FUZZ_SECONDS:-60}
if [ "$mode" = fuzz ] && [[ "${1:-}" =~ ^[0-9]+$ ]]; then
	seconds=$1
	shift
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
	[ -f "tests/fuzz/fuzz_$t.c" ] || { echo "run.sh: unknown target '$t' (targets: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

command -v "$CLANG" >/dev/null || { echo "run.sh: '$CLANG' not found (apt-get install clang)" >&2; exit 2; }
if ! depcflags=$(pkg-config --cflags $PKGS) || ! deplibs=$(pkg-config --libs $PKGS); then
	echo "run.sh: pkg-config cannot find $PKGS" >&2
	exit 2
fi

# -Isrc first: json-c's own include directory has a json.h too.  The
# Makefile's warnings, except clang's -Wformat-nonliteral (in -Wformat=2)
# that gcc does not raise for the va_list helpers in util.c.
CFLAGS=(-std=c11 -g -O1 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -Wvla -Isrc $depcflags
	-DTBX_VERSION='"fuzz"' -DTBX_DATADIR='"/nonexistent"'
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

# Rebuild an object when its source, any header or this script is newer.
build() {
	mkdir -p "$OUT/obj" || return 1
	local newest=$0 h src obj objs=()
	for h in src/*.h tests/fuzz/*.h; do [ "$h" -nt "$newest" ] && newest=$h; done
	for src in src/*.c; do
		[ "$src" = src/tbx.c ] && continue
		obj=$OUT/obj/$(basename "${src%.c}").o
		objs+=("$obj")
		if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest" -nt "$obj" ]; then
			echo "  CC  $src"
			"$CLANG" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link -c -o "$obj" "$src" || return 1
		fi
	done
	for t in "${targets[@]}"; do
		src=tests/fuzz/fuzz_$t.c
		local bin=$OUT/fuzz_$t stale=0
		[ -f "$bin" ] || stale=1
		for obj in "$src" "$newest" "${objs[@]}"; do [ "$obj" -nt "$bin" ] && stale=1; done
		[ $stale -eq 0 ] && continue
		echo "  LD  $bin"
		"$CLANG" "${CFLAGS[@]}" -Itests/fuzz -fsanitize=fuzzer -o "$bin" "$src" "${objs[@]}" \
			$deplibs -lm -lpthread || return 1
	done
}

if ! build; then
	echo "run.sh: build failed" >&2
	exit 2
fi
[ "$mode" = build ] && exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Each target's own parameters; -rss_limit_mb also caps a single malloc.
common=(-rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10)
failed=0

# The lines that say what went wrong, from a libFuzzer log.
show_failure() {
	grep -aE 'ERROR: |SUMMARY: |contract violated|runtime error|Test unit written|Slowest unit|out-of-memory|timeout after|deadly signal' "$1" |
		head -12 | sed 's/^/    /'
}

replay() { # TARGET
	local t=$1 bin=$OUT/fuzz_$1 log files=()
	mapfile -t files < <(find "tests/fuzz/corpus/$t" -type f 2>/dev/null | sort)
	if [ ${#files[@]} -eq 0 ]; then
		echo "$t: no seed corpus in tests/fuzz/corpus/$t"
		failed=1
		return
	fi
	log=$(mktemp)
	if "$bin" "${common[@]}" "${files[@]}" >"$log" 2>&1; then
		echo "$t: replayed ${#files[@]} inputs, clean"
	else
		echo "$t: FAILED on replay (log $OUT/logs/$t-replay.log)"
		show_failure "$log"
		failed=1
	fi
	mkdir -p "$OUT/logs" && cp "$log" "$OUT/logs/$t-replay.log"
	rm -f "$log"
}

fuzz() { # TARGET
	local t=$1 bin=$OUT/fuzz_$1 log=$OUT/logs/$1.log rc
	local work=$OUT/corpus/$t artifacts=$OUT/artifacts/$t/
	mkdir -p "$work" "$artifacts" "$OUT/logs"
	local dict=()
	[ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
	# shellcheck disable=SC2086 # TBX_FUZZ_FLAGS is a list of flags
	"$bin" "${common[@]}" "${dict[@]}" -max_total_time="$seconds" -max_len="${MAX_LEN[$t]}" \
		-artifact_prefix="$artifacts" -print_final_stats=1 ${TBX_FUZZ_FLAGS:-} \
		"$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	local runs secs corpus
	runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
	secs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -1)
	corpus=$(find "$work" "tests/fuzz/corpus/$t" -type f | wc -l)
	if [ $rc -eq 0 ] && [ -n "$runs" ]; then
		echo "$t: $runs runs in $secs s, clean (corpus $corpus)"
	else
		echo "$t: CRASH (exit $rc; log $log)"
		show_failure "$log"
		failed=1
	fi
}

for t in "${targets[@]}"; do
	if [ "$mode" = replay ]; then
		replay "$t"
	else
		fuzz "$t"
	fi
done
exit $failed
