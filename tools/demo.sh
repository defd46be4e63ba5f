#!/bin/bash
# tools/demo.sh: uniroot's main job, end to end on this machine, as root:
#   1. the node agent (unirootd) watches a containerd-style state directory;
#   2. an ext4 root filesystem holding a unikernel is attached to a loop
#      device and mounted on a container bundle's rootfs, as containerd's shim
#      does before `create`; the agent sees the mount in the kernel and writes
#      its decision (dev.uniroot.rootfs) into the bundle's config.json;
#   3. the OCI runtime (uniroot run) verifies that annotation in O(1), copies
#      the unikernel out, unmounts the rootfs and boots the unikernel with the
#      device as block device "rootfs": on uniroot-vmm (Solo5 hvt, a KVM
#      guest) where /dev/kvm exists, else on uniroot-spt (Solo5 spt, a
#      seccomp-confined process, no VM); it says which;
#   4. the unikernel (tests/guests/ext4label.c, built for that target)
#      prints the filesystem's label and UUID, proving the right rootfs arrived.
# UNIROOT_DEMO_HYPERVISOR=hvt|spt chooses instead; hvt without /dev/kvm runs
# the demo inside a qemu guest with nested KVM (tests/nested/run-in-vm.sh),
# unless UNIROOT_DEMO_NESTED=no.
# `make demo` builds first. Everything it makes is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/bin
hv=${UNIROOT_DEMO_HYPERVISOR:-}
if [ -z "$hv" ]; then
    if [ -c /dev/kvm ]; then hv=hvt; else hv=spt; fi
fi
case $hv in
hvt) MONITOR=uniroot-vmm how="Solo5 hvt: a KVM guest" ;;
spt) MONITOR=uniroot-spt how="Solo5 spt: a seccomp-confined process, no VM" ;;
*) echo "demo: UNIROOT_DEMO_HYPERVISOR must be hvt or spt, not '$hv'" >&2; exit 1 ;;
esac
GUEST=build/guests/ext4label.$hv
for f in $B/uniroot $B/$MONITOR $B/unirootd "$GUEST"; do
    [ -e "$f" ] || { echo "demo: $f is missing; run make first" >&2; exit 1; }
done
if [ "$hv" = hvt ] && [ ! -c /dev/kvm ]; then
    # hvt asked for without /dev/kvm: this same demo inside a qemu guest with
    # nested KVM (tests/nested/run-in-vm.sh), unless UNIROOT_DEMO_NESTED=no.
    if [ "${UNIROOT_DEMO_NESTED:-yes}" != no ] && [ -x tests/nested/run-in-vm.sh ]; then
        echo "demo: /dev/kvm is missing here; running the hvt demo in a nested KVM guest" \
            "(qemu TCG with emulated AMD SVM: slower, a few minutes)"
        exec tests/nested/run-in-vm.sh --needs kvm -- env UNIROOT_DEMO_HYPERVISOR=hvt bash tools/demo.sh
    fi
    echo "demo: /dev/kvm is missing: this machine cannot run KVM guests (hvt); without" \
        "UNIROOT_DEMO_HYPERVISOR=hvt the demo runs on uniroot-spt" >&2
    exit 1
fi
if [ -c /dev/kvm ]; then kvm="/dev/kvm is here"; else kvm="/dev/kvm is missing here"; fi
echo "demo: $kvm: the unikernel runs on $MONITOR ($how)"
[ "$(id -u)" = 0 ] || { echo "demo: run as root (mounts, loop devices, BPF)" >&2; exit 1; }

work=$(mktemp -d /tmp/uniroot-demo.XXXXXX)
state=$work/state            # stands for /run/containerd
pin=/sys/fs/bpf/uniroot-demo-$$/v1
loop="" agent=""
cleanup() {
    set +e
    [ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
    $B/unirootd --cleanup --pin-dir "$pin" >/dev/null 2>&1
    rmdir "$(dirname "$pin")" 2>/dev/null
    umount -R -l "$state" 2>/dev/null
    [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\ndemo: %s\n' "$*"; }

say "1. starting the node agent on $state"
mkdir -p "$state" && mount -t tmpfs tmpfs "$state"
$B/unirootd --config /dev/null --state-dir "$state" --socket "$work/unirootd.sock" \
    --pin-dir "$pin" >"$work/agent.log" 2>&1 &
agent=$!
for _ in $(seq 100); do grep -q '"event":"ready"' "$work/agent.log" && break; sleep 0.05; done
grep -q '"event":"ready"' "$work/agent.log" || { cat "$work/agent.log" >&2; exit 1; }
grep -E "\"event\":\"(observer|ready)\"" "$work/agent.log" | head -3 | sed "s/^/   agent log: /" || true

say "2. a unikernel rootfs (ext4 on a loop device) mounted on a bundle, as containerd's shim does"
uuid=$(cat /proc/sys/kernel/random/uuid)
label=uniroot-demo
mkdir -p "$work/src/unikernel" && cp "$GUEST" "$work/src/unikernel/"
truncate -s 16M "$work/rootfs.img"
mkfs.ext4 -q -F -L "$label" -U "$uuid" -d "$work/src" "$work/rootfs.img"
loop=$(losetup --find --show "$work/rootfs.img")
bundle=$state/io.containerd.runtime.v2.task/default/demo
mkdir -p "$bundle/rootfs"
cat >"$bundle/config.json" <<JSON
{"ociVersion":"1.0.2","process":{"args":["unikernel"]},"root":{"path":"rootfs"},
 "annotations":{"com.urunc.unikernel.unikernelType":"solo5","com.urunc.unikernel.hypervisor":"$hv",
  "com.urunc.unikernel.binary":"/unikernel/ext4label.$hv","com.urunc.unikernel.mountRootfs":"true"}}
JSON
mount "$loop" "$bundle/rootfs"
echo "   $loop (label $label, uuid $uuid) mounted on $bundle/rootfs"
for _ in $(seq 100); do grep -q dev.uniroot.rootfs "$bundle/config.json" && break; sleep 0.01; done
grep -q dev.uniroot.rootfs "$bundle/config.json" || { echo "demo: the agent did not annotate the bundle" >&2; cat "$work/agent.log" >&2; exit 1; }
echo "   the agent annotated config.json:"
grep -o '"dev.uniroot.rootfs": *"[^}]*}' "$bundle/config.json" | sed 's/\\"/"/g; s/^/     /'

say "3. uniroot run --bundle $bundle demo"
status=0
out=$($B/uniroot --root "$work/run" --log "$work/runtime.log" run --bundle "$bundle" demo 2>&1) || status=$?
grep -E 'unikernel .* on |rootfs: |starting ' "$work/runtime.log" | sed 's/^/   runtime: /' || true

say "4. the unikernel's output (exit status $status)"
echo "$out" | sed 's/^/   guest| /'
# OK only if the runtime took the device from the agent's annotation (not a
# fallback of its own) and the guest read that very filesystem.
if ! grep -q 'rootfs: annotation: verified' "$work/runtime.log"; then
    say "FAILED: the runtime did not verify the agent's annotation (it decided by itself)" >&2
    exit 1
elif ! grep -Eq "starting ([^ ]*/)?$MONITOR " "$work/runtime.log"; then
    say "FAILED: the runtime did not start $MONITOR" >&2
    exit 1
elif [ "$status" -eq 0 ] && echo "$out" | grep -q "label=$label uuid=$uuid"; then
    say "OK: the unikernel booted on $MONITOR from the block rootfs the agent observed"
else
    say "FAILED: expected label=$label uuid=$uuid" >&2
    exit 1
fi
