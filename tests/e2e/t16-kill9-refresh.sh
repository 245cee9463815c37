#!/bin/bash
# kill -9 of tbx refresh at many points never leaves a backend without a
# usable container; the next refresh cleans up what was left.
# TBX_KILL_ROUNDS (default 12; `make torture` runs more).
. "$(dirname "$0")/lib.sh"
reset_containers
ensure_tags
rounds=${TBX_KILL_ROUNDS:-12}
backends="rocm-6.4.4 rocm-7.2 rocm7-nightlies vulkan-radv"
lockfile=$TBX_HOME/manifests/images.lock.json

run tbx refresh
is "$rc" 0 "initial refresh"

usable() { # BACKEND: one of its names exists
	local n=llama-$1 s
	for s in "" -tbx-new -tbx-old; do
		[ -n "$(container_id "$n$s")" ] && return 0
	done
	return 1
}

bad=0
lost_lock=0
for i in $(seq "$rounds"); do
	# give refresh real work: two rebuilt tags, so it pulls and recreates
	"$TESTBED" rebuild "$TB_DIR" rocm-7.2 >/dev/null 2>&1
	"$TESTBED" rebuild "$TB_DIR" rocm7-nightlies >/dev/null 2>&1
	"$TBX_BIN" --url "$TB_URL" -q refresh >/dev/null 2>&1 &
	pid=$!
	# kill after 0..2.5 s, spread over the run
	sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", rand() * 2.5 }')"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	for b in $backends; do
		if ! usable "$b"; then
			bad=$((bad + 1))
			echo "# round $i: $b has no container"
		fi
	done
	if [ -e "$lockfile" ] && ! jq -e . "$lockfile" >/dev/null 2>&1; then
		bad=$((bad + 1))
		echo "# round $i: images.lock.json is not valid JSON"
	fi
	if ! flock -n "$TBX_LOCK_DIR/tbx.lock" true; then
		lost_lock=$((lost_lock + 1))
	fi
done
is "$bad" 0 "$rounds kills: every backend always had a usable container, the lock file stayed whole"
is "$lost_lock" 0 "the run lock was free after every kill"

run tbx refresh
is "$rc" 0 "the next refresh succeeds"
for b in $backends; do
	check "$b: exactly one container, under its own name" test -n "$(container_id llama-$b)"
done
is "$(podman ps -a --format '{{.Names}}' | grep -c -e '-tbx-new$' -e '-tbx-old$')" 0 \
	"no temporary containers left"
check "no temporary files left" test -z "$(find "$TBX_HOME" -name '*.tmp.*')"
run tbx status --json
is "$(printf '%s' "$out" | jq -r '[.[] | select(.kind=="container" and .backend!="vulkan-amdvlk") | .verdict] | unique | join(",")')" \
	fresh "every backend fresh"

done_testing
