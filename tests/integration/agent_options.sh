#!/bin/bash
# agent_options.sh: what each of unirootd's switches promises (userspace/README.md,
# unirootd --help), each beside a control run with the default:
#   --reconcile-interval S   a mount no event reports (made in another mount
#                            namespace, propagated into ours) is recorded, and its
#                            umount dropped, within S seconds; with 0 never by itself
#   --ioctl-events no        no ioctl hook: loop attach/detach go unseen (kernel
#                            counter stays 0), a loop rootfs still gets its record
#                            and backing file from sysfs
#   --bundle-watch no        no fanotify watch: a config.json written after the
#                            rootfs mount is not annotated until a reconciliation
#   --keep-observing yes     SIGTERM leaves the BPF links attached: mounts made
#                            while no agent runs are queued and the next agent
#                            takes them from the ring buffer, not from mountinfo
. "$(dirname "$0")/agent_lib.sh"

LOOP=$(new_loop 16) || { not_ok "loop device" "losetup failed"; finish; exit 1; }
status_field() { ctl status | grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2; }
# wait_get NS ID TRIES: until the agent has a record (0) or TRIES*0.1 s passed (1)
wait_get() { for _ in $(seq "$3"); do ctl get "$1" "$2" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
wait_gone() { for _ in $(seq "$3"); do ctl get "$1" "$2" >/dev/null 2>&1 || return 0; sleep 0.1; done; return 1; }

# ---- --reconcile-interval ----
# Our state dir is shared with the namespaces unshare(1) makes below, so a
# mount made there shows up here while its event is filtered out in the
# kernel (another mount namespace): only a reconciliation can see it.
mount --make-shared "$STATE"
other_ns() { unshare -m --propagation unchanged "$@"; }

start_agent --reconcile-interval 0 || { not_ok "agent starts" "$(tail -3 "$LOG")"; finish; exit 1; }
R0=$(status_field reconciles)
B=$(new_bundle r1 unikernel)
other_ns mount "$LOOP" "$B/rootfs"
mountpoint -q "$B/rootfs" && ok "a mount made in another namespace propagates into ours" ||
    not_ok "a mount made in another namespace propagates into ours" "not a mount here"
if wait_get default r1 25; then
    not_ok "interval 0: such a mount is not recorded by itself (control)" "recorded: an event reported it"
else
    ok "interval 0: such a mount is not recorded by itself (control)"
fi
[ "$(status_field reconciles)" = "$R0" ] && ok "interval 0: no reconciliation ran" ||
    not_ok "interval 0: no reconciliation ran" "reconciles $R0 -> $(status_field reconciles)"
other_ns umount "$B/rootfs"
agent_stop TERM

start_agent --reconcile-interval 1 || { not_ok "agent starts (interval 1)" "$(tail -3 "$LOG")"; finish; exit 1; }
R0=$(status_field reconciles)
other_ns mount "$LOOP" "$B/rootfs"
T0=$(date +%s%N)
if wait_get default r1 40; then
    ok "interval 1: the unreported mount is recorded ($((($(date +%s%N) - T0) / 1000000)) ms)"
else
    not_ok "interval 1: the unreported mount is recorded" "no record after 4 s"
fi
expect "interval 1: its record comes from mountinfo" 0 '"observed_by":"mountinfo".*"container":"r1"' -- ctl get default r1
annotation_device_ok "interval 1: and its annotation names the device" "$B" "$LOOP"
wait_log '"event":"reconciled","why":"interval".*"added":1' && ok "interval 1: logged as an interval reconciliation" ||
    not_ok "interval 1: logged as an interval reconciliation" "$(grep reconciled "$LOG" | tail -2)"
other_ns umount "$B/rootfs"
if wait_gone default r1 40; then ok "interval 1: the unreported umount drops the record"; else
    not_ok "interval 1: the unreported umount drops the record" "still there after 4 s"; fi
sleep 1.1
R1=$(status_field reconciles)
[ "$((R1 - R0))" -ge 2 ] && ok "interval 1: reconciliations keep running ($((R1 - R0)) so far)" ||
    not_ok "interval 1: reconciliations keep running" "reconciles $R0 -> $R1"
agent_stop TERM
mount --make-private "$STATE"
"$UNIROOTD" --cleanup --pin-dir "$PIN"

# ---- --ioctl-events ----
loop_attach_detach() { # attach a fresh loop, detach it: prints the device
    local img dev
    img=$(mktemp "$T_TMP/img.XXXXXX")
    truncate -s 1M "$img"
    dev=$(losetup -f --show "$img") && losetup -d "$dev"
    echo "$dev"
}
start_agent || { not_ok "agent starts (ioctl events)" "$(tail -3 "$LOG")"; finish; exit 1; }
D=$(loop_attach_detach)
if wait_log "\"event\":\"loop-detach\",\"device\":\"$D\""; then ok "ioctl events yes: loop detach seen (control)"; else
    not_ok "ioctl events yes: loop detach seen (control)" "$(grep loop "$LOG" | tail -2)"; fi
[ "$(status_field ioctl_events)" = true ] && [ "$(status_field loop_ioctls)" -gt 0 ] &&
    ok "ioctl events yes: status says so, kernel counted loop ioctls" ||
    not_ok "ioctl events yes: status says so, kernel counted loop ioctls" "$(ctl status | head -c 300)"
agent_stop TERM
"$UNIROOTD" --cleanup --pin-dir "$PIN"

start_agent --ioctl-events no || { not_ok "agent starts (--ioctl-events no)" "$(tail -3 "$LOG")"; finish; exit 1; }
NLOOP=$(grep -c '"event":"loop-' "$LOG")
D=$(loop_attach_detach)
L2=$(new_loop 16)
B=$(new_bundle i1 unikernel)
mount "$L2" "$B/rootfs"
wait_get default i1 20
sleep 0.3
[ "$(grep -c '"event":"loop-' "$LOG")" = "$NLOOP" ] && ok "ioctl events no: loop attach/detach not seen" ||
    not_ok "ioctl events no: loop attach/detach not seen" "$(grep '"event":"loop-' "$LOG" | tail -2)"
[ "$(status_field ioctl_events)" = false ] && [ "$(status_field loop_ioctls)" = 0 ] &&
    ok "ioctl events no: status says so, no loop ioctl counted in the kernel" ||
    not_ok "ioctl events no: status says so, no loop ioctl counted in the kernel" "$(ctl status | head -c 300)"
expect "ioctl events no: loop rootfs still recorded with its backing file (sysfs)" 0 \
    "\"device\":\"$L2\".*\"backing\":\"$(losetup -n -O BACK-FILE "$L2")\"" -- ctl get default i1
annotation_device_ok "ioctl events no: annotation names the device" "$B" "$L2"
umount "$B/rootfs"
losetup -d "$L2"
agent_stop TERM
"$UNIROOTD" --cleanup --pin-dir "$PIN"

# ---- --bundle-watch ----
late_config() { # BUNDLE: config.json written (temp + rename) after the rootfs mount
    printf '{"annotations":{"com.urunc.unikernel.unikernelType":"mirage"}}\n' >"$1/config.json.tmp"
    mv "$1/config.json.tmp" "$1/config.json"
}
start_agent || { not_ok "agent starts (bundle watch)" "$(tail -3 "$LOG")"; finish; exit 1; }
B=$TASKS/default/w1
mkdir -p "$B/rootfs"
mount "$LOOP" "$B/rootfs"
wait_get default w1 20
late_config "$B"
expect "bundle watch yes: a late config.json is annotated (control)" 0 'wait: ok' -- "$HELPER" wait-annotation "$B" 2000
umount "$B/rootfs"
agent_stop TERM

start_agent --bundle-watch no || { not_ok "agent starts (--bundle-watch no)" "$(tail -3 "$LOG")"; finish; exit 1; }
[ "$(status_field bundle_watch)" = false ] && ok "bundle watch no: status says so" ||
    not_ok "bundle watch no: status says so" "$(ctl status | head -c 200)"
B=$TASKS/default/w2
mkdir -p "$B/rootfs"
mount "$LOOP" "$B/rootfs"
wait_get default w2 20 && ok "bundle watch no: mount recorded" || not_ok "bundle watch no: mount recorded" "no record"
late_config "$B"
expect "bundle watch no: a late config.json is not annotated by itself" 1 'wait: ' -- "$HELPER" wait-annotation "$B" 1500
kill -HUP "$AGENT_PID"
expect "bundle watch no: the next reconciliation (SIGHUP) annotates it" 0 'wait: ok' -- "$HELPER" wait-annotation "$B" 2000
annotation_device_ok "bundle watch no: annotation names the device" "$B" "$LOOP"
umount "$B/rootfs"
agent_stop TERM
"$UNIROOTD" --cleanup --pin-dir "$PIN"

# ---- --keep-observing ----
start_agent --keep-observing yes || { not_ok "agent starts (--keep-observing yes)" "$(tail -3 "$LOG")"; finish; exit 1; }
agent_stop TERM
grep -q '"event":"stopping".*"keep_observing":true' "$LOG" && ok "keep observing: SIGTERM stops, saying so" ||
    not_ok "keep observing: SIGTERM stops, saying so" "$(grep stopping "$LOG" | tail -1)"
[ -n "$(ls "$PIN/links" 2>/dev/null)" ] && ok "keep observing: links stay pinned after SIGTERM" ||
    not_ok "keep observing: links stay pinned after SIGTERM" "none in $PIN/links"
E0=$(bpftool map dump pinned "$PIN/stats" 2>/dev/null | grep -o '"events": [0-9]*' | grep -o '[0-9]*$')
B=$(new_bundle k1 unikernel)
mount "$LOOP" "$B/rootfs"
E1=$(bpftool map dump pinned "$PIN/stats" 2>/dev/null | grep -o '"events": [0-9]*' | grep -o '[0-9]*$')
[ "${E1:-0}" -gt "${E0:-0}" ] && ok "keep observing: the kernel side counts a mount made while no agent runs" ||
    not_ok "keep observing: the kernel side counts a mount made while no agent runs" "events ${E0:-?} -> ${E1:-?}"
start_agent || { not_ok "agent restarts" "$(tail -3 "$LOG")"; finish; exit 1; }
expect "keep observing: the next agent takes that mount from the ring buffer" 0 '"observed_by":"bpf-[a-z]*".*"container":"k1"' -- ctl get default k1
annotation_device_ok "keep observing: its annotation names the device" "$B" "$LOOP"
umount "$B/rootfs"
agent_stop TERM
[ -z "$(ls "$PIN/links" 2>/dev/null)" ] && ok "default (keep observing no): SIGTERM detaches (control)" ||
    not_ok "default (keep observing no): SIGTERM detaches (control)" "$(ls "$PIN/links")"
agent_log_clean
finish
