#!/bin/bash
# net_plumb.sh: the network plumbing of runtime/net (through build/bin/net-plumb)
# in network namespaces this script makes: a "container" namespace and a
# "peer" one joined by a veth, as CNI would leave a pod. Checks with ip/tc
# that setup makes the tap, both ingress qdiscs and both u32 + mirred
# filters and takes the interface's address; that ARP, ping and UDP from the
# peer reach a responder on the tap fd (tap-responder) and the netecho test
# guest on uniroot-spt (no KVM needed); that undo restores the address and
# default route and leaves no tap or qdisc; and the fault cases: a crash
# after every step then undo, undo twice, undo while the tap is still held,
# a second guest when the namespace has one interface (and two), a
# namespace with no usable interface, a missing namespace, and an undo
# that must not touch the interface another guest took since.
# Prints the ping RTT to the kernel, to the plain responder and to the spt guest.
# Needs root, ip, tc, ping, python3. Cleans up its namespaces (trap).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/net_lib.inc"

# ---- list
expect "list: the veth is usable, lo is not" 0 "^$VC ifindex=[0-9]+ mac=.* ipv4=$IP/24 gateway=$GW usable" -- "$PLUMB" list $NSC
echo "$T_OUT" | grep -q '^lo .*unusable: loopback' && ok "list: lo unusable (loopback)" || not_ok "list: lo" "$T_OUT"
RTT_KERNEL=$(rtt 200)

# ---- setup, with the plain responder holding the tap
if start_bg $T_TMP/resp.log "$PLUMB" setup $NSC $ST -- "$RESP" {fd} {mac} {ipv4}; then
    ok "setup: tap made and handed to a responder"
else
    not_ok "setup" "$(cat $T_TMP/resp.log)"
fi
TAP=$(state_tap $ST)
MAC=$(if_mac)
grep -q "tap=$TAP .*iface=$VC mac=$MAC ipv4=$IP/24 gateway=$GW" $T_TMP/resp.log &&
    ok "setup: reports tap, interface, MAC, address, gateway" || not_ok "setup: report" "$(cat $T_TMP/resp.log)"
[ -n "$TAP" ] && ip -n $C -d link show "$TAP" | grep -q "tun type tap" && ip -n $C link show "$TAP" | grep -q "state UNKNOWN\|,UP" &&
    ok "ip: tap $TAP exists in the container namespace, up" || not_ok "ip: tap" "$(ip -n $C -d link show)"
ip -n $C -d link show "$TAP" | grep -q "persist on" && not_ok "ip: tap not persistent" "persist set" || ok "ip: tap not persistent"
[ "$(ingress_count)" = 2 ] && tc -n $C qdisc show dev $VC | grep -q "qdisc ingress ffff:" && tc -n $C qdisc show dev "$TAP" | grep -q "qdisc ingress ffff:" &&
    ok "tc: ingress qdiscs on $VC and $TAP" || not_ok "tc: qdiscs" "$(tc -n $C qdisc show)"
f1=$(tc -n $C filter show dev $VC ingress) f2=$(tc -n $C filter show dev "$TAP" ingress)
echo "$f1" | grep -q "match 00000000/00000000 at 0" && echo "$f1" | grep -q "mirred (Egress Redirect to device $TAP) stolen" &&
    ok "tc: u32 match-all on $VC redirects to $TAP" || not_ok "tc: filter on $VC" "$f1"
echo "$f2" | grep -q "match 00000000/00000000 at 0" && echo "$f2" | grep -q "mirred (Egress Redirect to device $VC) stolen" &&
    ok "tc: u32 match-all on $TAP redirects to $VC" || not_ok "tc: filter on $TAP" "$f2"
ip -n $C -4 addr show dev $VC | grep -q inet && not_ok "ip: address taken" "$(ip -n $C -4 addr show dev $VC)" ||
    ok "ip: $VC has no IPv4 address (the guest answers for $IP)"
grep -q '"removed_addresses":\[{"local":"'$IP'"' $ST && grep -q '"gateway":"'$GW'"' $ST &&
    ok "state: records the removed address and route" || not_ok "state" "$(cat $ST)"

# ---- traffic through the tap to the plain process
traffic "responder" $T_TMP/resp.log "tap-responder"
RTT_RESP=$LAST_RTT
[ "$(taps)" = 0 ] && ok "tap gone with its last fd (not persistent)" || not_ok "tap gone" "$(ip -n $C link)"
expect "undo: succeeds" 0 "^undone: tap $TAP, addresses restored" -- "$PLUMB" undo $ST
w=$(clean); [ -z "$w" ] && ok "undo: address, default route back; no tap, no qdisc" || not_ok "undo" "$w"
expect "undo again: idempotent" 0 "^undone" -- "$PLUMB" undo $ST
w=$(clean); [ -z "$w" ] && ok "undo again: nothing changed" || not_ok "undo again" "$w"

# ---- the netecho guest on uniroot-spt behind the same plumbing
guest_case spt "$SPT" "$GUESTS/netecho.spt"
RTT_SPT=$LAST_RTT
echo "# ping RTT median/min ms over 200 pings: kernel stack $RTT_KERNEL; plain process on the tap $RTT_RESP; spt guest ${RTT_SPT:-n/a}"

# ---- a crash after each step (each save), then undo
for n in 1 2 3 4 5 6; do
    "$PLUMB" setup $NSC $ST --crash-at=$n >$T_TMP/crash.log 2>&1
    rc=$?
    before="$(ip -n $C -4 addr show dev $VC | grep -c inet) addr, $(ingress_count) qdisc"
    "$PLUMB" undo $ST >$T_TMP/undo.log 2>&1 || { not_ok "crash after step $n: undo" "$(cat $T_TMP/undo.log)"; continue; }
    w=$(clean)
    [ $rc = 7 ] && [ -z "$w" ] && ok "crash after step $n ($before left), undo: nothing left" ||
        not_ok "crash after step $n" "setup status $rc; $w"
done

# ---- a step failing (the save before it): the attach undoes what it made by itself
for n in 1 2 3 4 5 6; do
    expect "save $n fails: setup reports it" 1 "cannot save the network state: save $n fails, as asked" -- \
        "$PLUMB" setup $NSC $T_TMP/fail.json --fail-at=$n
    w=$(clean); [ -z "$w" ] && ok "save $n fails: attach rolled itself back" || not_ok "save $n fails: rollback" "$w"
done

# ---- an interface that already has an ingress qdisc (not ours) is not taken, and not touched
tc -n $C qdisc add dev $VC ingress
expect "interface with a foreign ingress qdisc: clear error" 1 "$VC \(already has an ingress qdisc\)" -- "$PLUMB" setup $NSC $T_TMP/q.json
expect "asking for it by name: clear error" 1 "interface $VC of network namespace $NSC cannot be given to a guest: already has an ingress qdisc" -- \
    "$PLUMB" setup $NSC $T_TMP/q.json --iface=$VC
[ "$(ingress_count)" = 1 ] && has_addr $VC $IP && ok "foreign qdisc and address left alone" || not_ok "foreign qdisc" "$(tc -n $C qdisc show)"
tc -n $C qdisc del dev $VC ingress
expect "asking for a missing interface by name: clear error" 1 "network namespace $NSC has no interface nosuch0" -- \
    "$PLUMB" setup $NSC $T_TMP/q.json --iface=nosuch0

# ---- undo while a monitor still holds the tap
start_bg $T_TMP/hold.log "$PLUMB" setup $NSC $ST -- "$RESP" {fd} {mac} {ipv4}
expect "undo with the tap still held" 0 "^undone" -- "$PLUMB" undo $ST
w=$(clean); [ -z "$w" ] && ok "undo with the tap held: tap deleted, all restored" || not_ok "undo with the tap held" "$w"
stop_bg

# ---- a second guest: one interface is too few, two are enough
start_bg $T_TMP/first.log "$PLUMB" setup $NSC $ST -- "$RESP" {fd} {mac} {ipv4}
cp $ST $T_TMP/first.json
expect "second tap, one interface: clear error" 1 "no usable interface left: lo \(loopback\), $VC \(no IPv4 address \(taken by another guest\?\)\)" -- \
    "$PLUMB" setup $NSC $T_TMP/second.json
[ "$(taps)" = 1 ] && [ "$(ingress_count)" = 2 ] && ok "second tap refused: the first is untouched" ||
    not_ok "second tap refused" "$(taps) taps, $(ingress_count) qdiscs"
ip link add ${VC}b netns $C type veth peer name ${VP}b netns $P
ip -n $C addr add 10.98.0.2/24 dev ${VC}b && ip -n $C link set ${VC}b up && ip -n $P link set ${VP}b up
expect "second tap, two interfaces: takes the other one" 0 "iface=${VC}b .*ipv4=10.98.0.2/24" -- "$PLUMB" setup $NSC $T_TMP/second.json
"$PLUMB" undo $T_TMP/second.json >/dev/null
has_addr ${VC}b 10.98.0.2 && ok "second interface restored" || not_ok "second interface" "$(ip -n $C addr show ${VC}b)"
ip -n $C link del ${VC}b
stop_bg
"$PLUMB" undo $T_TMP/first.json >/dev/null

# ---- an old undo must not touch the interface another guest took since
start_bg $T_TMP/b.log "$PLUMB" setup $NSC $T_TMP/b.json -- "$RESP" {fd} {mac} {ipv4}
expect "stale undo (first guest's state, again)" 0 "^undone" -- "$PLUMB" undo $T_TMP/first.json
[ "$(ingress_count)" = 2 ] && ! has_addr $VC $IP && ok "stale undo left the second guest's qdisc and address alone" ||
    not_ok "stale undo" "$(ingress_count) qdiscs; $(ip -n $C -4 addr show dev $VC)"
stop_bg
"$PLUMB" undo $T_TMP/b.json >/dev/null
w=$(clean); [ -z "$w" ] && ok "second guest's undo: all restored" || not_ok "second guest's undo" "$w"

# ---- namespaces with nothing to give, and none at all
expect "empty namespace: clear error" 1 "network namespace /run/netns/$E has no usable interface left: lo \(loopback\)" -- \
    "$PLUMB" setup /run/netns/$E $T_TMP/e.json
ip -n $E link add ${VC}d type veth peer name ${VP}d
ip -n $E link set ${VC}d up
expect "namespace whose veth has no address: clear error" 1 "${VC}d \(no IPv4 address" -- "$PLUMB" setup /run/netns/$E $T_TMP/e.json
[ "$(ip -n $E -d link show | grep -c 'tun type tap')" = 0 ] && [ "$(tc -n $E qdisc show | grep -c ingress)" = 0 ] &&
    ok "refused setups made nothing" || not_ok "refused setups" "$(ip -n $E -d link)"
expect "missing namespace: clear error" 1 "network namespace /run/netns/nonexistent$$: No such file or directory" -- \
    "$PLUMB" setup /run/netns/nonexistent$$ $T_TMP/m.json
expect "not a namespace: clear error" 1 "not a network namespace" -- "$PLUMB" setup /etc/hostname $T_TMP/m.json
sed "s|$NSC|/run/netns/nonexistent$$|" $ST >$T_TMP/gone.json
expect "undo in a namespace that is gone: nothing to do" 0 "^undone" -- "$PLUMB" undo $T_TMP/gone.json
echo '{"version":1}' >$T_TMP/bad.json
expect "undo of a malformed state: clear error" 1 "network state: \"netns\" missing" -- "$PLUMB" undo $T_TMP/bad.json

finish
