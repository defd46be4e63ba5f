#!/bin/bash
# spt_guests.sh: runs uniroot's test guests built for Solo5 spt
# (build/guests/*.spt) on uniroot-spt, with the expectations of
# vmm_guests.sh where the targets agree: boot and command line, exit
# statuses, block I/O on files, the ext4 superblock, the clock, a guest fault
# (255), no-execute data/bss/stack/heap/rodata/boot info, bss sizes, a tap
# echo and several devices at once (when ip netns works), SIGTERM (143), the
# --ready-fd/--start-fifo protocol, the command-line and image errors, and
# every attack of hostile_spt: in-band -EFAULT for bad memory, SIGSYS (the
# shell's 159) for any call outside the filter. Needs no /dev/kvm.
# SPT=build/asan/bin/uniroot-spt runs it on the sanitizer build (all but the
# 1 GiB bigbss case pass there: ASan's shadow starts at 0x7fff8000, inside
# the 2 GiB a 1 GiB guest and its guard need).
source "$(dirname "$0")/lib.sh"

SPT=${SPT:-$UR_TOP/build/bin/uniroot-spt}
HELPER=$UR_TOP/build/bin/tap-echo-check
NS=ursp$$
TAP=urspt$$
GUEST_MAC=02:00:00:00:00:01
SIGSYS_RC=159

vrun() { # vrun CMD...: run CMD (60 s at most); R_RC, R_OUT, R_ERR
    { # (bash's "Bad system call" notice of a SIGSYS death goes nowhere)
        timeout -k 5 60 "$@" >"$T_TMP/out" 2>"$T_TMP/err"
        R_RC=$?
    } 2>/dev/null
    R_OUT=$(tr -d '\0' <"$T_TMP/out")
    R_ERR=$(cat "$T_TMP/err")
}
_why=
want() { local why=$1; shift; "$@" || _why="${_why:+$_why; }$why"; }
rc_is() { [ "$R_RC" -eq "$1" ]; }
rc_in() { [ "$R_RC" -eq "$1" ] || [ "$R_RC" -eq "$2" ]; }
out_has() { grep -qE -- "$1" <<<"$R_OUT"; }
err_has() { grep -qE -- "$1" <<<"$R_ERR"; }
out_lacks() { ! grep -qE -- "$1" <<<"$R_OUT$R_ERR"; }
one_error_line() { [ "$(grep -c . <<<"$R_ERR")" -eq 1 ] && grep -qE '^uniroot-spt: .{10,}' <<<"$R_ERR"; }
verdict() {
    if grep -qE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' <<<"$R_OUT$R_ERR"; then
        _why="${_why:+$_why; }sanitizer report"
    fi
    if [ -z "$_why" ]; then ok "$1"; else
        not_ok "$1" "$_why [rc=$R_RC stdout: $(tail -4 <<<"$R_OUT" | tr '\n' '|') stderr: $(tail -4 <<<"$R_ERR" | tr '\n' '|')]"
    fi
    _why=
}
sector_head() { dd if="$1" bs="$2" skip="$3" count=1 status=none | head -c 64 | head -n 1 | tr -d '\0'; }

missing=
[ -x "$SPT" ] || missing="$SPT"
for g in hello exit block ext4label walltime fault net sleep multi bigbss nxexec hostile_spt; do
    [ -f "$GUESTS/$g.spt" ] || missing="$missing $GUESTS/$g.spt"
done
if [ -n "$missing" ]; then
    not_ok "spt guests: build outputs" "missing:$missing (run make all)"
    finish
    exit
fi
m=$SPT t=spt
BG_PID=
at_exit '[ -n "$BG_PID" ] && kill -9 "$BG_PID"'

vrun "$m" "$GUESTS/hello.spt" a b c
want "status 0" rc_is 0
want "no greeting" out_has '^Hello, uniroot!$'
want "cmdline not echoed" out_has '^cmdline: a b c$'
verdict "$t: hello"
vrun "$m" "$GUESTS/hello.spt"
want "status 0" rc_is 0
want "empty cmdline not echoed" out_has '^cmdline: $'
verdict "$t: hello without arguments"

for n in 0 1 42 255; do
    vrun "$m" "$GUESTS/exit.spt" "$n"
    want "status $R_RC, want $n" rc_is "$n"
    want "no exit line" out_has "^exit: status $n\$"
    verdict "$t: exit $n"
done
for n in 256 4294967295; do
    vrun "$m" "$GUESTS/exit.spt" "$n"
    want "status $R_RC, want 255" rc_is 255
    verdict "$t: exit $n is reported as 255"
done
# exit abort makes an hvt hypercall (an outl): a fault in a process.
vrun "$m" "$GUESTS/exit.spt" abort
want "status 255" rc_is 255
want "guest survived" out_lacks 'survived'
verdict "$t: an hvt hypercall on spt is a guest fault"

img=$T_TMP/block512.img
truncate -s 1M "$img"
vrun "$m" --block:storage="$img" "$GUESTS/block.spt"
want "status 0" rc_is 0
want "no capacity line" out_has '^block: handle=1 capacity=1048576 block_size=512$'
want "checks failed" out_has '^block: all checks passed$'
want "a check failed" out_lacks 'FAIL'
want "sector 0 not in the file" [ "$(sector_head "$img" 512 0)" = "uniroot block sector 0" ]
want "last sector not in the file" [ "$(sector_head "$img" 512 2047)" = "uniroot block sector 2047" ]
verdict "$t: block, 512-byte sectors"
img=$T_TMP/block4k.img
truncate -s 1M "$img"
vrun "$m" --block:storage="$img" --block-sector-size:storage=4096 "$GUESTS/block.spt"
want "status 0" rc_is 0
want "no capacity line" out_has '^block: handle=1 capacity=1048576 block_size=4096$'
want "checks failed" out_has '^block: all checks passed$'
want "last sector not in the file" [ "$(sector_head "$img" 4096 255)" = "uniroot block sector 255" ]
verdict "$t: block, 4096-byte sectors"

if command -v mkfs.ext4 >/dev/null; then
    EXT4=$T_TMP/rootfs.ext4
    truncate -s 8M "$EXT4"
    mkfs.ext4 -q -F -L urlabel -U 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 "$EXT4"
    vrun "$m" --block:rootfs="$EXT4" "$GUESTS/ext4label.spt"
    want "status 0" rc_is 0
    want "label not read" out_has 'urlabel'
    verdict "$t: ext4label on an image file"
else
    skip "$t: ext4label" "mkfs.ext4 missing"
fi

vrun "$m" "$GUESTS/walltime.spt"
want "status 0" rc_is 0
want "no ok line" out_has '^walltime: ok'
verdict "$t: walltime"

vrun "$m" "$GUESTS/fault.spt"
want "status $R_RC, want 255" rc_is 255
want "guest did not start" out_has '^fault: touching unmapped memory$'
want "guest survived" out_lacks 'survived'
verdict "$t: fault"

vrun "$m" "$GUESTS/nxexec.spt" text
want "status 0" rc_is 0
want "no 'text ok'" out_has '^nxexec: text ok$'
verdict "$t: nxexec: a call into code returns"
for place in data bss stack heap rodata bootinfo; do
    vrun "$m" "$GUESTS/nxexec.spt" "$place"
    want "status $R_RC, want 255" rc_is 255
    want "guest survived" out_lacks "nxexec: $place ok"
    verdict "$t: nxexec: a call into $place faults"
done

vrun "$m" "$GUESTS/bigbss.spt"
want "status 1" rc_is 1
want "not one error line" one_error_line
want "no size in error" err_has 'does not fit in 512 MiB'
verdict "$t: bigbss refused with 512 MiB"
vrun "$m" --mem=1024 "$GUESTS/bigbss.spt"
want "status 0" rc_is 0
want "no ok line" out_has '^bigbss: ok'
verdict "$t: bigbss runs with 1 GiB"

# SIGTERM while the guest sleeps in epoll_pwait: 128 + 15.
"$m" "$GUESTS/sleep.spt" 30 >"$T_TMP/sleep.out" 2>&1 &
BG_PID=$!
sleep 0.5
kill -TERM "$BG_PID"
wait "$BG_PID"
R_RC=$? BG_PID= R_OUT=$(cat "$T_TMP/sleep.out") R_ERR=
want "status $R_RC, want 143" rc_is 143
want "guest did not sleep" out_has '^sleep: sleeping'
verdict "$t: SIGTERM while the guest sleeps"

# The create/start split: ready on --ready-fd, the guest runs after one byte.
fifo=$T_TMP/start.fifo
mkfifo "$fifo"
"$m" --ready-fd=3 --start-fifo="$fifo" "$GUESTS/hello.spt" started 3>"$T_TMP/ready" \
    >"$T_TMP/fifo.out" 2>&1 &
BG_PID=$!
for _ in $(seq 50); do [ -s "$T_TMP/ready" ] && break; sleep 0.1; done
ready=$(cat "$T_TMP/ready")
early=$(cat "$T_TMP/fifo.out")
printf x >"$fifo"
wait "$BG_PID"
R_RC=$? BG_PID= R_OUT=$(cat "$T_TMP/fifo.out") R_ERR=
want "ready-fd said '$ready'" [ "$ready" = ready ]
want "guest ran before start" [ -z "$early" ]
want "status 0" rc_is 0
want "guest did not run" out_has '^cmdline: started$'
verdict "$t: --ready-fd and --start-fifo"
vrun "$m" --ready-fd=3 "$GUESTS/block.spt" 3>"$T_TMP/ready"
want "status 1" rc_is 1
want "no error on ready-fd" grep -q '^error: .*storage' "$T_TMP/ready"
verdict "$t: a setup error is reported on --ready-fd"

# Command line and image errors: one line, status 1.
vrun "$m" "$GUESTS/block.spt"
want "status 1" rc_is 1
want "not one error line" one_error_line
want "missing device not named" err_has "block device 'storage'"
verdict "$t: a manifest device not given"
vrun "$m" --block:other="$T_TMP/block512.img" "$GUESTS/hello.spt"
want "status 1" rc_is 1
want "not one error line" one_error_line
verdict "$t: a device the manifest does not declare"
vrun "$m" "$GUESTS/hello.hvt"
want "status 1" rc_is 1
want "hvt image not refused" err_has 'not spt'
verdict "$t: an hvt image is refused"
vrun "$m" --bogus "$GUESTS/hello.spt"
want "status 1" rc_is 1
want "not one error line" one_error_line
verdict "$t: unknown option"

# hostile_spt: every attack it knows. In-band ones return -EFAULT (-14).
declare -A INBAND=([write-guard]=1 [write-unmapped-end]=1 [pread-text]=1 [pread-rodata]=1
    [clock-text]=1 [clock-guard]=1 [timerfd-guard]=1)
HIMG=$T_TMP/hostile.img
truncate -s 1M "$HIMG"
attacks=$("$m" --block:storage="$HIMG" "$GUESTS/hostile_spt.spt" list)
[ "$(wc -l <<<"$attacks")" -ge 30 ] || not_ok "$t: hostile list" "only: $attacks"
for a in $attacks; do
    vrun "$m" --block:storage="$HIMG" "$GUESTS/hostile_spt.spt" "$a"
    if [ -n "${INBAND[$a]:-}" ]; then
        want "status $R_RC, want 0" rc_is 0
        case $a in # a write to a file or pipe may stop short of the bad page instead
        write-*) want "not refused or cut short" out_has "^hostile: $a survived ret=(-14|[0-9]{1,2})\$" ;;
        *) want "not refused with EFAULT" out_has "^hostile: $a survived ret=-14\$" ;;
        esac
    elif [ "$a" = int80 ]; then # i386 entry: killed by the filter, or a fault without it
        want "status $R_RC, want $SIGSYS_RC or 255" rc_in $SIGSYS_RC 255
        want "guest survived" out_lacks survived
    else
        want "status $R_RC, want $SIGSYS_RC (SIGSYS)" rc_is $SIGSYS_RC
        want "guest survived" out_lacks survived
    fi
    verdict "$t: hostile $a"
done
want "hostile wrote past the block file" [ "$(stat -c %s "$HIMG")" -eq 1048576 ]
verdict "$t: hostile left the block file's size alone"

# Network: a tap in a private namespace (needs root and ip netns).
if [ "$(id -u)" -eq 0 ] && [ -x "$HELPER" ] && ip netns add "$NS" 2>/dev/null; then
    at_exit ip netns del "$NS"
    ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
    ip netns exec "$NS" ip tuntap add mode tap name "$TAP"
    at_exit ip netns exec "$NS" ip link del "$TAP"
    ip netns exec "$NS" ip link set "$TAP" up
    ip netns exec "$NS" "$m" --net:net0="$TAP" --net-mac:net0="$GUEST_MAC" "$GUESTS/net.spt" \
        >"$T_TMP/net.out" 2>"$T_TMP/net.err" &
    BG_PID=$!
    hout=$(ip netns exec "$NS" timeout 20 "$HELPER" "$TAP" "$GUEST_MAC" 10 2>&1)
    hrc=$?
    wait "$BG_PID"
    R_RC=$? BG_PID= R_OUT=$(cat "$T_TMP/net.out") R_ERR=$(cat "$T_TMP/net.err")
    want "helper: $hout" [ "$hrc" -eq 0 ]
    want "status 0" rc_is 0
    want "no echo line" out_has '^net: echoed 96 bytes$'
    verdict "$t: net echo through a tap"

    truncate -s 1M "$T_TMP/first.img"
    truncate -s 2M "$T_TMP/second.img"
    ip netns exec "$NS" "$m" --net:net0="$TAP" --block:second="$T_TMP/second.img" \
        --net-mac:net0="$GUEST_MAC" --block:first="$T_TMP/first.img" "$GUESTS/multi.spt" \
        >"$T_TMP/multi.out" 2>"$T_TMP/multi.err" &
    BG_PID=$!
    hout=$(ip netns exec "$NS" timeout 20 "$HELPER" "$TAP" "$GUEST_MAC" 10 2>&1)
    hrc=$?
    wait "$BG_PID"
    R_RC=$? BG_PID= R_OUT=$(cat "$T_TMP/multi.out") R_ERR=$(cat "$T_TMP/multi.err")
    want "helper: $hout" [ "$hrc" -eq 0 ]
    want "status 0" rc_is 0
    want "first: wrong handle or capacity" out_has '^multi: first handle=1 capacity=1048576$'
    want "second: wrong handle or capacity" out_has '^multi: second handle=2 capacity=2097152$'
    want "no echo" out_has '^multi: echoed 96 bytes$'
    want "first.img not stamped" [ "$(sector_head "$T_TMP/first.img" 512 0)" = "uniroot device first" ]
    want "second.img not stamped" [ "$(sector_head "$T_TMP/second.img" 512 0)" = "uniroot device second" ]
    verdict "$t: multi: two block devices and a tap"
else
    skip "$t: net and multi" "needs root, $HELPER and ip netns"
fi

finish
