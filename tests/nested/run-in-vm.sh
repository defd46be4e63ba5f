#!/bin/bash
# tests/nested/run-in-vm.sh: run one command inside a throw-away qemu guest
# that has a real /dev/kvm (nested KVM on emulated AMD SVM) and
# device-mapper, for machines that have neither.
#
#   tests/nested/run-in-vm.sh [--needs kvm|dm] [--timeout S] [--] CMD [ARGS...]
#
# Prints CMD's stdout and stderr (merged, streamed as CMD writes them) and
# exits with CMD's exit status. When the guest cannot run CMD it prints one
# line "run-in-vm: ..." on stderr and exits 125 (missing tool, boot failure,
# guest died, wedged twice) or 124 (S seconds passed, for all boots; default 1800).
# A guest that wedges while CMD runs (no heartbeat on its console and no
# output for UR_VM_WEDGE_TIMEOUT s, default 120) is stopped and booted again,
# and CMD runs once more from the start: a line "run-in-vm: the guest wedged
# ...; ... rerunning CMD ..." on stderr says so (CMD's output before it does
# not count), and a second wedge ends the run (125).
#   --needs kvm   fail (125) unless /dev/kvm exists in the guest
#   --needs dm    fail (125) unless /dev/mapper/control exists too
#
# The guest: qemu TCG (`-cpu qemu64,+svm,+npt`), Debian's
# linux-image-cloud-amd64 (fetched once into build/vm with apt-get download
# and unpacked there, never installed), a busybox initramfs cached in build/vm
# under a hash of its inputs. It sees the host's / read-only through virtiofs,
# with a tmpfs overlay on top (writes there stay in the guest and vanish), and
# $UR_TOP read-write at the same path (writes reach the host). /tmp, /run,
# /var/tmp, /var/lib/containerd and /var/lib/containers are empty tmpfs; proc,
# sysfs, devtmpfs, devpts, /dev/shm, the host's cgroup layout, bpffs, tracefs
# and debugfs are mounted; lo is up; vm.overcommit_memory=1; modules loaded:
# virtio, virtiofs, overlay, kvm, kvm-amd, loop, tun, veth, bridge, dm-mod,
# dm-thin-pool, sch_ingress, cls_u32, act_mirred. CMD runs as root in the caller's cwd (it must be visible in
# the guest: anywhere on / outside the tmpfs paths, or under $UR_TOP), stdin
# /dev/null, with the caller's exported environment minus session variables
# (TERM, SSH_*, MAKEFLAGS, ...) plus UR_IN_VM=1.
# Both shares are cached in the guest (virtiofsd cache=always: a file the
# host changes during the run may look stale inside; the guest's own writes
# to $UR_TOP reach the host at once). Everything it starts
# (virtiofsd, qemu, sockets, temporary files) is removed at the end, also on
# Ctrl-C, SIGTERM or timeout; concurrent runs do not share anything but the
# cache in build/vm (taken under a lock).
# Knobs: UR_VM_MEM (MiB, default 4096; memfd, so only touched pages cost),
#   UR_VM_SMP (vCPUs, default 2), UR_VM_ACCEL (qemu -accel, default
#   tcg,thread=single: with thread=multi the guest wedged within minutes
#   when nested guests were started and signalled in a loop), UR_VM_KERNEL_PKG (linux-image-cloud-amd64),
#   UR_VM_TIMES=1 (print "run-in-vm: ..." timing lines on stderr: qemu start
#   to CMD, CMD's run time), UR_VM_CONSOLE=1 (print the guest's kernel
#   console at the end), UR_VM_BOOT_TIMEOUT (seconds to reach CMD, default
#   300; a guest that has not is booted once more).
# Only the host's / (outside the tmpfs paths) and $UR_TOP are visible: pass
# files under $UR_TOP, not under the host's /tmp.
set -u
PROG=run-in-vm
die() { echo "$PROG: $*" >&2; exit 125; }

needs=kvm timeout_s=1800
while [ $# -gt 0 ]; do
    case $1 in
    --needs) [ $# -ge 2 ] || die "--needs wants kvm or dm"; needs=$2; shift 2 ;;
    --needs=*) needs=${1#*=}; shift ;;
    --timeout) [ $# -ge 2 ] || die "--timeout wants seconds"; timeout_s=$2; shift 2 ;;
    --timeout=*) timeout_s=${1#*=}; shift ;;
    --) shift; break ;;
    -*) die "unknown option $1 (usage: run-in-vm.sh [--needs kvm|dm] [--timeout S] [--] CMD [ARGS...])" ;;
    *) break ;;
    esac
done
case $needs in kvm | dm) ;; *) die "--needs wants kvm or dm, not '$needs'" ;; esac
case $timeout_s in '' | *[!0-9]*) die "--timeout wants whole seconds, not '$timeout_s'" ;; esac
[ $# -gt 0 ] || die "no command (usage: run-in-vm.sh [--needs kvm|dm] [--timeout S] [--] CMD [ARGS...])"

UR_TOP=${UR_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
UR_TOP=$(cd "$UR_TOP" && pwd -P) || die "UR_TOP $UR_TOP is not a directory"
export UR_TOP
VM=$UR_TOP/build/vm
VIRTIOFSD=${UR_VM_VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
MEM=${UR_VM_MEM:-4096} SMP=${UR_VM_SMP:-2} ACCEL=${UR_VM_ACCEL:-tcg,thread=single}
KPKG=${UR_VM_KERNEL_PKG:-linux-image-cloud-amd64}

[ "$(id -u)" -eq 0 ] || die "needs root (virtiofsd shares / with sandbox=chroot)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed (tools/install-deps.sh)"
[ -x "$VIRTIOFSD" ] || die "$VIRTIOFSD is missing (Debian's qemu-system-common; tools/install-deps.sh)"
BB=$(command -v busybox) && ! ldd "$BB" >/dev/null 2>&1 ||
    die "busybox-static is not installed (a static busybox is the initramfs)"
for t in depmod modprobe; do command -v $t >/dev/null || die "$t (kmod) is not installed"; done

# The cache (kernel, initramfs) is shared by concurrent runs: build it under a lock.
mkdir -p "$VM" || die "cannot create $VM"
exec 9>"$VM/.lock"
flock 9

# The guest kernel: the .deb fetched once into build/vm, unpacked, never installed.
if ! ls "$VM"/kernel/boot/vmlinuz-* >/dev/null 2>&1; then
    real=$(apt-cache depends "$KPKG" 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
    [ -n "$real" ] || die "apt knows no $KPKG (run apt-get update)"
    ls "$VM/$real"_*.deb >/dev/null 2>&1 || (cd "$VM" && apt-get download "$real" >/dev/null 2>&1) ||
        die "cannot fetch $real with apt-get download"
    rm -rf "$VM/kernel.tmp"
    dpkg-deb -x "$(ls "$VM/$real"_*.deb | head -1)" "$VM/kernel.tmp" && mv "$VM/kernel.tmp" "$VM/kernel" ||
        die "cannot unpack $real"
fi
VMLINUZ=$(ls "$VM"/kernel/boot/vmlinuz-* | head -1)
KVER=${VMLINUZ##*/vmlinuz-}
[ -s "$VM/kernel/lib/modules/$KVER/modules.dep" ] || depmod -b "$VM/kernel" "$KVER" ||
    die "depmod on the guest kernel's modules failed"

# Modules in load order (dependencies first), each once; crc32c-intel (a soft
# dependency) needs SSE4.2, which qemu64 lacks, and libcrc32c does without it.
MODS="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci fuse virtiofs overlay
      irqbypass kvm kvm-amd loop tun veth bridge dm-mod dm-thin-pool sch_ingress cls_u32 act_mirred"
modlist=$(for m in $MODS; do
    modprobe -d "$VM/kernel" -S "$KVER" --show-depends "$m" || echo "missing $m"
done | awk '$1 == "insmod" && $2 !~ /crc32c-intel/ && !seen[$2]++ {print $2} $1 == "missing" {print "MISSING " $2}')
case $modlist in *MISSING*) die "guest kernel lacks: $(echo "$modlist" | awk '/^MISSING/ {printf "%s ", $2}')" ;; esac

# The initramfs's /init: load modules, mount the shares, build the guest's
# root, run the job from the run directory named on the kernel command line.
# Status goes to ttyS1 as marker lines carrying the run's nonce.
INIT=$(cat <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for a in $(cat /proc/cmdline); do
    case $a in uniroot.run=*) RUN=${a#*=} ;; uniroot.nonce=*) NONCE=${a#*=} ;; esac
done
stty -F /dev/ttyS1 raw -echo 2>/dev/null
say() { echo "@@uniroot-vm $NONCE $*@@" >/dev/ttyS1; }
fail() { say "fail $*"; sync; reboot -f; sleep 5; }
for m in $(cat /modules.list); do insmod /lib/modules/${m##*/} 2>/tmp.err || echo "insmod $m: $(cat /tmp.err)"; done
mkdir -p /host /ovl /new
mount -t virtiofs -o ro host /host || fail "cannot mount the host root (virtiofs)"
[ -f "/host$RUN/job.sh" ] || fail "no $RUN/job.sh through the host share"
. "/host$RUN/guest.conf"
mount -t tmpfs -o mode=755 ovl /ovl && mkdir /ovl/up /ovl/work &&
    mount -t overlay -o lowerdir=/host,upperdir=/ovl/up,workdir=/ovl/work overlay /new ||
    fail "cannot mount an overlay on the host root"
N=/new
mount -t proc proc $N/proc; mount -t sysfs sys $N/sys
mount -t devtmpfs dev $N/dev; mkdir -p $N/dev/pts $N/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $N/dev/pts; ln -sf pts/ptmx $N/dev/ptmx
mount -t tmpfs -o mode=1777 shm $N/dev/shm
for d in /tmp /var/tmp; do mkdir -p $N$d; mount -t tmpfs -o mode=1777 tmp $N$d; done
for d in /run /var/lib/containerd /var/lib/containers; do mkdir -p $N$d; mount -t tmpfs -o mode=755 tmp $N$d; done
echo "$CGROUPS" | while read -r ty path opts; do
    [ -n "$ty" ] || continue
    case $ty,$opts in cgroup,*name=*) opts="none,$opts" ;; esac # a named hierarchy without controllers
    mkdir -p "$N$path"; mount -t "$ty" -o "$opts" "$ty" "$N$path" || echo "cannot mount $ty on $path ($opts)"
done
mount -t bpf -o mode=700 bpf $N/sys/fs/bpf
mount -t tracefs tracefs $N/sys/kernel/tracing
mount -t debugfs debugfs $N/sys/kernel/debug
mkdir -p "$N$TOP" && mount -t virtiofs work "$N$TOP" || fail "cannot mount $TOP (virtiofs, read-write)"
# the kernel's symbols (the same every boot: nokaslr), for naming where a wedged guest spins
K=$N$TOP/build/vm/kallsyms-$(uname -r)
[ -s "$K" ] || { grep ' [tT] ' /proc/kallsyms >"$K.$$" && mv "$K.$$" "$K"; } 2>/dev/null
mkdir -p $N/run/uniroot-vm && cp "/host$RUN/job.sh" $N/run/uniroot-vm/job.sh
echo 1 >/proc/sys/vm/overcommit_memory
ip link set lo up
hostname uniroot-vm
[ -c $N/dev/kvm ] || [ "$NEEDS" = none ] || fail "no /dev/kvm in the guest"
[ "$NEEDS" != dm ] || [ -c $N/dev/mapper/control ] || fail "no /dev/mapper/control in the guest"
# a heartbeat on the console: the host takes its silence, with no output
# either, for a wedged guest
(i=0; while sleep 5; do i=$((i + 1)); echo "@@uniroot-vm $NONCE alive $i@@" >/dev/ttyS0; done) &
say start
chroot $N /bin/bash /run/uniroot-vm/job.sh </dev/null >/dev/ttyS1 2>&1
rc=$?
sync
printf '\n' >/dev/ttyS1
say "exit $rc"
reboot -f
sleep 5
EOF
)

key=$( { echo "$INIT"; echo "$modlist"; echo "$KVER"; sha256sum "$BB"; } | sha256sum | cut -c1-16)
INITRD=$VM/initrd-$key.gz
if [ ! -s "$INITRD" ]; then
    R=$(mktemp -d /tmp/uniroot-vm-initrd.XXXXXX) || die "mktemp failed"
    mkdir -p "$R"/{bin,lib/modules,proc,sys,dev}
    cp "$BB" "$R/bin/busybox"
    echo "$INIT" >"$R/init" && chmod +x "$R/init"
    echo "$modlist" >"$R/modules.list"
    for m in $modlist; do cp "$m" "$R/lib/modules/"; done
    (cd "$R" && find . | "$BB" cpio -o -H newc 2>/dev/null | gzip -1) >"$INITRD.tmp.$$" &&
        mv "$INITRD.tmp.$$" "$INITRD" || { rm -rf "$R" "$INITRD.tmp.$$"; die "cannot build the initramfs"; }
    rm -rf "$R"
    # older initramfs versions are stale now
    find "$VM" -maxdepth 1 -name 'initrd-*.gz' ! -name "${INITRD##*/}" -delete
fi
flock -u 9
exec 9>&-

# This run's private directory: sockets, the job, the console log.
RUN=$(mktemp -d /tmp/uniroot-vm.XXXXXX) || die "mktemp failed"
chmod 755 "$RUN"
PIDS=()
# stop_vm: qemu first (it holds the virtiofsd connections), then virtiofsd.
stop_vm() {
    local p
    { exec 8<&-; } 2>/dev/null # (a bare "exec 8<&- 2>/dev/null" would silence stderr for good)
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    PIDS=()
}
cleanup() {
    stop_vm
    if [ "${UR_VM_CONSOLE:-0}" = 1 ]; then
        cat "$RUN"/console-*.log "$RUN/console.log" 2>/dev/null | tr -d '\r' | grep -v "^@@uniroot-vm ${NONCE:-} alive" |
            sed 's/^/run-in-vm: console: /' >&2
    fi
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

NONCE=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
# The job: the caller's environment, cwd and command, quoted for bash.
{
    echo '# run-in-vm job'
    for v in $(compgen -e); do
        case $v in
        PWD | OLDPWD | SHLVL | _ | TERM | TERMCAP | COLUMNS | LINES | SSH_* | DISPLAY | XAUTHORITY | DBUS_* | \
            XDG_RUNTIME_DIR | XDG_SESSION_* | TMUX | TMUX_PANE | STY | WINDOW | LS_COLORS | INVOCATION_ID | \
            JOURNAL_STREAM | NOTIFY_SOCKET | LISTEN_* | MAKEFLAGS | MFLAGS | MAKELEVEL | MAKE_TERM* | UR_VM_*) continue ;;
        esac
        printf 'export %s=%q\n' "$v" "${!v}"
    done
    echo 'export UR_IN_VM=1'
    echo '[ -z "${TMPDIR:-}" ] || [ -d "$TMPDIR" ] || unset TMPDIR'
    printf 'cd -- %q || { echo "run-in-vm: the caller'\''s directory %s is not visible in the guest"; exit 125; }\n' "$PWD" "$PWD"
    printf 'exec'
    printf ' %q' "$@"
    printf '\n'
} >"$RUN/job.sh"
{
    printf 'TOP=%q\n' "$UR_TOP"
    printf 'NEEDS=%q\n' "$needs"
    # the host's cgroup mounts, replicated in the guest (type, path, options)
    printf 'CGROUPS=%q\n' "$(awk '($3 == "cgroup" || $3 == "cgroup2") && $2 ~ "^/sys/fs/cgroup" ||
        ($3 == "tmpfs" && $2 == "/sys/fs/cgroup") {print $3, $2, $4}' /proc/self/mounts)"
} >"$RUN/guest.conf"


t_begin=$SECONDS
# start_vm: the two virtiofsd, then qemu with ttyS1 on a fifo read through fd 8.
start_vm() {
    rm -f "$RUN/root.sock" "$RUN/work.sock" "$RUN/out"
    "$VIRTIOFSD" --socket-path="$RUN/root.sock" -o source=/ -o cache=always -o sandbox=chroot \
        >"$RUN/virtiofsd-root.log" 2>&1 &
    PIDS+=($!)
    "$VIRTIOFSD" --socket-path="$RUN/work.sock" -o source="$UR_TOP" -o cache=always -o sandbox=chroot \
        >"$RUN/virtiofsd-work.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do [ -S "$RUN/root.sock" ] && [ -S "$RUN/work.sock" ] && break; sleep 0.05; done
    [ -S "$RUN/root.sock" ] && [ -S "$RUN/work.sock" ] ||
        die "virtiofsd did not start: $(cat "$RUN"/virtiofsd-*.log | tail -3 | tr '\n' ' ')"
    mkfifo "$RUN/out"
    # no_timer_check: on a loaded host the emulated IO-APIC timer check can hang the boot
    # the time limit covers every boot: a rerun gets what is left
    local left=$((timeout_s - (SECONDS - t_begin)))
    [ "$left" -gt 0 ] || left=1
    timeout -k 10 "$left" qemu-system-x86_64 -accel "$ACCEL" -cpu qemu64,+svm,+npt -smp "$SMP" \
        -qmp unix:"$RUN/qmp.sock",server=on,wait=off \
        -m "${MEM}M" -object memory-backend-memfd,id=mem,size="${MEM}M",share=on -numa node,memdev=mem \
        -chardev socket,id=fs0,path="$RUN/root.sock" -device vhost-user-fs-pci,chardev=fs0,tag=host \
        -chardev socket,id=fs1,path="$RUN/work.sock" -device vhost-user-fs-pci,chardev=fs1,tag=work \
        -kernel "$VMLINUZ" -initrd "$INITRD" \
        -append "console=ttyS0 quiet nokaslr panic=-1 mitigations=off no_timer_check rdinit=/init uniroot.run=$RUN uniroot.nonce=$NONCE" \
        -nodefaults -display none -monitor none -no-reboot \
        -serial file:"$RUN/console.log" -serial stdio </dev/null >"$RUN/out" 2>"$RUN/qemu.err" &
    QPID=$!
    PIDS=("$QPID" "${PIDS[@]}")
    exec 8<"$RUN/out"
}

# boot_vm: boot; a guest that has not reached CMD within UR_VM_BOOT_TIMEOUT
# seconds (default 300) is stopped and booted once more. Returns with the
# guest running CMD, or exits.
boot_s=${UR_VM_BOOT_TIMEOUT:-300}
boot_vm() {
    local why='' started=''
    for attempt in 1 2; do
        t0=$EPOCHREALTIME
        start_vm
        deadline=$((SECONDS + boot_s))
        while :; do
            if IFS= read -r -t 5 -u 8 line; then
                line=${line//$'\r'/}
                case $line in
                "@@uniroot-vm $NONCE start@@") started=1; break ;;
                "@@uniroot-vm $NONCE fail "*"@@") why=${line#"@@uniroot-vm $NONCE fail "}; why=${why%@@}; break ;;
                *) printf '%s\n' "$line" ;;
                esac
            elif [ $? -gt 128 ]; then
                [ $SECONDS -lt $deadline ] && continue
                why="the guest did not reach CMD within $boot_s s; console: $(console_tail 3)"
                break
            else
                wait "$QPID"
                [ $? -eq 124 ] && { echo "$PROG: timed out after $timeout_s s (CMD had not started)" >&2; exit 124; }
                why="the guest stopped before reaching CMD (qemu: $(tail -2 "$RUN/qemu.err" | tr '\n' ' ')); console: $(console_tail 5)"
                break
            fi
        done
        [ -n "$started" ] && return 0
        case $why in *"did not reach CMD"*) [ $attempt = 1 ] && { echo "$PROG: $why; booting again" >&2; stop_vm; why=''; continue; } ;; esac
        break
    done
    stop_vm
    echo "$PROG: $why" >&2
    exit 125
}

# The console without the heartbeat lines, its last N lines on one line.
console_tail() { tr -d '\r' <"$RUN/console.log" | grep -v "^@@uniroot-vm $NONCE alive" | tail -"$1" | tr '\n' '|'; }

# cpu_now PID: the CPU share PID uses now (over 2 s), in percent.
cpu_now() {
    local a b
    a=$(awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null) || return
    sleep 2
    b=$(awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null) || return
    echo $(((b - a) * 100 / (2 * $(getconf CLK_TCK))))
}

# qemu's view of a wedged guest, for the report: each vCPU's state and where it is.
qmp_state() {
    python3 - "$RUN/qmp.sock" "$1" <<'PY' 2>/dev/null
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); f = s.makefile("rw")
def call(cmd, **a):
    f.write(json.dumps({"execute": cmd, "arguments": a} if a else {"execute": cmd}) + "\n"); f.flush()
    while True:
        m = json.loads(f.readline())
        if "event" not in m: return m.get("return")
json.loads(f.readline()); call("qmp_capabilities")
with open(sys.argv[2], "w") as d:  # the whole state, three times a second apart
    import time
    for i in range(3):
        for c in call("query-cpus-fast"):
            for cmd in ("info registers", "info lapic"):
                d.write("== %d: vCPU%d %s\n" % (i, c["cpu-index"], cmd))
                d.write(call("human-monitor-command", **{"command-line": cmd, "cpu-index": c["cpu-index"]}) or "")
        time.sleep(1)
out = []
for c in call("query-cpus-fast"):
    r = call("human-monitor-command", **{"command-line": "info registers", "cpu-index": c["cpu-index"]})
    g = lambda k: (r.split(k + "=", 1)[1].split()[0] if k + "=" in r else "?")
    out.append("vCPU%d %s RIP=%s CPL=%s II=%s HLT=%s" % (c["cpu-index"], c.get("target", ""), g("RIP"), g("CPL"), g("II"), g("HLT")))
print("; ".join(out))
PY
}

# sym RIP: the kernel function holding RIP (from build/vm/kallsyms-KVER, which the guest writes once).
sym() {
    local k=$VM/kallsyms-$KVER r best
    r=$1 # 16 hex digits, as qemu prints RIP
    [ ${#r} = 16 ] && [ -s "$k" ] || { echo "$1"; return; }
    best=$(awk -v r="$r" '$1 <= r && $1 > b { b = $1; n = $3 } END { if (n != "") print b, n }' "$k")
    [ -n "$best" ] || { echo "$1"; return; }
    printf '%s+0x%x\n' "${best#* }" $((0x$r - 0x${best%% *}))
}

# Stream ttyS1, CMD's output, up to the exit marker; STATUS is then CMD's
# status, or empty when qemu ended first or (WEDGED=1) the guest wedged: no
# heartbeat on the console and no output for WEDGE_S seconds.
WEDGE_S=${UR_VM_WEDGE_TIMEOUT:-120}
stream() {
    local line partial='' held=0 alive=$SECONDS size=0 now_size
    STATUS='' WEDGED=0
    t_start=$EPOCHREALTIME
    while :; do
        if IFS= read -r -t 5 -u 8 line; then
            line=$partial${line//$'\r'/}
            partial='' alive=$SECONDS
            case $line in
            "@@uniroot-vm $NONCE exit "*"@@") STATUS=${line#"@@uniroot-vm $NONCE exit "}; STATUS=${STATUS%@@}; break ;;
            "") held=$((held + 1)); continue ;;
            esac
            for (( ; held > 0; held--)); do echo; done
            printf '%s\n' "$line"
        elif [ $? -gt 128 ]; then # no whole line within 5 s (a partial one is kept)
            partial+=${line//$'\r'/}
            [ -n "$line" ] && alive=$SECONDS
            now_size=$(stat -c %s "$RUN/console.log" 2>/dev/null || echo 0)
            [ "$now_size" != "$size" ] && size=$now_size alive=$SECONDS
            if [ $((SECONDS - alive)) -ge "$WEDGE_S" ]; then
                [ -n "$partial" ] && printf '%s\n' "$partial"
                WEDGED=1
                break
            fi
        else # end of file: qemu has gone
            [ -n "$partial" ] && printf '%s\n' "$partial"
            break
        fi
    done
    t_end=$EPOCHREALTIME
    for (( held--; held > 0; held--)); do echo; done # the guest adds one newline before its exit marker
}

# Boot and run CMD; a guest that wedges while CMD runs is stopped, booted
# again and CMD runs once more from the start (said on stderr: a line
# "run-in-vm: ... rerunning CMD" after which CMD's output starts over); a
# second wedge fails (125).
t_all=$EPOCHREALTIME
for run in 1 2; do
    boot_vm
    stream
    [ "$WEDGED" = 1 ] || break
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    qemu=$(pgrep -P "$QPID" -x qemu-system-x86) || qemu=$QPID # (QPID is the timeout wrapper)
    qcpu=$(cpu_now "$qemu")
    dump=$VM/wedge-$(date -u +%Y%m%dT%H%M%S)-$$.txt
    state=$(qmp_state "$dump")
    [ -s "$dump" ] && state="$state; registers and LAPICs in $dump"
    for r in $(grep -o 'RIP=[0-9a-f]*' <<<"$state" | sort -u); do state=${state//$r/$r($(sym "${r#RIP=}"))}; done
    [ -n "$state" ] && state="$state; qemu threads by state: $(for t in /proc/"$qemu"/task/*/stat; do
        sed 's/.*) \(.\).*/\1/' "$t"; done 2>/dev/null | sort | uniq -c | awk '{printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1}')"
    stop_vm
    mv -f "$RUN/console.log" "$RUN/console-$run.log"
    msg="the guest wedged while CMD ran: no heartbeat and no output for $WEDGE_S s (qemu ${qcpu:-?}% CPU, host load $load${state:+; $state})"
    [ $run = 1 ] || { echo "$PROG: $msg, again after the rerun; giving up" >&2; exit 125; }
    echo "$PROG: $msg; booting again and rerunning CMD from the start (its output above does not count)" >&2
done

if [ -z "$STATUS" ]; then
    wait "$QPID"
    qrc=$?
    PIDS=("${PIDS[@]:1}")
    if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
        echo "$PROG: timed out after $timeout_s s (CMD was running)" >&2
        exit 124
    fi
    echo "$PROG: the guest stopped before CMD finished (qemu status $qrc: $(tail -2 "$RUN/qemu.err" | tr '\n' ' ')); console: $(console_tail 5)" >&2
    exit 125
fi
# The guest powers off by itself once it has reported.
for _ in $(seq 100); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.1; done
if [ "${UR_VM_TIMES:-0}" = 1 ]; then
    awk -v a="$t0" -v b="$t_start" -v c="$t_end" -v n="$needs" -v z="$t_all" -v k="$attempt" -v r="$run" \
        'BEGIN {printf "run-in-vm: qemu start to CMD %.1f s (--needs %s, boot %d, run %d, %.1f s in all), CMD %.1f s\n", b - a, n, k, r, b - z, c - b}' >&2
fi
[ "$run" = 1 ] || echo "$PROG: CMD ended with status $STATUS on its rerun after a wedge of the guest" >&2
exit "$STATUS"
