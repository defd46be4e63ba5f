#!/bin/bash
# net_ring_hvt.sh: Solo5's hvt net ring (HVT_FEATURE_RING_IO) on uniroot-vmm. The netecho
# guest with --ring sends and receives through the ring (kicks on an ioeventfd, served by
# the monitor's I/O thread) and answers ARP, ping and UDP from the peer namespace behind
# runtime/net's plumbing; the same guest without --ring (a guest that ignores the ring the
# monitor offers) still answers through the hypercalls; a guest writing hostile ring
# contents (wild indices, lengths and addresses) is stopped with one clean "guest broke the
# ABI" error and status 255, never a monitor crash, on the plain and the ASan+UBSan monitor;
# Prints the RTT of both paths.
# Needs root and /dev/kvm (run.sh nests it where /dev/kvm is missing).
# uniroot-test: needs kvm
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/net_lib.inc"
source "$(dirname "$0")/guest_lib.inc"

if [ ! -e /dev/kvm ]; then
    skip "hvt net ring" "no /dev/kvm here"
    finish
    exit
fi

# ---- the ring guest and a hypercall guest behind the plumbing
guest_case ring "$VMM" "$GUESTS/netecho.hvt" --ring
grep -q 'netecho: ready .* io=ring$' "$T_TMP/ring.log" && ok "ring: the guest took the monitor's ring" ||
    not_ok "ring: offered" "$(head -3 "$T_TMP/ring.log" | tr '\n' '|')"
RING_RTT=$LAST_RTT
guest_case hypercalls "$VMM" "$GUESTS/netecho.hvt"
grep -q 'netecho: ready .* io=hypercalls$' "$T_TMP/hypercalls.log" && ok "hypercalls: the guest ignored the ring" ||
    not_ok "hypercalls: io" "$(head -3 "$T_TMP/hypercalls.log" | tr '\n' '|')"
echo "# ping RTT median/min ms over 200 pings: ring $RING_RTT, hypercalls $LAST_RTT"

# ---- hostile ring contents: a tap in the container namespace, a block device
TAP=urrt$NT
ZERO=$T_TMP/zero.img
truncate -s 1M "$ZERO"
ip -n $C tuntap add $TAP mode tap && at_exit "ip -n $C link del $TAP"
for m in "$VMM" "$VMM_ASAN"; do
    t=$(basename "$(dirname "$(dirname "$m")")")/$(basename "$m")
    [ -x "$m" ] || { skip "$t" "$m is not built"; continue; }
    for a in ring-write-data ring-write-wrap ring-read-data ring-read-wrap ring-read-huge ring-read-ro \
             ring-tail-wild ring-head-wild ring-serve-wild ring-serve-data; do
        vrun ip netns exec $C "$m" --block:storage="$ZERO" --net:net0=$TAP "$GUESTS/hostile.hvt" $a
        want "attack did not run" out_has "^hostile: $a"
        want "the monitor let it pass" out_lacks 'hostile: survived|no net ring'
        want "status $R_RC, want 255" rc_is 255
        want "not one error line on stderr" one_error_line
        want "no 'guest broke the ABI: net ring'" err_has '^uniroot-vmm: guest broke the ABI: net ring'
        verdict "$t: hostile $a: stopped with a clean error"
    done
    vrun ip netns exec $C "$m" --block:storage="$ZERO" --net:net0=$TAP "$GUESTS/hostile.hvt" ring-bad-handle
    want "status $R_RC, want 0" rc_is 0
    want "a read on the block handle not committed with EINVAL" out_has '^hostile: rejected with EINVAL$'
    verdict "$t: hostile ring-bad-handle: a read on a non-net handle gets EINVAL, the guest goes on"
done

finish
