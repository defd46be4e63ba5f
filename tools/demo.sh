#!/bin/bash
# tools/demo.sh: uniroot's main job, end to end on this machine: an ext4
# root filesystem on a loop device is handed to a unikernel as block device
# "rootfs", and the unikernel (built here, tests/guests/ext4label.c) reads the
# filesystem's label and UUID from it, proving the right rootfs arrived.
# Run as root after `make` (make demo does both). Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
VMM=build/bin/uniroot-vmm
GUEST=build/guests/ext4label.hvt
for f in "$VMM" "$GUEST"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "demo: $f is missing; run make first" >&2; exit 1; }
done
[ -c /dev/kvm ] || { echo "demo: /dev/kvm is missing: this machine cannot run KVM guests" >&2; exit 1; }

work=$(mktemp -d /tmp/uniroot-demo.XXXXXX)
loop=""
cleanup() {
    [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

uuid=$(cat /proc/sys/kernel/random/uuid)
label="uniroot-demo"
truncate -s 16M "$work/rootfs.img"
mkfs.ext4 -q -L "$label" -U "$uuid" "$work/rootfs.img"
loop=$(losetup --find --show "$work/rootfs.img")
echo "demo: rootfs $work/rootfs.img on $loop (label $label, uuid $uuid)"
echo "demo: $VMM --mem=32 --block:rootfs=$loop $GUEST"
status=0
out=$("$VMM" --mem=32 --block:rootfs="$loop" "$GUEST" 2>&1) || status=$?
echo "$out" | sed 's/^/  guest| /'
if echo "$out" | grep -q "label=$label uuid=$uuid"; then
    echo "demo: OK: the unikernel read the rootfs it was given (exit status $status)"
else
    echo "demo: FAILED: the guest did not report label=$label uuid=$uuid" >&2
    exit 1
fi
