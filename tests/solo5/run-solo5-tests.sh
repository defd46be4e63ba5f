#!/bin/bash
# tests/solo5/run-solo5-tests.sh: runs Solo5's own spt test unikernels on uniroot-spt and on
# Solo5's solo5-spt, and Solo5's bats suite (tests/tests.bats) with uniroot-spt as its spt
# tender. A local tool, not part of `make check` (it needs a Solo5 source tree, which this
# repository does not carry).
#
#   tests/solo5/run-solo5-tests.sh SOLO5_SRC [UNIROOT_SPT]
#
# SOLO5_SRC is a Solo5 source tree (a git checkout or an exported archive); it is built with
# its own ./configure.sh and make if tenders/spt/solo5-spt is missing (needs a C toolchain and
# libseccomp-dev). UNIROOT_SPT defaults to build/bin/uniroot-spt of this repository.
# Part 1 runs each test_*.spt on both monitors with the same arguments and compares stdout and
# exit status (stderr is shown when it differs, not counted; timings and random MACs in stdout
# are masked). Part 2 copies the Solo5 tree to a
# temporary directory, puts UNIROOT_SPT in place of tenders/spt/solo5-spt (tests.bats runs
# ../tenders/spt/solo5-spt) and runs `bats tests/tests.bats`; only the "... spt" tests count.
# As root, everything runs in a private network namespace with the taps tests.bats expects
# (tap100 10.0.0.1/24, tap101 10.1.0.1/24, tap102 mtu 9000), so nothing on the host is
# touched; without root the net tests are skipped. Prints `N passed, N failed` at the end and
# exits 0 only if nothing failed.
set -u

[ $# -ge 1 ] || { echo "usage: $0 SOLO5_SRC [UNIROOT_SPT]" >&2; exit 2; }
SRC=$(cd "$1" && pwd) || exit 2
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OURS=$(realpath "${2:-$TOP/build/bin/uniroot-spt}") || exit 2
[ -x "$OURS" ] || { echo "$0: $OURS: not executable (run make)" >&2; exit 2; }

# Build Solo5 once if needed (an archive export has no .git: give it a version.h.distrib).
if [ ! -x "$SRC/tenders/spt/solo5-spt" ]; then
    if [ ! -e "$SRC/.git" ] && [ ! -f "$SRC/include/version.h.distrib" ]; then
        printf '#ifndef __VERSION_H__\n#define __VERSION_H__\n#define SOLO5_VERSION "%s"\n#endif\n' \
            "unknown-export" > "$SRC/include/version.h.distrib"
    fi
    (cd "$SRC" && ./configure.sh && make -j"$(nproc)") >&2 ||
        { echo "$0: building Solo5 in $SRC failed" >&2; exit 2; }
fi

# As root, re-run inside a private network namespace holding the test taps.
if [ "$(id -u)" = 0 ] && [ -z "${SOLO5_TESTS_IN_NETNS:-}" ]; then
    exec env SOLO5_TESTS_IN_NETNS=1 unshare --net "$0" "$SRC" "$OURS"
fi
HAVE_NET=0
if [ -n "${SOLO5_TESTS_IN_NETNS:-}" ]; then
    ip link set lo up &&
    ip tuntap add tap100 mode tap && ip addr add 10.0.0.1/24 dev tap100 &&
    ip link set dev tap100 up &&
    ip tuntap add tap101 mode tap && ip addr add 10.1.0.1/24 dev tap101 &&
    ip link set dev tap101 up &&
    ip tuntap add tap102 mode tap && ip link set dev tap102 up mtu 9000 && HAVE_NET=1
fi

WORK=$(mktemp -d /tmp/solo5-tests.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PASS=0 FAIL=0 SKIP=0

# run_one MONITOR OUTPREFIX PING_SPEC ARGS...: runs one test with a 60 s limit; PING_SPEC is
# "" or "COUNT:HOST[,COUNT:HOST]" flood pings started 1 s in, as tests.bats does.
run_one() {
    local mon=$1 out=$2 pings=$3 p pids=()
    shift 3
    if [ -n "$pings" ]; then
        for p in ${pings//,/ }; do
            # exec: the pid killed below is timeout's, which passes the signal to ping (a
            # ping left flooding with its default payload breaks the next test, net_ring).
            (sleep 1; exec timeout 60s ping -fq -c "${p%%:*}" "${p#*:}" >/dev/null 2>&1) &
            pids+=($!)
        done
    fi
    (cd "$SRC/tests" && timeout --foreground 60s "$mon" --mem=2 "$@") >"$out.out" 2>"$out.err"
    echo $? >"$out.rc"
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}

# compare NAME NEEDS_NET PING_SPEC ARGS...: the same run on both monitors, stdout and status.
compare() {
    local name=$1 net=$2 pings=$3
    shift 3
    if [ "$net" = 1 ] && [ "$HAVE_NET" = 0 ]; then
        echo "SKIP  $name: needs root for its tap (private network namespace)"
        SKIP=$((SKIP + 1)); return
    fi
    run_one "$SRC/tenders/spt/solo5-spt" "$WORK/s" "$pings" "$@"
    run_one "$OURS" "$WORK/u" "$pings" "$@"
    local rs ru; rs=$(cat "$WORK/s.rc"); ru=$(cat "$WORK/u.rc")
    # What differs between any two runs (timings, the random MACs) is masked.
    sed -i -E -e 's/(Overhead of solo5_yield\(\)|Slept for): [0-9]+ ns/\1: N ns/' \
        -e 's/Slept for [0-9]+ ns/Slept for N ns/' -e 's/MAC: [0-9a-f]{12}/MAC: M/' \
        "$WORK/s.out" "$WORK/u.out"
    if [ "$rs" = "$ru" ] && cmp -s "$WORK/s.out" "$WORK/u.out"; then
        echo "SAME  $name: status $rs, $(wc -l <"$WORK/s.out") lines of stdout"
        PASS=$((PASS + 1))
    else
        echo "DIFF  $name: status solo5-spt $rs, uniroot-spt $ru"
        diff -u --label solo5-spt --label uniroot-spt "$WORK/s.out" "$WORK/u.out" | sed 's/^/      /'
        FAIL=$((FAIL + 1))
    fi
    if ! cmp -s "$WORK/s.err" "$WORK/u.err"; then
        echo "      stderr differs (not counted):"
        diff -u --label solo5-spt --label uniroot-spt "$WORK/s.err" "$WORK/u.err" | sed 's/^/      /'
    fi
}

img() { dd if=/dev/zero of="$WORK/$1" bs="$2" count="$3" status=none; echo "$WORK/$1"; }

echo "# Solo5 $(cd "$SRC" && git describe --tags --always 2>/dev/null ||
    sed -n 's/.*SOLO5_VERSION "\(.*\)".*/\1/p' include/version.h 2>/dev/null)"
echo "# part 1: the same test unikernels on solo5-spt and on $OURS"
for t in hello:Hello_Solo5 output:Output_Solo5 globals exception zeropage xnow wnox notls tls ssp \
         fpu time seccomp rnow rnox xnor; do
    bin=test_${t%%:*}/test_${t%%:*}.spt
    [ -f "$SRC/tests/$bin" ] || continue
    if [ "$t" = "${t#*:}" ]; then compare "${t%%:*}" 0 "" "$bin"
    else compare "${t%%:*}" 0 "" "$bin" "${t#*:}"; fi
done
compare quiet 0 "" -- test_quiet/test_quiet.spt --solo5:quiet
compare blk 0 "" --block:storage="$(img blk.img 4k 1024)" -- test_blk/test_blk.spt
compare blk-4096 0 "" --block:storage="$(img blk4k.img 4k 1024)" \
    --block-sector-size:storage=4096 -- test_blk/test_blk.spt
compare blk-misaligned 0 "" --block:storage="$(img mis.img 2k 3)" \
    --block-sector-size:storage=4096 -- test_blk/test_blk.spt
compare blk-odd 0 "" --block:storage="$(img odd.img 521 3)" \
    --block-sector-size:storage=521 -- test_blk/test_blk.spt
compare blk-too-small 0 "" --block:storage="$(img small.img 256 1)" \
    --block-sector-size:storage=256 -- test_blk/test_blk.spt
devs=()
for n in $(seq 0 62); do devs+=(--block:storage$n="$(img "m$n.img" 4k 1)"); done
compare mft_maxdevices 0 "" "${devs[@]}" -- test_mft_maxdevices/test_mft_maxdevices.spt
compare net 1 100000:10.0.0.2 --net:service0=tap100 -- test_net/test_net.spt limit
compare net_2if 1 50000:10.0.0.2,50000:10.1.0.2 --net:service0=tap100 --net:service1=tap101 \
    -- test_net_2if/test_net_2if.spt limit
compare net_mtu 1 "" --net:service0=tap102 -- test_net_mtu/test_net_mtu.spt
compare net_ring 1 10000:10.0.0.2 --net:service0=tap100 -- test_net_ring/test_net_ring.spt
C_PASS=$PASS C_FAIL=$FAIL

echo "# part 2: Solo5's tests/tests.bats with $OURS as tenders/spt/solo5-spt"
BATS=$(command -v bats || echo "$SRC/tests/bats-core/bats")
cp -a "$SRC" "$WORK/tree"
rm -f "$WORK/tree/tenders/spt/solo5-spt"
cp "$OURS" "$WORK/tree/tenders/spt/solo5-spt"
TMPDIR=$WORK "$BATS" --tap "$WORK/tree/tests/tests.bats" >"$WORK/bats.tap" 2>&1
# Print every spt test's verdict and, for failures, what bats said; count only spt tests.
B_PASS=0 B_FAIL=0 B_SKIP=0
while IFS= read -r line; do
    case "$line" in
    "ok "*" spt # skip"*) echo "$line"; B_SKIP=$((B_SKIP + 1)); cur= ;;
    "ok "*" spt")         echo "$line"; B_PASS=$((B_PASS + 1)); cur= ;;
    "not ok "*" spt")     echo "$line"; B_FAIL=$((B_FAIL + 1)); cur=1 ;;
    "ok "*|"not ok "*)    cur= ;;
    "#"*)                 [ -n "${cur:-}" ] && echo "      $line" ;;
    esac
done <"$WORK/bats.tap"
echo "# bats spt tests: $B_PASS passed, $B_FAIL failed, $B_SKIP skipped" \
     "(other targets: $(grep -c '^ok .* # skip' "$WORK/bats.tap") skipped in all)"
echo "# comparison: $C_PASS same, $C_FAIL different, $SKIP skipped"
PASS=$((C_PASS + B_PASS)) FAIL=$((C_FAIL + B_FAIL))
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
