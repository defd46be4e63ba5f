#!/bin/bash
# runtime_spt_e2e.sh: spt unikernels (hypervisor=spt, build/guests/*.spt on
# uniroot-spt) through uniroot, driven by real engines on a host that needs
# no /dev/kvm. A private containerd (runtime_lib.inc's ctd_start) with
# tests/e2e/blocksnap.py as its block snapshotter: `ctr run --runc-binary
# uniroot` prints the guest's output and returns its exit status, and an
# ext4label image with mountRootfs boots from the snapshot's loop device
# handed over as block device "rootfs" (the decision rootfs-block, in
# `uniroot state`); `podman --runtime uniroot` runs the same guests, and one
# whose image carries an ext4 block image (block + blkMntPoint "/") that
# becomes its rootfs device. Each guest must print what only a .spt build on
# uniroot-spt prints from that rootfs.
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.inc"

export UNIROOT_SPT=${UNIROOT_SPT:-$UR_TOP/build/bin/uniroot-spt}
MKIMAGE=$UR_TOP/build/bin/uniroot-mkimage
SNAP=$UR_TOP/tests/e2e/blocksnap.py
PY=/usr/bin/python3
for f in "$UNIROOT" "$UNIROOT_SPT" "$MKIMAGE" "$GUESTS/hello.spt" "$GUESTS/exit.spt" "$GUESTS/ext4label.spt"; do
    [ -e "$f" ] || { not_ok "spt e2e: build outputs" "$f is not built (make all)"; finish; exit; }
done
[ "$(id -u)" -eq 0 ] || { skip "spt e2e" "needs root (containerd, podman, loop devices)"; finish; exit; }

# --- images
I=$T_TMP/images; mkdir -p "$I"
LABEL=sptbs$RANDOM PLABEL=sptpd$RANDOM PUUID=$(cat /proc/sys/kernel/random/uuid)
b64() { printf %s "$1" | base64 -w0; }
"$MKIMAGE" --out "$I/hello.tar" --unikernel solo5 --hypervisor spt --kernel "$GUESTS/hello.spt" \
    --cmdline "from image" --cmd /unikernel/hello.spt &&
    "$MKIMAGE" --out "$I/exit.tar" --unikernel solo5 --hypervisor spt --kernel "$GUESTS/exit.spt" \
        --cmdline 42 --cmd /unikernel/exit.spt &&
    "$MKIMAGE" --out "$I/lbl.tar" --unikernel solo5 --hypervisor spt --kernel "$GUESTS/ext4label.spt" \
        --mount-rootfs --cmd /unikernel/ext4label.spt &&
    ok "uniroot-mkimage builds spt images" || not_ok "uniroot-mkimage --hypervisor spt" "failed"
# an image carrying its rootfs as an ext4 block image (urunc's block + blkMntPoint)
truncate -s 8M "$T_TMP/rootfs.ext4"
mkfs.ext4 -q -F -L "$PLABEL" -U "$PUUID" "$T_TMP/rootfs.ext4"
printf '{"com.urunc.unikernel.unikernelType":"%s","com.urunc.unikernel.hypervisor":"%s","com.urunc.unikernel.binary":"%s","com.urunc.unikernel.block":"%s","com.urunc.unikernel.blkMntPoint":"%s"}' \
    "$(b64 solo5)" "$(b64 spt)" "$(b64 /unikernel/ext4label.spt)" "$(b64 /rootfs.ext4)" "$(b64 /)" >"$I/urunc-blk.json"
"$MKIMAGE" --out "$I/blk.tar" --file "$GUESTS/ext4label.spt=/unikernel/ext4label.spt" \
    --file "$T_TMP/rootfs.ext4=/rootfs.ext4" --file "$I/urunc-blk.json=/urunc.json" --cmd /unikernel/ext4label.spt ||
    not_ok "uniroot-mkimage: an image with a block rootfs" "failed"

# --- containerd, with the block snapshotter where python3-grpcio is here
if ctd_have; then
    D=$T_TMP/ctd; mkdir -p "$D"
    NS=uniroot-spt-$RANDOM
    BS=0 extra=
    if "$PY" -c 'import grpc' 2>/dev/null; then
        "$PY" "$SNAP" "$D/snap.sock" "$D/snaps" "$LABEL" >"$D/snap.log" 2>&1 &
        at_exit "kill $!"
        at_exit "losetup -l -n -O NAME,BACK-FILE | awk -v p='$D/' 'index(\$2, p) == 1 {print \$1}' | xargs -r -n1 losetup -d"
        for _ in $(seq 100); do [ -S "$D/snap.sock" ] && break; sleep 0.05; done
        extra="[proxy_plugins.blocksnap]
  type = \"snapshot\"
  address = \"$D/snap.sock\""
        BS=1
    fi
    if ctd_start "$D" "$NS" "$extra"; then
        ok "private containerd is up"
        $C images import --base-name localhost/spt-hello "$I/hello.tar" >/dev/null &&
            $C images import --base-name localhost/spt-exit "$I/exit.tar" >/dev/null &&
            ok "ctr images import" || not_ok "ctr images import" "failed"
        expect "ctr run: the spt guest's output" 0 '^cmdline: from image' -- \
            $C run --rm --runc-binary "$UNIROOT" localhost/spt-hello:latest h1
        echo "$T_OUT" | grep -q '^Hello, uniroot!' && ok "ctr run: the greeting" || not_ok "ctr run: the greeting" "$T_OUT"
        expect "ctr run: the spt guest's exit status" 42 'exit: status 42' -- \
            $C run --rm --runc-binary "$UNIROOT" localhost/spt-exit:latest e1
        if [ $BS = 1 ]; then
            $C images import --snapshotter blocksnap --base-name localhost/spt-lbl "$I/lbl.tar" >/dev/null &&
                ok "spt image unpacked into ext4 snapshots" || not_ok "blocksnap import" "$(tail -3 "$D/snap.log")"
            expect "ctr run: the spt guest reads the snapshot's label from its block rootfs" 0 "^label=$LABEL " -- \
                $C run --rm --snapshotter blocksnap --runc-binary "$UNIROOT" localhost/spt-lbl:latest r1
            # detached, to read the decision through `uniroot state`
            $C run -d --snapshotter blocksnap --runc-binary "$UNIROOT" localhost/spt-lbl:latest d1 >/dev/null 2>&1
            st=$($UNIROOT --root "/run/containerd/runc/$NS" state d1 2>&1)
            echo "$st" | grep -q '"dev.uniroot.rootfs.outcome":[[:space:]]*"rootfs-block"' &&
                ok "ctr run: the snapshot's loop device was the spt guest's rootfs (rootfs-block)" ||
                not_ok "ctr run: rootfs-block decision" "$(echo "$st" | grep dev.uniroot | tr -d '\t' | tr '\n' ' ')"
            for _ in $(seq 100); do $C tasks ls | grep -q "^d1 .*STOPPED" && break; sleep 0.1; done
            $C tasks rm d1 >/dev/null 2>&1
            $C containers rm d1 >/dev/null 2>&1
            sleep 0.3
            left=$(losetup -l -n -O NAME,BACK-FILE | awk -v p="$D/" 'index($2, p) == 1 {print $1}')
            [ -z "$left" ] && ok "ctr: no loop device left attached" || not_ok "ctr: no loop device left attached" "$left"
        else
            skip "ctr run: spt guest on a block snapshot" "python3-grpcio is not installed (tests/e2e/blocksnap.py needs it)"
        fi
    else
        not_ok "private containerd is up" "$CTD_WHY"
    fi
else
    skip "containerd e2e" "containerd, ctr or containerd-shim-runc-v2 is not installed"
fi

# --- podman
if command -v podman >/dev/null; then
    pd_start "$UNIROOT"
    expect "podman run: the spt guest's output" 0 '^cmdline: from image' -- $P run $RUNOPTS "oci-archive:$I/hello.tar"
    expect "podman run: the spt guest's exit status" 42 'exit: status 42' -- $P run $RUNOPTS "oci-archive:$I/exit.tar"
    expect "podman run: the spt guest boots from the image's block rootfs" 0 "^label=$PLABEL uuid=$PUUID" -- \
        $P run $RUNOPTS "oci-archive:$I/blk.tar"
else
    skip "podman e2e" "podman is not installed"
fi
finish
