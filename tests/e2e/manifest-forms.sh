# tests/e2e/manifest-forms.sh - sourced by t17-forms-oci.sh (forms=oci,
# noamd64=1), t17-forms-v2s2.sh, t18-forms-oci-index.sh,
# t18-forms-docker-list.sh and t18-forms-attest.sh: one form per script, so
# that each stays within run-all's time per script on a loaded machine
# (one form takes about 8 minutes at a load average of 25 on 2 CPUs).
#
# Every form a registry serves a tag in: a single OCI manifest, a single
# Docker v2s2 manifest, an OCI image index, a Docker manifest list, and an
# index with a buildx attestation entry (platform unknown/unknown).  On each:
# refresh (first and no-op: 0 manifest GETs), status, bench, a new build,
# rollback, unpin, pin by either digest.  The lock file and the record keep
# both digests where they differ: the tag's (the registry's HEAD) and the
# linux/amd64 manifest's.  A tag whose index has no linux/amd64 entry fails
# with one line naming its platforms, and changes nothing.
# Engine-agnostic: only tbx's output, the lock file and the registry's log
# are looked at.
. "$(dirname "$0")/lib.sh"
reset_containers
lockfile=$TBX_HOME/manifests/images.lock.json
results=$TBX_HOME/results
forms=${forms:?set forms before sourcing}
noamd64=${noamd64:-0}

# one backend per form, on its own tag (deleted at the end)
define() { # FORM
	cat >"$TBX_HOME/containers/form-$1.json" <<EOF
{"description": "test bed: a tag served as $1", "image": "$TB_IMAGE:form-$1",
 "container": "llama-form-$1", "expect": {"backend": "CPU"}}
EOF
}
lockq() { jq -r "$1" "$lockfile"; }
label_digest() { podman inspect --format '{{index .Config.Labels "tbx.image-digest"}}' "$1" 2>/dev/null; }

for f in $forms noamd64; do define "$f"; done
[ "$noamd64" = 1 ] || rm -f "$TBX_HOME/containers/form-noamd64.json"

for f in $forms; do
	b=form-$f
	read -r d1 p1 < <("$TESTBED" form "$TB_DIR" "$b" "$f" 2>/dev/null)
	check "$f: the test bed serves the tag" test -n "$d1"
	if [ "$f" = oci ] || [ "$f" = v2s2 ]; then
		is "$p1" "$d1" "$f: a single manifest: one digest"
	else
		check "$f: an index: its digest is not the manifest's" test "$p1" != "$d1"
	fi

	# --- first refresh: pulls, creates, records both digests
	run tbx refresh "$b"
	is "$rc" 0 "$f: first refresh"
	like "$out" "$b: created ${d1:0:19}" "$f: created at the tag's digest"
	is "$(lockq ".backends[\"$b\"].digest")" "$d1" "$f: the lock file has the tag's digest"
	want_p=$([ "$p1" = "$d1" ] && echo null || echo "$p1")
	is "$(lockq ".backends[\"$b\"].platform_digest")" "$want_p" \
		"$f: and the linux/amd64 manifest's where it differs"
	is "$(label_digest "llama-$b")" "$d1" "$f: the container is labelled with the tag's digest"

	# --- no-op refresh: HEADs only, nothing pulled or recreated
	cid=$(container_id "llama-$b")
	m=$(registry_mark)
	run tbx refresh --json "$b"
	is "$rc" 0 "$f: no-op refresh"
	is "$(printf '%s' "$out" | jq -r '.backends[0].action')" unchanged "$f: unchanged"
	is "$(printf '%s' "$out" | jq -r '.backends[0].platform_digest')" "$p1" \
		"$f: refresh --json shows the manifest's digest"
	is "$(registry_count "$m" GET)" 0 "$f: no-op refresh makes 0 manifest GETs"
	is "$(registry_count "$m" HEAD)" 1 "$f: and one HEAD"
	is "$(registry_blob_gets "$m")" 0 "$f: and no blob GETs"
	is "$(container_id "llama-$b")" "$cid" "$f: container untouched"

	# --- status: fresh, both digests
	run tbx status --json "$b"
	is "$rc" 0 "$f: status"
	is "$(printf '%s' "$out" | jq -r '.[0].verdict')" fresh "$f: fresh"
	is "$(printf '%s' "$out" | jq -r '.[0].digest')" "$d1" "$f: status shows the tag's digest"
	is "$(printf '%s' "$out" | jq -r '.[0].platform_digest')" "$p1" "$f: and the manifest's"

	# --- bench: the record has both
	run tbx bench "$b" tiny
	is "$rc" 0 "$f: bench"
	rec=$(ls -t "$results"/*.json 2>/dev/null | head -1)
	is "$(jq -r .image_digest "$rec")" "$d1" "$f: the record has the tag's digest"
	is "$(jq -r '.image_platform_digest // "null"' "$rec")" "$want_p" \
		"$f: and the manifest's where it differs"

	# --- a new build: refresh moves, history keeps both digests
	read -r d2 p2 < <("$TESTBED" form "$TB_DIR" "$b" "$f" 2>/dev/null)
	run tbx refresh "$b"
	is "$rc" 0 "$f: refresh after a new build"
	like "$out" "$b: recreated ${d1:0:19} -> ${d2:0:19}" "$f: moves to the new digest"
	is "$(lockq ".backends[\"$b\"].history[0].digest")" "$d1" "$f: history has the old tag digest"
	is "$(lockq ".backends[\"$b\"].history[0].platform_digest")" "$want_p" \
		"$f: and its manifest's digest"

	# --- rollback: back to both old digests
	run tbx rollback "$b"
	is "$rc" 0 "$f: rollback"
	like "$out" "$b: rolled back to ${d1:0:19}" "$f: says where it went"
	is "$(lockq ".backends[\"$b\"].digest")" "$d1" "$f: the lock file has the old tag digest"
	is "$(lockq ".backends[\"$b\"].platform_digest")" "$want_p" "$f: and its manifest's"
	is "$(label_digest "llama-$b")" "$d1" "$f: the container runs the old image"
	run tbx status --json "$b"
	is "$(printf '%s' "$out" | jq -r '.[0].verdict')" fresh "$f: fresh when rolled back (pinned)"

	# --- pin by the manifest's digest: the tag's is found and both stored
	want_p2=$([ "$p2" = "$d2" ] && echo null || echo "$p2")
	run tbx pin "$b" "$p2"
	is "$rc" 0 "$f: pin by the linux/amd64 manifest's digest"
	like "$out" "$b: pinned ${d2:0:19}" "$f: pins the tag digest it belongs to"
	is "$(lockq ".backends[\"$b\"].digest")" "$d2" "$f: the lock file has the tag's digest"
	is "$(lockq ".backends[\"$b\"].platform_digest")" "$want_p2" "$f: and the manifest's"
	is "$(lockq ".backends[\"$b\"].pinned")" true "$f: pinned"
	is "$(label_digest "llama-$b")" "$d2" "$f: the container runs it"
	m=$(registry_mark)
	run tbx refresh "$b"
	like "$out" "$b: unchanged ${d2:0:19}, pinned" "$f: refresh keeps the pin"
	is "$(registry_count "$m" GET)" 0 "$f: a pinned refresh makes 0 manifest GETs"

	# --- unpin: follows the tag again (here: already at it)
	run tbx unpin "$b"
	is "$rc" 0 "$f: unpin"
	is "$(lockq ".backends[\"$b\"].pinned")" false "$f: not pinned"
	run tbx refresh "$b"
	like "$out" "$b: unchanged ${d2:0:19}" "$f: refresh follows the tag"
done

# --- a tag whose index has no linux/amd64 entry
if [ "$noamd64" = 1 ]; then
b=form-noamd64
read -r d1 _ < <("$TESTBED" form "$TB_DIR" "$b" oci 2>/dev/null)
run tbx refresh "$b"
is "$rc" 0 "noamd64: a first refresh while the tag is a plain manifest"
cid=$(container_id "llama-$b")
sum=$(sha256sum "$lockfile")
"$TESTBED" form "$TB_DIR" "$b" noamd64 >/dev/null 2>&1
run tbx refresh "$b"
is "$rc" 1 "noamd64: refresh fails"
like "$out" "$b: FAILED: .*:form-noamd64 has no linux/amd64 image: its index offers linux/arm64/v8, linux/s390x$" \
	"noamd64: one line naming the platforms it has"
is "$(printf '%s\n' "$err" | grep -c .)" 1 "noamd64: one line on stderr"
is "$(sha256sum "$lockfile")" "$sum" "noamd64: the lock file is unchanged"
is "$(container_id "llama-$b")" "$cid" "noamd64: the container is untouched"
is "$(label_digest "llama-$b")" "$d1" "noamd64: and still runs the old image"
fi

for f in $forms $([ "$noamd64" = 1 ] && echo noamd64); do "$TESTBED" delete-tag "$TB_DIR" "form-$f" >/dev/null 2>&1; done
reset_containers
done_testing
