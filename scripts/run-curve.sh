#!/bin/bash
# run-curve.sh BACKEND MODEL [TBX-CURVE-OPTIONS...]
#
# Run upstream's depth curves for one backend and one model: a thin
# wrapper around `tbx curve BACKEND MODEL` (freshness gate, discarded
# warmup, device check; a prefill series -p 2048 -n 0 and a generation
# series -p 0 -n 128 over depths 0..65536, one record). Options such as
# --calibrate, --depths LIST, --ubatch N, --repetitions N, --cooldown S go
# after the model. Uses ../tbx next to this script when built, else tbx on
# PATH. Exit code: tbx's (1 when a series stopped part-way: the finished
# points are recorded, marked partial).
set -u

PROG=${0##*/}
usage() {
    echo "usage: $PROG BACKEND MODEL [--calibrate | --ubatch N] [--depths LIST] [--repetitions N] [--cooldown SECONDS]"
    echo "(runs 'tbx curve [OPTIONS] BACKEND MODEL'; 'tbx backends' and 'tbx models' list them)"
}

case ${1:-} in
-h | --help)
    usage
    exit 0
    ;;
esac
if [ $# -lt 2 ]; then
    echo "$PROG: expected a BACKEND and a MODEL" >&2
    usage >&2
    exit 2
fi
backend=$1
model=$2
shift 2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -x "$here/../tbx" ]; then
    exec "$here/../tbx" curve "$@" "$backend" "$model"
elif command -v tbx >/dev/null 2>&1; then
    exec tbx curve "$@" "$backend" "$model"
fi
echo "$PROG: tbx not found (build it with 'make' in $(dirname "$here"), or install it)" >&2
exit 1
