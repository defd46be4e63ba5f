#!/bin/bash
# agent_vm.sh: the device-mapper path for real, in a qemu (TCG) guest running
# Debian's linux-image-cloud-amd64 (6.1: dm-thin as modules, fentry/LSM
# allowed). In the guest: a thin pool on two loop devices, a thin volume with
# an ext4 image, then for each attach strategy (bpf-tracepoint, bpf-fentry) a
# thin snapshot activated (dmsetup create: DM_DEV_CREATE, DM_TABLE_LOAD,
# resume) and mounted on a containerd bundle path; unirootd must report the
# dm name, uuid and device, and see DM_DEV_REMOVE.
# Also run by `make check-vm`. Skips (saying why) without qemu, busybox-static,
# dmsetup, or when the kernel package cannot be fetched with apt-get download.
. "$(dirname "$0")/lib.sh"
VM=$UR_TOP/build/vm
KPKG=${AGENT_VM_KERNEL:-linux-image-cloud-amd64}
for f in "$UR_TOP/build/bin/unirootd" "$UR_TOP/build/bin/unirootctl"; do
    [ -x "$f" ] || { not_ok "build" "$f missing (run make)"; finish; exit 1; }
done
for t in qemu-system-x86_64 dmsetup mkfs.ext4; do
    command -v $t >/dev/null || { skip "dm in a VM" "$t not installed (tools/install-deps.sh)"; finish; exit 0; }
done
BB=$(command -v busybox)
[ -n "$BB" ] && ! ldd "$BB" >/dev/null 2>&1 ||
    { skip "dm in a VM" "busybox-static not installed (a static busybox is the guest's userland)"; finish; exit 0; }

# The guest kernel: the .deb fetched once into build/vm, never installed.
mkdir -p "$VM"
if ! ls "$VM"/kernel/boot/vmlinuz-* >/dev/null 2>&1; then
    real=$(apt-cache depends "$KPKG" 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
    [ -n "$real" ] || { skip "dm in a VM" "apt knows no $KPKG (apt-get update first)"; finish; exit 0; }
    rm -rf "$VM/kernel" "$VM"/linux-image-*.deb
    (cd "$VM" && apt-get download "$real" >/dev/null 2>&1) && dpkg-deb -x "$VM/$real"_*.deb "$VM/kernel" &&
        ls "$VM"/kernel/boot/vmlinuz-* >/dev/null 2>&1 ||
        { skip "dm in a VM" "cannot fetch $real with apt-get download"; finish; exit 0; }
fi
KVER=$(ls "$VM/kernel/lib/modules" | head -1)
VMLINUZ=$(ls "$VM"/kernel/boot/vmlinuz-* | head -1)

# The initramfs: busybox, the agent and dmsetup with their libraries, modules.
R=$T_TMP/root
mkdir -p "$R"/{bin,sbin,lib/modules,lib64,proc,sys,dev,run,tmp,etc}
cp "$BB" "$R/bin/busybox"
cp "$UR_TOP/build/bin/unirootd" "$UR_TOP/build/bin/unirootctl" "$(command -v dmsetup)" "$R/bin/"
for b in "$UR_TOP/build/bin/unirootd" "$UR_TOP/build/bin/unirootctl" "$(command -v dmsetup)"; do
    ldd "$b" | grep -o '/[^ ]*' | while read -r l; do
        mkdir -p "$R$(dirname "$l")"
        cp -L "$l" "$R$l"
    done
done
for m in loop libcrc32c dm-mod dm-bufio dm-bio-prison dm-persistent-data dm-thin-pool; do
    cp "$(find "$VM/kernel/lib/modules/$KVER" -name "$m.ko" | head -1)" "$R/lib/modules/" ||
        { not_ok "guest modules" "$m.ko not in the kernel package"; finish; exit 1; }
done
truncate -s 16M "$R/base.ext4" && mkfs.ext4 -q -F "$R/base.ext4"
cat >"$R/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp
say() { echo "VMTEST $*"; }
for m in loop libcrc32c dm-mod dm-bufio dm-bio-prison dm-persistent-data dm-thin-pool; do
    insmod /lib/modules/$m.ko || say "not ok - insmod $m"
done
echo "kernel $(uname -r)"
DM="dmsetup --noudevsync"
truncate -s 16M /tmp/meta.img; truncate -s 128M /tmp/data.img
META=$(losetup -f); losetup $META /tmp/meta.img
DATA=$(losetup -f); losetup $DATA /tmp/data.img
$DM create pool --table "0 262144 thin-pool $META $DATA 128 0" && dmsetup mknodes &&
$DM message /dev/mapper/pool 0 "create_thin 0" &&
$DM create base --table "0 32768 thin /dev/mapper/pool 0" && dmsetup mknodes &&
dd if=/base.ext4 of=/dev/mapper/base bs=1M 2>/dev/null && $DM remove base &&
say "ok - thin pool with an ext4 base volume" || say "not ok - thin pool setup"
id=1
for obs in bpf-tracepoint bpf-fentry; do
    rm -f /tmp/agent.log
    unirootd --config /dev/null --observer $obs --state-dir /run/containerd --reconcile-interval 0 2>/tmp/agent.log &
    AP=$!
    n=0; while ! grep -q '"event":"ready"' /tmp/agent.log && [ $n -lt 600 ]; do sleep 0.2; n=$((n+1)); done
    if ! grep -q '"event":"ready"' /tmp/agent.log; then
        say "not ok - $obs: agent ready: $(tail -c 300 /tmp/agent.log)"; kill $AP; id=$((id+1)); continue
    fi
    say "ok - $obs: agent ready ($(grep -o '"live":"[^"]*"' /tmp/agent.log))"
    grep -q "\"live\":\"$obs\"" /tmp/agent.log && say "ok - $obs: is the live observer" || say "not ok - $obs: live observer"
    # The host build embeds a minimal BTF cut from the host kernel's: this kernel's differs, so
    # CO-RE must fall back to the full kernel BTF (the fentry variant always uses the full one).
    if [ $obs = bpf-tracepoint ]; then
        grep -q '"event":"btf","core":"kernel","why":".*is not the BTF the build was cut from' /tmp/agent.log &&
            say "ok - $obs: another kernel: CO-RE against its full BTF, not the embedded one" ||
            say "not ok - $obs: btf choice: $(grep -o '"event":"btf".*' /tmp/agent.log)"
    fi
    B=/run/containerd/io.containerd.runtime.v2.task/default/vm-$obs
    mkdir -p $B/rootfs
    echo '{"annotations":{"com.urunc.unikernel.unikernelType":"solo5"}}' > $B/config.json
    $DM message /dev/mapper/pool 0 "create_snap $id 0"
    $DM create snap-$obs --uuid UNIROOT-SNAP-$id --table "0 32768 thin /dev/mapper/pool $id" && dmsetup mknodes
    DEV=$(dmsetup info -c --noheadings -o blkdevname snap-$obs)
    MM=$(dmsetup info -c --noheadings -o major,minor --separator : snap-$obs)
    mount -t ext4 /dev/mapper/snap-$obs $B/rootfs && say "ok - $obs: snapshot mounted on the bundle" || say "not ok - $obs: mount"
    sleep 0.5
    R=$(unirootctl get default vm-$obs)
    echo "record: $R"
    echo "$R" | grep -q "\"device\":\"/dev/$DEV\",\"major\":${MM%%:*},\"minor\":${MM##*:},\"fstype\":\"ext4\",\"backing\":\"dm:snap-$obs uuid:UNIROOT-SNAP-$id\"" &&
        say "ok - $obs: record names the dm device, name and uuid" || say "not ok - $obs: record: $R"
    grep -q 'dev.uniroot.rootfs' $B/config.json && say "ok - $obs: bundle annotated" || say "not ok - $obs: annotation"
    grep -q "\"event\":\"dm-ioctl\",\"cmd\":\"create\",\"name\":\"snap-$obs\",\"uuid\":\"UNIROOT-SNAP-$id\"" /tmp/agent.log &&
        say "ok - $obs: DM_DEV_CREATE seen with name and uuid" || say "not ok - $obs: DM_DEV_CREATE not seen: $(grep dm-ioctl /tmp/agent.log | head -3)"
    grep -o '"event":"dm-ioctl".*' /tmp/agent.log | sed 's/^/dmlog: /'
    # dmsetup loads the table by device number (the disk may not be in sysfs yet)
    grep -q "\"event\":\"dm-ioctl\",\"cmd\":\"table-load\",.*\"dev\":\"$MM\"" /tmp/agent.log &&
        say "ok - $obs: DM_TABLE_LOAD seen (by device $MM)" || say "not ok - $obs: DM_TABLE_LOAD not seen"
    grep -q "\"event\":\"dm-ioctl\",\"cmd\":\"resume\",\"name\":\"snap-$obs\",.*\"now_uuid\":\"UNIROOT-SNAP-$id\",\"now_dev\":\"$MM\"" /tmp/agent.log &&
        say "ok - $obs: resume seen (resolved to device $MM)" || say "not ok - $obs: resume not seen"
    umount $B/rootfs
    $DM remove snap-$obs
    sleep 0.3
    grep -q "\"event\":\"dm-ioctl\",\"cmd\":\"remove\",\"name\":\"snap-$obs\"" /tmp/agent.log &&
        say "ok - $obs: DM_DEV_REMOVE seen" || say "not ok - $obs: DM_DEV_REMOVE not seen"
    unirootctl get default vm-$obs >/dev/null && say "not ok - $obs: record kept after umount" || say "ok - $obs: umount removed the record"
    kill $AP; wait $AP
    grep '"level":"error"' /tmp/agent.log | head -3
    id=$((id+1))
done
echo VMTEST-DONE
poweroff -f
EOF
chmod +x "$R/init"
(cd "$R" && find . | "$BB" cpio -o -H newc 2>/dev/null | gzip -1) >"$T_TMP/initrd.gz"

echo "# booting $(basename "$VMLINUZ") under qemu TCG"
start=$(date +%s)
timeout 600 qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 1 -nographic -no-reboot \
    -kernel "$VMLINUZ" -initrd "$T_TMP/initrd.gz" \
    -append "console=ttyS0 panic=-1 quiet rdinit=/init" >"$T_TMP/console.log" 2>&1
echo "# guest ran $(( $(date +%s) - start )) s"
grep -aE '^(kernel|record:|dmlog:)' "$T_TMP/console.log" | sed 's/^/# /'
grep -q VMTEST-DONE "$T_TMP/console.log" || { not_ok "guest finished" "$(tail -20 "$T_TMP/console.log" | tr '\n' '|')"; }
while read -r line; do
    case $line in
    "VMTEST ok - "*) ok "guest: ${line#VMTEST ok - }" ;;
    "VMTEST not ok - "*) not_ok "guest: ${line#VMTEST not ok - }" "see above" ;;
    esac
done < <(grep -a '^VMTEST ' "$T_TMP/console.log" | tr -d '\r')
finish
