#!/bin/bash
# agent_urunc.sh: the agent applies the runtime's definition of a unikernel
# bundle (common/ukbundle.h): a bundle whose config.json carries no
# com.urunc.unikernel.* annotation but whose rootfs holds urunc.json naming a
# unikernel type is annotated like an annotated one; a hostile urunc.json
# (an absolute symlink out to a valid description on the host, a FIFO) is
# refused: config.json byte-identical, the refusal logged and counted, the
# agent not blocked. And the one socket variable, UNIROOT_AGENT_SOCKET: the
# agent listens there when no --socket is given, unirootctl asks there.
. "$(dirname "$0")/agent_lib.sh"

# mkfs_with_urunc KIND: a loop device of a fresh ext4 whose root holds
# urunc.json as KIND (valid | symlink-out | fifo | none); prints the device.
URUNC_OK='{"com.urunc.unikernel.unikernelType":"c29sbzU=","com.urunc.unikernel.hypervisor":"aHZ0","com.urunc.unikernel.binary":"L3VuaWtlcm5lbC9oZWxsby5odnQ="}'
echo "$URUNC_OK" >"$T_TMP/host-urunc.json" # a valid description outside any rootfs
mkfs_with_urunc() {
    local dev m=$T_TMP/fill
    dev=$(new_loop 8) || return 1
    mkdir -p "$m" && mount "$dev" "$m" || return 1
    case $1 in
    valid) echo "$URUNC_OK" >"$m/urunc.json" ;;
    symlink-out) ln -s "$T_TMP/host-urunc.json" "$m/urunc.json" ;;
    fifo) mkfifo "$m/urunc.json" ;;
    esac
    umount "$m"
    echo "$dev"
}

# stop_bounded: SIGTERM, and SIGKILL after 5 s (an agent stuck in an open of
# the image's FIFO would ignore SIGTERM: that is a failure, not a hang here).
stop_bounded() {
    [ -n "$AGENT_PID" ] || return 0
    kill -TERM "$AGENT_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$AGENT_PID" 2>/dev/null; then
        not_ok "agent stops on SIGTERM" "still running after 5 s"
        kill -KILL "$AGENT_PID"
    fi
    agent_stop
}

start_agent || { not_ok "agent starts" "$(tail -3 "$LOG")"; finish; exit 1; }
ok "agent starts"

# --- described by urunc.json only: annotated
L1=$(mkfs_with_urunc valid) || { not_ok "loop device" "losetup/mount failed"; finish; exit 1; }
B1=$(new_bundle u1 plain)
expect "urunc.json-only bundle: record there at simulated create" 0 '^create: ok' -- "$HELPER" mount-create "$L1" "$B1/rootfs" ext4 "$SOCK"
expect "urunc.json-only bundle: annotation written" 0 'wait: ok' -- "$HELPER" wait-annotation "$B1" 2000
annotation_device_ok "urunc.json-only bundle: annotation names the mounted device" "$B1" "$L1"
grep -q '"event":"record-added".*"container":"u1".*"annotation":"written"' "$LOG" &&
    ok "urunc.json-only bundle: record-added says written" || not_ok "record-added line" "$(grep '"u1"' "$LOG" | tail -2)"

# --- an ordinary bundle without urunc.json: untouched, as before
L0=$(mkfs_with_urunc none)
B0=$(new_bundle p0 plain)
cp "$B0/config.json" "$T_TMP/p0.orig"
mount "$L0" "$B0/rootfs"
expect "plain bundle: record kept (get drains the event)" 0 '"ok":true' -- ctl get "$B0"
cmp -s "$B0/config.json" "$T_TMP/p0.orig" && ok "plain bundle without urunc.json untouched" ||
    not_ok "plain bundle untouched" "$(diff "$T_TMP/p0.orig" "$B0/config.json" | head -3)"

# --- hostile urunc.json: refused, config.json byte-identical, agent still answers
for kind in symlink-out fifo; do
    L=$(mkfs_with_urunc "$kind") || { not_ok "$kind: loop device" "losetup/mount failed"; continue; }
    B=$(new_bundle "h-$kind" plain)
    cp "$B/config.json" "$T_TMP/h.orig"
    mount "$L" "$B/rootfs"
    expect "urunc.json $kind: the agent answers (not blocked)" 0 '"ok":true' -- timeout 10 "$UNIROOTCTL" --socket "$SOCK" --timeout 3000 get "$B"
    cmp -s "$B/config.json" "$T_TMP/h.orig" && ok "urunc.json $kind: config.json byte-identical" ||
        not_ok "urunc.json $kind: config.json untouched" "$(diff "$T_TMP/h.orig" "$B/config.json" | head -3)"
    wait_log "\"event\":\"annotate-failed\".*h-$kind.*\"kind\":\"refused\"" &&
        ok "urunc.json $kind: refusal logged" || not_ok "urunc.json $kind: log" "$(grep "h-$kind" "$LOG" | tail -2)"
done
expect "status counts the refusals" 0 '"refused":2[,}]' -- ctl status

stop_bounded
agent_log_clean

# --- the socket's one variable: the agent listens there without --socket, unirootctl asks there
ESOCK=$T_TMP/env/unirootd.sock
expect "check-config: UNIROOT_AGENT_SOCKET is the default socket" 0 "^socket = $ESOCK\$" -- \
    env UNIROOT_AGENT_SOCKET="$ESOCK" "$UNIROOTD" --config /dev/null --check-config
expect "check-config: --socket still wins" 0 "^socket = $T_TMP/flag.sock\$" -- \
    env UNIROOT_AGENT_SOCKET="$ESOCK" "$UNIROOTD" --config /dev/null --socket "$T_TMP/flag.sock" --check-config
UNIROOT_AGENT_SOCKET=$ESOCK "$UNIROOTD" --config /dev/null --state-dir "$STATE" --pin-dir "$PIN" \
    --reconcile-interval 0 >>"$LOG" 2>&1 &
AGENT_PID=$!
wait_log "\"event\":\"ready\",\"socket\":\"$ESOCK\"" 200 && ok "agent listens on \$UNIROOT_AGENT_SOCKET" ||
    not_ok "agent on the env socket" "$(tail -2 "$LOG")"
expect "unirootctl asks on \$UNIROOT_AGENT_SOCKET" 0 '"ok":true,"status"' -- \
    env UNIROOT_AGENT_SOCKET="$ESOCK" "$UNIROOTCTL" --timeout 3000 status
stop_bounded
finish
