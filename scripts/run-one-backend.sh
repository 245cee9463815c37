#!/bin/bash
# run-one-backend.sh BACKEND MODEL
#
# Bench one backend with one model, the canonical way: a thin wrapper
# around `tbx bench BACKEND MODEL` (freshness gate, warmup run discarded,
# device check, result recorded). Uses ../tbx next to this script when
# built, else tbx on PATH. Exit code: tbx's.
set -u

PROG=${0##*/}
usage() {
    echo "usage: $PROG BACKEND MODEL"
    echo "(runs 'tbx bench BACKEND MODEL'; 'tbx backends' and 'tbx models' list them)"
}

case ${1:-} in
-h | --help)
    usage
    exit 0
    ;;
esac
if [ $# -ne 2 ]; then
    echo "$PROG: expected a BACKEND and a MODEL" >&2
    usage >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -x "$here/../tbx" ]; then
    exec "$here/../tbx" bench "$1" "$2"
elif command -v tbx >/dev/null 2>&1; then
    exec tbx bench "$1" "$2"
fi
echo "$PROG: tbx not found (build it with 'make' in $(dirname "$here"), or install it)" >&2
exit 1
