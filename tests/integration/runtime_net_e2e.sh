#!/bin/bash
# runtime_net_e2e.sh: the guest's network through containerd (issue 10), no
# KVM: a private containerd (runtime_lib.inc's ctd_start) runs the netecho
# spt image (uniroot-mkimage) with `ctr run --runc-binary uniroot --with-ns
# network:/run/netns/X`, X a namespace net_lib.inc made with a veth standing
# in for CNI; ping and UDP from the peer namespace reach the guest at the
# container's address; after the task is killed and the container removed
# no tap or qdisc is left and the address and route are back.
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 UR_NET_TAG=$$ exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
SPT=$UR_TOP/build/bin/uniroot-spt
. "$(dirname "$0")/runtime_lib.inc"
unset UNIROOT_VMM
export UNIROOT_SPT=$SPT # also for UNIROOT=build/asan/bin/uniroot
MKIMAGE=$UR_TOP/build/bin/uniroot-mkimage
for f in "$UNIROOT" "$SPT" "$MKIMAGE" "$GUESTS/netecho.spt"; do
    [ -e "$f" ] || { skip runtime-net-e2e "$f is not built (make all)"; finish; exit; }
done
ctd_have || { skip runtime-net-e2e "containerd, ctr or containerd-shim-runc-v2 is not installed"; finish; exit; }
. "$(dirname "$0")/net_lib.inc"
ctr_case spt
finish
