#!/bin/bash
# tests/bench/run.sh: run every benchmark script in tests/bench/ (*.sh but
# this one and lib.sh). Each prints its figures beside the baseline it is
# compared with, or FAILED lines for figures it could not measure. All of them
# run; the last line sums up, and the exit status is non-zero when any
# benchmark failed (a FAILED line, or a non-zero exit).
set -u
cd "$(dirname "$0")/../.."
export UR_TOP=$PWD
failed=() skipped=()
for b in tests/bench/*.sh; do
    case $(basename "$b") in run.sh | lib.sh) continue ;; esac
    echo "== $b"
    out=$(mktemp /tmp/uniroot-bench-run.XXXXXX)
    t0=$(date +%s)
    bash "$b" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    if [ "$rc" -ne 0 ] || grep -q '^FAILED: ' "$out"; then
        failed+=("$(basename "$b" .sh)")
    fi
    grep -q '^SKIPPED: ' "$out" && skipped+=("$(basename "$b" .sh)")
    rm -f "$out"
    echo "($b: $(($(date +%s) - t0)) s, exit $rc)"
    echo
done
echo "benchmarks: ${#failed[@]} failed${failed[*]:+ (${failed[*]})}, ${#skipped[@]} with skipped parts${skipped[*]:+ (${skipped[*]})}"
[ ${#failed[@]} -eq 0 ]
