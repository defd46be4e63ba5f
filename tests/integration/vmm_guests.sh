#!/bin/bash
# vmm_guests.sh: boots uniroot's own test guests (build/guests/*.hvt, from
# tests/guests/) on uniroot-vmm and on its ASan+UBSan twin, and checks what
# they print and how they end: boot and command line, exit statuses, block
# I/O and its error cases on a file and a loop device, the ext4 superblock of
# a real image, the clock, a guest fault, no-execute data, bss, stack and
# heap (nxexec), every ABI attack of the hostile guest, a network echo
# through a tap in a private network namespace, several devices at once, an image too big for guest memory,
# signals, seccomp, an endless poll, the --ready-fd/--start-fifo start
# protocol, a closed console, and the monitor's command-line errors.
# Needs root and /dev/kvm. Cleans up its namespace, tap and loop device.
# uniroot-test: needs kvm timeout 2400
source "$(dirname "$0")/lib.sh"

HELPER=$UR_TOP/build/bin/tap-echo-check
NS=urvg$$
TAP=urtap$$
GUEST_MAC=02:00:00:00:00:01
UUID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
LABEL=urlabel

# vrun, want, verdict and the other helpers of both monitors' guest tests.
source "$(dirname "$0")/guest_lib.inc"

# ---- preconditions ---------------------------------------------------------

if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/kvm ]; then
    skip "vmm guests" "needs root and /dev/kvm"
    finish
    exit
fi
missing=
for f in "$VMM" "$VMM_ASAN" "$HELPER"; do [ -x "$f" ] || missing="$missing $f"; done
for g in hello exit block ext4label walltime fault hostile net sleep multi bigbss nxexec; do
    [ -f "$GUESTS/$g.hvt" ] || missing="$missing $GUESTS/$g.hvt"
done
if [ -n "$missing" ]; then
    not_ok "vmm guests: build outputs" "missing:$missing (run make all build/asan/bin/uniroot-vmm)"
    finish
    exit
fi

# Network namespace with a tap for the net and hostile guests. IPv6 is off so
# the kernel sends no neighbour discovery noise to the guest.
ip netns add "$NS" || { not_ok "vmm guests: netns" "ip netns add $NS failed"; finish; exit; }
at_exit ip netns del "$NS"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
ip netns exec "$NS" ip tuntap add mode tap name "$TAP" || { not_ok "vmm guests: tap" "ip tuntap add failed"; finish; exit; }
at_exit ip netns exec "$NS" ip link del "$TAP"
ip netns exec "$NS" ip link set "$TAP" up
ip netns exec "$NS" ip link set lo up

# An ext4 image, also attached to a loop device (the monitor then takes its
# capacity from BLKGETSIZE64).
EXT4=$T_TMP/rootfs.ext4
truncate -s 8M "$EXT4"
mkfs.ext4 -q -F -L "$LABEL" -U "$UUID" "$EXT4" || not_ok "vmm guests: mkfs.ext4" "failed"
LOOP=$(losetup -f --show "$EXT4") || LOOP=
[ -n "$LOOP" ] && at_exit losetup -d "$LOOP"
BLKIMG=$T_TMP/blockdev.img
truncate -s 1M "$BLKIMG"
BLKLOOP=$(losetup -f --show "$BLKIMG") || BLKLOOP=
[ -n "$BLKLOOP" ] && at_exit losetup -d "$BLKLOOP"
ZERO=$T_TMP/zero.img
truncate -s 1M "$ZERO"

# A monitor running in the background, killed at exit if a case left it.
BG_PID=
at_exit '[ -n "$BG_PID" ] && kill -9 "$BG_PID"'

# The hostile guest's attacks and the outcome each must have:
#   fatal   the monitor stops the guest: status 255, one error line
#   either  fatal, or the call is refused in-band with EINVAL and the guest goes on
#   einval  the call is refused with EINVAL and the guest goes on (exit 0)
declare -A ATTACK=(
    [walltime-arg]=fatal [puts-arg]=fatal [puts-arg-far]=fatal [poll-arg]=fatal
    [block-write-arg]=fatal [block-read-arg]=fatal [net-write-arg]=fatal [net-read-arg]=fatal
    [halt-arg]=fatal
    [puts-data]=fatal [puts-wrap]=fatal [puts-len]=fatal [puts-huge]=fatal
    [block-read-data]=fatal [block-read-wrap]=fatal [block-write-data]=fatal [block-write-wrap]=fatal
    [block-read-huge]=either [block-len-wrap]=either
    [net-read-data]=fatal [net-read-wrap]=fatal [net-read-huge]=fatal
    [net-write-data]=fatal [net-write-wrap]=fatal [net-write-huge]=either
    [halt-cookie]=fatal [halt-cookie-wrap]=fatal
    [hc0]=fatal [hc9]=fatal [hc255]=fatal [port-4ff]=fatal
    [inb]=fatal [inl]=fatal [outb]=fatal [outw]=fatal
    [hlt]=fatal [ud2]=fatal [int3]=fatal [mmio-write]=fatal [mmio-read]=fatal
    [text-write]=fatal [walltime-arg-ro]=fatal [block-read-ro]=fatal
    [bad-handle]=einval [mft-tamper]=einval [net-write-big]=einval
    [ring-write-data]=fatal [ring-write-wrap]=fatal [ring-read-data]=fatal [ring-read-wrap]=fatal
    [ring-read-huge]=fatal [ring-read-ro]=fatal [ring-tail-wild]=fatal [ring-head-wild]=fatal
    [ring-serve-wild]=fatal [ring-serve-data]=fatal
    [ring-bad-handle]=einval
)

# ---- the cases, run on one monitor ----------------------------------------

run_all() { # run_all TAG MONITOR
    local t=$1 m=$2 img n a got

    vrun "$m" "$GUESTS/hello.hvt" a b c
    want "status 0" rc_is 0
    want "no greeting" out_has '^Hello, uniroot!$'
    want "cmdline not echoed" out_has '^cmdline: a b c$'
    verdict "$t: hello"

    vrun "$m" "$GUESTS/hello.hvt"
    want "status 0" rc_is 0
    want "empty cmdline not echoed" out_has '^cmdline: $'
    verdict "$t: hello without arguments"

    for n in 0 1 42 255; do
        vrun "$m" "$GUESTS/exit.hvt" "$n"
        want "status $R_RC, want $n" rc_is "$n"
        want "no exit line" out_has "^exit: status $n\$"
        verdict "$t: exit $n"
    done

    # A status with no 8-bit form must not wrap to success (256 -> 0).
    for n in 256 512 4294967295; do
        vrun "$m" "$GUESTS/exit.hvt" "$n"
        want "status $R_RC, want 255" rc_is 255
        verdict "$t: exit $n is reported as 255"
    done

    vrun "$m" "$GUESTS/exit.hvt" abort
    want "status 255" rc_is 255
    want "trap frame not printed" err_has 'rip=0x1234567 .*cr2=0xdead000'
    want "guest survived halt" out_lacks 'survived'
    verdict "$t: exit abort with a trap frame"

    # block: 512-byte sectors, then 4096-byte sectors, on fresh 1 MiB files.
    img=$T_TMP/block512.img
    rm -f "$img" && truncate -s 1M "$img"
    vrun "$m" --block:storage="$img" "$GUESTS/block.hvt"
    want "status 0" rc_is 0
    want "no capacity line" out_has '^block: handle=1 capacity=1048576 block_size=512$'
    want "checks failed" out_has '^block: all checks passed$'
    want "a check failed" out_lacks 'FAIL'
    want "sector 0 not in the file" [ "$(sector_head "$img" 512 0)" = "uniroot block sector 0" ]
    want "middle sector not in the file" [ "$(sector_head "$img" 512 1024)" = "uniroot block sector 1024" ]
    want "last sector not in the file" [ "$(sector_head "$img" 512 2047)" = "uniroot block sector 2047" ]
    verdict "$t: block, 512-byte sectors"

    img=$T_TMP/block4k.img
    rm -f "$img" && truncate -s 1M "$img"
    vrun "$m" --block:storage="$img" --block-sector-size:storage=4096 "$GUESTS/block.hvt"
    want "status 0" rc_is 0
    want "no capacity line" out_has '^block: handle=1 capacity=1048576 block_size=4096$'
    want "checks failed" out_has '^block: all checks passed$'
    want "a check failed" out_lacks 'FAIL'
    want "last sector not in the file" [ "$(sector_head "$img" 4096 255)" = "uniroot block sector 255" ]
    verdict "$t: block, 4096-byte sectors"

    if [ -n "$BLKLOOP" ]; then
        vrun "$m" --block:storage="$BLKLOOP" "$GUESTS/block.hvt"
        want "status 0" rc_is 0
        want "capacity not from BLKGETSIZE64" out_has '^block: handle=1 capacity=1048576 block_size=512$'
        want "checks failed" out_has '^block: all checks passed$'
        want "last sector not on the device" [ "$(sector_head "$BLKLOOP" 512 2047)" = "uniroot block sector 2047" ]
        verdict "$t: block on a loop device"
    else
        not_ok "$t: block on a loop device" "losetup failed"
    fi

    # ext4label: an image file, the same image on a loop device, a non-ext4 file.
    vrun "$m" --block:rootfs="$EXT4" "$GUESTS/ext4label.hvt"
    want "status 0" rc_is 0
    want "wrong label/uuid" out_has "^label=$LABEL uuid=$UUID\$"
    verdict "$t: ext4label on an image file"

    if [ -n "$LOOP" ]; then
        vrun "$m" --block:rootfs="$LOOP" "$GUESTS/ext4label.hvt"
        want "status 0" rc_is 0
        want "wrong label/uuid" out_has "^label=$LABEL uuid=$UUID\$"
        verdict "$t: ext4label on a loop device"
    else
        not_ok "$t: ext4label on a loop device" "losetup failed"
    fi

    vrun "$m" --block:rootfs="$ZERO" "$GUESTS/ext4label.hvt"
    want "status 1" rc_is 1
    want "no 'not ext4'" out_has '^ext4label: not ext4'
    verdict "$t: ext4label on a non-ext4 file"

    vrun "$m" "$GUESTS/walltime.hvt"
    want "status 0" rc_is 0
    want "no ok line" out_has '^walltime: ok'
    verdict "$t: walltime"

    vrun "$m" "$GUESTS/fault.hvt"
    want "status 255" rc_is 255
    want "guest did not start" out_has '^fault: touching unmapped memory$'
    want "guest survived" out_lacks 'survived'
    want "no fault message" err_has '[Ff]ault'
    want "no registers" err_has 'rip=0x[0-9a-f]+'
    verdict "$t: fault"

    # nxexec: only the image's code is executable. A call into data, bss,
    # stack, heap, read-only data or the boot information faults; the monitor
    # ends the guest with 255 and one line naming the address the guest
    # called. The same call into code returns.
    vrun "$m" "$GUESTS/nxexec.hvt" text
    want "status 0" rc_is 0
    want "no 'text ok'" out_has '^nxexec: text ok$'
    verdict "$t: nxexec: a call into code returns"
    local place addr
    for place in data bss stack heap rodata bootinfo; do
        vrun "$m" "$GUESTS/nxexec.hvt" "$place"
        addr=$(sed -n "s/^nxexec: calling $place at \(0x[0-9a-f]*\)\$/\1/p" <<<"$R_OUT")
        want "guest did not say where it calls" [ -n "$addr" ]
        want "status $R_RC, want 255" rc_is 255
        want "the call returned: $place is executable" out_lacks 'survived'
        want "not one error line on stderr" one_error_line
        want "no 'executing non-executable memory at $addr'" \
            err_has "^uniroot-vmm: guest fault: page fault: executing non-executable memory at ${addr:-none} "
        verdict "$t: nxexec: a call into $place faults"
    done

    # hostile: the guest's list of attacks must be the one judged here.
    vrun ip netns exec "$NS" "$m" --block:storage="$ZERO" --net:net0="$TAP" "$GUESTS/hostile.hvt" list
    got=$(sed -n 's/^attack: //p' <<<"$R_OUT" | sort | tr '\n' ' ')
    want "status 0" rc_is 0
    want "guest attacks [$got] differ from the test's [$(printf '%s\n' "${!ATTACK[@]}" | sort | tr '\n' ' ')]" \
        [ "$got" = "$(printf '%s\n' "${!ATTACK[@]}" | sort | tr '\n' ' ')" ]
    verdict "$t: hostile list"

    for a in $(printf '%s\n' "${!ATTACK[@]}" | sort); do
        vrun ip netns exec "$NS" "$m" --block:storage="$ZERO" --net:net0="$TAP" "$GUESTS/hostile.hvt" "$a"
        want "attack did not run" out_has "^hostile: $a"
        want "the monitor let it pass" out_lacks 'hostile: survived'
        case ${ATTACK[$a]} in
        fatal)
            want "status $R_RC, want 255" rc_is 255
            want "not one error line on stderr" one_error_line
            ;;
        either)
            if [ "$R_RC" -eq 0 ]; then
                want "status 0 without EINVAL" out_has '^hostile: rejected with EINVAL$'
            else
                want "status $R_RC, want 255 or EINVAL" rc_is 255
                want "not one error line on stderr" one_error_line
            fi
            ;;
        einval)
            want "status 0" rc_is 0
            want "not refused with EINVAL" out_has '^hostile: rejected with EINVAL$'
            ;;
        esac
        verdict "$t: hostile $a (${ATTACK[$a]})"
    done

    # The attacks on the end of memory again with the smallest and the
    # largest guest memory (the edge is then at 2 MiB and at 4 GiB).
    local mem
    for mem in 2 4096; do
        for a in $(printf '%s\n' "${!ATTACK[@]}" | grep -E -- '-(arg|data|far|cookie)$' | sort); do
            # 2 MiB leaves no room for the net ring (the guest gets hypercalls only)
            [ "$mem" = 2 ] && [ "${a#ring-}" != "$a" ] && continue
            vrun ip netns exec "$NS" "$m" --mem="$mem" --block:storage="$ZERO" --net:net0="$TAP" \
                "$GUESTS/hostile.hvt" "$a"
            want "attack did not run" out_has "^hostile: $a"
            want "the monitor let it pass" out_lacks 'hostile: survived'
            want "status $R_RC, want 255" rc_is 255
            want "not one error line on stderr" one_error_line
            verdict "$t: hostile $a with --mem=$mem"
        done
    done

    # net: the helper sends a frame to the guest's MAC and waits for the echo.
    ip netns exec "$NS" "$m" --net:net0="$TAP" --net-mac:net0="$GUEST_MAC" "$GUESTS/net.hvt" \
        >"$T_TMP/net.out" 2>"$T_TMP/net.err" &
    local vpid=$!
    BG_PID=$vpid
    local hout hrc
    hout=$(ip netns exec "$NS" timeout 20 "$HELPER" "$TAP" "$GUEST_MAC" 10 2>&1)
    hrc=$?
    wait "$vpid"
    R_RC=$? BG_PID=
    R_OUT=$(cat "$T_TMP/net.out") R_ERR=$(cat "$T_TMP/net.err")
    want "helper: $hout" [ "$hrc" -eq 0 ]
    want "status 0" rc_is 0
    want "manifest MAC not filled in" out_has "mac=$GUEST_MAC mtu=[0-9]+"
    want "no echo line" out_has '^net: echoed 96 bytes$'
    verdict "$t: net echo through a tap"

    # The same with the tap opened by the caller and passed down as --net:net0=@FD
    # (solo5-hvt's form): python3 opens it with TUNSETIFF and execs the monitor.
    ip netns exec "$NS" python3 -c '
import fcntl, os, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", sys.argv[1].encode(), 0x0002 | 0x1000))
os.set_inheritable(fd, True)
m = sys.argv[2]
os.execv(m, [m, "--net:net0=@%d" % fd, "--net-mac:net0=" + sys.argv[3], sys.argv[4]])
' "$TAP" "$m" "$GUEST_MAC" "$GUESTS/net.hvt" >"$T_TMP/net.out" 2>"$T_TMP/net.err" &
    vpid=$!
    BG_PID=$vpid
    # The helper sends from the start (the guest listens only 5 s once booted);
    # python3 can take many seconds to start in a nested guest, hence its 60 s.
    # (Waiting for /proc/PID/exe to name the monitor failed there: the test
    # runs chrooted and exe of a process in another mount namespace, as
    # `ip netns exec` makes, reads /new/... from the chroot.)
    hout=$(ip netns exec "$NS" timeout 70 "$HELPER" "$TAP" "$GUEST_MAC" 60 2>&1)
    hrc=$?
    wait "$vpid"
    R_RC=$? BG_PID=
    R_OUT=$(cat "$T_TMP/net.out") R_ERR=$(cat "$T_TMP/net.err")
    want "helper: $hout" [ "$hrc" -eq 0 ]
    want "status 0" rc_is 0
    want "no echo line" out_has '^net: echoed 96 bytes$'
    verdict "$t: net echo through a tap passed as --net:net0=@FD"

    # @FD that is not a tap is refused with one line.
    vrun "$m" --net:net0=@0 "$GUESTS/net.hvt"
    want "status $R_RC, want 1" rc_is 1
    want "no clear error" err_has 'descriptor 0 is not a tap'
    verdict "$t: --net:net0=@0 (not a tap) refused"

    # multi: two block devices and a tap, options in another order than the
    # manifest's: each handle must reach its own file, poll bit 3 means net0.
    rm -f "$T_TMP/first.img" "$T_TMP/second.img"
    truncate -s 1M "$T_TMP/first.img"
    truncate -s 2M "$T_TMP/second.img"
    ip netns exec "$NS" "$m" --net:net0="$TAP" --block:second="$T_TMP/second.img" \
        --net-mac:net0="$GUEST_MAC" --block:first="$T_TMP/first.img" "$GUESTS/multi.hvt" \
        >"$T_TMP/multi.out" 2>"$T_TMP/multi.err" &
    vpid=$!
    BG_PID=$vpid
    hout=$(ip netns exec "$NS" timeout 20 "$HELPER" "$TAP" "$GUEST_MAC" 10 2>&1)
    hrc=$?
    wait "$vpid"
    R_RC=$? BG_PID=
    R_OUT=$(cat "$T_TMP/multi.out") R_ERR=$(cat "$T_TMP/multi.err")
    want "helper: $hout" [ "$hrc" -eq 0 ]
    want "status 0" rc_is 0
    want "first: wrong handle or capacity" out_has '^multi: first handle=1 capacity=1048576$'
    want "second: wrong handle or capacity" out_has '^multi: second handle=2 capacity=2097152$'
    want "no echo" out_has '^multi: echoed 96 bytes$'
    want "first.img not stamped 'first'" [ "$(sector_head "$T_TMP/first.img" 512 0)" = "uniroot device first" ]
    want "second.img not stamped 'second'" [ "$(sector_head "$T_TMP/second.img" 512 0)" = "uniroot device second" ]
    verdict "$t: multi: two block devices and a tap"

    # bigbss: 600 MiB of bss does not fit the default 512 MiB, fits 1 GiB.
    vrun "$m" "$GUESTS/bigbss.hvt"
    want "status 1" rc_is 1
    want "not one error line" [ "$(grep -c . <<<"$R_ERR")" -eq 1 ]
    want "guest ran" out_lacks 'bigbss: ok'
    verdict "$t: bigbss refused with 512 MiB"
    vrun "$m" --mem=1024 "$GUESTS/bigbss.hvt"
    want "status 0" rc_is 0
    want "no ok line" out_has '^bigbss: ok'
    verdict "$t: bigbss runs with 1 GiB"

    # sleep: runs its time, then SIGTERM stops it promptly with 128+15.
    vrun "$m" "$GUESTS/sleep.hvt" 1
    want "status 0" rc_is 0
    want "did not finish" out_has '^sleep: done$'
    verdict "$t: sleep 1"

    fresh "$T_TMP/sleep.out" "$T_TMP/sleep.err"
    "$m" "$GUESTS/sleep.hvt" 30 >"$T_TMP/sleep.out" 2>"$T_TMP/sleep.err" &
    vpid=$!
    BG_PID=$vpid
    for _ in $(seq 200); do
        grep -q 'sleep: sleeping' "$T_TMP/sleep.out" && break
        sleep 0.1
    done
    if [ "$t" = plain ]; then
        want "no 'Seccomp:\t2' in /proc/$vpid/status: $(grep Seccomp: /proc/$vpid/status | head -1)" \
            grep -qP '^Seccomp:\t2$' /proc/$vpid/status
    fi
    local t0 ms
    t0=$(date +%s%N)
    kill -TERM "$vpid"
    wait "$vpid"
    R_RC=$? BG_PID=
    ms=$((($(date +%s%N) - t0) / 1000000))
    R_OUT=$(cat "$T_TMP/sleep.out") R_ERR=$(cat "$T_TMP/sleep.err")
    want "guest never started" out_has '^sleep: sleeping 30 s$'
    want "status 143" rc_is 143
    want "took $ms ms to stop" [ "$ms" -lt 1000 ]
    verdict "$t: SIGTERM stops a sleeping guest ($ms ms)"

    # A guest that never makes a hypercall (ring-0 loop) must stop as promptly.
    fresh "$T_TMP/sleep.out" "$T_TMP/sleep.err"
    "$m" "$GUESTS/sleep.hvt" spin >"$T_TMP/sleep.out" 2>"$T_TMP/sleep.err" &
    vpid=$!
    BG_PID=$vpid
    for _ in $(seq 200); do
        grep -q 'sleep: spinning' "$T_TMP/sleep.out" && break
        sleep 0.1
    done
    sleep 0.3
    t0=$(date +%s%N)
    kill -TERM "$vpid"
    wait "$vpid"
    R_RC=$? BG_PID=
    ms=$((($(date +%s%N) - t0) / 1000000))
    R_OUT=$(cat "$T_TMP/sleep.out") R_ERR=$(cat "$T_TMP/sleep.err")
    want "guest never started" out_has '^sleep: spinning$'
    want "status 143" rc_is 143
    want "took $ms ms to stop" [ "$ms" -lt 1000 ]
    verdict "$t: SIGTERM stops a spinning guest ($ms ms)"

    # Other stop signals: 128 + N as well.
    for sig in INT:130 HUP:129; do
        fresh "$T_TMP/sleep.out" "$T_TMP/sleep.err"
        "$m" "$GUESTS/sleep.hvt" 30 >"$T_TMP/sleep.out" 2>"$T_TMP/sleep.err" &
        vpid=$!
        BG_PID=$vpid
        for _ in $(seq 200); do
            grep -q 'sleep: sleeping' "$T_TMP/sleep.out" && break
            sleep 0.1
        done
        kill -"${sig%:*}" "$vpid"
        wait "$vpid" 2>/dev/null
        R_RC=$? BG_PID=
        R_OUT=$(cat "$T_TMP/sleep.out") R_ERR=$(cat "$T_TMP/sleep.err")
        want "status ${sig#*:}" rc_is "${sig#*:}"
        verdict "$t: SIG${sig%:*} stops a sleeping guest"
    done

    # uniroot's create/start split: "ready" on --ready-fd once set up, the
    # guest runs only after one byte arrives on --start-fifo; SIGTERM while
    # waiting stops it; the FIFO closed without a byte cancels the start.
    local fifo=$T_TMP/start.fifo
    rm -f "$fifo" && mkfifo "$fifo"
    fresh "$T_TMP/fifo.out" "$T_TMP/fifo.err" "$T_TMP/ready"
    "$m" --ready-fd=3 --start-fifo="$fifo" "$GUESTS/hello.hvt" started 3>"$T_TMP/ready" \
        >"$T_TMP/fifo.out" 2>"$T_TMP/fifo.err" &
    vpid=$!
    BG_PID=$vpid
    for _ in $(seq 200); do
        [ -s "$T_TMP/ready" ] && break
        sleep 0.1
    done
    sleep 0.2
    want "no 'ready' on the ready fd" [ "$(cat "$T_TMP/ready")" = ready ]
    want "guest ran before the start byte" [ ! -s "$T_TMP/fifo.out" ]
    echo -n s >"$fifo"
    wait "$vpid"
    R_RC=$? BG_PID=
    R_OUT=$(cat "$T_TMP/fifo.out") R_ERR=$(cat "$T_TMP/fifo.err")
    want "status 0" rc_is 0
    want "guest did not run after the start byte" out_has '^cmdline: started$'
    verdict "$t: --ready-fd and --start-fifo"

    fresh "$T_TMP/fifo.out" "$T_TMP/fifo.err"
    "$m" --start-fifo="$fifo" "$GUESTS/hello.hvt" >"$T_TMP/fifo.out" 2>"$T_TMP/fifo.err" &
    vpid=$!
    BG_PID=$vpid
    sleep 0.3
    kill -TERM "$vpid"
    wait "$vpid"
    R_RC=$? BG_PID=
    R_OUT=$(cat "$T_TMP/fifo.out") R_ERR=$(cat "$T_TMP/fifo.err")
    want "status 143" rc_is 143
    want "guest ran" out_lacks 'Hello'
    verdict "$t: SIGTERM while waiting on --start-fifo"

    fresh "$T_TMP/fifo.out" "$T_TMP/fifo.err"
    "$m" --start-fifo="$fifo" "$GUESTS/hello.hvt" >"$T_TMP/fifo.out" 2>"$T_TMP/fifo.err" &
    vpid=$!
    BG_PID=$vpid
    : >"$fifo"
    wait "$vpid"
    R_RC=$? BG_PID=
    R_OUT=$(cat "$T_TMP/fifo.out") R_ERR=$(cat "$T_TMP/fifo.err")
    want "status 1" rc_is 1
    want "guest ran" out_lacks 'Hello'
    want "not one error line" [ "$(grep -c . <<<"$R_ERR")" -eq 1 ]
    verdict "$t: --start-fifo closed without a byte"

    # The console's reader going away must not kill the monitor: the guest
    # keeps running, as with a serial line nobody listens to.
    "$m" "$GUESTS/sleep.hvt" 1 2>"$T_TMP/pipe.err" | head -n 1 >/dev/null
    R_RC=${PIPESTATUS[0]} R_OUT= R_ERR=$(cat "$T_TMP/pipe.err")
    want "status $R_RC, want the guest's 0 (141: killed by SIGPIPE)" rc_is 0
    verdict "$t: console pipe closed"

    # poll with the largest timeout must wait, not overflow and return.
    fresh "$T_TMP/sleep.out" "$T_TMP/sleep.err"
    "$m" "$GUESTS/sleep.hvt" forever >"$T_TMP/sleep.out" 2>"$T_TMP/sleep.err" &
    vpid=$!
    BG_PID=$vpid
    for _ in $(seq 200); do
        grep -q 'sleep: sleeping' "$T_TMP/sleep.out" && break
        sleep 0.1
    done
    sleep 0.5
    want "monitor gone before SIGTERM" kill -0 "$vpid"
    kill -TERM "$vpid"
    wait "$vpid"
    R_RC=$? BG_PID=
    R_OUT=$(cat "$T_TMP/sleep.out") R_ERR=$(cat "$T_TMP/sleep.err")
    want "guest never started" out_has '^sleep: sleeping forever$'
    want "poll returned early" out_lacks 'FAIL'
    want "status 143" rc_is 143
    verdict "$t: poll(UINT64_MAX) waits until SIGTERM"

    # Broken images made from real guests: each must be refused at load with
    # status 1 and one line, never run. block.hvt has one device "storage".
    local A M E1 img2
    img2=$T_TMP/patched.hvt
    A=$(note_off "$GUESTS/block.hvt" 1) M=$(note_off "$GUESTS/block.hvt" 2)
    E1=$((M + 20 + 4 + 8 + 104)) # manifest entry 1 ("storage")
    local -a pname=(
        "ABI version 1" "ABI version 3" "ABI target spt" "ABI note type"
        "manifest version 2" "manifest entries 0" "manifest entries 3 (2 in the note)"
        "manifest entries 2^32-1" "manifest note size" "manifest note name"
        "entry 0 not reserved" "entry 1 unknown type" "entry 1 name unterminated"
        "entry 1 marked attached, host fd 2" "truncated image (100 bytes)"
        "truncated image (inside a segment)")
    local -a pcmd=(
        "patch_le32 $img2 $((A + 24)) 1" "patch_le32 $img2 $((A + 24)) 3"
        "patch_le32 $img2 $((A + 20)) 2" "patch_le32 $img2 $((A + 8)) 0x12345678"
        "patch_le32 $img2 $((M + 24)) 2" "patch_le32 $img2 $((M + 28)) 0"
        "patch_le32 $img2 $((M + 28)) 3" "patch_le32 $img2 $((M + 28)) 0xffffffff"
        "patch_le32 $img2 $((M + 4)) 120" "patch_str $img2 $((M + 12)) Solo6"
        "patch_le32 $img2 $((M + 32 + 68)) 1" "patch_le32 $img2 $((E1 + 68)) 9"
        "patch_str $img2 $E1 $(printf 'A%.0s' $(seq 68))"
        "patch_le32 $img2 $((E1 + 88)) 2; patch_le32 $img2 $((E1 + 96)) 1"
        "truncate -s 100 $img2" "truncate -s 5000 $img2")
    for i in "${!pname[@]}"; do
        cp "$GUESTS/block.hvt" "$img2"
        eval "${pcmd[$i]}"
        vrun "$m" --block:storage="$ZERO" "$img2"
        want "status 1" rc_is 1
        want "not exactly one line on stderr" [ "$(grep -c . <<<"$R_ERR")" -eq 1 ]
        want "the guest ran" [ -z "$R_OUT" ]
        verdict "$t: refuses image: ${pname[$i]}"
    done
    # The same attached-in-the-image entry, without --block: must not count
    # as given (host fd 2 would then be the guest's disk).
    cp "$GUESTS/block.hvt" "$img2"
    patch_le32 "$img2" $((E1 + 88)) 2
    patch_le32 "$img2" $((E1 + 96)) 1
    vrun "$m" "$img2"
    want "status 1" rc_is 1
    want "the guest ran" [ -z "$R_OUT" ]
    verdict "$t: refuses image: entry marked attached, no --block"
    # Sanity: the unpatched copy runs.
    cp "$GUESTS/block.hvt" "$img2"
    vrun "$m" --block:storage="$ZERO" "$img2"
    want "status 0" rc_is 0
    verdict "$t: unpatched copy of block.hvt runs"

    # Command-line errors: status 1, one line on stderr, nothing on stdout.
    local -a cli_names=("unknown option" "--block: name not in the manifest"
        "manifest device not given" "missing kernel file" "non-ELF kernel")
    local -a cli_args=("--bogus $GUESTS/hello.hvt" "--block:nosuch=$ZERO $GUESTS/hello.hvt"
        "$GUESTS/block.hvt" "$T_TMP/no-such-kernel.hvt" "$ZERO")
    local i
    for i in "${!cli_names[@]}"; do
        # shellcheck disable=SC2086 # the arguments are split on purpose
        vrun "$m" ${cli_args[$i]}
        want "status 1" rc_is 1
        want "not exactly one line on stderr" [ "$(grep -c . <<<"$R_ERR")" -eq 1 ]
        want "stdout not empty" [ -z "$R_OUT" ]
        verdict "$t: CLI error: ${cli_names[$i]}"
    done
}

run_all plain "$VMM"
run_all asan "$VMM_ASAN"
finish
