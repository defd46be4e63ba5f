#!/bin/bash
# runtime_blocksnap.sh: the whole path with a block snapshotter. A private
# containerd uses tests/e2e/blocksnap.py (a proxy snapshotter keeping each
# snapshot as an ext4 image, mounted by the shim through a loop device);
# `ctr run --runc-binary uniroot` of an ext4label image (mountRootfs true):
# uniroot finds the loop device (libmount, then through the real unirootd's
# socket), copies the guest out, unmounts, hands the device over, and the
# guest prints the snapshot's ext4 label. Nothing is left attached.
# uniroot-test: needs kvm
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.inc"

MKIMAGE=$UR_TOP/build/bin/uniroot-mkimage
UNIROOTD=$UR_TOP/build/bin/unirootd
SNAP=$UR_TOP/tests/e2e/blocksnap.py
PY=/usr/bin/python3
for f in "$UNIROOT" "$VMM" "$MKIMAGE" "$GUESTS/ext4label.hvt"; do
    [ -e "$f" ] || { skip blocksnap "$f is not built"; finish; exit; }
done
[ -w /dev/kvm ] || { skip blocksnap "no /dev/kvm"; finish; exit; }
ctd_have || { skip blocksnap "containerd, ctr or containerd-shim-runc-v2 is not installed"; finish; exit; }
"$PY" -c 'import grpc' 2>/dev/null || { skip blocksnap "python3-grpcio is not installed"; finish; exit; }

D=$T_TMP/ctd; mkdir -p "$D"
NS=uniroot-bs-$RANDOM
LABEL=bsnap$RANDOM
ASOCK=$T_TMP/agent.sock
"$PY" "$SNAP" "$D/snap.sock" "$D/snaps" "$LABEL" >"$D/snap.log" 2>&1 &
SNAPPID=$!
at_exit "kill $SNAPPID"
# bs_loops: the loop devices attached to this test's images; any left are detached at exit
bs_loops() { losetup -l -n -O NAME,BACK-FILE | awk -v p="$D/" 'index($2, p) == 1 {print $1}'; }
at_exit "bs_loops | xargs -r -n1 losetup -d"
for _ in $(seq 100); do [ -S "$D/snap.sock" ] && break; sleep 0.05; done
UNIROOT_AGENT_SOCKET=$ASOCK ctd_start "$D" "$NS" "[proxy_plugins.blocksnap]
  type = \"snapshot\"
  address = \"$D/snap.sock\"" ||
    { not_ok "containerd with the block snapshotter" "$CTD_WHY"; finish; exit; }

"$MKIMAGE" --out "$T_TMP/lbl.tar" --unikernel solo5 --kernel "$GUESTS/ext4label.hvt" --mount-rootfs --cmd /unikernel/ext4label.hvt
$C images import --snapshotter blocksnap --base-name localhost/ext4label "$T_TMP/lbl.tar" >/dev/null &&
    ok "image unpacked into ext4 snapshots" || not_ok "image import" "$(tail -3 "$D/snap.log")"
IMG=localhost/ext4label:latest
RT="$UNIROOT --root /run/containerd/runc/$NS"

expect "ctr run: the guest reads the snapshot's ext4 label from its block device" 0 "label=$LABEL" -- \
    $C run --rm --snapshotter blocksnap --runc-binary "$UNIROOT" "$IMG" r1

# detached, to read the decision through `uniroot state`; WANT_SOURCES is an
# extended regex of the sources accepted. With AGENT_WROTE=1 the bundle's
# config.json must also carry the agent's annotation (within 5 s: the agent
# races the shim's create, and when create wins the runtime asks its socket).
decision() { # ID WANT_SOURCES NAME
    $C run -d --snapshotter blocksnap --runc-binary "$UNIROOT" "$IMG" "$1" >/dev/null 2>&1
    local st; st=$($RT state "$1" 2>&1)
    echo "$st" | grep -q '"dev.uniroot.rootfs.outcome":[[:space:]]*"rootfs-block"' &&
        echo "$st" | grep -q -E "\"dev.uniroot.rootfs.source\":[[:space:]]*\"($2)\"" &&
        ok "$3" || not_ok "$3" "$(echo "$st" | grep dev.uniroot.rootfs | tr -d '\t' | tr '\n' ' ')"
    if [ "${AGENT_WROTE:-}" = 1 ]; then
        local cfg=$D/state/io.containerd.runtime.v2.task/$NS/$1/config.json
        for _ in $(seq 50); do grep -q '"dev.uniroot.rootfs"' "$cfg" 2>/dev/null && break; sleep 0.1; done
        grep -q '"dev.uniroot.rootfs"' "$cfg" 2>/dev/null && ok "the agent wrote its decision into the bundle" ||
            not_ok "the agent wrote its decision into the bundle" "no dev.uniroot.rootfs in $cfg: $(tail -3 "$T_TMP/agent.log")"
    fi
    for _ in $(seq 100); do $C tasks ls | grep -q "^$1 .*STOPPED" && break; sleep 0.1; done
    $C tasks rm "$1" >/dev/null 2>&1; $C containers rm "$1" >/dev/null 2>&1
}
decision d1 libmount "no agent: the shim's loop mount found by libmount and handed over"

if [ -x "$UNIROOTD" ]; then
    PIN=/sys/fs/bpf/uniroot-bstest-$RANDOM/v1
    "$UNIROOTD" --config /dev/null --state-dir "$D/state" --socket "$ASOCK" --pin-dir "$PIN" \
        --reconcile-interval 0 >"$T_TMP/agent.log" 2>&1 &
    AGENT=$!
    at_exit "'$UNIROOTD' --cleanup --pin-dir $PIN; rmdir $(dirname "$PIN")"
    at_exit "kill $AGENT; wait $AGENT"
    for _ in $(seq 100); do grep -q '"event":"ready"' "$T_TMP/agent.log" && break; sleep 0.05; done
    # the annotation when the agent wrote it before create, else its socket
    # (runtime_agent.sh covers each path on its own, deterministically)
    AGENT_WROTE=1 decision d2 'annotation|agent' "with unirootd: the agent's decision on the urunc.json image, verified"
else
    skip "with unirootd" "build/bin/unirootd is not built"
fi

# autoclear loop devices detach when the last holder closes them: wait up to 5 s
for _ in $(seq 50); do [ -z "$(bs_loops)" ] && break; sleep 0.1; done
left=$(bs_loops)
[ -z "$left" ] && ok "no loop device left attached" || not_ok "no loop device left attached" "$left"
grep -q "$D/state" /proc/self/mountinfo && not_ok "no rootfs left mounted" "$(grep "$D/state" /proc/self/mountinfo)" ||
    ok "no rootfs left mounted"
finish
