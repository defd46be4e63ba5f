#!/bin/bash
# runtime_spt.sh: com.urunc.unikernel.hypervisor=spt through the uniroot CLI,
# with no /dev/kvm. First on the stand-in monitor (UNIROOT_SPT): the spt
# backend is chosen by the annotation and by urunc.json, its monitor is
# UNIROOT_SPT (UNIROOT_VMM is never run for it), its argv and inherited fds
# are the hvt ones (kernel fd, block rootfs fd on a loop device), the image's
# Solo5 target must match the backend either way, spt refuses the types urunc
# does not run there, and hvt on a node without /dev/kvm gets one error that
# says so. Then on the real uniroot-spt (found beside build/bin/uniroot):
# create/state/start/delete of hello.spt, exit statuses and a guest fault
# through run, the container rootfs on a loop device handed to ext4label.spt as
# block device "rootfs", and an explicit block image; plain and ASan runtime.
# The script is init of its own pid namespace (it reaps the monitors).
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
STANDIN=$UR_TOP/build/bin/standin-vmm
SPT=$UR_TOP/build/bin/uniroot-spt
. "$(dirname "$0")/runtime_lib.inc"
unset UNIROOT_VMM UNIROOT_SPT

for f in "$UNIROOT" "$STANDIN" "$SPT" "$GUESTS/hello.spt" "$GUESTS/hello.hvt" "$GUESTS/exit.spt" \
    "$GUESTS/fault.spt" "$GUESTS/badsys.spt" "$GUESTS/ext4label.spt"; do
    [ -e "$f" ] || { skip runtime-spt "$f is not built (make all)"; finish; exit; }
done
command -v jq >/dev/null || { skip runtime-spt "jq is not installed (JSON checks)"; finish; exit; }
export STANDIN_VMM_LOG=$T_TMP/vmm.log
at_exit rt_cleanup

# on the stand-in as spt's monitor; hvt's is one that cannot run
sur() { UNIROOT_SPT=$STANDIN UNIROOT_VMM=/nonexistent/hvt-monitor ur "$@"; }
argv_of() { grep "^argv .*start-fifo=$RT_ROOT/$1/start.fifo" "$STANDIN_VMM_LOG" | tail -1; }
# refusals (refuse, runtime_lib.inc) come before any monitor starts, unless
# a case says REFUSE_NO_MONITOR=0 (a monitor's own refusal)
export REFUSE_NO_MONITOR=1
# what the stand-in records of a file: "MODE(octal) MAJ:MIN(st_dev) INODE SIZE"
fileid() { printf '%o %s' "0x$(stat -c %f "$1")" "$(stat -c '%Hd:%Ld %i %s' "$1")"; }

# ---- selection, argv and fds on the stand-in
B=$T_TMP/s1
make_bundle_on spt "$B" hello '"com.urunc.unikernel.cmdline":"one two standin:sleep=30"'
if sur create --bundle "$B" s1 >"$T_TMP/s1.out" 2>&1; then ok "spt: create on UNIROOT_SPT"; else
    not_ok "spt: create on UNIROOT_SPT" "$(cat "$T_TMP/s1.out")"; fi
A=$(argv_of s1)
[[ "$A" == "argv $STANDIN --ready-fd=3 --start-fifo=$RT_ROOT/s1/start.fifo --mem=512 -- /proc/self/fd/4 one%20two%20standin:sleep=30" ]] &&
    ok "spt: the monitor's argv (ready fd, start fifo, kernel as inherited fd 4, cmdline)" ||
    not_ok "spt: argv" "$A"
K=$(grep '^kernel ' "$STANDIN_VMM_LOG" | tail -1)
[ "$K" = "kernel $(fileid "$B/rootfs/unikernel/hello.spt")" ] &&
    ok "spt: fd 4 is the image's hello.spt" || not_ok "spt: kernel fd" "$K vs $(fileid "$B/rootfs/unikernel/hello.spt")"
[ "$(ur state s1 | jq -r .status)" = created ] && ok "spt: state created" || not_ok "spt: state" "$(ur state s1)"
grep -q "unikernel solo5 on spt ($STANDIN)" "$RT_LOG" && ok "spt: the log names backend and monitor" ||
    not_ok "spt: log" "$(grep unikernel "$RT_LOG")"
sur start s1 && wait_status s1 running 20 && ok "spt: start" || not_ok "spt: start" "$(ur state s1)"
for i in $(seq 50); do grep -q 'standin-vmm: running' "$T_TMP/s1.out" && break; sleep 0.1; done
grep -q 'standin-vmm: running /proc/self/fd/4 one two' "$T_TMP/s1.out" && ok "spt: the held monitor ran after start" ||
    not_ok "spt: after start" "$(cat "$T_TMP/s1.out")"
ur kill s1 KILL; wait_status s1 stopped 50
expect "spt: delete" 0 '' -- ur delete s1

# a memory limit above hvt's 4 GiB: an spt guest gets all of it (up to uniroot-spt's 64 GiB)
M=$T_TMP/mem; make_bundle_on spt "$M" hello '"com.urunc.unikernel.cmdline":"mem"'
sed -i 's#"linux":{#"linux":{"resources":{"memory":{"limit":8589934592}},#' "$M/config.json"
expect "spt: an 8 GiB limit is --mem=8192" 0 'running /proc/self/fd/4 mem' -- sur run --bundle "$M" mem
grep -q "^argv $STANDIN --ready-fd=3 --start-fifo=$RT_ROOT/mem/start.fifo --mem=8192 -- " "$STANDIN_VMM_LOG" &&
    ok "spt: the monitor got --mem=8192" || not_ok "spt: --mem" "$(grep mem/start.fifo "$STANDIN_VMM_LOG")"

# urunc.json (base64 values) selects spt as well
b64() { printf %s "$1" | base64 -w0; }
U=$T_TMP/uj; mkdir -p "$U/rootfs/unikernel"; cp "$GUESTS/hello.spt" "$U/rootfs/unikernel/k"
echo '{"ociVersion":"1.0.2","process":{"args":["x"]},"root":{"path":"rootfs"}}' >"$U/config.json"
printf '{"com.urunc.unikernel.unikernelType":"%s","com.urunc.unikernel.hypervisor":"%s","com.urunc.unikernel.binary":"%s","com.urunc.unikernel.cmdline":"%s"}' \
    "$(b64 solo5)" "$(b64 spt)" "$(b64 /unikernel/k)" "$(b64 from-urunc-json)" >"$U/rootfs/urunc.json"
expect "spt: urunc.json selects spt" 0 'standin-vmm: running /proc/self/fd/4 from-urunc-json' -- sur run --bundle "$U" uj

# types: urunc's spt types (rumprun, mirage) and solo5 run, includeos does not
for t in rumprun mirage; do
    X=$T_TMP/t-$t; make_bundle_on spt "$X" hello '"com.urunc.unikernel.cmdline":"type-'$t'"'
    sed -i "s#unikernelType\":\"solo5\"#unikernelType\":\"$t\"#" "$X/config.json"
    expect "spt: unikernel type $t runs" 0 "running /proc/self/fd/4 type-$t" -- sur run --bundle "$X" t$t
done
X=$T_TMP/t-inc; make_bundle_on spt "$X" hello; sed -i 's#unikernelType":"solo5"#unikernelType":"includeos"#' "$X/config.json"
refuse "spt: includeos refused" '^unikernel type "includeos" is not supported on spt \(supported: solo5, rumprun, mirage\)$' sur create --bundle "$X" c1
X=$T_TMP/t-qemu; make_bundle_on spt "$X" hello; sed -i 's#hypervisor":"spt"#hypervisor":"qemu"#' "$X/config.json"
refuse "unknown hypervisor lists both" 'hypervisor "qemu" is not supported: uniroot runs unikernels on hypervisor "hvt" \(uniroot-vmm\) and "spt" \(uniroot-spt\)$' sur create --bundle "$X" c1

# the image's Solo5 target must be the backend's
X=$T_TMP/m1; make_bundle_on spt "$X" hello; cp "$GUESTS/hello.hvt" "$X/rootfs/unikernel/hello.spt"
refuse "spt: an hvt image is refused" '/unikernel/hello.spt is built for Solo5 hvt, not spt$' sur create --bundle "$X" c1
X=$T_TMP/m2; make_bundle_on hvt "$X" hello; cp "$GUESTS/hello.spt" "$X/rootfs/unikernel/hello.hvt"
refuse "hvt: an spt image is refused" '/unikernel/hello.hvt is built for Solo5 spt, not hvt$' \
    env UNIROOT_VMM="$STANDIN" "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$X" c1

# hvt where /dev/kvm is missing: one clear error before anything is touched
# (with no UNIROOT_VMM the runtime checks the node for its own monitor). On a
# node that has it, a private mount namespace puts a plain file over it.
H=$T_TMP/h1; make_bundle_on hvt "$H" hello
nokvm() { "$@"; }
if [ -e /dev/kvm ]; then
    : >"$T_TMP/not-kvm"
    nokvm() { unshare --mount --propagation private sh -c 'mount --bind "$0" /dev/kvm && exec "$@"' "$T_TMP/not-kvm" "$@"; }
fi
refuse "hvt without /dev/kvm" '^hypervisor hvt needs /dev/kvm, which this node lacks; use hypervisor spt' \
    nokvm "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$H" c1
refuse "spt monitor that cannot be run" '^cannot run /nonexistent/spt: No such file or directory$' \
    env UNIROOT_SPT=/nonexistent/spt "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$B" c1
REFUSE_NO_MONITOR=0 refuse "spt monitor's error names uniroot-spt" '^uniroot-spt: no memory today$' \
    env STANDIN_VMM_FAIL="no memory today" UNIROOT_SPT="$STANDIN" "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$B" c1

# ---- the real uniroot-spt (beside build/bin/uniroot): no KVM anywhere
expect "--version names uniroot-spt" 0 "spt: $SPT" -- ur --version
R=$T_TMP/r1
make_bundle_on spt "$R" hello '"com.urunc.unikernel.cmdline":"a b c"'
if ur create --bundle "$R" --pid-file "$T_TMP/r1.pid" r1 >"$T_TMP/r1.out" 2>&1; then ok "real spt: create"; else
    not_ok "real spt: create" "$(cat "$T_TMP/r1.out")"; fi
P=$(cat "$T_TMP/r1.pid" 2>/dev/null)
[ -n "$P" ] && tr '\0' ' ' <"/proc/$P/cmdline" | grep -q "^$SPT --ready-fd=3 --start-fifo=" &&
    ok "real spt: the container's pid is uniroot-spt" || not_ok "real spt: pid" "$P $(tr '\0' ' ' <"/proc/$P/cmdline" 2>&1)"
[ "$(ur state r1 | jq -r .status)" = created ] && ok "real spt: state created" || not_ok "real spt: created" "$(ur state r1)"
grep -q Hello "$T_TMP/r1.out" && not_ok "real spt: held until start" "it ran" || ok "real spt: held until start"
expect "real spt: start" 0 '' -- ur start r1
wait_status r1 stopped 100 && ok "real spt: stopped" || not_ok "real spt: stopped" "$(ur state r1)"
grep -q '^Hello, uniroot!' "$T_TMP/r1.out" && grep -q '^cmdline: a b c' "$T_TMP/r1.out" &&
    ok "real spt: the guest's output" || not_ok "real spt: output" "$(cat "$T_TMP/r1.out")"
[ "$(ur state r1 | jq -r '.annotations["com.urunc.unikernel.hypervisor"]')" = spt ] && ok "real spt: state names spt" ||
    not_ok "real spt: state annotations" "$(ur state r1)"
expect "real spt: delete" 0 '' -- ur delete r1
[ ! -e "$RT_ROOT/r1" ] && ok "real spt: state removed" || not_ok "real spt: state removed" "left"

E=$T_TMP/r2; make_bundle_on spt "$E" exit '"com.urunc.unikernel.cmdline":"42"'
expect "real spt: run returns the guest's exit status" 42 '' -- ur run --bundle "$E" r2
F=$T_TMP/r3; make_bundle_on spt "$F" fault
expect "real spt: a guest fault is status 255" 255 '' -- ur run --bundle "$F" r3
# a system call outside the filter: seccomp kills the monitor with SIGSYS, and
# the container's exit status says so (128 + 31, as a shell reports it)
S=$T_TMP/r4; make_bundle_on spt "$S" badsys
expect "real spt: a guest's syscall outside the filter kills it (SIGSYS, status 159)" 159 '^badsys: calling getpid$' -- ur run --bundle "$S" r4
echo "$T_OUT" | grep -q survived && not_ok "real spt: the forbidden call never returns" "$T_OUT" ||
    ok "real spt: the forbidden call never returns"

# the container rootfs (ext4 on a loop device) handed over as block device rootfs
if command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null; then
    LABEL=urspt$$
    SRC=$T_TMP/src; mkdir -p "$SRC/unikernel"; cp "$GUESTS/ext4label.spt" "$SRC/unikernel/"
    truncate -s 16M "$T_TMP/rootfs.img"
    mkfs.ext4 -q -F -L "$LABEL" -U 11111111-2222-3333-4444-555555555555 -d "$SRC" "$T_TMP/rootfs.img"
    if LOOP=$(losetup --find --show "$T_TMP/rootfs.img"); then
        at_exit "losetup -d $LOOP"
        blk_case() { # blk_case NAME UNIROOT-BINARY (the monitor named by UNIROOT_SPT)
            local name=$1 id=blk$RANDOM b=$T_TMP/blk$RANDOM
            mkdir -p "$b/rootfs"
            cat >"$b/config.json" <<JSON
{"ociVersion":"1.0.2","process":{"args":["x"]},"root":{"path":"rootfs"},
 "annotations":{"com.urunc.unikernel.unikernelType":"solo5","com.urunc.unikernel.hypervisor":"spt",
   "com.urunc.unikernel.binary":"/unikernel/ext4label.spt","com.urunc.unikernel.mountRootfs":"true"},
 "linux":{"namespaces":[{"type":"mount"}]}}
JSON
            mount "$LOOP" "$b/rootfs" || { not_ok "$name: mount" "failed"; return; }
            at_exit "umount $b/rootfs 2>/dev/null"
            if ! UNIROOT_SPT=$SPT "$2" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$b" "$id" >"$T_TMP/$id.out" 2>&1; then
                not_ok "$name: create" "$(cat "$T_TMP/$id.out")"
                umount "$b/rootfs" 2>/dev/null; return
            fi
            local st; st=$(ur state "$id")
            [ "$(jq -r '.annotations["dev.uniroot.rootfs.outcome"]' <<<"$st")" = rootfs-block ] &&
                grep -q " --block:rootfs=/proc/self/fd/[0-9]* -- $RT_ROOT/$id/ext4label.spt" <<<"$(jq -r .pid <<<"$st" | xargs -I{} sh -c 'tr "\0" " " </proc/{}/cmdline')" &&
                ok "$name: rootfs-block, uniroot-spt given --block:rootfs (an inherited fd) and the kernel's copy" ||
                not_ok "$name: decision/argv" "$(jq -c .annotations <<<"$st")"
            grep -q " $LOOP " /proc/self/mountinfo && not_ok "$name: unmounted from the host" "still mounted" ||
                ok "$name: unmounted from the host"
            ur start "$id"
            wait_status "$id" stopped 100
            grep -q "label=$LABEL uuid=11111111-2222-3333-4444-555555555555" "$T_TMP/$id.out" &&
                ok "$name: the spt guest read the ext4 label from the device" ||
                not_ok "$name: guest output" "$(cat "$T_TMP/$id.out")"
            ur delete "$id"
            [ ! -e "$RT_ROOT/$id" ] && ok "$name: deleted" || not_ok "$name: deleted" "state left"
            no_sanitizer_report "$name: no sanitizer report" "$T_TMP/$id.out"
        }
        blk_case "real spt block rootfs" "$UNIROOT"
        if [ -x "$UNIROOT_ASAN" ]; then blk_case "real spt block rootfs (asan)" "$UNIROOT_ASAN"; else
            skip "real spt block rootfs (asan)" "build/asan/bin/uniroot is not built"; fi
        # an explicit block image at / (block + blkMntPoint)
        BI=$T_TMP/bimg; mkdir -p "$BI/rootfs/unikernel"; cp "$GUESTS/ext4label.spt" "$BI/rootfs/unikernel/"
        truncate -s 8M "$BI/rootfs/disk.img" && mkfs.ext4 -q -F -L imglabel "$BI/rootfs/disk.img"
        cat >"$BI/config.json" <<JSON
{"ociVersion":"1.0.2","process":{"args":["x"]},"root":{"path":"rootfs"},
 "annotations":{"com.urunc.unikernel.unikernelType":"solo5","com.urunc.unikernel.hypervisor":"spt",
   "com.urunc.unikernel.binary":"/unikernel/ext4label.spt","com.urunc.unikernel.block":"/disk.img",
   "com.urunc.unikernel.blkMntPoint":"/"}}
JSON
        expect "real spt: block image at / handed over as rootfs" 0 'label=imglabel' -- ur run --bundle "$BI" bimg
        losetup -d "$LOOP" && ok "loop device free at the end" || not_ok "loop device free" "busy"
    else
        skip "real spt block rootfs" "no loop device"
    fi
else
    skip "real spt block rootfs" "mkfs.ext4 or losetup missing"
fi
[ -z "$(ls "$RT_ROOT" 2>/dev/null)" ] && ok "nothing left in --root" || not_ok "nothing left in --root" "$(ls "$RT_ROOT")"
finish
