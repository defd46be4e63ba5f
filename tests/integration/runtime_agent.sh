#!/bin/bash
# runtime_agent.sh: uniroot with the real node agent (unirootd). The agent
# watches a containerd-style state dir; a loop-backed ext4 rootfs mounted on
# a bundle there gets a dev.uniroot.rootfs annotation, which `uniroot run`
# verifies in O(1) and uses; the guest reads its label from the device. With
# the annotation removed and the agent frozen, the socket query times out
# (~50 ms) and libmount decides; with the agent answering, the socket does.
# uniroot-test: needs kvm
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.inc"

UNIROOTD=$UR_TOP/build/bin/unirootd
for f in "$UNIROOT" "$VMM" "$UNIROOTD" "$GUESTS/ext4label.hvt"; do
    [ -e "$f" ] || { skip runtime-agent "$f is not built"; finish; exit; }
done
[ -w /dev/kvm ] || { skip runtime-agent "no /dev/kvm"; finish; exit; }
at_exit rt_cleanup

STATE=$T_TMP/ctd-state
SOCK=$T_TMP/unirootd.sock
PIN=/sys/fs/bpf/uniroot-rttest-$$/v1
ALOG=$T_TMP/agent.log
mkdir -p "$STATE" && mount -t tmpfs tmpfs "$STATE"
at_exit "umount -R -l $STATE"
"$UNIROOTD" --config /dev/null --state-dir "$STATE" --socket "$SOCK" --pin-dir "$PIN" \
    --reconcile-interval 0 --bundle-watch no >"$ALOG" 2>&1 &
AGENT=$!
at_exit "'$UNIROOTD' --cleanup --pin-dir $PIN; rmdir $(dirname "$PIN")"
at_exit "kill -CONT $AGENT; kill $AGENT; wait $AGENT"
for _ in $(seq 100); do grep -q '"event":"ready"' "$ALOG" && break; sleep 0.05; done
grep -q '"event":"ready"' "$ALOG" && ok "agent is up" || { not_ok "agent is up" "$(tail -3 "$ALOG")"; finish; exit; }

SRC=$T_TMP/src; mkdir -p "$SRC/unikernel"; cp "$GUESTS/ext4label.hvt" "$SRC/unikernel/"
b64() { printf %s "$1" | base64 -w0; }
printf '{"com.urunc.unikernel.unikernelType":"%s","com.urunc.unikernel.hypervisor":"%s","com.urunc.unikernel.binary":"%s","com.urunc.unikernel.mountRootfs":"%s"}' \
    "$(b64 solo5)" "$(b64 hvt)" "$(b64 /unikernel/ext4label.hvt)" "$(b64 true)" >"$SRC/urunc.json"
truncate -s 16M "$T_TMP/img" && mkfs.ext4 -q -F -L agentlbl -d "$SRC" "$T_TMP/img"
LOOP=$(losetup -f --show "$T_TMP/img") || { skip runtime-agent "no loop device"; finish; exit; }
at_exit "losetup -d $LOOP"

# bundle ID [plain]: a containerd-style bundle in the watched state dir; a
# plain one has no unikernel annotations (the description is urunc.json in
# the rootfs, which both the agent and the runtime read)
bundle() {
    local b=$STATE/io.containerd.runtime.v2.task/default/$1
    mkdir -p "$b/rootfs"
    if [ "${2:-}" = plain ]; then
        printf '{"ociVersion":"1.0.2","process":{"args":["x"]},"root":{"path":"rootfs"}}\n' >"$b/config.json"
    else
        printf '{"ociVersion":"1.0.2","process":{"args":["x"]},"root":{"path":"rootfs"},"annotations":{"com.urunc.unikernel.unikernelType":"solo5","com.urunc.unikernel.hypervisor":"hvt","com.urunc.unikernel.binary":"/unikernel/ext4label.hvt","com.urunc.unikernel.mountRootfs":"true"}}\n' >"$b/config.json"
    fi
    echo "$b"
}
source_of() { grep -o "rootfs: decision rootfs-block: rootfs is ext4 $LOOP, found by [a-z]*" "$RT_LOG" | awk '{print $NF}'; }

# 1. the agent's annotation, verified
B=$(bundle c1)
mount "$LOOP" "$B/rootfs"
for _ in $(seq 100); do grep -q 'dev.uniroot.rootfs' "$B/config.json" && break; sleep 0.02; done
grep -q 'dev.uniroot.rootfs' "$B/config.json" && ok "agent annotated config.json" || not_ok "agent annotated config.json" "no annotation"
: >"$RT_LOG"
expect "run with the agent's annotation" 0 'label=agentlbl' -- env UNIROOT_AGENT_SOCKET="$SOCK" "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json run --bundle "$B" c1
[ "$(source_of)" = annotation ] && ok "decided by the verified annotation" || not_ok "decided by the annotation" "$(grep rootfs: "$RT_LOG")"

# 2. no annotation, agent frozen: the query times out, libmount decides
B=$(bundle c2)
kill -STOP "$AGENT"
mount "$LOOP" "$B/rootfs"
: >"$RT_LOG"
expect "run with the agent frozen" 0 'label=agentlbl' -- env UNIROOT_AGENT_SOCKET="$SOCK" "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json run --bundle "$B" c2
grep -q 'rootfs: agent: no answer within 50 ms' "$RT_LOG" && [ "$(source_of)" = libmount ] &&
    ok "agent timeout logged, libmount decided" || not_ok "agent timeout then libmount" "$(grep rootfs: "$RT_LOG")"
kill -CONT "$AGENT"

# 3. description only in urunc.json (common/ukbundle.h): the agent reads it
# inside the rootfs and annotates the bundle before create, like any other
B=$(bundle c3 plain)
mount "$LOOP" "$B/rootfs"
for _ in $(seq 100); do grep -q 'dev.uniroot.rootfs' "$B/config.json" && break; sleep 0.02; done
grep -q 'dev.uniroot.rootfs' "$B/config.json" && ok "agent annotated the urunc.json-only bundle" ||
    not_ok "agent annotated the urunc.json-only bundle" "no annotation"
: >"$RT_LOG"
expect "run the urunc.json-only bundle" 0 'label=agentlbl' -- env UNIROOT_AGENT_SOCKET="$SOCK" "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json run --bundle "$B" c3
[ "$(source_of)" = annotation ] && ok "urunc.json-only bundle decided by the verified annotation" ||
    not_ok "urunc.json-only bundle decided by the annotation" "$(grep rootfs: "$RT_LOG")"

# 4. no annotation in config.json (removed here after the agent wrote it, as
# if the runtime came first; the agent runs with --bundle-watch no, so it does
# not see the rewrite; every bundle here exists before its mount): the runtime
# asks the agent on its socket
B=$(bundle c4 plain)
mount "$LOOP" "$B/rootfs"
for _ in $(seq 100); do grep -q 'dev.uniroot.rootfs' "$B/config.json" && break; sleep 0.02; done
jq '.annotations |= with_entries(select(.key | startswith("dev.uniroot.") | not))' "$B/config.json" >"$B/config.json.new" &&
    mv "$B/config.json.new" "$B/config.json"
: >"$RT_LOG"
expect "run with the agent's socket" 0 'label=agentlbl' -- env UNIROOT_AGENT_SOCKET="$SOCK" "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json run --bundle "$B" c4
[ "$(source_of)" = agent ] && grep -q 'rootfs: agent: verified' "$RT_LOG" &&
    ok "decided by the agent's socket answer" || not_ok "decided by the agent" "$(grep rootfs: "$RT_LOG")"
finish
