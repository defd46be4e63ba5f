#!/bin/bash
# cri_e2e.sh: a Kubernetes pod with unikernel containers through containerd's
# CRI (issue 11), no KVM: cri_lib.inc's private containerd (CRI on, uniroot's
# runtime entry from deploy/containerd, real CNI bridge + host-local inside a
# namespace of this test, the block snapshotter, unirootd) and tests/e2e/cri.py
# as the kubelet. RunPodSandbox with handler uniroot: the pause container goes
# to runc through uniroot's hand-off, the pod gets a CNI address. In it an
# ext4label.spt container boots from its own block snapshot (the label is its
# container id's start), the agent's record verified by the runtime, its
# output in the CRI log; a netecho.spt container answers ping and UDP at the
# pod's address. Stop, remove, stop and remove the pod: nothing left.
# uniroot-test: timeout 300
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 UR_NET_TAG=$$ exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.inc"
unset UNIROOT_VMM
. "$(dirname "$0")/cri_lib.inc"
cri_need
t0=$EPOCHREALTIME
cri_setup
expect "CRI answers (runtime.v1)" 0 '^containerd .* v1$' -- $CRI version
echo "# setup: $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}') s"

# --- the pod
pod_json p1 >"$T_TMP/p1.json"
t0=$EPOCHREALTIME
POD=$($CRI runp "$T_TMP/p1.json" uniroot 2>"$T_TMP/runp.err")
[ -n "$POD" ] && ok "RunPodSandbox (handler uniroot): $POD" || { not_ok "RunPodSandbox" "$(cat "$T_TMP/runp.err"; tail -5 "$D/log")"; finish; exit; }
$CRI inspectp "$POD" >"$T_TMP/p1.status"
[ "$(jq -r .status.state "$T_TMP/p1.status")" = SANDBOX_READY ] && ok "the pod is ready" || not_ok "pod state" "$(jq -c .status "$T_TMP/p1.status")"
PODIP=$(jq -r .status.network.ip "$T_TMP/p1.status")
case $PODIP in 10.98.0.*) ok "CNI gave the pod $PODIP (bridge + host-local in $N)" ;; *) not_ok "pod address" "$PODIP" ;; esac
# the pause container: runc's own state in the runtime's root, and runc running it
runc --root "$RUNC_ROOT" state "$POD" 2>&1 | jq -e '.status == "running"' >/dev/null &&
    ok "the pause container was handed to runc (runc state: running)" || not_ok "pause through runc" "$(runc --root "$RUNC_ROOT" state "$POD" 2>&1)"
PODNS=$(jq -r '.info.info.runtimeSpec.linux.namespaces[] | select(.type == "network") | .path' "$T_TMP/p1.status" | sed 's|^/var/run/|/run/|')
[ -n "$(cri_netns_mine)" ] && [ "$(cri_netns_mine)" = "$PODNS" ] && ok "containerd made the pod's namespace $PODNS" ||
    not_ok "pod namespace" "spec: $PODNS, made: $(cri_netns_mine)"

# --- a unikernel from its block rootfs
ctr_json label localhost/uniroot-label:latest >"$T_TMP/label.json"
L=$($CRI create "$POD" "$T_TMP/label.json" "$T_TMP/p1.json" 2>"$T_TMP/c.err")
[ -n "$L" ] && ok "CreateContainer: ext4label.spt" || not_ok "CreateContainer" "$(cat "$T_TMP/c.err"; tail -3 "$D/log")"
expect "StartContainer" 0 "" -- $CRI start "$L"
wait_state "$L" CONTAINER_RUNNING && ok "ContainerStatus: running" || not_ok "ContainerStatus" "$(ctr_state "$L")"
$CRI inspect "$L" >"$T_TMP/label.status"
LOG=$(jq -r .status.log_path "$T_TMP/label.status")
[ "$LOG" = "$D/logs/p1/label.log" ] && ok "ContainerStatus: log path in the pod's log directory" || not_ok "log path" "$LOG"
for _ in $(seq 50); do grep -q "label=" "$LOG" 2>/dev/null && break; sleep 0.1; done
grep -Eq "^[^ ]+ stdout F label=${L:0:16} " "$LOG" &&
    ok "CRI log: the guest read its own snapshot's label ${L:0:16} from its block device" || not_ok "CRI log" "$(cat "$LOG")"
bundle_annotated "$L" && ok "unirootd wrote its record into the CRI container's bundle" ||
    not_ok "bundle annotation" "$(jq -c .annotations "$D/state/io.containerd.runtime.v2.task/k8s.io/$L/config.json" 2>&1)"
verified_by_agent "$L" && ok "the runtime verified the agent's record: $(rt_state "$L" | grep -o '"dev.uniroot.rootfs.trace":[^,]*' | tr -d '"')" ||
    not_ok "agent's record" "$(rt_state "$L" | grep -E "dev.uniroot.rootfs|uniroot:" | tr -d '\t' | tr '\n' ' ')"
grep -q "\"event\":\"record-added\",\"namespace\":\"k8s.io\",\"container\":\"$L\".*\"annotation\":\"written\"" "$T_TMP/agent.log" &&
    ok "unirootd saw the container's loop mount and annotated its bundle" || not_ok "agent log" "$(tail -3 "$T_TMP/agent.log")"

# --- a unikernel answering at the pod's address
ctr_json echo localhost/uniroot-echo:latest >"$T_TMP/echo.json"
E=$($CRI create "$POD" "$T_TMP/echo.json" "$T_TMP/p1.json" 2>"$T_TMP/c.err")
[ -n "$E" ] && ok "CreateContainer: netecho.spt" || not_ok "CreateContainer" "$(cat "$T_TMP/c.err"; tail -3 "$D/log")"
expect "StartContainer" 0 "" -- $CRI start "$E"
wait_state "$E" CONTAINER_RUNNING && ok "ContainerStatus: running" || not_ok "ContainerStatus" "$(ctr_state "$E")"
for _ in $(seq 50); do grep -q "netecho: ready" "$D/logs/p1/echo.log" 2>/dev/null && break; sleep 0.1; done
grep -q "netecho: ready ip=$PODIP/24 gateway=10.98.0.1" "$D/logs/p1/echo.log" &&
    ok "the guest took the pod's address and gateway" || not_ok "guest identity" "$(cat "$D/logs/p1/echo.log")"
expect "ping from $N to the pod: 3 of 3" 0 " 3 received, 0% packet loss" -- ip netns exec $N ping -c 3 -i 0.2 -W 2 "$PODIP"
n=$(udp_echo "$PODIP" 5)
[ "$n" = 5 ] && ok "udp: 5 of 5 echoed by the guest" || not_ok "udp" "$n of 5"
n=$(icmp_verify "$PODIP" 5)
[ "$n" = 5 ] && ok "icmp: 5 of 5 with a correct checksum and payload" || not_ok "icmp" "$n of 5"
pod_taps() { nsenter --net="$PODNS" ip -d link show 2>/dev/null | grep -c 'tun type tap'; }
[ "$(pod_taps)" = 1 ] && ok "one tap in the pod's namespace" || not_ok "taps" "$(nsenter --net="$PODNS" ip -d link show)"
# the runtime moved the pod's address from CNI's eth0 to the guest, with ingress redirects
pod_addr() { nsenter --net="$PODNS" ip -4 addr show dev eth0 2>/dev/null | grep -q "inet $PODIP/"; }
pod_ingress() { nsenter --net="$PODNS" tc qdisc show 2>/dev/null | grep -c "qdisc ingress"; }
! pod_addr && [ "$(pod_ingress)" = 2 ] && ok "eth0's address taken for the guest, two ingress qdiscs" ||
    not_ok "plumbing" "qdiscs=$(pod_ingress) $(nsenter --net="$PODNS" ip -4 addr show dev eth0)"

# --- down
expect "StopContainer (ext4label)" 0 "" -- $CRI stop "$L"
$CRI inspect "$L" >"$T_TMP/label.status"
jq -e '.status.state == "CONTAINER_EXITED" and .status.exit_code == 143' "$T_TMP/label.status" >/dev/null &&
    ok "ContainerStatus: exited, status 143 (the monitor ended by SIGTERM)" || not_ok "after stop" "$(jq -c '.status | {state, exit_code, reason}' "$T_TMP/label.status")"
# netecho ends by itself on the datagram "netecho-quit", printing its counts
ip netns exec $N python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"netecho-quit", (sys.argv[1], 7))' "$PODIP"
wait_state "$E" CONTAINER_EXITED && [ "$($CRI inspect "$E" | jq .status.exit_code)" = 0 ] &&
    ok "netecho quit on its datagram: ContainerStatus exited, status 0" || not_ok "netecho quit" "$($CRI inspect "$E" | jq -c '.status | {state, exit_code}')"
expect "StopContainer (netecho, exited)" 0 "" -- $CRI stop "$E"
[ "$(pod_taps)" = 0 ] && pod_addr && [ "$(pod_ingress)" = 0 ] && ok "undone: no tap, no ingress qdisc, eth0's address back" ||
    not_ok "after exit" "taps=$(pod_taps) qdiscs=$(pod_ingress) $(nsenter --net="$PODNS" ip -4 addr show dev eth0)"
grep -Eq "netecho: arp=[1-9][0-9]* icmp=[1-9][0-9]* udp=6 " "$D/logs/p1/echo.log" &&
    ok "CRI log: the guest counted the ARP, ICMP and UDP (5 and the quit) it answered" || not_ok "netecho counts" "$(tail -2 "$D/logs/p1/echo.log")"
expect "RemoveContainer (netecho)" 0 "" -- $CRI rm "$E"
expect "RemoveContainer (ext4label)" 0 "" -- $CRI rm "$L"
[ ! -e "$RUNC_ROOT/$E" ] && [ ! -e "$RUNC_ROOT/$L" ] && ok "the runtime's state of both is gone" || not_ok "state" "$(ls -d "$RUNC_ROOT/$E" "$RUNC_ROOT/$L" 2>&1)"
expect "StopPodSandbox" 0 "" -- $CRI stopp "$POD"
expect "RemovePodSandbox" 0 "" -- $CRI rmp "$POD"
[ -z "$($CRI pods)$($CRI ps)" ] && ok "no pod or container listed" || not_ok "listed" "$($CRI pods) $($CRI ps)"
w=$(cri_leaks_settled "$POD" "$L" "$E")
[ -z "$w" ] && ok "nothing left: loops, mounts, pod namespace, state, taps, veths, IP allocations, processes" || not_ok "left behind" "$w"
finish
