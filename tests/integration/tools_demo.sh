#!/bin/bash
# tools_demo.sh: tools/demo.sh (`make demo`) does what it says, on each
# monitor this host can run: by default hvt (uniroot-vmm) where /dev/kvm
# exists and spt (uniroot-spt) where it does not, and it says which; spt
# forced where KVM exists too. Each run ends with its OK line naming the
# monitor, the agent's annotation names the loop device the demo mounted, the
# runtime took that annotation (verified, not the libmount fallback),
# unmounted the device and started that monitor, the guest printed the label
# and UUID of the very filesystem the demo made, and nothing of it is left
# behind (work dir, mounts, loop device, BPF pins). hvt without /dev/kvm: its
# refusal with UNIROOT_DEMO_NESTED=no, and the demo run in its nested KVM
# guest (about a minute under TCG).
. "$(dirname "$0")/lib.sh"
DEMO=$UR_TOP/tools/demo.sh

[ "$(id -u)" -eq 0 ] || { skip "demo" "needs root (mounts, loop devices, BPF)"; finish; exit 0; }
for f in build/bin/uniroot build/bin/uniroot-vmm build/bin/uniroot-spt build/bin/unirootd \
    build/guests/ext4label.hvt build/guests/ext4label.spt; do
    [ -e "$UR_TOP/$f" ] || { not_ok "build" "$f missing (run make)"; finish; exit 1; }
done

leftovers() { # what the demo could leave behind, one line each
    ls -d /tmp/uniroot-demo.* /sys/fs/bpf/uniroot-demo-* 2>/dev/null
    losetup -l -n -O NAME,BACK-FILE | awk 'index($2, "/tmp/uniroot-demo.") == 1'
    awk 'index($5, "/tmp/uniroot-demo.") == 1 {print $5}' /proc/self/mountinfo
}

# demo_case TAG MONITOR [ENV...]: run the demo (with ENV) and check it all
demo_case() {
    local t=$1 mon=$2 before after t0 loop label uuid
    shift 2
    before=$(leftovers | sort)
    t0=$(date +%s%N)
    expect "$t: demo succeeds on $mon" 0 "^demo: OK: the unikernel booted on $mon from the block rootfs the agent observed\$" -- \
        env "$@" bash "$DEMO"
    local out=$T_OUT
    echo "# $t: demo took $((($(date +%s%N) - t0) / 1000000)) ms"
    echo "$out" | sed 's/^/#   /'
    echo "$out" | grep -Eq "^demo: /dev/kvm is (here|missing here): the unikernel runs on $mon \(" &&
        ok "$t: demo says it runs on $mon" || not_ok "$t: demo says it runs on $mon" "$(echo "$out" | head -2 | tr '\n' '|')"
    # "   /dev/loopN (label L, uuid U) mounted on .../rootfs"
    # (no process substitution: a nested guest has no /dev/fd)
    read -r loop label uuid <<<"$(echo "$out" | sed -n 's|^ *\(/dev/loop[0-9]*\) (label \([^,]*\), uuid \([0-9a-f-]*\)) mounted on .*|\1 \2 \3|p')"
    [ -n "${uuid:-}" ] && ok "$t: demo names its loop device and filesystem" ||
        not_ok "$t: demo names its loop device and filesystem" "no '/dev/loopN (label ..., uuid ...) mounted' line"
    echo "$out" | grep -q "\"type\":\"block\",\"device\":\"${loop:-none}\"," && ok "$t: the annotation names that loop device" ||
        not_ok "$t: the annotation names that loop device" "$(echo "$out" | grep -A1 'annotated config.json' | tail -1)"
    echo "$out" | grep -Eq "runtime: .*rootfs: annotation: verified \(block ${loop:-none} [0-9]+:[0-9]+\)" &&
        ok "$t: the runtime verified the annotation" ||
        not_ok "$t: the runtime verified the annotation" "$(echo "$out" | grep 'runtime:' | tr '\n' '|')"
    echo "$out" | grep -q "runtime: .*rootfs: decision rootfs-block" && echo "$out" | grep -q "runtime: .*rootfs: unmounted .* (${loop:-none}) from the host" &&
        ok "$t: the runtime took the block rootfs and unmounted it from the host" ||
        not_ok "$t: the runtime took the block rootfs and unmounted it from the host" "$(echo "$out" | grep 'runtime:' | tr '\n' '|')"
    echo "$out" | grep -Eq "runtime: .*starting ([^ ]*/)?$mon .*--block:rootfs=" &&
        ok "$t: the runtime started $mon with the rootfs device" ||
        not_ok "$t: the runtime started $mon with the rootfs device" "$(echo "$out" | grep 'runtime:.*starting' | tr '\n' '|')"
    echo "$out" | grep -q "guest| .*label=${label:-none} uuid=${uuid:-none}" && ok "$t: the guest read that filesystem's label and UUID" ||
        not_ok "$t: the guest read that filesystem's label and UUID" "$(echo "$out" | grep 'guest|' | tr '\n' '|')"
    after=$(leftovers | sort)
    [ "$after" = "$before" ] && ok "$t: demo leaves nothing behind" ||
        not_ok "$t: demo leaves nothing behind" "now: $(echo "$after" | tr '\n' ' '); before: $(echo "$before" | tr '\n' ' ')"
}

if [ -c /dev/kvm ]; then
    demo_case "hvt (default with /dev/kvm)" uniroot-vmm
    demo_case "spt (UNIROOT_DEMO_HYPERVISOR=spt)" uniroot-spt UNIROOT_DEMO_HYPERVISOR=spt
else
    demo_case "spt (default without /dev/kvm)" uniroot-spt UNIROOT_DEMO_NESTED=no
    expect "hvt without /dev/kvm and without nesting refuses, saying why" 1 '^demo: /dev/kvm is missing: this machine cannot run KVM guests' -- \
        env UNIROOT_DEMO_HYPERVISOR=hvt UNIROOT_DEMO_NESTED=no bash "$DEMO"
    # hvt asked for without /dev/kvm: the demo runs itself in a nested KVM guest
    demo_case "hvt in a nested KVM guest (UNIROOT_DEMO_HYPERVISOR=hvt)" uniroot-vmm UNIROOT_DEMO_HYPERVISOR=hvt
fi
expect "an unknown UNIROOT_DEMO_HYPERVISOR is refused" 1 '^demo: UNIROOT_DEMO_HYPERVISOR must be hvt or spt' -- \
    env UNIROOT_DEMO_HYPERVISOR=qemu bash "$DEMO"
finish
