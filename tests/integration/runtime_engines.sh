#!/bin/bash
# runtime_engines.sh: uniroot driven by containerd (`ctr run --runc-binary`)
# and podman (`--runtime`) on the host without /dev/kvm: the runtime binary
# they call is a wrapper setting UNIROOT_VMM to the stand-in monitor. Checks
# what the engines see of the runtime: the container's output and exit
# status, "OCI runtime create failed: MSG" for a refused bundle and for a
# monitor's "error: MSG", task state/pause/resume/kill through the shim, the
# console socket with -t, and nothing left behind. A private containerd (own
# root, state, sockets, namespace; CRI disabled) is started here.
# runtime_e2e.sh runs the same engines with real guests (KVM).
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.inc"

STANDIN=$UR_TOP/build/bin/standin-vmm
MKIMAGE=$UR_TOP/build/bin/uniroot-mkimage
for f in "$UNIROOT" "$STANDIN" "$MKIMAGE" "$GUESTS/hello.hvt"; do
    [ -e "$f" ] || { skip engines "$f is not built (make all)"; finish; exit; }
done
VLOG=$T_TMP/vmm.log
W=$T_TMP/uniroot-standin
printf '#!/bin/sh\n# uniroot on the stand-in monitor\nUNIROOT_VMM=%s STANDIN_VMM_LOG=%s exec %s "$@"\n' "$STANDIN" "$VLOG" "$UNIROOT" >"$W"
chmod +x "$W"

I=$T_TMP/images; mkdir -p "$I"
img() { # img NAME CMDLINE
    "$MKIMAGE" --out "$I/$1.tar" --unikernel solo5 --kernel "$GUESTS/hello.hvt" --cmdline "$2" --cmd /unikernel/hello.hvt
}
img hello "from-image" && img exit "standin:exit=42" && img sleep "standin:sleep=60" && img fail "standin:fail=monitor-says-no" &&
    ok "uniroot-mkimage builds the images" || not_ok "uniroot-mkimage" "failed"
b64() { printf %s "$1" | base64 -w0; }
printf '{"com.urunc.unikernel.unikernelType":"%s","com.urunc.unikernel.hypervisor":"%s","com.urunc.unikernel.binary":"%s"}' \
    "$(b64 solo5)" "$(b64 qemu)" "$(b64 /unikernel/hello.hvt)" >"$I/urunc-qemu.json"
"$MKIMAGE" --out "$I/qemu.tar" --file "$GUESTS/hello.hvt=/unikernel/hello.hvt" --file "$I/urunc-qemu.json=/urunc.json" --cmd /unikernel/hello.hvt

# --- a private containerd
if ctd_have; then
    NS=uniroot-standin-$RANDOM
    if ctd_start "$T_TMP/containerd" "$NS"; then
        ok "private containerd is up"
        for n in hello exit sleep fail qemu; do
            $C images import --base-name localhost/$n "$I/$n.tar" >/dev/null || not_ok "ctr images import $n" "failed"
        done
        expect "ctr run: the container's output" 0 'standin-vmm: running /proc/self/fd/[0-9]+ from-image' -- \
            $C run --rm --runc-binary "$W" localhost/hello:latest h1
        grep "start-fifo=/run/containerd/runc/$NS/h1/start.fifo" "$VLOG" | grep -q -- "--ready-fd=3 " &&
            ok "ctr run: the shim's --root holds the state; the monitor got the ready fd" || not_ok "ctr run: monitor argv" "$(tail -2 "$VLOG")"
        expect "ctr run: the exit status" 42 '' -- $C run --rm --runc-binary "$W" localhost/exit:latest e1
        expect "ctr run: a refused bundle" 1 'OCI runtime create failed: hypervisor "qemu" is not supported' -- \
            $C run --rm --runc-binary "$W" localhost/qemu:latest q1
        $C containers rm q1 >/dev/null 2>&1
        expect "ctr run: the monitor's error" 1 'OCI runtime create failed: uniroot-vmm: monitor-says-no' -- \
            $C run --rm --runc-binary "$W" localhost/fail:latest f1
        $C containers rm f1 >/dev/null 2>&1
        # detached: state, pause/resume and kill through the shim
        $C run -d --runc-binary "$W" localhost/sleep:latest s1 >/dev/null 2>&1
        for i in $(seq 50); do $C tasks ls | grep -q '^s1 .*RUNNING' && break; sleep 0.1; done
        $C tasks ls | grep -q '^s1 .*RUNNING' && ok "ctr run -d: task running" || not_ok "ctr run -d: running" "$($C tasks ls)"
        P=$($C tasks ls | awk '$1 == "s1" {print $2}')
        grep -q standin-vmm "/proc/$P/cmdline" 2>/dev/null && ok "ctr: the task's pid is the monitor" || not_ok "ctr: task pid" "$P"
        expect "ctr task ps: the monitor" 0 "^$P" -- $C tasks ps s1
        expect "ctr task pause" 0 '' -- $C tasks pause s1
        expect "ctr task ls: paused" 0 's1 .*PAUSED' -- $C tasks ls
        expect "ctr task resume" 0 '' -- $C tasks resume s1
        expect "ctr task ls: running again" 0 's1 .*RUNNING' -- $C tasks ls
        expect "ctr task kill" 0 '' -- $C tasks kill s1
        for i in $(seq 50); do $C tasks ls | grep -q '^s1 .*STOPPED' && break; sleep 0.1; done
        $C tasks ls | grep -q '^s1 .*STOPPED' && ok "killed task stopped" || not_ok "killed task stopped" "$($C tasks ls)"
        $C tasks rm s1 >/dev/null 2>&1; $C containers rm s1 >/dev/null 2>&1
        if command -v script >/dev/null; then
            expect "ctr run -t: output through the console socket" 0 'standin-vmm: running .* from-image' -- \
                script -qec "$C run -t --rm --runc-binary $W localhost/hello:latest t1" /dev/null
        else
            skip "ctr run -t" "script (util-linux) is not installed"
        fi
        [ -z "$(ls /run/containerd/runc/$NS 2>/dev/null)" ] && ok "ctr: runtime state cleaned up" || not_ok "ctr: runtime state" "$(ls /run/containerd/runc/$NS)"
        left=$(ls -d /sys/fs/cgroup/*/$NS/* 2>/dev/null)
        [ -z "$left" ] && ok "ctr: container cgroups removed" || not_ok "ctr: container cgroups removed" "$left"
    else
        not_ok "private containerd is up" "$CTD_WHY"
    fi
else
    skip "containerd" "containerd, ctr or containerd-shim-runc-v2 is not installed"
fi

# --- podman
if command -v podman >/dev/null; then
    pd_start "$W"
    expect "podman run: the container's output" 0 'standin-vmm: running /proc/self/fd/[0-9]+ from-image' -- $P run $RUNOPTS "oci-archive:$I/hello.tar"
    expect "podman run: the exit status" 42 '' -- $P run $RUNOPTS "oci-archive:$I/exit.tar"
    # (not expect: podman's "OCI runtime error:" looks like a sanitizer report to it)
    out=$($P run $RUNOPTS "oci-archive:$I/fail.tar" 2>&1); rc=$?
    [ $rc -ne 0 ] && echo "$out" | grep -q 'OCI runtime error: .*monitor-says-no' && ok "podman run: the monitor's error (status $rc)" ||
        not_ok "podman run: the monitor's error" "status $rc: $(echo "$out" | tr '\n' '|')"
else
    skip "podman" "podman is not installed"
fi
finish
