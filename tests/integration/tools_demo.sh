#!/bin/bash
# tools_demo.sh: tools/demo.sh (`make demo`) does what it says: it ends with
# its OK line, the agent's annotation names the loop device the demo mounted,
# the runtime took that annotation (verified, not the libmount fallback) and
# unmounted the device, the guest printed the label and UUID of the very
# filesystem the demo made, and nothing of it is left behind (work dir,
# mounts, loop device, BPF pins). Without /dev/kvm only the refusal is checked
# here; tests/run.sh runs this script in the nested KVM guest instead.
# uniroot-test: needs kvm
. "$(dirname "$0")/lib.sh"
DEMO=$UR_TOP/tools/demo.sh

if [ ! -c /dev/kvm ]; then
    expect "demo without /dev/kvm and without nesting refuses, saying why" 1 '^demo: /dev/kvm is missing' -- env UNIROOT_DEMO_NESTED=no bash "$DEMO"
    skip "demo end to end" "no /dev/kvm here (tests/run.sh runs this script in a nested KVM guest: tests/nested/run-in-vm.sh)"
    finish
    exit
fi
[ "$(id -u)" -eq 0 ] || { skip "demo" "needs root (mounts, loop devices, BPF)"; finish; exit 0; }
for f in build/bin/uniroot build/bin/uniroot-vmm build/bin/unirootd build/guests/ext4label.hvt; do
    [ -e "$UR_TOP/$f" ] || { not_ok "build" "$f missing (run make)"; finish; exit 1; }
done

leftovers() { # what the demo could leave behind, one line each
    ls -d /tmp/uniroot-demo.* /sys/fs/bpf/uniroot-demo-* 2>/dev/null
    losetup -l -n -O NAME,BACK-FILE | awk 'index($2, "/tmp/uniroot-demo.") == 1'
    awk 'index($5, "/tmp/uniroot-demo.") == 1 {print $5}' /proc/self/mountinfo
}
BEFORE=$(leftovers | sort)

T0=$(date +%s%N)
expect "demo succeeds" 0 '^demo: OK: the unikernel booted from the block rootfs the agent observed$' -- bash "$DEMO"
OUT=$T_OUT
echo "# demo took $((($(date +%s%N) - T0) / 1000000)) ms"
echo "$OUT" | sed 's/^/#   /'

# "   /dev/loopN (label L, uuid U) mounted on .../rootfs"
# (no process substitution: the nested guest has no /dev/fd)
read -r LOOP LABEL UUID <<<"$(echo "$OUT" | sed -n 's|^ *\(/dev/loop[0-9]*\) (label \([^,]*\), uuid \([0-9a-f-]*\)) mounted on .*|\1 \2 \3|p')"
[ -n "${UUID:-}" ] && ok "demo names its loop device and filesystem" ||
    not_ok "demo names its loop device and filesystem" "no '/dev/loopN (label ..., uuid ...) mounted' line"
echo "$OUT" | grep -q "\"type\":\"block\",\"device\":\"${LOOP:-none}\"," && ok "the annotation names that loop device" ||
    not_ok "the annotation names that loop device" "$(echo "$OUT" | grep -A1 'annotated config.json' | tail -1)"
echo "$OUT" | grep -Eq "runtime: .*rootfs: annotation: verified \(block ${LOOP:-none} [0-9]+:[0-9]+\)" &&
    ok "the runtime verified the annotation" ||
    not_ok "the runtime verified the annotation" "$(echo "$OUT" | grep 'runtime:' | tr '\n' '|')"
echo "$OUT" | grep -q "runtime: .*rootfs: decision rootfs-block" && echo "$OUT" | grep -q "runtime: .*rootfs: unmounted .* (${LOOP:-none}) from the host" &&
    ok "the runtime took the block rootfs and unmounted it from the host" ||
    not_ok "the runtime took the block rootfs and unmounted it from the host" "$(echo "$OUT" | grep 'runtime:' | tr '\n' '|')"
echo "$OUT" | grep -q "guest| .*label=${LABEL:-none} uuid=${UUID:-none}" && ok "the guest read that filesystem's label and UUID" ||
    not_ok "the guest read that filesystem's label and UUID" "$(echo "$OUT" | grep 'guest|' | tr '\n' '|')"
AFTER=$(leftovers | sort)
[ "$AFTER" = "$BEFORE" ] && ok "demo leaves nothing behind" || not_ok "demo leaves nothing behind" "now: $(echo "$AFTER" | tr '\n' ' '); before: $(echo "$BEFORE" | tr '\n' ' ')"
finish
