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

PLUMB=${NET_PLUMB:-$UR_TOP/build/bin/net-plumb}
RESP=$UR_TOP/build/bin/tap-responder
SPT=${SPT:-$UR_TOP/build/bin/uniroot-spt}
C=urnc$$ P=urnp$$ E=urne$$  # container, peer, empty namespaces
VC=unc$$ VP=unp$$           # the veth: container side, peer side
IP=10.99.0.2 GW=10.99.0.1
ST=$T_TMP/state.json
BG=()

for t in "$PLUMB" "$RESP"; do
    [ -x "$t" ] || { not_ok "build" "$t is missing (make)"; finish; exit; }
done
for t in ip tc ping python3; do
    command -v $t >/dev/null || { skip "net_plumb" "$t is not installed (tools/install-deps.sh)"; finish; exit; }
done
[ "$(id -u)" = 0 ] || { skip "net_plumb" "needs root"; finish; exit; }

at_exit 'for p in "${BG[@]}"; do kill $p; done; sleep 0.2'
at_exit "ip netns del $C; ip netns del $P; ip netns del $E"
ip netns add $C && ip netns add $P && ip netns add $E || { not_ok "netns" "cannot make namespaces"; finish; exit; }
ip link add $VC netns $C type veth peer name $VP netns $P
ip -n $C link set lo up
ip -n $C addr add $IP/24 dev $VC && ip -n $C link set $VC up && ip -n $C route add default via $GW
ip -n $P addr add $GW/24 dev $VP && ip -n $P link set $VP up
NSC=/run/netns/$C

# Facts the checks read.
has_addr() { ip -n $C -4 addr show dev "$1" | grep -q "inet $2/"; }
default_via() { ip -n $C route show default | grep -q "via $1 dev $2"; }
ingress_count() { tc -n $C qdisc show | grep -c "qdisc ingress"; }
taps() { ip -n $C -d link show | grep -c "tun type tap"; }
state_tap() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("tap",{}).get("name",""))' "$1"; }
clean() { # clean WHY...: the namespace is as it was before setup
    local why=
    has_addr $VC $IP || why="$why address not restored;"
    default_via $GW $VC || why="$why default route not restored;"
    [ "$(ingress_count)" = 0 ] || why="$why ingress qdisc left;"
    [ "$(taps)" = 0 ] || why="$why tap left;"
    echo "$why"
}
# udp_echo HOST N: N datagrams from the peer, each must come back unchanged; prints the count.
udp_echo() {
    ip netns exec $P python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1.0)
ok = 0
for i in range(int(sys.argv[2])):
    msg = b"uniroot udp %d" % i
    s.sendto(msg, (sys.argv[1], 7777))
    try:
        data, src = s.recvfrom(2048)
        ok += data == msg and src == (sys.argv[1], 7777)
    except socket.timeout:
        pass
print(ok)' "$1" "$2"
}
# icmp_verify HOST N: N echo requests from the peer on a raw socket; prints how many replies
# carry a correct ICMP checksum and our payload (the peer's veth marks frames from the tap
# "checksum unnecessary", so neither the kernel nor ping would notice a wrong one).
icmp_verify() {
    ip netns exec $P python3 -c '
import os, socket, struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); s.settimeout(1.0)
ok = 0
for seq in range(int(sys.argv[2])):
    data = os.urandom(48)
    c = csum(struct.pack("!BBHHH", 8, 0, 0, 0x4242, seq) + data)
    s.sendto(struct.pack("!BBHHH", 8, 0, c, 0x4242, seq) + data, (sys.argv[1], 0))
    try:
        while True:
            r = s.recv(2048)
            icmp = r[(r[0] & 15) * 4:]
            if icmp[0] == 0 and struct.unpack("!HH", icmp[4:8]) == (0x4242, seq):
                ok += csum(icmp) == 0 and icmp[8:] == data
                break
    except socket.timeout:
        pass
print(ok)' "$1" "$2"
}
# rtt N: "median/min ms (loss)" of N pings to the container's address (the median, since
# on a shared machine a few slow wake-ups make the mean jump).
rtt() {
    local out loss
    ip -n $P neigh flush all
    out=$(ip netns exec $P ping -c "$1" -i 0.01 -W 1 $IP 2>&1)
    loss=$(echo "$out" | grep -o '[0-9.]*% packet loss' | cut -d' ' -f1)
    echo "$out" | grep -o 'time=[0-9.]*' | cut -d= -f2 | sort -n |
        awk -v loss="${loss:-?}" '{ t[NR] = $1 } END { if (!NR) print "none answered"; else
            printf "%.3f/%.3f (%s loss)", t[int((NR + 1) / 2)], t[1], loss }'
}
# start_bg LOG CMD...: run CMD in the background, wait (5 s) for LOG to say "ready".
start_bg() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 &
    BG+=($!)
    for _ in $(seq 50); do grep -q ready "$log" && return 0; sleep 0.1; done
    return 1
}
# ping_ok NAME: 3 pings from the peer, all answered, none with a bad checksum or data, no duplicates.
ping_ok() {
    ip -n $P neigh flush all
    expect "$1" 0 " 3 received, 0% packet loss" -- ip netns exec $P ping -c 3 -i 0.2 -W 2 $IP
    if echo "$T_OUT" | grep -Eq "BAD CHECKSUM|DUP!|wrong data"; then
        not_ok "$1: replies well-formed" "$(echo "$T_OUT" | grep -E "BAD|DUP|wrong" | head -2 | tr '\n' '|')"
    else
        ok "$1: replies well-formed"
    fi
}
# traffic WHO LOG NAME: ping, ICMP checksums, UDP echo and the RTT (in LAST_RTT) to the
# responder running in the background as BG's last, then make it quit and check
# its own counts ("NAME: arp=.. icmp=.. udp=6 ...": 5 datagrams and the quit).
traffic() {
    local who=$1 log=$2 name=$3 n
    ping_ok "$who: ping 3 of 3 answered"
    n=$(icmp_verify $IP 5)
    [ "$n" = 5 ] && ok "$who: icmp 5 of 5 replies with a correct checksum and payload" || not_ok "$who: icmp checksums" "$n of 5"
    n=$(udp_echo $IP 5)
    [ "$n" = 5 ] && ok "$who: udp 5 of 5 echoed" || not_ok "$who: udp echo" "$n of 5"
    LAST_RTT=$(rtt 200)
    quit_bg
    grep -Eq "$name: arp=[1-9][0-9]* icmp=[1-9][0-9]* udp=6 " "$log" &&
        ok "$who: counted ARP, ICMP and UDP" || not_ok "$who: counts" "$(tail -2 "$log" | tr '\n' '|')"
}
stop_bg() { kill "${BG[-1]}" 2>/dev/null; wait "${BG[-1]}" 2>/dev/null; unset 'BG[-1]'; }
# quit_bg: send "netecho-quit" (the responder echoes it and ends), wait 5 s for the last one; else kill it.
quit_bg() {
    local p=${BG[-1]}
    ip netns exec $P python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"netecho-quit", (sys.argv[1], 7))' $IP
    for _ in $(seq 50); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
    stop_bg
}

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
MAC=$(ip -n $C link show $VC | awk '/link\/ether/ {print $2}')
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
RTT_SPT=
if [ ! -x "$SPT" ] || [ ! -f "$GUESTS/netecho.spt" ]; then
    skip "spt guest" "$SPT or $GUESTS/netecho.spt is not built"
else
    # The monitor runs in the container's namespace, as the runtime starts it.
    if start_bg $T_TMP/spt.log "$PLUMB" setup $NSC $ST -- ip netns exec $C "$SPT" --net:service=@{fd} \
        --net-mac:service={mac} "$GUESTS/netecho.spt" --ipv4={ipv4} --ipv4-gateway={gw}; then
        ok "spt: netecho guest up ($(grep -o 'netecho: ready.*' $T_TMP/spt.log))"
    else
        not_ok "spt: netecho guest" "$(cat $T_TMP/spt.log)"
    fi
    grep -q "netecho: ready ip=$IP/24 gateway=$GW mac=$MAC" $T_TMP/spt.log &&
        ok "spt: guest took the interface's address, gateway and MAC" || not_ok "spt: identity" "$(cat $T_TMP/spt.log)"
    traffic "spt guest" $T_TMP/spt.log "netecho"
    RTT_SPT=$LAST_RTT
    "$PLUMB" undo $ST >/dev/null
    w=$(clean); [ -z "$w" ] && ok "spt: undo leaves the namespace as it was" || not_ok "spt: undo" "$w"
fi
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
