#!/bin/bash
# tests/bench/net.sh: the network path's figures (issue 10, item 7), each guest
# beside a plain process in the same namespace, measured in this one run:
#   - the netecho guest (tests/guests/netecho.c) on uniroot-spt, and on
#     uniroot-vmm (hvt) where /dev/kvm is here, else inside a nested KVM guest
#     (tests/nested/run-in-vm.sh, about 2 min here; NET_BENCH_HVT=0 leaves it out),
#     on hvt twice: through the hypercalls and through Solo5's net ring
#     (netecho --ring), the ring's figures also printed beside the hypercalls';
#   - the baseline: build/bin/tap-responder, a plain process running the same
#     responder code on the same kind of tap (runtime/net through net-plumb);
# each behind the plumbing a container gets (veth in a "container" namespace,
# traffic from a "peer" namespace, as CNI would leave a pod). Per target:
#   - flood ping: `ping -f`, NET_PINGS (default 2000) in all: loss, min/avg/max;
#   - RTT percentiles: `ping -i 0.001`, NET_PINGS in all, per-packet time= values
#     (ICMP, the same path as the flood), p50/p90/p99;
#   - UDP echo packets/s: tests/bench/udp_pps.py, NET_UDP_N (default 20000)
#     datagrams in all to port 7777, at most 32 unanswered at once (python: the
#     sender's ceiling is printed with the baseline, not hidden);
# measured in NET_ROUNDS alternating rounds and pooled per target (below).
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

# start WHO: the responder WHO (plain, spt, hvt, hvt-ring: netecho --ring) on a tap behind net-plumb, in the
# background; waits 20 s (a nested guest boots slowly) for "ready".
start() {
    local log=$TMP/$1.log
    case $1 in
    plain) "$PLUMB" setup $NSC $ST -- "$RESP" {fd} {mac} {ipv4} >$log 2>&1 & ;;
    spt | hvt | hvt-ring)
        local mon=$SPT img=$G/netecho.spt ring=
        [ "$1" != spt ] && mon=$VMM img=$G/netecho.hvt
        [ "$1" = hvt-ring ] && ring=--ring
        "$PLUMB" setup $NSC $ST -- ip netns exec $C "$mon" --net:service=@{fd} --net-mac:service={mac} \
            "$img" --ipv4={ipv4} --ipv4-gateway={gw} $ring >$log 2>&1 &
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

# The figures are taken in NET_ROUNDS rounds (default 4): each round starts every target
# once, one after the other, measures a share of each figure and stops it; the order is
# reversed every other round (plain spt hvt hvt-ring, hvt-ring hvt spt plain, ...), so
# plain and the guests alternate and none is always first, and each target's samples
# from all rounds are pooled into its figures (one slow stretch of the shared machine
# then hits every target alike instead of whichever ran at that moment).

# flood: "transmitted received min avg max" of `ping -f`; fails when nothing answered or ping erred.
flood() {
    local out tx rx
    out=$(ip netns exec $P ping -f -c "$1" -w 30 -W 1 "$TARGET" 2>&1)
    tx=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
    rx=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
    if ! isnum "${tx:-}" || ! isnum "${rx:-}" || [ "$rx" = 0 ]; then
        echo "$out" | tail -2 >&2
        return 1
    fi
    echo "$tx $rx $(echo "$out" | sed -n 's|.* = \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\)/.*|\1 \2 \3|p')"
}
# rtts FILE N: N pings 1 ms apart; their per-packet times appended to FILE, then
# "transmitted received"; fails when none answered.
rtts() {
    local out tx n
    out=$(ip netns exec $P ping -i 0.001 -c "$2" -w 30 -W 1 "$TARGET" 2>&1)
    tx=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
    n=$(echo "$out" | grep -o 'time=[0-9.]*' | cut -d= -f2 | tee -a "$1" | grep -c .)
    [ "$n" -gt 0 ] && isnum "${tx:-}" || { echo "$out" | tail -2 >&2; return 1; }
    echo "$tx $n"
}
udp() { ip netns exec $P python3 tests/bench/udp_pps.py "$TARGET" 7777 "$1"; }

NET_ROUNDS=${NET_ROUNDS:-4}
BENCH_PASS_ENV="$BENCH_PASS_ENV NET_ROUNDS"
isnum "$NET_ROUNDS" && [ "$NET_ROUNDS" -ge 1 ] || { bench_fail "net bench" "NET_ROUNDS=$NET_ROUNDS is not a count"; bench_end; }
share() { echo $((($1 + NET_ROUNDS - 1) / NET_ROUNDS)); } # per round, rounded up
PING_R=$(share "$NET_PINGS") UDP_R=$(share "$NET_UDP_N")

# Pools per target: flood (tx rx min sum-of-avg*rx max), RTT samples in $TMP/rtt-WHO
# (tx rx), UDP (sent echoed lost secs). BAD[WHO:FIG]: a sample of FIG failed.
declare -A FL RT UD OK BAD
add() { # add VAR WHO "v1 v2 ...": element-wise pooling into VAR[WHO] by MODE (sum/fl)
    local -n _a=$1
    _a[$2]=$(awk -v old="${_a[$2]:-}" -v new="$3" -v mode="$4" 'BEGIN {
        n = split(new, b); m = split(old, a)
        for (i = 1; i <= n; i++) {
            if (m < n) { a[i] = (mode == "fl" && i == 4) ? b[4] * b[2] : b[i]; continue }
            if (mode == "fl" && i == 3) a[i] = (b[i] < a[i]) ? b[i] : a[i]
            else if (mode == "fl" && i == 5) a[i] = (b[i] > a[i]) ? b[i] : a[i]
            else if (mode == "fl" && i == 4) a[i] += b[4] * b[2]
            else a[i] += b[i]
        }
        for (i = 1; i <= n; i++) printf "%s%s", a[i], (i < n) ? " " : "\n" }')
}
# round WHO R: start WHO, take round R's share of each figure into the pools, stop it.
round() {
    local who=$1 r=$2 v
    TARGET=$IP
    [ -n "${NET_BENCH_DEAD:-}" ] && TARGET=10.97.0.99 # break-by-hand: nobody answers there
    if ! start "$who"; then
        bench_fail "$who responder (round $r)" "did not start: $(tail -1 $TMP/$who.log)"
        BAD[$who:start]=1
        stop
        return
    fi
    OK[$who]=1
    ip -n $P neigh flush all
    # a target that answers nothing fails once, fast, not after three 30 s deadlines
    if ! ip netns exec $P ping -c 3 -i 0.2 -W 1 "$TARGET" >$TMP/probe.out 2>&1; then
        bench_fail "$who: flood ping, RTT percentiles, UDP echo (round $r)" \
            "nothing answers $TARGET (3 pings): $(grep 'packet loss' $TMP/probe.out)"
        BAD[$who:fl]=1 BAD[$who:rt]=1 BAD[$who:ud]=1
        stop
        return
    fi
    ip netns exec $P ping -q -c 100 -i 0.001 -W 1 "$TARGET" >/dev/null 2>&1 # warm-up, not counted
    if bench_run v "$who: flood ping (round $r, n=$PING_R)" flood "$PING_R"; then add FL "$who" "$v" fl; else BAD[$who:fl]=1; fi
    if bench_run v "$who: RTT samples (round $r, n=$PING_R)" rtts "$TMP/rtt-$who" "$PING_R"; then add RT "$who" "$v" sum; else BAD[$who:rt]=1; fi
    if bench_run v "$who: UDP echo (round $r, n=$UDP_R)" udp "$UDP_R"; then
        add UD "$who" "$(field "$v" sent) $(field "$v" echoed) $(field "$v" lost) $(field "$v" secs)" sum
    else
        BAD[$who:ud]=1
    fi
    stop
}
field() { echo "$1" | grep -o "$2=[0-9.]*" | head -1 | cut -d= -f2; }

WHOS="plain spt"
if [ -n "${UR_BENCH_NESTED:-}" ]; then
    WHOS="plain hvt hvt-ring" # the nested guest measures hvt beside its own plain process
elif [ -c /dev/kvm ] && [ -x "$VMM" ] && [ -e "$G/netecho.hvt" ]; then
    WHOS="plain spt hvt hvt-ring"
fi
REV=$(echo $WHOS | tr ' ' '\n' | tac | tr '\n' ' ')
for r in $(seq "$NET_ROUNDS"); do
    order=$WHOS
    [ $((r % 2)) = 0 ] && order=$REV
    for w in $order; do round "$w" "$r"; done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2fx", a/b; else print "n/a" }'; }
col() { echo "$1" | awk -v i="$2" '{print $i}'; }
good() { [ -n "${OK[$1]:-}" ] && [ -z "${BAD[$1:start]:-}" ] && [ -z "${BAD[$1:$2]:-}" ]; }
# Pooled figures of WHO: loss% min avg max (flood); n p50 p90 p99 loss% (RTT); pps lost (UDP).
flood_of() { awk -v a="${FL[$1]}" 'BEGIN { split(a, v); printf "%.2f %s %.3f %s\n", 100 * (v[1] - v[2]) / v[1], v[3], v[4] / v[2], v[5] }'; }
rtt_of() {
    sort -n "$TMP/rtt-$1" | awk -v tr="${RT[$1]}" '{ t[NR] = $1 }
        function p(q) { i = int(q * NR + 0.999999); if (i < 1) i = 1; return t[i] }
        END { split(tr, v); printf "%d %s %s %s %.2f\n", NR, p(0.5), p(0.9), p(0.99), 100 * (v[1] - v[2]) / v[1] }'
}
udp_of() { awk -v a="${UD[$1]}" 'BEGIN { split(a, v); printf "%.0f %d\n", v[2] / v[4], v[3] }'; }
W=$(bench_where)
echo "($NET_ROUNDS rounds, targets alternating (order reversed every other round: $WHOS), each round's samples pooled per target; 100 uncounted pings at each start)"
printf '%-44s %15s %15s %8s   %s\n' "figure" "guest" "plain process" "ratio" "target"
# row BASE G: G's pooled figures beside BASE's (the plain process, or hvt for the ring).
rows() {
    local b=$1 g=$2 fg fb pg pb tgt
    [ -n "${OK[$g]:-}" ] && [ -n "${OK[$b]:-}" ] || return 0
    if good "$g" fl && good "$b" fl; then
        fg=$(flood_of "$g") fb=$(flood_of "$b")
        printf '%-44s %14s%% %14s%% %8s   %s\n' "$g: flood ping loss (n=$NET_PINGS each)" "$(col "$fg" 1)" "$(col "$fb" 1)" "" \
            "0%: $(awk -v a="$(col "$fg" 1)" 'BEGIN{print (a==0)?"met":"MISSED"}')$W"
        printf '%-44s %15s %15s %8s   %s\n' "  min/avg/max RTT, ms" "$(col "$fg" 2)/$(col "$fg" 3)/$(col "$fg" 4)" \
            "$(col "$fb" 2)/$(col "$fb" 3)/$(col "$fb" 4)" "$(ratio "$(col "$fg" 3)" "$(col "$fb" 3)")" "(avg ratio)$W"
    fi
    if good "$g" rt && good "$b" rt; then
        pg=$(rtt_of "$g") pb=$(rtt_of "$b")
        tgt="(hvt: no target)"
        [ "$g" = spt ] && tgt="<= 1.5x plain: $(awk -v a="$(col "$pg" 2)" -v b="$(col "$pb" 2)" 'BEGIN{print (a<=1.5*b)?"met":"MISSED"}')"
        printf '%-44s %12s ms %12s ms %8s   %s\n' "$g: RTT p50, 1 ms ping (n=$(col "$pg" 1)/$(col "$pb" 1))" \
            "$(col "$pg" 2)" "$(col "$pb" 2)" "$(ratio "$(col "$pg" 2)" "$(col "$pb" 2)")" "$tgt$W"
        printf '%-44s %15s %15s %8s   %s\n' "  p90 / p99, ms" "$(col "$pg" 3)/$(col "$pg" 4)" \
            "$(col "$pb" 3)/$(col "$pb" 4)" "$(ratio "$(col "$pg" 4)" "$(col "$pb" 4)")" "(p99 ratio)$W"
        printf '%-44s %14s%% %14s%%\n' "  loss, 1 ms ping" "$(col "$pg" 5)" "$(col "$pb" 5)"
    fi
    if good "$g" ud && good "$b" ud; then
        fg=$(udp_of "$g") fb=$(udp_of "$b")
        printf '%-44s %15s %15s %8s   %s\n' "$g: UDP echo pkt/s (n=$NET_UDP_N, window 32)" "$(col "$fg" 1)" \
            "$(col "$fb" 1)" "$(ratio "$(col "$fg" 1)" "$(col "$fb" 1)")" \
            "(python sender; lost $(col "$fg" 2)/$(col "$fb" 2))$W"
    fi
}
for g in ${WHOS#plain}; do rows plain "$g"; done
# The net ring against the hypercalls: the same guest (netecho.hvt with and without --ring)
# on the same monitor, in the same rounds.
if [ -n "${OK[hvt]:-}" ] && [ -n "${OK[hvt-ring]:-}" ]; then
    printf '%-44s %15s %15s %8s\n' "hvt: net ring vs hypercalls" "ring" "hypercalls" "ratio"
    if good hvt-ring ud && good hvt ud; then
        fg=$(udp_of hvt-ring) fb=$(udp_of hvt)
        printf '%-44s %15s %15s %8s   %s\n' "  UDP echo pkt/s (n=$NET_UDP_N, window 32)" "$(col "$fg" 1)" "$(col "$fb" 1)" \
            "$(ratio "$(col "$fg" 1)" "$(col "$fb" 1)")" "(lost $(col "$fg" 2)/$(col "$fb" 2))$W"
    fi
    if good hvt-ring rt && good hvt rt; then
        pg=$(rtt_of hvt-ring) pb=$(rtt_of hvt)
        printf '%-44s %12s ms %12s ms %8s   %s\n' "  RTT p50, 1 ms ping" "$(col "$pg" 2)" "$(col "$pb" 2)" \
            "$(ratio "$(col "$pg" 2)" "$(col "$pb" 2)")" "$W"
    fi
fi

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
