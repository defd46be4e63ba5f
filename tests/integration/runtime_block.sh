#!/bin/bash
# runtime_block.sh: the container rootfs handed to the guest as a block
# device. An ext4 image (with a label) on a loop device is mounted on
# bundle/rootfs and holds the ext4label guest; create copies the guest out,
# unmounts the rootfs, and starts the VMM with --block:rootfs=/dev/loopN; the
# guest prints the label it read from the device. Covers each way the runtime
# learns the device (verified annotation, stale annotation, agent socket,
# libmount), the refusals (device mounted read-write elsewhere), and that
# nothing is left behind.
# uniroot-test: needs kvm
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.inc"

if [ ! -x "$UNIROOT" ] || [ ! -x "$VMM" ] || [ ! -f "$GUESTS/ext4label.hvt" ]; then
    skip runtime-block "build/bin/uniroot, uniroot-vmm or the guests are not built"
    finish; exit
fi
if [ ! -w /dev/kvm ]; then skip runtime-block "no /dev/kvm"; finish; exit; fi
for t in mkfs.ext4 losetup; do
    command -v $t >/dev/null || { skip runtime-block "$t missing"; finish; exit; }
done
at_exit rt_cleanup

LABEL=urblk$$
IMG=$T_TMP/rootfs.img
SRC=$T_TMP/src
mkdir -p "$SRC/unikernel"
cp "$GUESTS/ext4label.hvt" "$SRC/unikernel/"
truncate -s 16M "$IMG"
mkfs.ext4 -q -F -L "$LABEL" -U 11111111-2222-3333-4444-555555555555 -d "$SRC" "$IMG" ||
    { not_ok "mkfs.ext4 -d" "failed"; finish; exit; }
LOOP=$(losetup --find --show "$IMG") || { skip runtime-block "no loop device"; finish; exit; }
at_exit "losetup -d $LOOP"
MAJMIN=$(lsblk -dno MAJ:MIN "$LOOP" | tr -d ' ')
MAJ=${MAJMIN%:*} MIN=${MAJMIN#*:}

# block_bundle DIR [EXTRA-ANNOTATIONS]: a bundle with rootfs/ (mounted by the caller)
block_bundle() {
    mkdir -p "$1/rootfs"
    cat >"$1/config.json" <<JSON
{"ociVersion":"1.0.2","process":{"args":["/unikernel/ext4label.hvt"]},"root":{"path":"rootfs"},
 "annotations":{"com.urunc.unikernel.unikernelType":"solo5","com.urunc.unikernel.hypervisor":"hvt",
   "com.urunc.unikernel.binary":"/unikernel/ext4label.hvt","com.urunc.unikernel.mountRootfs":"true"${2:+,$2}},
 "linux":{"namespaces":[{"type":"mount"}]}}
JSON
}
record() { # record MINOR: the agent's annotation value for the loop device, escaped for JSON
    printf '"dev.uniroot.rootfs":"{\\"version\\":1,\\"type\\":\\"block\\",\\"device\\":\\"%s\\",\\"major\\":%s,\\"minor\\":%s,\\"fstype\\":\\"ext4\\",\\"observed_by\\":\\"test\\"}"' "$LOOP" "$MAJ" "$1"
}
mounted() { grep -q " $1 " /proc/self/mountinfo; }

# run_case NAME BUNDLE WANT_SOURCE: mount, create, check, start, check output, delete.
run_case() {
    local name=$1 b=$2 want=$3 id=blk$RANDOM
    mount "$LOOP" "$b/rootfs" || { not_ok "$name: mount" "failed"; return; }
    at_exit "umount $b/rootfs"
    if ! ur create --bundle "$b" "$id" >"$T_TMP/$id.out" 2>&1; then
        not_ok "$name: create" "$(cat "$T_TMP/$id.out")"; return
    fi
    ok "$name: create"
    local st; st=$(ur state "$id")
    echo "$st" | grep -q '"dev.uniroot.rootfs.outcome":[[:space:]]*"rootfs-block"' &&
        echo "$st" | grep -q "\"dev.uniroot.rootfs.source\":[[:space:]]*\"$want\"" &&
        ok "$name: decision rootfs-block via $want" ||
        not_ok "$name: decision via $want" "$(echo "$st" | grep dev.uniroot | tr -d '\t' | tr '\n' ' ')"
    mounted "$b/rootfs" && not_ok "$name: rootfs unmounted from the host" "still mounted" ||
        ok "$name: rootfs unmounted from the host"
    local pid; pid=$(echo "$st" | grep -o '"pid":[[:space:]]*[0-9]*' | grep -o '[0-9]*$')
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--block:rootfs=$LOOP " &&
        ok "$name: VMM got --block:rootfs=$LOOP" || not_ok "$name: VMM args" "$(tr '\0' ' ' <"/proc/$pid/cmdline")"
    [ -f "$RT_ROOT/$id/ext4label.hvt" ] && ok "$name: guest copied out of the rootfs" ||
        not_ok "$name: guest copied out" "$(ls "$RT_ROOT/$id")"
    ur start "$id"
    wait_status "$id" stopped 100
    grep -q "label=$LABEL uuid=11111111-2222-3333-4444-555555555555" "$T_TMP/$id.out" &&
        ok "$name: guest read the ext4 label from the device" || not_ok "$name: guest output" "$(cat "$T_TMP/$id.out")"
    ur delete "$id"
    [ ! -e "$RT_ROOT/$id" ] && ok "$name: state removed" || not_ok "$name: state removed" "left"
    mounted "$LOOP" && not_ok "$name: device not mounted anywhere" "$(grep "$LOOP" /proc/self/mountinfo)" ||
        ok "$name: device not mounted anywhere"
}

B1=$T_TMP/b-libmount; block_bundle "$B1"
run_case "libmount" "$B1" libmount
grep -q 'rootfs: annotation: absent' "$RT_LOG" && grep -q 'rootfs: agent: skipped' "$RT_LOG" &&
    ok "each step logged with its reason" || not_ok "steps logged" "$(grep rootfs: "$RT_LOG" | head -5)"

if [ -x "$UNIROOT_ASAN" ]; then
    B1A=$T_TMP/b-libmount-asan; block_bundle "$B1A"
    SAVED=$UNIROOT; UNIROOT=$UNIROOT_ASAN
    run_case "asan libmount" "$B1A" libmount
    UNIROOT=$SAVED
    for f in "$T_TMP"/blk*.out; do no_sanitizer_report "asan: no sanitizer report ($(basename "$f"))" "$f"; done
fi

B2=$T_TMP/b-annot; block_bundle "$B2" "$(record "$MIN")"
: >"$RT_LOG"
run_case "verified annotation" "$B2" annotation
grep -q 'rootfs: annotation: verified' "$RT_LOG" && ! grep -q 'rootfs: libmount' "$RT_LOG" &&
    ok "verified annotation: no mount table read" || not_ok "annotation path" "$(grep rootfs: "$RT_LOG")"

B3=$T_TMP/b-stale; block_bundle "$B3" "$(record $((MIN + 1)))"
: >"$RT_LOG"
run_case "stale annotation" "$B3" libmount
grep -q "rootfs: annotation: not trusted, root.path is on $MAJ:$MIN, record says $MAJ:$((MIN + 1))" "$RT_LOG" &&
    ok "stale annotation: reason logged" || not_ok "stale annotation reason" "$(grep rootfs: "$RT_LOG")"

# The agent's socket (a fake agent answering one query), when python3 is here.
if command -v python3 >/dev/null; then
    SOCK=$T_TMP/agent.sock
    B4=$T_TMP/b-agent; block_bundle "$B4"
    python3 - "$SOCK" "$LOOP" "$MAJ" "$MIN" "$B4" >"$T_TMP/agent.log" 2>&1 <<'PY' &
import json, socket, sys
path, dev, maj, mn, bundle = sys.argv[1:]
s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(1); s.settimeout(20)
c, _ = s.accept(); q = json.loads(c.makefile().readline())
ok = q == {"op": "get", "bundle": bundle}
rec = {"version": 1, "type": "block", "device": dev, "major": int(maj), "minor": int(mn), "fstype": "ext4"}
c.sendall((json.dumps({"ok": True, "record": rec} if ok else {"ok": False, "error": "bad query %r" % q}) + "\n").encode())
c.close()
PY
    # python3 can take seconds to start in an emulated (nested) guest
    for i in $(seq 600); do [ -S "$SOCK" ] && break; sleep 0.1; done
    : >"$RT_LOG"
    UNIROOT_AGENT_SOCKET=$SOCK run_case "agent socket" "$B4" agent
    wait
else
    skip "agent socket" "python3 is not installed (fake agent)"
fi

# An explicit block image in the rootfs (block + blkMntPoint "/"): handed over as "rootfs".
BI=$T_TMP/b-image; mkdir -p "$BI/rootfs/unikernel"
cp "$GUESTS/ext4label.hvt" "$BI/rootfs/unikernel/"
truncate -s 8M "$BI/rootfs/disk.img" && mkfs.ext4 -q -F -L imglabel "$BI/rootfs/disk.img"
cat >"$BI/config.json" <<JSON
{"ociVersion":"1.0.2","process":{"args":["x"]},"root":{"path":"rootfs"},
 "annotations":{"com.urunc.unikernel.unikernelType":"solo5","com.urunc.unikernel.hypervisor":"hvt",
   "com.urunc.unikernel.binary":"/unikernel/ext4label.hvt","com.urunc.unikernel.block":"/disk.img",
   "com.urunc.unikernel.blkMntPoint":"/"}}
JSON
: >"$RT_LOG"
expect "block image at / handed over as rootfs" 0 'label=imglabel' -- ur run --bundle "$BI" bimg
grep -q 'rootfs: decision block-image' "$RT_LOG" && ok "block image: decision logged" || not_ok "block image decision" "$(grep rootfs: "$RT_LOG")"
sed -i 's#"/disk.img"#"/nosuch.img"#' "$BI/config.json"
expect "missing block image is a clear error" 1 'block image .*/nosuch.img' -- ur create --bundle "$BI" bimg2
# initrd: hvt cannot load one
sed -i 's#"com.urunc.unikernel.block":"/nosuch.img"#"com.urunc.unikernel.initrd":"/initrd.img"#' "$BI/config.json"
expect "initrd is refused for hvt" 1 'boots from an initrd \(/initrd.img\), which hypervisor hvt cannot load' -- ur create --bundle "$BI" bimg3

# Refusals: the device is also mounted read-write elsewhere.
B5=$T_TMP/b-busy; block_bundle "$B5"
mkdir -p "$T_TMP/other"
mount "$LOOP" "$T_TMP/other" && at_exit "umount $T_TMP/other"
mount "$LOOP" "$B5/rootfs" && at_exit "umount $B5/rootfs"
expect "libmount: device mounted rw elsewhere is refused" 1 "is also mounted read-write at $T_TMP/other" -- ur create --bundle "$B5" busy1
mounted "$B5/rootfs" && ok "refused: rootfs left mounted" || not_ok "refused: rootfs left mounted" "gone"
B6=$T_TMP/b-busy2; block_bundle "$B6" "$(record "$MIN")"
mount "$LOOP" "$B6/rootfs" && at_exit "umount $B6/rootfs"
expect "annotation: device mounted elsewhere is refused" 1 "still mounted elsewhere; refusing" -- ur create --bundle "$B6" busy2
mounted "$B6/rootfs" && ok "refused: rootfs mounted back" || not_ok "refused: rootfs mounted back" "not mounted"
[ -z "$(ls "$RT_ROOT" 2>/dev/null)" ] && ok "refusals leave no state" || not_ok "refusals leave no state" "$(ls "$RT_ROOT")"
umount "$B5/rootfs" "$B6/rootfs" "$T_TMP/other"

# Nothing left behind: the loop device detaches (no holder, no mount).
if losetup -d "$LOOP"; then ok "loop device free at the end"; else not_ok "loop device free" "busy"; fi
finish
