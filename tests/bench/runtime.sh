#!/bin/bash
# tests/bench/runtime.sh: the OCI runtime's figures, each beside its baseline.
#  1. `ctr run --rm` of the hello unikernel image through uniroot vs `ctr run
#     --rm` of a busybox image on runc (target: at most 1.0x), on a private
#     containerd started here.
#  2. The rootfs decision at create with 10,000 unrelated mounts on the host:
#     verified annotation (target: at most 100 us) beside the libmount path.
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
set -u
TOP=${UR_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
UNIROOT=$TOP/build/bin/uniroot
MKIMAGE=$TOP/build/bin/uniroot-mkimage
DECIDE=$TOP/build/bin/uniroot-bench-decide
GUESTS=$TOP/build/guests
RUNS=${RUNS:-15}
T=$(mktemp -d /tmp/uniroot-bench.XXXXXX)
CLEAN=()
cleanup() { local i; for ((i = ${#CLEAN[@]} - 1; i >= 0; i--)); do eval "${CLEAN[$i]}" >/dev/null 2>&1; done; rm -rf "$T"; }
trap cleanup EXIT

ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "-- ctr run: hello unikernel (uniroot) vs busybox (runc), $RUNS runs each, median wall time"
BUSYBOX=$(command -v busybox || echo /bin/busybox)
if ! command -v containerd >/dev/null || ! command -v runc >/dev/null || [ ! -x "$UNIROOT" ] ||
    [ ! -f "$GUESTS/hello.hvt" ] || [ ! -x "$BUSYBOX" ]; then
    echo "SKIP: needs containerd, runc, busybox-static and a built uniroot + guests"
else
    "$MKIMAGE" --out "$T/hello.tar" --unikernel solo5 --kernel "$GUESTS/hello.hvt" --cmd /unikernel/hello.hvt
    "$MKIMAGE" --out "$T/busybox.tar" --file "$BUSYBOX=/bin/busybox" --link busybox=/bin/true --cmd /bin/true
    D=$T/containerd; mkdir -p "$D"; NS=uniroot-bench-$RANDOM
    printf 'version = 2\nroot = "%s/root"\nstate = "%s/state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "%s/c.sock"\n[ttrpc]\n  address = "%s/c.sock.ttrpc"\n' "$D" "$D" "$D" "$D" >"$D/config.toml"
    containerd --config "$D/config.toml" >"$D/log" 2>&1 &
    CTD=$!
    CLEAN+=("kill $CTD; sleep 0.3; kill -9 $CTD; rm -rf /run/containerd/runc/$NS; rmdir /sys/fs/cgroup/*/$NS")
    C="ctr -a $D/c.sock -n $NS"
    for i in $(seq 100); do $C version >/dev/null 2>&1 && break; sleep 0.1; done
    $C images import --base-name localhost/hello "$T/hello.tar" >/dev/null
    $C images import --base-name localhost/busybox "$T/busybox.tar" >/dev/null
    # warm up both paths once
    $C run --rm --runc-binary "$UNIROOT" localhost/hello:latest w1 >/dev/null
    $C run --rm localhost/busybox:latest w2 >/dev/null
    : >"$T/uk"; : >"$T/rc"
    for i in $(seq "$RUNS"); do
        t0=$(ms); $C run --rm --runc-binary "$UNIROOT" localhost/hello:latest u$i >"$T/out" || echo "uniroot run $i failed"
        t1=$(ms); $C run --rm localhost/busybox:latest r$i >/dev/null || echo "runc run $i failed"
        t2=$(ms)
        echo $(((t1 - t0) / 1000)) >>"$T/uk"; echo $(((t2 - t1) / 1000)) >>"$T/rc"
    done
    grep -q "Hello, uniroot!" "$T/out" || echo "WARNING: the unikernel printed nothing"
    uk=$(median <"$T/uk"); rc=$(median <"$T/rc")
    awk -v u="$uk" -v r="$rc" 'BEGIN {
        printf "ctr run hello unikernel (uniroot + uniroot-vmm): %8.1f ms\n", u / 1000
        printf "ctr run busybox /bin/true (runc):               %8.1f ms\n", r / 1000
        printf "ratio: %.2fx; target <= 1.0x: %s\n", u / r, (u <= r ? "met" : "MISSED") }'
fi

echo
echo "-- rootfs decision at create, 10,000 unrelated mounts"
if [ ! -x "$DECIDE" ] || ! command -v mkfs.ext4 >/dev/null; then
    echo "SKIP: needs build/bin/uniroot-bench-decide (make bench) and mkfs.ext4"
else
    truncate -s 16M "$T/rootfs.img" && mkfs.ext4 -q -F "$T/rootfs.img"
    LOOP=$(losetup --find --show "$T/rootfs.img")
    CLEAN+=("losetup -d $LOOP")
    "$DECIDE" "$LOOP" "$T" 10000 1000
fi
