#!/bin/bash
# spt_guests.sh: runs uniroot's test guests built for Solo5 spt
# (build/guests/*.spt, the same sources as vmm_guests.sh's *.hvt) on
# uniroot-spt, case for case as vmm_guests.sh where the targets agree: boot
# and command line, exit statuses, block I/O on a file and a loop device, the
# ext4 superblock of a real image (file, loop device, not ext4), the clock, a
# guest fault (255), no-execute data/bss/stack/heap/rodata/boot info, every
# attack of hostile_spt (wild pointers and lengths into every allowed call on
# every descriptor: in-band -EFAULT or a short count; anything outside the
# filter: SIGSYS, the shell's 159), again at the smallest and largest guest
# memory; a tap echo (by name and as --net:net0=@FD), several devices at once,
# bss sizes, signals (128+N, promptly, also for a guest that never calls the
# host), seccomp mode 2, an endless poll, the --ready-fd/--start-fifo
# protocol, a closed console, broken images, and the command-line errors.
# Where hvt and spt differ the case says so (no trap frame or register dump
# on spt: the filter leaves the monitor no way to print one). Needs no
# /dev/kvm; the tap cases (hostile, net, multi) need root and ip netns.
# SPT=build/asan/bin/uniroot-spt runs it on the sanitizer build (all but the
# 1 GiB bigbss case pass there: ASan's shadow starts at 0x7fff8000, inside
# the 2 GiB a 1 GiB guest and its guard need).
source "$(dirname "$0")/lib.sh"
GUEST_MON=uniroot-spt
source "$(dirname "$0")/guest_lib.inc"

SPT=${SPT:-$UR_TOP/build/bin/uniroot-spt}
HELPER=$UR_TOP/build/bin/tap-echo-check
NS=ursp$$
TAP=urspt$$
GUEST_MAC=02:00:00:00:00:01
UUID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
LABEL=urlabel
SIGSYS_RC=159

missing=
[ -x "$SPT" ] || missing="$SPT"
for g in hello exit block ext4label walltime fault net sleep multi bigbss nxexec hostile_spt maxblk; do
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
ROOT=0
[ "$(id -u)" -eq 0 ] && ROOT=1

# A network namespace with a tap (hostile, net, multi). IPv6 off: no
# neighbour discovery noise for the guest.
NET=0
if [ $ROOT = 1 ] && [ -x "$HELPER" ] && ip netns add "$NS" 2>/dev/null; then
    at_exit ip netns del "$NS"
    ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
    if ip netns exec "$NS" ip tuntap add mode tap name "$TAP"; then
        at_exit ip netns exec "$NS" ip link del "$TAP"
        ip netns exec "$NS" ip link set "$TAP" up
        ip netns exec "$NS" ip link set lo up
        NET=1
    fi
fi
NO_NET="needs root, $HELPER, ip netns and a tap"

# Images: an ext4 file (also on a loop device), a 1 MiB file on a loop
# device, a zero file.
EXT4=$T_TMP/rootfs.ext4 LOOP= BLKLOOP=
truncate -s 8M "$EXT4"
mkfs.ext4 -q -F -L "$LABEL" -U "$UUID" "$EXT4" || not_ok "$t: mkfs.ext4" "failed"
BLKIMG=$T_TMP/blockdev.img
truncate -s 1M "$BLKIMG"
if [ $ROOT = 1 ]; then
    LOOP=$(losetup -f --show "$EXT4") || LOOP=
    [ -n "$LOOP" ] && at_exit losetup -d "$LOOP"
    BLKLOOP=$(losetup -f --show "$BLKIMG") || BLKLOOP=
    [ -n "$BLKLOOP" ] && at_exit losetup -d "$BLKLOOP"
fi
ZERO=$T_TMP/zero.img
truncate -s 1M "$ZERO"

# ---- boot, command line, exit statuses --------------------------------------

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
# A status with no 8-bit form must not wrap to success (256 -> 0).
for n in 256 512 4294967295; do
    vrun "$m" "$GUESTS/exit.spt" "$n"
    want "status $R_RC, want 255" rc_is 255
    verdict "$t: exit $n is reported as 255"
done
# exit abort makes an hvt hypercall (an outl): on spt a fault in a process,
# with no trap frame (hvt prints one).
vrun "$m" "$GUESTS/exit.spt" abort
want "status 255" rc_is 255
want "guest survived" out_lacks 'survived'
verdict "$t: exit abort (an hvt hypercall) is a guest fault"

# ---- block ----------------------------------------------------------------

img=$T_TMP/block512.img
truncate -s 1M "$img"
vrun "$m" --block:storage="$img" "$GUESTS/block.spt"
want "status 0" rc_is 0
want "no capacity line" out_has '^block: handle=1 capacity=1048576 block_size=512$'
want "checks failed" out_has '^block: all checks passed$'
want "a check failed" out_lacks 'FAIL'
want "sector 0 not in the file" [ "$(sector_head "$img" 512 0)" = "uniroot block sector 0" ]
want "middle sector not in the file" [ "$(sector_head "$img" 512 1024)" = "uniroot block sector 1024" ]
want "last sector not in the file" [ "$(sector_head "$img" 512 2047)" = "uniroot block sector 2047" ]
verdict "$t: block, 512-byte sectors"
img=$T_TMP/block4k.img
truncate -s 1M "$img"
vrun "$m" --block:storage="$img" --block-sector-size:storage=4096 "$GUESTS/block.spt"
want "status 0" rc_is 0
want "no capacity line" out_has '^block: handle=1 capacity=1048576 block_size=4096$'
want "checks failed" out_has '^block: all checks passed$'
want "a check failed" out_lacks 'FAIL'
want "last sector not in the file" [ "$(sector_head "$img" 4096 255)" = "uniroot block sector 255" ]
verdict "$t: block, 4096-byte sectors"

if [ -n "$BLKLOOP" ]; then
    vrun "$m" --block:storage="$BLKLOOP" "$GUESTS/block.spt"
    want "status 0" rc_is 0
    want "capacity not from BLKGETSIZE64" out_has '^block: handle=1 capacity=1048576 block_size=512$'
    want "checks failed" out_has '^block: all checks passed$'
    want "last sector not on the device" [ "$(sector_head "$BLKLOOP" 512 2047)" = "uniroot block sector 2047" ]
    verdict "$t: block on a loop device"
elif [ $ROOT = 1 ]; then
    not_ok "$t: block on a loop device" "losetup failed"
else
    skip "$t: block on a loop device" "needs root (losetup)"
fi

vrun "$m" --block:rootfs="$EXT4" "$GUESTS/ext4label.spt"
want "status 0" rc_is 0
want "wrong label/uuid" out_has "^label=$LABEL uuid=$UUID\$"
verdict "$t: ext4label on an image file"
if [ -n "$LOOP" ]; then
    vrun "$m" --block:rootfs="$LOOP" "$GUESTS/ext4label.spt"
    want "status 0" rc_is 0
    want "wrong label/uuid" out_has "^label=$LABEL uuid=$UUID\$"
    verdict "$t: ext4label on a loop device"
elif [ $ROOT = 1 ]; then
    not_ok "$t: ext4label on a loop device" "losetup failed"
else
    skip "$t: ext4label on a loop device" "needs root (losetup)"
fi
vrun "$m" --block:rootfs="$ZERO" "$GUESTS/ext4label.spt"
want "status 1" rc_is 1
want "no 'not ext4'" out_has '^ext4label: not ext4'
verdict "$t: ext4label on a non-ext4 file"

# 63 block devices, the most a manifest holds (Solo5's test_mft_maxdevices):
# each adds pread64/pwrite64 rules, so the filter is ~2800 instructions.
devs=()
for i in $(seq 0 62); do
    printf 'uniroot maxblk %d\n' "$i" >"$T_TMP/maxblk$i.img"
    truncate -s 4K "$T_TMP/maxblk$i.img"
    devs+=(--block:b$i="$T_TMP/maxblk$i.img")
done
vrun "$m" "${devs[@]}" "$GUESTS/maxblk.spt"
want "status 0" rc_is 0
want "not all devices read" out_has '^maxblk: 63 devices read$'
verdict "$t: maxblk: 63 block devices"

# ---- clock, faults, no-execute, memory ----------------------------------------

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
    want "guest did not say where it calls" out_has "^nxexec: calling $place at 0x[0-9a-f]+\$"
    want "status $R_RC, want 255" rc_is 255
    want "the call returned: $place is executable" out_lacks "survived|nxexec: $place ok"
    verdict "$t: nxexec: a call into $place faults"
done

vrun "$m" "$GUESTS/bigbss.spt"
want "status 1" rc_is 1
want "not one error line" one_error_line
want "no size in error" err_has 'does not fit in 512 MiB'
want "guest ran" out_lacks 'bigbss: ok'
verdict "$t: bigbss refused with 512 MiB"
vrun "$m" --mem=1024 "$GUESTS/bigbss.spt"
want "status 0" rc_is 0
want "no ok line" out_has '^bigbss: ok'
verdict "$t: bigbss runs with 1 GiB"

# ---- hostile_spt: the test's table must be the guest's list ---------------------
# inband: the call is allowed and must come back with -EFAULT (-14), or for
# a read or write that crosses into the guard a short count, or EAGAIN (-11)
# from an empty tap, or EPERM (-1) for a non-canonical FS base; the guest goes
# on (exit 0). kill: outside the filter, SIGSYS. int80 (the i386 entry):
# SIGSYS, or a fault where the kernel refuses it first.
declare -A ATTACK=(
    [write-guard]=inband [write-unmapped-end]=inband [pread-text]=inband [pread-rodata]=inband
    [clock-text]=inband [clock-guard]=inband [timerfd-guard]=inband [pread-guard]=inband
    [pwrite-guard]=inband [epoll-guard]=inband [tap-write-guard]=inband [tap-read-guard]=inband
    [arch-prctl-fs-far]=inband
    [read-block-fd]=kill [write-far]=kill [write-low]=kill [write-huge]=kill [write-stderr]=kill
    [write-fd-hi]=kill [write-block-fd]=kill [read-stdin]=kill [pread-short]=kill [pread-two]=kill
    [pread-past]=kill [pread-neg]=kill [pread-far]=kill [pread-low]=kill [pread-tap]=kill
    [pwrite-past]=kill [pwrite-other-fd]=kill [pwrite-far]=kill [pwrite-low]=kill [pwrite-neg]=kill
    [pwrite-two]=kill [tap-write-far]=kill [tap-write-low]=kill [tap-write-huge]=kill
    [tap-read-far]=kill [tap-read-huge]=kill [tap-ioctl]=kill
    [epoll-sigmask]=kill [epoll-many]=kill [epoll-far]=kill [epoll-other-fd]=kill [epoll-low]=kill
    [timerfd-old]=kill [timerfd-other-fd]=kill [timerfd-far]=kill [timerfd-low]=kill
    [clock-boottime]=kill [clock-far]=kill [clock-low]=kill
    [arch-prctl-gs]=kill [arch-prctl-get-fs]=kill [munmap-guard]=kill [execve]=kill [socket]=kill
    [ptrace]=kill [exit-thread]=kill [open]=kill [mmap]=kill [mprotect]=kill [getpid]=kill
    [fork]=kill [kill]=kill [x32-write]=kill [int80]=kill-or-fault
)
# hostile_case ATTACK [OPTIONS...]: run one attack and judge it
hostile_case() {
    local a=$1
    shift
    vrun ip netns exec "$NS" "$m" "$@" --block:storage="$HIMG" --net:net0="$TAP" "$GUESTS/hostile_spt.spt" "$a"
    case ${ATTACK[$a]} in
    inband)
        want "status $R_RC, want 0" rc_is 0
        case $a in
        write-* | pread-guard | pwrite-guard) # may stop short at the guard instead
            want "not refused or cut short" out_has "^hostile: $a survived ret=(-14|[0-9]{1,3})\$" ;;
        tap-read-guard) want "not -EFAULT or -EAGAIN" out_has "^hostile: $a survived ret=-1[14]\$" ;;
        arch-prctl-fs-far) want "not refused (EPERM)" out_has "^hostile: $a survived ret=-1\$" ;;
        *) want "not refused with EFAULT" out_has "^hostile: $a survived ret=-14\$" ;;
        esac
        ;;
    kill-or-fault)
        want "status $R_RC, want $SIGSYS_RC or 255" rc_in $SIGSYS_RC 255
        want "guest survived" out_lacks survived
        ;;
    *)
        want "status $R_RC, want $SIGSYS_RC (SIGSYS)" rc_is $SIGSYS_RC
        want "guest survived" out_lacks survived
        ;;
    esac
}
if [ $NET = 1 ]; then
    HIMG=$T_TMP/hostile.img
    truncate -s 1M "$HIMG"
    vrun ip netns exec "$NS" "$m" --block:storage="$HIMG" --net:net0="$TAP" "$GUESTS/hostile_spt.spt" list
    got=$(sort <<<"$R_OUT" | tr '\n' ' ')
    table=$(printf '%s\n' "${!ATTACK[@]}" | sort | tr '\n' ' ')
    want "status 0" rc_is 0
    want "guest attacks [$got] differ from the test's [$table]" [ "$got" = "$table" ]
    verdict "$t: hostile list"
    for a in $(printf '%s\n' "${!ATTACK[@]}" | sort); do
        hostile_case "$a"
        verdict "$t: hostile $a (${ATTACK[$a]})"
    done
    # The attacks on the end of memory again with the smallest and the
    # largest guest memory (the guard then starts at 2 MiB and at 4 GiB).
    for mem in 2 4096; do
        for a in $(printf '%s\n' "${!ATTACK[@]}" | grep -E -- '-(guard|end|huge|far)$' | sort); do
            hostile_case "$a" --mem="$mem"
            verdict "$t: hostile $a with --mem=$mem"
        done
    done
    want "hostile wrote past the block file" [ "$(stat -c %s "$HIMG")" -eq 1048576 ]
    verdict "$t: hostile left the block file's size alone"
else
    skip "$t: hostile" "$NO_NET (its manifest has a tap)"
fi

# ---- network --------------------------------------------------------------
if [ $NET = 1 ]; then
    ip netns exec "$NS" "$m" --net:net0="$TAP" --net-mac:net0="$GUEST_MAC" "$GUESTS/net.spt" \
        >"$T_TMP/net.out" 2>"$T_TMP/net.err" &
    BG_PID=$!
    hout=$(ip netns exec "$NS" timeout 20 "$HELPER" "$TAP" "$GUEST_MAC" 10 2>&1)
    hrc=$?
    wait "$BG_PID"
    R_RC=$? BG_PID= R_OUT=$(cat "$T_TMP/net.out") R_ERR=$(cat "$T_TMP/net.err")
    want "helper: $hout" [ "$hrc" -eq 0 ]
    want "status 0" rc_is 0
    want "manifest MAC not filled in" out_has "mac=$GUEST_MAC mtu=[0-9]+"
    want "no echo line" out_has '^net: echoed 96 bytes$'
    verdict "$t: net echo through a tap"

    # The tap opened by the caller and passed down as --net:net0=@FD.
    ip netns exec "$NS" python3 -c '
import fcntl, os, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", sys.argv[1].encode(), 0x0002 | 0x1000))
os.set_inheritable(fd, True)
m = sys.argv[2]
os.execv(m, [m, "--net:net0=@%d" % fd, "--net-mac:net0=" + sys.argv[3], sys.argv[4]])
' "$TAP" "$m" "$GUEST_MAC" "$GUESTS/net.spt" >"$T_TMP/net.out" 2>"$T_TMP/net.err" &
    BG_PID=$!
    for _ in $(seq 600); do # send once python has opened the tap and exec'd the monitor
        [ "$(readlink "/proc/$BG_PID/exe" 2>/dev/null)" = "$(readlink -f "$m")" ] && break
        kill -0 "$BG_PID" 2>/dev/null || break
        sleep 0.1
    done
    hout=$(ip netns exec "$NS" timeout 20 "$HELPER" "$TAP" "$GUEST_MAC" 10 2>&1)
    hrc=$?
    wait "$BG_PID"
    R_RC=$? BG_PID= R_OUT=$(cat "$T_TMP/net.out") R_ERR=$(cat "$T_TMP/net.err")
    want "helper: $hout" [ "$hrc" -eq 0 ]
    want "status 0" rc_is 0
    want "no echo line" out_has '^net: echoed 96 bytes$'
    verdict "$t: net echo through a tap passed as --net:net0=@FD"

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
    skip "$t: net, net @FD and multi" "$NO_NET"
fi
# @FD that is not a tap is refused with one line.
vrun "$m" --net:net0=@0 "$GUESTS/net.spt"
want "status $R_RC, want 1" rc_is 1
want "no clear error" err_has 'descriptor 0 is not a tap'
verdict "$t: --net:net0=@0 (not a tap) refused"

# ---- signals, seccomp, poll ------------------------------------------------
# wait_line FILE RE: up to 20 s for a line matching RE in FILE
wait_line() { for _ in $(seq 200); do grep -qE "$2" "$1" && return 0; sleep 0.1; done; return 1; }

vrun "$m" "$GUESTS/sleep.spt" 1
want "status 0" rc_is 0
want "did not finish" out_has '^sleep: done$'
verdict "$t: sleep 1"

fresh "$T_TMP/sleep.out" "$T_TMP/sleep.err"
"$m" "$GUESTS/sleep.spt" 30 >"$T_TMP/sleep.out" 2>"$T_TMP/sleep.err" &
BG_PID=$!
wait_line "$T_TMP/sleep.out" 'sleep: sleeping'
want "no 'Seccomp:\t2' in /proc/$BG_PID/status: $(grep Seccomp: /proc/$BG_PID/status | head -1)" \
    grep -qP '^Seccomp:\t2$' /proc/$BG_PID/status
t0=$(date +%s%N)
kill -TERM "$BG_PID"
wait "$BG_PID"
R_RC=$? BG_PID=
ms=$((($(date +%s%N) - t0) / 1000000))
R_OUT=$(cat "$T_TMP/sleep.out") R_ERR=$(cat "$T_TMP/sleep.err")
want "guest never started" out_has '^sleep: sleeping 30 s$'
want "status 143" rc_is 143
want "took $ms ms to stop" [ "$ms" -lt 1000 ]
verdict "$t: SIGTERM stops a sleeping guest ($ms ms), filter in mode 2"

# A guest that never calls the host must stop as promptly.
fresh "$T_TMP/sleep.out" "$T_TMP/sleep.err"
"$m" "$GUESTS/sleep.spt" spin >"$T_TMP/sleep.out" 2>"$T_TMP/sleep.err" &
BG_PID=$!
wait_line "$T_TMP/sleep.out" 'sleep: spinning'
sleep 0.3
t0=$(date +%s%N)
kill -TERM "$BG_PID"
wait "$BG_PID"
R_RC=$? BG_PID=
ms=$((($(date +%s%N) - t0) / 1000000))
R_OUT=$(cat "$T_TMP/sleep.out") R_ERR=$(cat "$T_TMP/sleep.err")
want "guest never started" out_has '^sleep: spinning$'
want "status 143" rc_is 143
want "took $ms ms to stop" [ "$ms" -lt 1000 ]
verdict "$t: SIGTERM stops a spinning guest ($ms ms)"

for sig in INT:130 HUP:129; do
    fresh "$T_TMP/sleep.out" "$T_TMP/sleep.err"
    "$m" "$GUESTS/sleep.spt" 30 >"$T_TMP/sleep.out" 2>"$T_TMP/sleep.err" &
    BG_PID=$!
    wait_line "$T_TMP/sleep.out" 'sleep: sleeping'
    kill -"${sig%:*}" "$BG_PID"
    wait "$BG_PID" 2>/dev/null
    R_RC=$? BG_PID= R_OUT=$(cat "$T_TMP/sleep.out") R_ERR=$(cat "$T_TMP/sleep.err")
    want "status ${sig#*:}" rc_is "${sig#*:}"
    verdict "$t: SIG${sig%:*} stops a sleeping guest"
done

# poll with the largest timeout must wait, not overflow and return.
fresh "$T_TMP/sleep.out" "$T_TMP/sleep.err"
"$m" "$GUESTS/sleep.spt" forever >"$T_TMP/sleep.out" 2>"$T_TMP/sleep.err" &
BG_PID=$!
wait_line "$T_TMP/sleep.out" 'sleep: sleeping'
sleep 0.5
want "monitor gone before SIGTERM" kill -0 "$BG_PID"
kill -TERM "$BG_PID"
wait "$BG_PID"
R_RC=$? BG_PID= R_OUT=$(cat "$T_TMP/sleep.out") R_ERR=$(cat "$T_TMP/sleep.err")
want "guest never started" out_has '^sleep: sleeping forever$'
want "poll returned early" out_lacks 'FAIL'
want "status 143" rc_is 143
verdict "$t: poll(UINT64_MAX) waits until SIGTERM"

# The console's reader going away must not kill the monitor.
"$m" "$GUESTS/sleep.spt" 1 2>"$T_TMP/pipe.err" | head -n 1 >/dev/null
R_RC=${PIPESTATUS[0]} R_OUT= R_ERR=$(cat "$T_TMP/pipe.err")
want "status $R_RC, want the guest's 0 (141: killed by SIGPIPE)" rc_is 0
verdict "$t: console pipe closed"

# ---- the create/start split ------------------------------------------------
fifo=$T_TMP/start.fifo
mkfifo "$fifo"
fresh "$T_TMP/fifo.out" "$T_TMP/fifo.err" "$T_TMP/ready"
"$m" --ready-fd=3 --start-fifo="$fifo" "$GUESTS/hello.spt" started 3>"$T_TMP/ready" \
    >"$T_TMP/fifo.out" 2>"$T_TMP/fifo.err" &
BG_PID=$!
for _ in $(seq 200); do [ -s "$T_TMP/ready" ] && break; sleep 0.1; done
sleep 0.2
ready=$(cat "$T_TMP/ready")
early=$(cat "$T_TMP/fifo.out")
printf x >"$fifo"
wait "$BG_PID"
R_RC=$? BG_PID= R_OUT=$(cat "$T_TMP/fifo.out") R_ERR=$(cat "$T_TMP/fifo.err")
want "ready-fd said '$ready'" [ "$ready" = ready ]
want "guest ran before start" [ -z "$early" ]
want "status 0" rc_is 0
want "guest did not run" out_has '^cmdline: started$'
verdict "$t: --ready-fd and --start-fifo"

fresh "$T_TMP/fifo.out" "$T_TMP/fifo.err"
"$m" --start-fifo="$fifo" "$GUESTS/hello.spt" >"$T_TMP/fifo.out" 2>"$T_TMP/fifo.err" &
BG_PID=$!
sleep 0.3
kill -TERM "$BG_PID"
wait "$BG_PID"
R_RC=$? BG_PID= R_OUT=$(cat "$T_TMP/fifo.out") R_ERR=$(cat "$T_TMP/fifo.err")
want "status 143" rc_is 143
want "guest ran" out_lacks 'Hello'
verdict "$t: SIGTERM while waiting on --start-fifo"

fresh "$T_TMP/fifo.out" "$T_TMP/fifo.err"
"$m" --start-fifo="$fifo" "$GUESTS/hello.spt" >"$T_TMP/fifo.out" 2>"$T_TMP/fifo.err" &
BG_PID=$!
: >"$fifo"
wait "$BG_PID"
R_RC=$? BG_PID= R_OUT=$(cat "$T_TMP/fifo.out") R_ERR=$(cat "$T_TMP/fifo.err")
want "status 1" rc_is 1
want "guest ran" out_lacks 'Hello'
want "not one error line" [ "$(grep -c . <<<"$R_ERR")" -eq 1 ]
verdict "$t: --start-fifo closed without a byte"

vrun "$m" --ready-fd=3 "$GUESTS/block.spt" 3>"$T_TMP/ready"
want "status 1" rc_is 1
want "no error on ready-fd" grep -q '^error: .*storage' "$T_TMP/ready"
verdict "$t: a setup error is reported on --ready-fd"

# ---- broken images, made from block.spt (one device "storage") -----------------
img2=$T_TMP/patched.spt
A=$(note_off "$GUESTS/block.spt" 1) M=$(note_off "$GUESTS/block.spt" 2)
E1=$((M + 20 + 4 + 8 + 104)) # manifest entry 1 ("storage")
pname=(
    "ABI version 1" "ABI version 3" "ABI target hvt" "ABI note type"
    "manifest version 2" "manifest entries 0" "manifest entries 3 (2 in the note)"
    "manifest entries 2^32-1" "manifest note size" "manifest note name"
    "entry 0 not reserved" "entry 1 unknown type" "entry 1 name unterminated"
    "entry 1 marked attached, host fd 2" "truncated image (100 bytes)"
    "truncated image (inside a segment)")
pcmd=(
    "patch_le32 $img2 $((A + 24)) 1" "patch_le32 $img2 $((A + 24)) 3"
    "patch_le32 $img2 $((A + 20)) 1" "patch_le32 $img2 $((A + 8)) 0x12345678"
    "patch_le32 $img2 $((M + 24)) 2" "patch_le32 $img2 $((M + 28)) 0"
    "patch_le32 $img2 $((M + 28)) 3" "patch_le32 $img2 $((M + 28)) 0xffffffff"
    "patch_le32 $img2 $((M + 4)) 120" "patch_str $img2 $((M + 12)) Solo6"
    "patch_le32 $img2 $((M + 32 + 68)) 1" "patch_le32 $img2 $((E1 + 68)) 9"
    "patch_str $img2 $E1 $(printf 'A%.0s' $(seq 68))"
    "patch_le32 $img2 $((E1 + 88)) 2; patch_le32 $img2 $((E1 + 96)) 1"
    "truncate -s 100 $img2" "truncate -s 5000 $img2")
for i in "${!pname[@]}"; do
    cp "$GUESTS/block.spt" "$img2"
    eval "${pcmd[$i]}"
    vrun "$m" --block:storage="$ZERO" "$img2"
    want "status 1" rc_is 1
    want "not one error line" one_error_line
    want "the guest ran" [ -z "$R_OUT" ]
    verdict "$t: refuses image: ${pname[$i]}"
done
cp "$GUESTS/block.spt" "$img2"
patch_le32 "$img2" $((E1 + 88)) 2
patch_le32 "$img2" $((E1 + 96)) 1
vrun "$m" "$img2"
want "status 1" rc_is 1
want "the guest ran" [ -z "$R_OUT" ]
verdict "$t: refuses image: entry marked attached, no --block"
cp "$GUESTS/block.spt" "$img2"
vrun "$m" --block:storage="$ZERO" "$img2"
want "status 0" rc_is 0
verdict "$t: unpatched copy of block.spt runs"

# ---- command-line errors: status 1, one line, nothing on stdout ----------------
cli_names=("unknown option" "--block: name not in the manifest" "manifest device not given"
    "missing kernel file" "non-ELF kernel" "an hvt image")
cli_args=("--bogus $GUESTS/hello.spt" "--block:nosuch=$ZERO $GUESTS/hello.spt"
    "$GUESTS/block.spt" "$T_TMP/no-such-kernel.spt" "$ZERO" "$GUESTS/hello.hvt")
cli_err=("" "" "block device 'storage'" "" "not an ELF" "not spt")
for i in "${!cli_names[@]}"; do
    # shellcheck disable=SC2086 # the arguments are split on purpose
    vrun "$m" ${cli_args[$i]}
    want "status 1" rc_is 1
    want "not one error line" one_error_line
    want "stdout not empty" [ -z "$R_OUT" ]
    [ -n "${cli_err[$i]}" ] && want "error does not say '${cli_err[$i]}'" err_has "${cli_err[$i]}"
    verdict "$t: CLI error: ${cli_names[$i]}"
done

finish
