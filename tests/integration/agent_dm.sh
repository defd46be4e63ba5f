#!/bin/bash
# agent_dm.sh: unirootd and device-mapper rootfs devices. A thin pool on two
# loop devices, a thin volume holding an ext4 image, then for each attach
# strategy (bpf-tracepoint, bpf-fentry) a thin snapshot activated (dmsetup
# create: DM_DEV_CREATE, DM_TABLE_LOAD, resume) and mounted on a
# containerd-style bundle path: the agent must be live with that observer,
# record the dm device with its name and uuid, annotate the bundle, report
# each dm ioctl, see DM_DEV_REMOVE and drop the record at umount.
# Needs /dev/mapper/control (and a kernel that allows fentry): tests/run.sh
# runs it in a guest on Debian's cloud kernel (tests/nested/run-in-vm.sh
# --needs dm) where the host lacks it; `make check-vm` does that too.
# Names carry the pid, so it never meets other pools; everything is removed.
# uniroot-test: needs dm
. "$(dirname "$0")/agent_lib.sh"

[ -c /dev/mapper/control ] ||
    { skip "dm" "no /dev/mapper/control (run it through tests/nested/run-in-vm.sh --needs dm, as tests/run.sh does)"; finish; exit 0; }
for t in dmsetup mkfs.ext4 losetup; do
    command -v $t >/dev/null || { skip "dm" "$t is not installed (tools/install-deps.sh)"; finish; exit 0; }
done

DM="dmsetup --noudevsync"
P=uniroot-test-$$
POOL=$P-pool
at_exit "for d in \$(dmsetup ls 2>/dev/null | awk -v p='$P-' 'index(\$1, p) == 1 && \$1 != \"$POOL\" {print \$1}'); do $DM remove --force \$d; done; $DM remove --force $POOL; dmsetup mknodes"
echo "# kernel $(uname -r)"

# The pool: metadata and data on loop devices (image files under T_TMP, so
# agent_cleanup_loops finds them by their names).
truncate -s 16M "$T_TMP/img.meta" && truncate -s 128M "$T_TMP/img.data" && truncate -s 16M "$T_TMP/base.ext4" &&
    mkfs.ext4 -q -F "$T_TMP/base.ext4" || { not_ok "images" "truncate or mkfs.ext4 failed"; finish; exit 1; }
META=$(losetup -f --show "$T_TMP/img.meta") && DATA=$(losetup -f --show "$T_TMP/img.data") ||
    { not_ok "loop devices" "losetup failed"; finish; exit 1; }
if $DM create "$POOL" --table "0 262144 thin-pool $META $DATA 128 0" && dmsetup mknodes &&
    $DM message "/dev/mapper/$POOL" 0 "create_thin 0" &&
    $DM create "$P-base" --table "0 32768 thin /dev/mapper/$POOL 0" && dmsetup mknodes &&
    dd if="$T_TMP/base.ext4" of="/dev/mapper/$P-base" bs=1M conv=fsync status=none && $DM remove "$P-base"; then
    ok "thin pool with an ext4 base volume"
else
    not_ok "thin pool with an ext4 base volume" "dmsetup failed"
    finish
    exit 1
fi

id=1
for obs in bpf-tracepoint bpf-fentry; do
    # BPF loading is slow in an emulated guest: wait up to 120 s for "ready".
    : >"$LOG"
    "$UNIROOTD" --config /dev/null --state-dir "$STATE" --socket "$SOCK" --pin-dir "$PIN" \
        --reconcile-interval 0 --observer $obs >>"$LOG" 2>&1 &
    AGENT_PID=$!
    for _ in $(seq 600); do
        grep -q '"event":"ready"' "$LOG" && break
        kill -0 "$AGENT_PID" 2>/dev/null || break
        sleep 0.2
    done
    if ! grep -q '"event":"ready"' "$LOG"; then
        not_ok "$obs: agent ready" "$(tail -c 300 "$LOG")"
        agent_stop
        id=$((id + 1))
        continue
    fi
    ok "$obs: agent ready ($(grep -o '"live":"[^"]*"' "$LOG"))"
    grep -q "\"live\":\"$obs\"" "$LOG" && ok "$obs: is the live observer" || not_ok "$obs: live observer" "$(grep -o '"live":"[^"]*"' "$LOG")"
    # The build embeds a minimal BTF cut from the build machine's kernel: on
    # another kernel (surely in run-in-vm.sh's guest) CO-RE must fall back to
    # the full kernel BTF (the fentry variant always uses the full one).
    if [ $obs = bpf-tracepoint ] && [ -n "${UR_IN_VM:-}" ]; then
        grep -q '"event":"btf","core":"kernel","why":".*is not the BTF the build was cut from' "$LOG" &&
            ok "$obs: another kernel: CO-RE against its full BTF, not the embedded one" ||
            not_ok "$obs: btf choice" "$(grep -o '"event":"btf".*' "$LOG")"
    fi
    B=$(new_bundle "vm-$obs" unikernel)
    SNAP=$P-snap-$obs UUID=UNIROOT-SNAP-$$-$id
    $DM message "/dev/mapper/$POOL" 0 "create_snap $id 0"
    $DM create "$SNAP" --uuid "$UUID" --table "0 32768 thin /dev/mapper/$POOL $id" && dmsetup mknodes
    DEV=$(dmsetup info -c --noheadings -o blkdevname "$SNAP")
    MM=$(dmsetup info -c --noheadings -o major,minor --separator : "$SNAP")
    mount -t ext4 "/dev/mapper/$SNAP" "$B/rootfs" && ok "$obs: snapshot mounted on the bundle" || not_ok "$obs: mount" "mount failed"
    want="\"device\":\"/dev/$DEV\",\"major\":${MM%%:*},\"minor\":${MM##*:},\"fstype\":\"ext4\",\"backing\":\"dm:$SNAP uuid:$UUID\""
    for _ in $(seq 50); do ctl get default "vm-$obs" 2>/dev/null | grep -qF "$want" && break; sleep 0.2; done
    R=$(ctl get default "vm-$obs" 2>&1)
    echo "# record: $R"
    echo "$R" | grep -qF "$want" && ok "$obs: record names the dm device, name and uuid" || not_ok "$obs: record" "$R"
    for _ in $(seq 50); do grep -q 'dev.uniroot.rootfs' "$B/config.json" && break; sleep 0.2; done
    grep -q 'dev.uniroot.rootfs' "$B/config.json" && ok "$obs: bundle annotated" || not_ok "$obs: annotation" "$(cat "$B/config.json")"
    grep -q "\"event\":\"dm-ioctl\",\"cmd\":\"create\",\"name\":\"$SNAP\",\"uuid\":\"$UUID\"" "$LOG" &&
        ok "$obs: DM_DEV_CREATE seen with name and uuid" || not_ok "$obs: DM_DEV_CREATE not seen" "$(grep dm-ioctl "$LOG" | head -3)"
    grep -o '"event":"dm-ioctl".*' "$LOG" | sed 's/^/# dmlog: /'
    # dmsetup loads the table by device number (the disk may not be in sysfs yet)
    grep -q "\"event\":\"dm-ioctl\",\"cmd\":\"table-load\",.*\"dev\":\"$MM\"" "$LOG" &&
        ok "$obs: DM_TABLE_LOAD seen (by device $MM)" || not_ok "$obs: DM_TABLE_LOAD not seen" "see dmlog"
    grep -q "\"event\":\"dm-ioctl\",\"cmd\":\"resume\",\"name\":\"$SNAP\",.*\"now_uuid\":\"$UUID\",\"now_dev\":\"$MM\"" "$LOG" &&
        ok "$obs: resume seen (resolved to device $MM)" || not_ok "$obs: resume not seen" "see dmlog"
    umount "$B/rootfs"
    $DM remove "$SNAP"
    for _ in $(seq 50); do grep -q "\"event\":\"dm-ioctl\",\"cmd\":\"remove\",\"name\":\"$SNAP\"" "$LOG" && break; sleep 0.1; done
    grep -q "\"event\":\"dm-ioctl\",\"cmd\":\"remove\",\"name\":\"$SNAP\"" "$LOG" &&
        ok "$obs: DM_DEV_REMOVE seen" || not_ok "$obs: DM_DEV_REMOVE not seen" "see dmlog"
    for _ in $(seq 50); do ctl get default "vm-$obs" >/dev/null 2>&1 || break; sleep 0.1; done
    ctl get default "vm-$obs" >/dev/null 2>&1 && not_ok "$obs: record kept after umount" "$(ctl get default "vm-$obs")" ||
        ok "$obs: umount removed the record"
    agent_stop
    grep '"level":"error"' "$LOG" | head -3 | sed 's/^/# /'
    agent_log_clean
    id=$((id + 1))
done
finish
