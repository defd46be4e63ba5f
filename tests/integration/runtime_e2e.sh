#!/bin/bash
# runtime_e2e.sh: uniroot driven by real engines. A private containerd
# (own root, state, grpc/ttrpc sockets, CRI disabled) started here imports
# OCI image-layout tars built by uniroot-mkimage; `ctr run --runc-binary
# uniroot` prints the guest's output and returns its exit status; a busybox
# image goes through the runc hand-off; an unsupported image's error reaches
# the user as "OCI runtime create failed"; the same images run under
# `podman --runtime uniroot`.
# uniroot-test: needs kvm
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.inc"

MKIMAGE=$UR_TOP/build/bin/uniroot-mkimage
for f in "$UNIROOT" "$VMM" "$MKIMAGE" "$GUESTS/hello.hvt" "$GUESTS/exit.hvt"; do
    [ -x "$f" ] || [ -f "$f" ] || { skip e2e "$f is not built"; finish; exit; }
done
[ -w /dev/kvm ] || { skip e2e "no /dev/kvm"; finish; exit; }
BUSYBOX=$(command -v busybox) || BUSYBOX=/bin/busybox

# --- images
I=$T_TMP/images; mkdir -p "$I"
"$MKIMAGE" --out "$I/hello.tar" --unikernel solo5 --kernel "$GUESTS/hello.hvt" --cmdline "from image" --cmd /unikernel/hello.hvt &&
"$MKIMAGE" --out "$I/exit.tar" --unikernel solo5 --kernel "$GUESTS/exit.hvt" --cmdline 42 --cmd /unikernel/exit.hvt &&
    ok "uniroot-mkimage builds unikernel images" || not_ok "uniroot-mkimage" "failed"
b64() { printf %s "$1" | base64 -w0; }
printf '{"com.urunc.unikernel.unikernelType":"%s","com.urunc.unikernel.hypervisor":"%s","com.urunc.unikernel.binary":"%s"}' \
    "$(b64 solo5)" "$(b64 qemu)" "$(b64 /unikernel/hello.hvt)" >"$I/urunc-qemu.json"
"$MKIMAGE" --out "$I/qemu.tar" --file "$GUESTS/hello.hvt=/unikernel/hello.hvt" --file "$I/urunc-qemu.json=/urunc.json" --cmd /unikernel/hello.hvt
HAVE_BB=0
if [ -x "$BUSYBOX" ] && ! ldd "$BUSYBOX" >/dev/null 2>&1; then
    "$MKIMAGE" --out "$I/busybox.tar" --file "$BUSYBOX=/bin/busybox" --link busybox=/bin/sh --link busybox=/bin/echo --cmd /bin/sh && HAVE_BB=1
fi
# the layer's digests are what a registry would check
mkdir -p "$T_TMP/x" && tar -xf "$I/hello.tar" -C "$T_TMP/x"
bad=0
for b in "$T_TMP"/x/blobs/sha256/*; do [ "$(sha256sum "$b" | cut -c1-64)" = "$(basename "$b")" ] || bad=1; done
[ $bad = 0 ] && ok "image blobs named by their sha256" || not_ok "image blob digests" "mismatch"

# --- a private containerd
if ctd_have; then
    NS=uniroot-e2e-$RANDOM
    if ctd_start "$T_TMP/containerd" "$NS"; then
        ok "private containerd is up"
        $C images import --base-name localhost/hello "$I/hello.tar" >/dev/null &&
            $C images import --base-name localhost/exit "$I/exit.tar" >/dev/null &&
            $C images import --base-name localhost/qemu "$I/qemu.tar" >/dev/null &&
            ok "ctr images import" || not_ok "ctr images import" "failed"
        expect "ctr run: the guest's output" 0 'Hello, uniroot!' -- $C run --rm --runc-binary "$UNIROOT" localhost/hello:latest h1
        echo "$T_OUT" | grep -q 'cmdline: from image' && ok "ctr run: cmdline from the image's urunc.json" || not_ok "cmdline" "$T_OUT"
        expect "ctr run: the guest's exit status" 42 'exit: status 42' -- $C run --rm --runc-binary "$UNIROOT" localhost/exit:latest e1
        expect "ctr run: a clear error from create" 1 'OCI runtime create failed: hypervisor "qemu" is not supported' -- $C run --rm --runc-binary "$UNIROOT" localhost/qemu:latest q1
        $C containers rm q1 >/dev/null 2>&1
        # detached: task state through the shim, then kill
        $C run -d --runc-binary "$UNIROOT" localhost/hello:latest h2 >/dev/null 2>&1
        for i in $(seq 50); do $C tasks ls | grep -q 'h2 .*STOPPED' && break; sleep 0.1; done
        $C tasks ls | grep -q 'h2 .*STOPPED' && ok "ctr run -d: task stopped after the guest ended" || not_ok "ctr run -d" "$($C tasks ls)"
        $C tasks rm h2 >/dev/null 2>&1; $C containers rm h2 >/dev/null 2>&1
        [ -z "$(ls /run/containerd/runc/$NS 2>/dev/null)" ] && ok "ctr: runtime state cleaned up" || not_ok "ctr: runtime state" "$(ls /run/containerd/runc/$NS)"
        left=$(ls -d /sys/fs/cgroup/*/$NS/h1 /sys/fs/cgroup/*/$NS/e1 /sys/fs/cgroup/*/$NS/h2 2>/dev/null)
        [ -z "$left" ] && ok "ctr: container cgroups removed" || not_ok "ctr: container cgroups removed" "$left"
        # a long-running guest: ps, pause/resume and kill through the shim
        "$MKIMAGE" --out "$I/sleep.tar" --unikernel solo5 --kernel "$GUESTS/sleep.hvt" --cmdline forever --cmd /unikernel/sleep.hvt &&
            $C images import --base-name localhost/sleep "$I/sleep.tar" >/dev/null
        $C run -d --runc-binary "$UNIROOT" localhost/sleep:latest s1 >/dev/null 2>&1
        for i in $(seq 50); do $C tasks ls | grep -q '^s1 .*RUNNING' && break; sleep 0.1; done
        expect "ctr task ps: the VMM" 0 '^[0-9]+' -- $C tasks ps s1
        expect "ctr task pause" 0 '' -- $C tasks pause s1
        expect "ctr task ls: paused" 0 's1 .*PAUSED' -- $C tasks ls
        expect "ctr task resume" 0 '' -- $C tasks resume s1
        expect "ctr task ls: running again" 0 's1 .*RUNNING' -- $C tasks ls
        expect "ctr task kill" 0 '' -- $C tasks kill s1
        for i in $(seq 50); do $C tasks ls | grep -q '^s1 .*STOPPED' && break; sleep 0.1; done
        $C tasks ls | grep -q '^s1 .*STOPPED' && ok "killed guest stopped" || not_ok "killed guest stopped" "$($C tasks ls)"
        $C tasks rm s1 >/dev/null 2>&1; $C containers rm s1 >/dev/null 2>&1
        # a terminal: the shim's console socket gets the VMM's pty
        if command -v script >/dev/null; then
            expect "ctr run -t: output through the console socket" 0 'Hello, uniroot!' -- \
                script -qec "$C run -t --rm --runc-binary $UNIROOT localhost/hello:latest t1" /dev/null
        fi
        if [ $HAVE_BB = 1 ]; then
            $C images import --base-name localhost/busybox "$I/busybox.tar" >/dev/null
            expect "ctr run: busybox through the runc hand-off" 5 'hi from busybox' -- $C run --rm --runc-binary "$UNIROOT" localhost/busybox:latest b1 /bin/sh -c 'echo hi from busybox; exit 5'
        else
            skip "ctr run busybox" "no static busybox"
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
    expect "podman run: the guest's output" 0 'Hello, uniroot!' -- $P run $RUNOPTS "oci-archive:$I/hello.tar"
    expect "podman run: the guest's exit status" 42 'exit: status 42' -- $P run $RUNOPTS "oci-archive:$I/exit.tar"
    if [ $HAVE_BB = 1 ]; then
        expect "podman run: busybox through the runc hand-off" 4 'podman busybox' -- $P run $RUNOPTS "oci-archive:$I/busybox.tar" /bin/sh -c 'echo podman busybox; exit 4'
    fi
else
    skip "podman e2e" "podman is not installed"
fi
finish
