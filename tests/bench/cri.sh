#!/bin/bash
# tests/bench/cri.sh: create-to-running of pods through containerd's CRI,
# uniroot beside runc, on the CRI test's private containerd
# (tests/integration/cri_lib.inc: CNI bridge + host-local, the block
# snapshotter for every rootfs, unirootd). For each runtime handler, 50 pods
# released at once by `cri.py up` (RunPodSandbox + CreateContainer +
# StartContainer, timed per pod until StartContainer returns):
#   uniroot  the pod's pause container handed to runc, `ext4label.spt stay`
#            booting from its block snapshot on uniroot-spt
#   runc     the pause container and a second pause as the app, plain runc
# p50, p90 and max of each, and uniroot's over runc's as a ratio. No KVM
# needed. Any pod that fails makes its figure FAILED (no ratio).
#   BENCH_CRI_PODS=N  pods per round (default 50)
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 UR_NET_TAG=$$ exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
set -u
TOP=${UR_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export UR_TOP=$TOP
. "$TOP/tests/bench/lib.sh"
. "$TOP/tests/integration/lib.sh"
# cri_lib.inc reports through lib.sh's verbs: here they are the benchmark's
ok() { :; }
not_ok() { bench_fail "$1" "$2"; }
skip() { bench_skip "$1: $2"; }
finish() { :; }
. "$TOP/tests/integration/runtime_lib.inc"
unset UNIROOT_VMM
. "$TOP/tests/integration/cri_lib.inc"
NPODS=${BENCH_CRI_PODS:-50}
cri_need
[ "$BENCH_RC" = 0 ] || bench_end
cri_setup
[ "$BENCH_RC" = 0 ] || bench_end

pod_json 'b{i}' >"$T_TMP/pod.json"
ctr_json app localhost/uniroot-label:latest >"$T_TMP/uniroot.json"
ctr_json app localhost/uniroot-pause:latest >"$T_TMP/runc.json"
# pct FILE: "p50 p90 max" of the run times in FILE (seconds)
pct() { sort -n "$1" | awk '{ t[NR] = $1 } END { printf "%s %s %s", t[int((NR + 1) / 2)], t[int((NR * 9 + 9) / 10)], t[NR] }'; }
# one HANDLER: NPODS at once, then all removed; the times in $T_TMP/HANDLER.s
one() {
    local h=$1 out=$T_TMP/$1.jsonl n
    $CRI up "$NPODS" "$h" "$T_TMP/pod.json" "$T_TMP/$h.json" >"$out" 2>"$T_TMP/$h.err"
    n=$(jq -r 'select(.run) | .run' "$out" | tee "$T_TMP/$h.s" | wc -l)
    if [ "$n" != "$NPODS" ]; then
        bench_fail "$h pods" "$n of $NPODS running: $(jq -r 'select(.error) | .error' "$out" | sort | uniq -c | head -2 | tr '\n' '|') $(tail -1 "$T_TMP/$h.err")"
        $CRI down >/dev/null 2>&1
        return 1
    fi
    $CRI down >"$T_TMP/$h.down" 2>&1 || { bench_fail "$h pods removed" "$(tail -2 "$T_TMP/$h.down")"; return 1; }
}
one runc && r=($(pct "$T_TMP/runc.s"))
one uniroot && u=($(pct "$T_TMP/uniroot.s"))
if [ "$BENCH_RC" = 0 ]; then
    echo "CRI create-to-running, $NPODS pods at once (RunPodSandbox to StartContainer's end), seconds:"
    names=(p50 p90 max)
    for i in 0 1 2; do
        printf '  %-4s uniroot %7.2f   runc %7.2f   ratio %.2fx\n' "${names[$i]}" "${u[$i]}" "${r[$i]}" \
            "$(awk -v a="${u[$i]}" -v b="${r[$i]}" 'BEGIN {print a / b}')"
    done
fi
bench_end
