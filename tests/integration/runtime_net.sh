#!/bin/bash
# runtime_net.sh: the guest's network through the uniroot CLI (issue 10), on
# uniroot-spt (no KVM needed), in namespaces this script makes (net_lib.inc:
# a veth standing in for CNI). The netecho guest as a bundle whose config.json
# names the container namespace by path: create makes its tap and qdiscs and
# takes the interface's address (recorded in net.json), the guest answers ping
# and UDP from the peer at the container's address with the interface's MAC,
# and delete leaves no tap, no qdisc, the address and route back. Fault cases:
# the monitor killed before start, a create failing after the tap was made
# (the monitor refuses: stand-in), kill -9 of a running guest then delete;
# two containers in one namespace with two interfaces, a third refused with
# the reason; a guest with a net device and no namespace path refused; a
# guest without one runs and the log says it has no network.
# The script is init of its own pid namespace (it reaps the monitors).
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 UR_NET_TAG=$$ exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
STANDIN=$UR_TOP/build/bin/standin-vmm
SPT=$UR_TOP/build/bin/uniroot-spt
. "$(dirname "$0")/runtime_lib.inc"
unset UNIROOT_VMM
export UNIROOT_SPT=$SPT # also for UNIROOT=build/asan/bin/uniroot, which has no uniroot-spt beside it
for f in "$UNIROOT" "$STANDIN" "$SPT" "$GUESTS/netecho.spt" "$GUESTS/hello.spt"; do
    [ -e "$f" ] || { skip runtime-net "$f is not built (make all)"; finish; exit; }
done
command -v jq >/dev/null || { skip runtime-net "jq is not installed (JSON checks)"; finish; exit; }
. "$(dirname "$0")/net_lib.inc"
at_exit rt_cleanup
export STANDIN_VMM_LOG=$T_TMP/vmm.log

MAC=$(if_mac)
B=$T_TMP/b1; net_bundle "$B" netecho $NSC

# ---- create, start, traffic, delete on uniroot-spt
cli_create n1 "$B"
A=$(jq -r .vmm_cmdline "$RT_ROOT/n1/state.json")
[[ "$A" == *" --net:service=@5 --net-mac:service=$MAC -- /proc/self/fd/4 --ipv4=$IP/24 --ipv4-gateway=$GW" ]] &&
    ok "argv: tap as inherited fd 5, the interface's MAC, --ipv4/--ipv4-gateway first in the guest's cmdline" ||
    not_ok "argv" "$A"
cli_run n1 spt
cli_delete n1

# ---- faults
# the monitor dies before start
ur create --bundle "$B" n2 >"$T_TMP/n2.out" 2>&1
pid=$(jq -r .pid "$RT_ROOT/n2/state.json" 2>/dev/null)
[ "$(taps)" = 1 ] && kill -9 "$pid" && sleep 0.3 && ok "fault: monitor $pid killed before start" || not_ok "fault: before start" "taps=$(taps) pid=$pid"
expect "fault: delete after the monitor died" 0 "" -- ur delete n2
gone_clean "fault: monitor died before start, then delete"
# create fails after the tap was made: the monitor (stand-in) refuses
: >"$RT_LOG"
if UNIROOT_SPT=$STANDIN STANDIN_VMM_FAIL="no such luck" ur create --bundle "$B" n3 >"$T_TMP/n3.out" 2>&1; then
    not_ok "fault: create with a failing monitor" "succeeded"
else ok "fault: create fails when the monitor refuses ($(tail -1 "$T_TMP/n3.out"))"; fi
grep -q -- "--net:service=@5" "$STANDIN_VMM_LOG" && ok "fault: the monitor had been given the tap" || not_ok "fault: tap given" "$(tail -1 "$STANDIN_VMM_LOG")"
gone_clean "fault: failed create undoes itself"
[ ! -e "$RT_ROOT/n3" ] && ok "fault: no state left" || not_ok "fault: state left" "$(ls "$RT_ROOT")"
# kill -9 of a running guest, then delete
ur create --bundle "$B" n4 >"$T_TMP/n4.out" 2>&1 && ur start n4 && guest_ready "$T_TMP/n4.out" $IP &&
    ok "fault: n4 runs" || not_ok "fault: n4" "$(cat "$T_TMP/n4.out")"
expect "fault: kill -9" 0 "" -- ur kill n4 KILL
wait_status n4 stopped && ok "fault: n4 stopped" || not_ok "fault: n4 stopped" "$(ur state n4)"
expect "fault: delete after kill -9" 0 "" -- ur delete n4
gone_clean "fault: kill -9 then delete"
expect "fault: delete again: nothing to do" 0 "" -- ur delete n4

# hvt gets the same: its monitor (the stand-in here, no KVM needed) is given the tap
if [ -f "$GUESTS/netecho.hvt" ]; then
    HV=hvt net_bundle "$T_TMP/bh" netecho $NSC
    if UNIROOT_VMM=$STANDIN ur create --bundle "$T_TMP/bh" h1 >"$T_TMP/h1.out" 2>&1; then
        grep "^argv .*start-fifo=$RT_ROOT/h1/" "$STANDIN_VMM_LOG" | grep -q -- "--net:service=@5 --net-mac:service=$MAC -- /proc/self/fd/4 --ipv4=$IP/24%20--ipv4-gateway=$GW" &&
            ok "hvt: the monitor gets the tap, the MAC and the guest its address" || not_ok "hvt: argv" "$(tail -1 "$STANDIN_VMM_LOG")"
    else not_ok "hvt: create on the stand-in" "$(cat "$T_TMP/h1.out")"; fi
    ur delete --force h1
    gone_clean "hvt: delete"
else
    skip "hvt argv" "$GUESTS/netecho.hvt is not built (make guests)"
fi

# ---- two containers, two interfaces; a third refused
VC2=unc2$NT VP2=unp2$NT IP2=10.99.1.2 GW2=10.99.1.1
ip link add $VC2 netns $C type veth peer name $VP2 netns $P
ip -n $C addr add $IP2/24 dev $VC2 && ip -n $C link set $VC2 up
ip -n $P addr add $GW2/24 dev $VP2 && ip -n $P link set $VP2 up
ur create --bundle "$B" m1 >"$T_TMP/m1.out" 2>&1 && ur start m1 &&
ur create --bundle "$B" m2 >"$T_TMP/m2.out" 2>&1 && ur start m2
{ guest_ready "$T_TMP/m1.out" $IP || guest_ready "$T_TMP/m1.out" $IP2; } &&
    { guest_ready "$T_TMP/m2.out" $IP || guest_ready "$T_TMP/m2.out" $IP2; } &&
    [ "$(grep -ho 'ready ip=[0-9.]*' "$T_TMP/m1.out" "$T_TMP/m2.out" | sort -u | wc -l)" = 2 ] &&
    ok "two containers: each took its own interface ($(grep -ho 'ready ip=[0-9./]*' "$T_TMP/m1.out" "$T_TMP/m2.out" | tr '\n' ' '))" ||
    not_ok "two containers" "$(cat "$T_TMP/m1.out" "$T_TMP/m2.out" | tr '\n' '|')"
ip -n $P neigh flush all
n1=$(udp_echo $IP 3) n2=$(udp_echo $IP2 3)
[ "$n1" = 3 ] && [ "$n2" = 3 ] && ok "two containers: udp 3 of 3 to $IP and to $IP2" || not_ok "two containers: udp" "$n1 and $n2 of 3"
: >"$RT_LOG"
expect "too few interfaces: a third is refused" 1 "network device \"service\".*lo \(loopback\).*(taken by another guest)" -- ur create --bundle "$B" m3
[ ! -e "$RT_ROOT/m3" ] && [ "$(taps)" = 2 ] && ok "too few interfaces: no state, the two others untouched" || not_ok "too few" "taps=$(taps) $(ls "$RT_ROOT")"
ur delete --force m1; ur delete --force m2
has_addr $VC2 $IP2 && w=$(clean) && [ -z "$w" ] && ok "two containers deleted: both interfaces as before, nothing left" ||
    not_ok "two deleted" "$w $(ip -n $C -4 addr)"
ip -n $C link del $VC2

# ---- no network namespace path
N=$T_TMP/nons; net_bundle "$N" netecho
expect "no netns: a guest with a net device is refused" 1 "needs network device \"service\", but the spec names no network namespace" -- ur create --bundle "$N" x1
[ ! -e "$RT_ROOT/x1" ] && ok "no netns: nothing left" || not_ok "no netns: state" "$(ls "$RT_ROOT")"
H=$T_TMP/hello; net_bundle "$H" hello $NSC
: >"$RT_LOG"
if ur run --bundle "$H" x2 >"$T_TMP/x2.out" 2>&1; then ok "no net device: hello runs (in $C)"; else not_ok "no net device: run" "$(cat "$T_TMP/x2.out")"; fi
grep -q "declares no network device: no tap, the guest runs without network" "$RT_LOG" &&
    ok "no net device: the log says it runs without network" || not_ok "no net device: log" "$(cat "$RT_LOG")"
w=$(clean); [ -z "$w" ] && ok "no net device: nothing made in $C" || not_ok "no net device: namespace" "$w"
finish
