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
NETNS_C=$C  # net_lib's container namespace; ctd_start's C is ctr

"$MKIMAGE" --out "$T_TMP/netecho.tar" --unikernel solo5 --hypervisor spt --kernel "$GUESTS/netecho.spt" \
    --cmd /unikernel/netecho.spt && ok "uniroot-mkimage: the netecho spt image" || not_ok "uniroot-mkimage" "failed"
D=$T_TMP/ctd; mkdir -p "$D"
if ! ctd_start "$D" "uniroot-net-$NT"; then not_ok "containerd" "$CTD_WHY"; finish; exit; fi
CTR=$C C=$NETNS_C
ok "private containerd is up"
$CTR images import --base-name localhost/netecho "$T_TMP/netecho.tar" >/dev/null && ok "ctr images import" || not_ok "ctr images import" "failed"
MAC=$(if_mac)
expect "ctr run -d --with-ns network:$NSC" 0 "" -- \
    $CTR run -d --runc-binary "$UNIROOT" --with-ns "network:$NSC" localhost/netecho:latest e1
for _ in $(seq 50); do [ "$(taps)" = 1 ] && break; sleep 0.1; done
[ "$(taps)" = 1 ] && [ "$(ingress_count)" = 2 ] && ! has_addr $VC $IP &&
    ok "the runtime made one tap and two qdiscs in $C and took $VC's address" || not_ok "plumbing" "taps=$(taps) qdiscs=$(ingress_count)"
for _ in $(seq 30); do ip netns exec $P ping -c 1 -W 1 $IP >/dev/null 2>&1 && break; done
ping_ok "ctr: ping from the peer 3 of 3"
n=$(icmp_verify $IP 5); [ "$n" = 5 ] && ok "ctr: icmp 5 of 5 with correct checksum and payload" || not_ok "ctr: icmp" "$n of 5"
n=$(udp_echo $IP 5); [ "$n" = 5 ] && ok "ctr: udp 5 of 5 echoed" || not_ok "ctr: udp" "$n of 5"
ip -n $P neigh show $IP | grep -q "$MAC" && ok "ctr: the guest answers with $VC's MAC" || not_ok "ctr: MAC" "$(ip -n $P neigh show)"
echo "# rtt to the guest through containerd: $(rtt 100)"
$CTR tasks kill -s KILL e1 >/dev/null 2>&1
for _ in $(seq 50); do $CTR tasks ls | grep -q "^e1 .*STOPPED" && break; sleep 0.1; done
expect "ctr tasks rm" 0 "" -- $CTR tasks rm e1
expect "ctr containers rm" 0 "" -- $CTR containers rm e1
w=$(clean); [ -z "$w" ] && ok "after kill -9 and delete through containerd: no tap, no qdisc, address and route back" ||
    not_ok "ctr: left behind" "$w"
finish
