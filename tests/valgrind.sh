#!/bin/bash
# tests/valgrind.sh [BUILD_DIR]
#
# Runs every unit test (BUILD_DIR/tests/test_*, default build/rel: build
# them with `make unit`; not a SANITIZE= build, valgrind and ASan do not
# mix) under valgrind with a full leak check.  A memory error or a leak
# (definite, indirect or possible) fails the test, as does a failing test.
# One line per test, logs in BUILD_DIR/valgrind/<test>.log; exits 1 if any
# test failed, 2 if there is nothing to run.  A child between fork and
# exec (or _exit) is not checked: it holds its parent's allocations in
# registers valgrind cannot see, so every one would read as lost.
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${1:-build/rel}
if ! command -v valgrind >/dev/null; then
	echo "valgrind.sh: valgrind not found (apt-get install valgrind)" >&2
	exit 2
fi
tests=()
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] && tests+=("$t")
done
if [ ${#tests[@]} -eq 0 ]; then
	echo "valgrind.sh: no unit tests in $BUILD/tests (run 'make unit' first)" >&2
	exit 2
fi
mkdir -p "$BUILD/valgrind"
failed=0
for t in "${tests[@]}"; do
	name=$(basename "$t")
	log=$BUILD/valgrind/$name.log
	out=$BUILD/valgrind/$name.out
	valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --child-silent-after-fork=yes \
		--errors-for-leak-kinds=definite,indirect,possible --track-origins=yes \
		--error-exitcode=1 --log-file="$log" "$t" >"$out" 2>&1
	rc=$?
	# sums: a test may fork (one summary per process) or run several groups
	errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | awk '{s += $1} END {if (NR) print s}')
	lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | awk '{s += $1} END {print s + 0}')
	passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s += $1} END {print s + 0}')
	if [ $rc -eq 0 ] && [ "${errors:-1}" = 0 ]; then
		echo "$name: clean ($passed tests, 0 errors, no leaks)"
	else
		echo "$name: FAILED (exit $rc, ${errors:-?} valgrind errors, $lost bytes definitely lost; $log)"
		grep -E '^\[  FAILED  \]|^\[  ERROR   \]' "$out" | sed 's/^/    /'
		grep -E '== (Invalid|Conditional|Use of|Syscall|Mismatched|Source and dest)|are (definitely|indirectly|possibly) lost' "$log" |
			head -10 | sed 's/^/    /'
		failed=1
	fi
done
exit $failed
