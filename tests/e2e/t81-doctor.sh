#!/bin/bash
# tbx doctor on the test bed: every check on one line with OK/WARN/FAIL/SKIP
# and what to fix; exit 0 unless something FAILs; --json; each failure
# found while the other checks still run.
. "$(dirname "$0")/lib.sh"

# --- a healthy setup (the test definitions use no device)
run tbx doctor
is "$rc" 0 "doctor passes on the test bed"
like "$out" "^OK +home +$TBX_HOME$" "home"
like "$out" "^OK +backends +5 definitions load: rocm-6\.4\.4, rocm-7\.2, rocm7-nightlies, vulkan-amdvlk, vulkan-radv$" \
	"the definitions load"
like "$out" "^OK +models +1 of 1 model files present under $TB_MODELS$" "the model files exist"
like "$out" "^OK +podman +$TB_URL \(--url\) answers: Podman [0-9]+\.[0-9.]+ on " \
	"the Podman socket: where, and the version"
like "$out" "^OK +lock +$T/lock is private$" "the lock directory is private"
like "$out" "^OK +registry +http://$TB_REGISTRY \(mirror\) answers: docker\.io/kyuz0/amd-strix-halo-toolboxes:rocm-6\.4\.4 is sha256:" \
	"the registry mirror answers a HEAD"
like "$out" "^(OK|WARN) +devices +/dev/dri" "/dev/dri checked"
like "$out" "^(OK|WARN) +devices +/dev/kfd" "/dev/kfd checked"
like "$out" "^(OK|WARN) +groups +" "groups checked"
unlike "$out" "^FAIL" "no FAIL"
like "$out" "^0 failed, [0-9]+ warnings?$" "a summary line"
if [ ! -e /dev/kfd ]; then
	like "$out" "^WARN +devices +/dev/kfd does not exist \(no definition uses it\); fix: " \
		"a missing /dev/kfd no definition uses is a warning, with the fix"
fi

run tbx doctor --json
is "$rc" 0 "doctor --json"
is "$(printf '%s' "$out" | jq -r '.ok')" true "--json: ok"
is "$(printf '%s' "$out" | jq -r '[.checks[].check] | unique | join(",")')" \
	"backends,config,devices,env,groups,home,lock,models,podman,registry,selinux" "--json: every check"
is "$(printf '%s' "$out" | jq -r '[.checks[].status] - ["ok","warn","fail","skip"] | length')" 0 \
	"--json: statuses are ok/warn/fail/skip"

run tbx doctor --offline
like "$out" "^SKIP +registry +mirror: http://$TB_REGISTRY \(not asked: --offline\)$" "--offline: registry not asked"
run tbx doctor --bogus
is "$rc" 2 "an unknown option is a usage error"

# --- a definition that needs a device this machine lacks: FAIL
if [ ! -e /dev/kfd ]; then
	sed 's/"aliases"/"devices": ["\/dev\/kfd"], "aliases"/' "$TBX_HOME/containers/rocm-7.2.json" \
		>"$T/r.json" && mv "$T/r.json" "$TBX_HOME/containers/rocm-7.2.json"
	run tbx doctor --offline
	is "$rc" 1 "a missing device a definition needs fails"
	like "$out" "^FAIL +devices +/dev/kfd does not exist \(needed by rocm-7\.2\); fix: load the amdgpu kernel driver" \
		"it names who needs it and what to do"
	cp "$REPO/tests/e2e/defs/containers/rocm-7.2.json" "$TBX_HOME/containers/"
else
	ok 0 "missing device # skip /dev/kfd exists here"
	ok 0 "missing device message # skip /dev/kfd exists here"
fi

# --- a missing model file is a warning; a missing models root a failure
cat >"$TBX_HOME/manifests/models.json" <<EOF
{"root": "$TB_MODELS", "models": {"tiny": "tiny.gguf", "ghost": "ghost.gguf"}}
EOF
run tbx doctor --offline
is "$rc" 0 "a missing model file does not fail the doctor"
like "$out" "^WARN +models +model '$TB_MODELS/ghost\.gguf': No such file or directory \(benches of it will fail\); fix: download it" \
	"the missing model is named"
like "$out" "^WARN +models +1 of 2 model files present" "and counted"
cat >"$TBX_HOME/manifests/models.json" <<EOF
{"root": "$T/nomodels", "models": {"tiny": "tiny.gguf"}}
EOF
run tbx doctor --offline
is "$rc" 1 "a missing models root fails"
like "$out" "^FAIL +models +models root '$T/nomodels' is not a directory" "and is named"

# --- a broken definition fails, the other checks still run
cat >"$TBX_HOME/manifests/models.json" <<EOF
{"root": "$TB_MODELS", "models": {"tiny": "tiny.gguf"}}
EOF
printf '{"image": "x",\n  "container": }\n' >"$TBX_HOME/containers/broken.json"
run tbx doctor --offline
is "$rc" 1 "a broken definition fails"
like "$out" "^FAIL +backends +.*broken\.json:2:" "it names the file and the line"
like "$out" "^OK +podman " "the Podman check still runs"
like "$out" "^OK +lock " "the lock check still runs"
rm "$TBX_HOME/containers/broken.json"

# --- no Podman there
run "$TBX_BIN" --url "unix://$T/nope.sock" doctor --offline
is "$rc" 1 "no Podman: FAIL"
like "$out" "^FAIL +podman +looked at unix://$T/nope\.sock \(--url\): .*no such socket" \
	"it says where it looked and what it found"
run env CONTAINER_HOST="unix://$T/nope.sock" "$TBX_BIN" doctor --offline
like "$out" "^FAIL +podman +looked at unix://$T/nope\.sock \(CONTAINER_HOST\)" "CONTAINER_HOST is named as the source"

# --- a lock directory others can write: FAIL
mkdir -m 777 "$T/openlock"
chmod 777 "$T/openlock"
run env TBX_LOCK_DIR="$T/openlock" "$TBX_BIN" --url "$TB_URL" doctor --offline
is "$rc" 1 "a shared lock directory fails"
like "$out" "^FAIL +lock +lock directory '$T/openlock' must belong to you and not be writable by others; fix: " \
	"and says why"

# --- an invalid registry mirror setting: FAIL
run env TBX_REGISTRY_MIRROR="docker.io" "$TBX_BIN" --url "$TB_URL" doctor --offline
is "$rc" 1 "an invalid mirror setting fails"
like "$out" "^FAIL +registry +registry mirror setting 'docker\.io' is invalid; fix: use registry=URL pairs" \
	"and says the expected form"

done_testing
