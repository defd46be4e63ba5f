#!/bin/bash
# runtime_block.sh: the container rootfs handed to the guest as a block
# device, with the real guest on uniroot-vmm. An ext4 image (with a label) on
# a loop device is mounted on bundle/rootfs and holds the ext4label guest;
# create copies the guest out, unmounts the rootfs and starts the VMM with
# --block:rootfs=/proc/self/fd/N (its exclusive fd on /dev/loopN); the guest prints the label it read from the
# device, whichever way the runtime learnt it (libmount, the verified
# annotation; plain and ASan builds), and from an explicit block image.
# The verifier's refusals, the agent socket, O_EXCL and the mount-back run on
# the host with the stand-in monitor in runtime_rootfs.sh.
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
# Nothing left behind: the loop device detaches (no holder, no mount).
if losetup -d "$LOOP"; then ok "loop device free at the end"; else not_ok "loop device free" "busy"; fi
finish
