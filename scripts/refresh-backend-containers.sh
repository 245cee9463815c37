#!/bin/bash
# refresh-backend-containers.sh [--include-amdvlk] [--prune-legacy]
#
# Refresh/recreate the backend containers on their latest tags: a thin
# wrapper around `tbx refresh` (which checks digests, pulls only what
# changed and never leaves a backend without a container). Uses ../tbx
# next to this script when built, else tbx on PATH. Exit code: tbx's.
set -u

PROG=${0##*/}
usage() {
    echo "usage: $PROG [--include-amdvlk] [--prune-legacy]"
    echo "(runs 'tbx refresh' with the same flags; see 'tbx refresh --help')"
}

for arg in "$@"; do
    case $arg in
    --include-amdvlk | --prune-legacy) ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "$PROG: unknown argument '$arg'" >&2
        usage >&2
        exit 2
        ;;
    esac
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -x "$here/../tbx" ]; then
    exec "$here/../tbx" refresh "$@"
elif command -v tbx >/dev/null 2>&1; then
    exec tbx refresh "$@"
fi
echo "$PROG: tbx not found (build it with 'make' in $(dirname "$here"), or install it)" >&2
exit 1
