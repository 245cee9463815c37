#!/bin/bash
# A refresh killed between its two renames (the old container renamed
# away, the new one not yet in): status says so and what restores it;
# bench, which holds the lock, finishes the recovery itself.
. "$(dirname "$0")/lib.sh"
reset_containers
ensure_tags

run tbx refresh rocm72
is "$rc" 0 "refresh"
img=$(podman inspect --format '{{.Image}}' llama-rocm-7.2)
cid=$(container_id llama-rocm-7.2)

# what lifecycle_replace leaves when killed between its renames
interrupt() {
	podman rename llama-rocm-7.2 llama-rocm-7.2-tbx-new
	podman create --name llama-rocm-7.2-tbx-old --label tbx.backend=rocm-7.2 "$img" \
		sleep infinity >/dev/null
}

interrupt
run tbx status rocm72
is "$rc" 0 "status"
like "$out" "interrupted replacement: .tbx refresh. restores it" \
	"status says the replacement was interrupted, and what restores it"
run tbx status --json rocm72
is "$(jq -r '.[0].verdict' "$T/out")" missing "the verdict is missing"
check "status changes nothing" test -n "$(container_id llama-rocm-7.2-tbx-new)"

run tbx bench rocm72 tiny
is "$rc" 0 "bench finishes the recovery, then benches"
like "$err" "rocm-7\.2: finishing an interrupted replacement" "and says so"
is "$(container_id llama-rocm-7.2)" "$cid" "the new container is in, under the backend's name"
is "$(podman ps -a --format '{{.Names}}' | grep -c -e '-tbx-new$' -e '-tbx-old$')" 0 \
	"no temporary containers left"

# a plain missing container is still just missing
podman rm -f llama-rocm-7.2 >/dev/null
run tbx status rocm72
like "$out" "no container 'llama-rocm-7\.2'" "a container simply gone says so"

# killed before the new one was whole: only the old one is left
podman create --name llama-rocm-7.2-tbx-old --label tbx.backend=rocm-7.2 "$img" \
	sleep infinity >/dev/null
run tbx status rocm72
like "$out" "interrupted replacement" "status says so when only the old one is left"
run tbx refresh rocm72
is "$rc" 0 "refresh restores it"
like "$err" "restoring 'llama-rocm-7\.2' from an interrupted replacement" "and says so"
check "under its name" test -n "$(container_id llama-rocm-7.2)"
check "the old name is gone" test -z "$(container_id llama-rocm-7.2-tbx-old)"

done_testing
