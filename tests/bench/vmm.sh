#!/bin/bash
# tests/bench/vmm.sh: uniroot-vmm's figures, each beside its baseline, measured
# in this one run:
#   - hello boot-to-exit wall time (median of RUNS) vs the KVM floor
#     (build/bin/kvm-floor: VM + vCPU + long mode + one instruction), ratio;
#   - peak RSS of the hello run with --mem=32 vs the floor's;
#   - block read throughput through the hypercall path (guest blkread reading
#     a 64 MiB file in 64 KiB requests) vs host pread of the same file in the
#     same request size, ratio.
# Targets (issue 2): boot <= 1.5x floor; peak RSS <= 4 MiB.
set -u
cd "$(dirname "$0")/../.."
B=build/bin
G=build/guests
RUNS=${RUNS:-40}
for f in $B/uniroot-vmm $B/kvm-floor $B/spawn-stats $B/host-read $G/hello.hvt $G/blkread.hvt; do
    [ -e "$f" ] || { echo "vmm bench: $f missing (make all bench deps)"; exit 1; }
done
[ -c /dev/kvm ] || { echo "vmm bench: skipped: no /dev/kvm"; exit 0; }
[ -d /sys/module/kvm_pvm ] && echo "(this host's KVM is PVM: guest ring-0 code is emulated, VM exits cost 12-25 us)"

field() { echo "$1" | grep -o "$2=[0-9.]*" | head -1 | cut -d= -f2; }

out=$($B/spawn-stats "$RUNS" $B/uniroot-vmm --mem=32 $G/hello.hvt --vs $B/kvm-floor)
vmm=$(echo "$out" | sed -n 1p)
floor=$(echo "$out" | sed -n 2p)
ratio=$(field "$(echo "$out" | sed -n 3p)" ratio)
printf '%-34s %10s %10s %8s   %s\n' "figure" "uniroot" "baseline" "ratio" "target"
printf '%-34s %8s us %8s us %7sx   %s\n' "hello boot-to-exit (median, n=$RUNS)" \
    "$(field "$vmm" median_us)" "$(field "$floor" median_us)" "$ratio" "<= 1.5x KVM floor"
rss=$(field "$vmm" maxrss_kb)
frss=$(field "$floor" maxrss_kb)
printf '%-34s %8s KB %8s KB %7sx   %s\n' "peak RSS, --mem=32 (max of runs)" "$rss" "$frss" \
    "$(awk -v a="$rss" -v b="$frss" 'BEGIN{printf "%.2f", a/b}')" "<= 4096 KB"

img=$(mktemp /tmp/uniroot-bench.XXXXXX)
trap 'rm -f "$img"' EXIT
head -c $((64 << 20)) /dev/urandom >"$img"
best_g=0 best_h=0
for i in 1 2 3 4 5; do
    g=$($B/uniroot-vmm --mem=32 --block:storage="$img" $G/blkread.hvt 65536 2>&1 | grep -o 'mib_per_s=[0-9.]*' | cut -d= -f2)
    h=$(field "$($B/host-read "$img" 65536)" mib_per_s)
    best_g=$(awk -v a="$best_g" -v b="${g:-0}" 'BEGIN{print (b>a)?b:a}')
    best_h=$(awk -v a="$best_h" -v b="${h:-0}" 'BEGIN{print (b>a)?b:a}')
done
printf '%-34s %6s MiB/s %6s MiB/s %6sx   %s\n' "block read, 64 KiB requests (best of 5)" "$best_g" "$best_h" \
    "$(awk -v a="$best_g" -v b="$best_h" 'BEGIN{printf "%.2f", (b>0)?a/b:0}')" "(hypercall path vs host pread)"
