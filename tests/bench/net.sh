#!/bin/bash
# tests/bench/net.sh: the network path's figures (issue 10, item 7), each guest
# beside a plain process in the same namespace, measured in this one run:
#   - the netecho guest (tests/guests/netecho.c) on uniroot-spt, and on
#     uniroot-vmm (hvt) where /dev/kvm is here, else inside a nested KVM guest
#     (tests/nested/run-in-vm.sh, about 2 min here; NET_BENCH_HVT=0 leaves it out);
#   - the baseline: build/bin/tap-responder, a plain process running the same
#     responder code on the same kind of tap (runtime/net through net-plumb);
# each behind the plumbing a container gets (veth in a "container" namespace,
# traffic from a "peer" namespace, as CNI would leave a pod). Per target:
#   - flood ping: `ping -f -c NET_PINGS` (default 2000): loss, min/avg/max;
#   - RTT percentiles: `ping -i 0.001 -c NET_PINGS`, per-packet time= values
#     (ICMP, the same path as the flood), p50/p90/p99;
#   - UDP echo packets/s: tests/bench/udp_pps.py, NET_UDP_N (default 20000)
#     datagrams to port 7777, at most 32 unanswered at once (python: the
#     sender's ceiling is printed with the baseline, not hidden).
# Targets: 0% flood ping loss; spt p50 RTT <= 1.5x the plain process's.
# A figure whose command failed (nothing answered, ping error, no output) is
# FAILED with no ratio, and the script exits non-zero. Needs root, ip, tc,
# ping, python3. NET_BENCH_DEAD=1 aims every figure at an address nobody answers
# (to see the FAILED path). Makes namespaces named urbn*$$ and removes them at exit.
set -u
cd "$(dirname "$0")/../.."
export UR_TOP=$PWD
. tests/bench/lib.sh
B=$UR_TOP/build/bin
G=$UR_TOP/build/guests
SPT=${UNIROOT_SPT:-$B/uniroot-spt}
VMM=${UNIROOT_VMM:-$B/uniroot-vmm}
PLUMB=$B/net-plumb RESP=$B/tap-responder
NET_PINGS=${NET_PINGS:-2000}
NET_UDP_N=${NET_UDP_N:-20000}
NET_BENCH_HVT=${NET_BENCH_HVT:-1}
BENCH_PASS_ENV="$BENCH_PASS_ENV NET_PINGS NET_UDP_N NET_BENCH_HVT NET_BENCH_DEAD"

for t in ip tc ping python3; do
    command -v $t >/dev/null || { bench_fail "net bench" "$t is not installed (tools/install-deps.sh)"; bench_end; }
done
[ "$(id -u)" = 0 ] || { bench_skip "net bench: needs root (namespaces, taps, flood ping)"; bench_end; }
for f in "$PLUMB" "$RESP" "$SPT" "$G/netecho.spt" tests/bench/udp_pps.py; do
    [ -e "$f" ] || { bench_fail "net bench" "$f missing (make bench builds it)"; bench_end; }
done

# ---- the namespaces (names unique on the host: helper tag and pid)
NT=${UR_NET_TAG:-$$}
C=urbnc$NT P=urbnp$NT VC=ubc$NT VP=ubp$NT IP=10.97.0.2 GW=10.97.0.1
TMP=$(mktemp -d /tmp/uniroot-bench-net.XXXXXX)
ST=$TMP/state.json BGPID=
cleanup() {
    [ -n "$BGPID" ] && kill "$BGPID" 2>/dev/null && wait "$BGPID" 2>/dev/null
    [ -f "$ST" ] && "$PLUMB" undo "$ST" >/dev/null 2>&1
    ip netns del $C 2>/dev/null
    ip netns del $P 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! { ip netns add $C && ip netns add $P &&
    ip link add $VC netns $C type veth peer name $VP netns $P &&
    ip -n $C link set lo up && ip -n $C addr add $IP/24 dev $VC && ip -n $C link set $VC up &&
    ip -n $C route add default via $GW &&
    ip -n $P addr add $GW/24 dev $VP && ip -n $P link set $VP up; } 2>$TMP/ip.err; then
    bench_fail "net bench" "cannot make the namespaces: $(tail -1 $TMP/ip.err)"
    bench_end
fi
NSC=/run/netns/$C

# start WHO: the responder WHO (plain, spt, hvt) on a tap behind net-plumb, in the
# background; waits 20 s (a nested guest boots slowly) for "ready".
start() {
    local log=$TMP/$1.log
    case $1 in
    plain) "$PLUMB" setup $NSC $ST -- "$RESP" {fd} {mac} {ipv4} >$log 2>&1 & ;;
    spt | hvt)
        local mon=$SPT img=$G/netecho.spt
        [ "$1" = hvt ] && mon=$VMM img=$G/netecho.hvt
        "$PLUMB" setup $NSC $ST -- ip netns exec $C "$mon" --net:service=@{fd} --net-mac:service={mac} \
            "$img" --ipv4={ipv4} --ipv4-gateway={gw} >$log 2>&1 &
        ;;
    esac
    BGPID=$!
    for _ in $(seq 200); do
        grep -q ready "$log" && return 0
        kill -0 $BGPID 2>/dev/null || break
        sleep 0.1
    done
    return 1
}
# stop: the responder quits on "netecho-quit" (else it is killed), then undo.
stop() {
    ip netns exec $P python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"netecho-quit", (sys.argv[1], 7))' $IP
    for _ in $(seq 50); do kill -0 $BGPID 2>/dev/null || break; sleep 0.1; done
    kill $BGPID 2>/dev/null
    wait $BGPID 2>/dev/null
    BGPID=
    "$PLUMB" undo $ST >/dev/null 2>&1 || bench_fail "net bench" "net-plumb undo failed"
    rm -f "$ST"
}

# flood: "loss_pct min avg max" of `ping -f`; fails when nothing answered or ping erred.
flood() {
    local out s
    out=$(ip netns exec $P ping -f -c "$NET_PINGS" -w 30 -W 1 "$TARGET" 2>&1)
    s=$(echo "$out" | grep -o '[0-9.]*% packet loss' | cut -d% -f1)
    if ! isnum "${s:-}" || echo "$out" | grep -q ' 0 received'; then
        echo "$out" | tail -2 >&2
        return 1
    fi
    echo "$s $(echo "$out" | sed -n 's|.* = \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\)/.*|\1 \2 \3|p')"
}
# pctl: "n p50 p90 p99 loss_pct" of per-packet RTTs (ping -i 0.001); fails when none answered.
pctl() {
    local out loss
    out=$(ip netns exec $P ping -i 0.001 -c "$NET_PINGS" -w 30 -W 1 "$TARGET" 2>&1)
    loss=$(echo "$out" | grep -o '[0-9.]*% packet loss' | cut -d% -f1)
    echo "$out" | grep -o 'time=[0-9.]*' | cut -d= -f2 | sort -n | awk -v loss="${loss:-?}" '
        { t[NR] = $1 }
        function p(q) { i = int(q * NR + 0.999999); if (i < 1) i = 1; return t[i] }
        END { if (!NR) exit 1; printf "%d %s %s %s %s\n", NR, p(0.5), p(0.9), p(0.99), loss }' ||
        { echo "$out" | tail -2 >&2; return 1; }
}
udp() { ip netns exec $P python3 tests/bench/udp_pps.py "$TARGET" 7777 "$NET_UDP_N"; }

declare -A FL PC UD OK
# measure WHO: start WHO and take its three figures (FL, PC, UD); OK[WHO]=1 when started.
measure() {
    local who=$1
    TARGET=$IP
    [ -n "${NET_BENCH_DEAD:-}" ] && TARGET=10.97.0.99 # break-by-hand: nobody answers there
    if ! start "$who"; then
        bench_fail "$who responder" "did not start: $(tail -1 $TMP/$who.log)"
        stop
        return
    fi
    OK[$who]=1
    ip -n $P neigh flush all
    # a target that answers nothing fails once, fast, not after three 30 s deadlines
    if ! ip netns exec $P ping -c 3 -i 0.2 -W 1 "$TARGET" >$TMP/probe.out 2>&1; then
        bench_fail "$who: flood ping, RTT percentiles, UDP echo" \
            "nothing answers $TARGET (3 pings): $(grep 'packet loss' $TMP/probe.out)"
        stop
        return
    fi
    # warm-up, not counted: whichever target ran first measured slower percentiles without it
    ip netns exec $P ping -q -c 500 -i 0.001 -W 1 "$TARGET" >/dev/null 2>&1
    bench_run FL[$who] "$who: flood ping (n=$NET_PINGS)" flood
    bench_run PC[$who] "$who: RTT percentiles (n=$NET_PINGS)" pctl
    bench_run UD[$who] "$who: UDP echo packets/s (n=$NET_UDP_N)" udp
    stop
}

WHOS="plain spt"
if [ -n "${UR_BENCH_NESTED:-}" ]; then
    WHOS="plain hvt" # the nested guest measures hvt beside its own plain process
elif [ -c /dev/kvm ] && [ -x "$VMM" ] && [ -e "$G/netecho.hvt" ]; then
    WHOS="plain spt hvt"
fi
for w in $WHOS; do measure $w; done

field() { echo "$1" | grep -o "$2=[0-9.]*" | head -1 | cut -d= -f2; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2fx", a/b; else print "n/a" }'; }
col() { echo "$1" | awk -v i="$2" '{print $i}'; }
W=$(bench_where)
echo "(one target at a time, in this order: $WHOS; each after 500 uncounted pings; on this shared machine the first measured tends to show the longer tails)"
printf '%-44s %15s %15s %8s   %s\n' "figure" "guest" "plain process" "ratio" "target"
for g in ${WHOS#plain}; do
    b=plain
    [ -n "${OK[$g]:-}" ] && [ -n "${OK[$b]:-}" ] || continue
    if [ -n "${FL[$g]:-}" ] && [ -n "${FL[$b]:-}" ]; then
        lg=$(col "${FL[$g]}" 1) lb=$(col "${FL[$b]}" 1)
        printf '%-44s %14s%% %14s%% %8s   %s\n' "$g: flood ping loss (n=$NET_PINGS each)" "$lg" "$lb" "" \
            "0%: $(awk -v a="$lg" 'BEGIN{print (a==0)?"met":"MISSED"}')$W"
        printf '%-44s %15s %15s %8s   %s\n' "  min/avg/max RTT, ms" "$(col "${FL[$g]}" 2)/$(col "${FL[$g]}" 3)/$(col "${FL[$g]}" 4)" \
            "$(col "${FL[$b]}" 2)/$(col "${FL[$b]}" 3)/$(col "${FL[$b]}" 4)" "$(ratio "$(col "${FL[$g]}" 3)" "$(col "${FL[$b]}" 3)")" "(avg ratio)$W"
    fi
    if [ -n "${PC[$g]:-}" ] && [ -n "${PC[$b]:-}" ]; then
        pg=$(col "${PC[$g]}" 2) pb=$(col "${PC[$b]}" 2)
        tgt="(hvt: no target)"
        [ "$g" = spt ] && tgt="<= 1.5x plain: $(awk -v a="$pg" -v b="$pb" 'BEGIN{print (a<=1.5*b)?"met":"MISSED"}')"
        printf '%-44s %12s ms %12s ms %8s   %s\n' "$g: RTT p50, 1 ms ping (n=$(col "${PC[$g]}" 1)/$(col "${PC[$b]}" 1))" \
            "$pg" "$pb" "$(ratio "$pg" "$pb")" "$tgt$W"
        printf '%-44s %15s %15s %8s   %s\n' "  p90 / p99, ms" "$(col "${PC[$g]}" 3)/$(col "${PC[$g]}" 4)" \
            "$(col "${PC[$b]}" 3)/$(col "${PC[$b]}" 4)" "$(ratio "$(col "${PC[$g]}" 4)" "$(col "${PC[$b]}" 4)")" "(p99 ratio)$W"
        printf '%-44s %14s%% %14s%%\n' "  loss, 1 ms ping" "$(col "${PC[$g]}" 5)" "$(col "${PC[$b]}" 5)"
    fi
    if [ -n "${UD[$g]:-}" ] && [ -n "${UD[$b]:-}" ]; then
        printf '%-44s %15s %15s %8s   %s\n' "$g: UDP echo pkt/s (n=$NET_UDP_N, window 32)" "$(field "${UD[$g]}" pps)" \
            "$(field "${UD[$b]}" pps)" "$(ratio "$(field "${UD[$g]}" pps)" "$(field "${UD[$b]}" pps)")" \
            "(python sender; lost $(field "${UD[$g]}" lost)/$(field "${UD[$b]}" lost))$W"
    fi
done

# ---- hvt where this host has no /dev/kvm: a nested KVM guest (minutes)
if [ -z "${UR_BENCH_NESTED:-}" ] && [ ! -c /dev/kvm ]; then
    if [ "$NET_BENCH_HVT" = 0 ]; then
        bench_skip "hvt: no /dev/kvm on this host, and NET_BENCH_HVT=0 (the nested guest adds about 2 min)"
    else
        trap - EXIT
        cleanup
        bench_nested "$0"
    fi
fi
bench_end
