#!/bin/bash
# tests/bench/run.sh: run every benchmark script in tests/bench/ (*.sh but
# this one). Each prints its figures beside the baseline it is compared with.
set -u
cd "$(dirname "$0")/../.."
export UR_TOP=$PWD
rc=0
for b in tests/bench/*.sh; do
    [ "$(basename "$b")" = run.sh ] && continue
    echo "== $b"
    bash "$b" || rc=1
    echo
done
exit $rc
