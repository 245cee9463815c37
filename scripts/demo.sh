#!/bin/bash
# make demo: the main job on a built-in demo.  A local registry stands in
# for docker.io, demo images carry Debian's real llama-bench (CPU, and
# Vulkan on lavapipe), and a tiny generated model replaces the real ones.
# Refreshes the demo backends, benches the tiny model, prints the matrix.
# The demo's tbx home (records, lock file, reports) stays in build/demo/home.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
DEMO=$REPO/build/demo
BED=$(mktemp -d /tmp/tbx-demo.XXXXXX)
cleanup() { tests/testbed down "$BED/bed" >/dev/null 2>&1 || true; rm -rf "$BED"; }
trap cleanup EXIT

echo "== bringing up the demo test bed (Podman service, registry, images)"
tests/testbed up "$BED/bed"
# shellcheck disable=SC1091
. "$BED/bed/env"
unset CONTAINER_HOST

rm -rf "$DEMO/home"
mkdir -p "$DEMO/home/containers" "$DEMO/home/manifests" "$DEMO/lock"
chmod 700 "$DEMO/lock"
cp tests/e2e/defs/containers/*.json "$DEMO/home/containers/"
cp tests/e2e/defs/manifests/*.json "$DEMO/home/manifests/"
mkdir -p "$DEMO/home/models"
cp "$TB_MODELS/tiny.gguf" "$DEMO/home/models/"
cat >"$DEMO/home/manifests/models.json" <<JSON
{"root": "$DEMO/home/models", "models": {"tiny": "tiny.gguf"}}
JSON
export TBX_HOME=$DEMO/home TBX_LOCK_DIR=$DEMO/lock TBX_REGISTRY_MIRROR=$TB_MIRROR
tbx() { echo "\$ tbx $*"; "$REPO/tbx" --url "$TB_URL" "$@"; }

tbx refresh --include-amdvlk
tbx status
tbx bench vulkan-radv tiny
tbx bench rocm72 tiny
tbx bench rocm-6.4.4 tiny
tbx results
tbx report -o "$DEMO/home/reports" --print || true
echo
echo "demo done: records in $DEMO/home/results, reports in $DEMO/home/reports"
