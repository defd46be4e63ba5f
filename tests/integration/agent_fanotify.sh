#!/bin/bash
# agent_fanotify.sh: the BPF-free observer (--observer=fanotify: mount
# notifications + statmount, Linux 6.15+), the bundle watcher (a config.json
# that appears after the rootfs mount still gets its annotation), and the
# attach-strategy probe (--observer=bpf-fentry says why it cannot load here;
# auto reports the fallback).
. "$(dirname "$0")/agent_lib.sh"

LOOP=$(new_loop 16) || { not_ok "loop device" "losetup failed"; finish; exit 1; }

# Attach strategy.
if "$UNIROOTD" --config /dev/null --state-dir "$STATE" --socket "$SOCK" --pin-dir "$PIN" \
    --observer bpf-fentry >"$T_TMP/fentry.log" 2>&1 & then
    P=$!
    for _ in $(seq 100); do kill -0 $P 2>/dev/null || break; grep -q '"event":"ready"' "$T_TMP/fentry.log" && break; sleep 0.05; done
    if grep -q '"event":"ready"' "$T_TMP/fentry.log"; then
        ok "bpf-fentry loads on this kernel (trampolines allowed)"
        kill $P; wait $P
    else
        wait $P
        grep -q 'fentry/fexit refused by the kernel at load' "$T_TMP/fentry.log" &&
            ok "bpf-fentry refused here, with the reason" || not_ok "bpf-fentry refused with the reason" "$(cat "$T_TMP/fentry.log" | tail -2)"
    fi
fi
"$UNIROOTD" --cleanup --pin-dir "$PIN"

# fanotify mount observer.
if ! start_agent --observer fanotify; then
    if grep -q 'FAN_REPORT_MNT' "$LOG"; then skip "fanotify observer" "kernel lacks mount notifications (6.15+)"; finish; exit 0; fi
    not_ok "fanotify observer starts" "$(tail -3 "$LOG")"; finish; exit 1
fi
expect "status: fanotify observer live, no BPF" 0 '"observer":"fanotify"' -- ctl status
[ ! -e "$PIN/links" ] && ok "no BPF pinned with --observer=fanotify" || not_ok "no BPF pinned" "$(ls "$PIN")"
B1=$(new_bundle f1 unikernel)
expect "fanotify: record there at simulated create (annotation, else socket get)" 0 '^create: ok.*observed_by fanotify' -- \
    "$HELPER" mount-create "$LOOP" "$B1/rootfs" ext4 "$SOCK"
echo "# $T_OUT"
expect "fanotify: annotation written" 0 'wait: ok' -- "$HELPER" wait-annotation "$B1" 2000
expect "fanotify: record" 0 '"fstype":"ext4".*"observed_by":"fanotify".*"container":"f1"' -- ctl get default f1
B2=$(new_bundle f2 unikernel)
"$HELPER" fsmount "$LOOP" "$B2/rootfs" ext4
expect "fanotify: new mount API seen" 0 '"container":"f2"' -- ctl get default f2
umount "$B1/rootfs"
for _ in $(seq 50); do ctl get default f1 >/dev/null 2>&1 || break; sleep 0.02; done
expect "fanotify: detach removes the record" 1 'no record' -- ctl get default f1
expect "fanotify: the other stays" 0 '"container":"f2"' -- ctl get default f2

# Bundle watcher: rootfs mounted first, config.json written afterwards (temp + rename).
B3=$TASKS/default/f3
mkdir -p "$B3/rootfs"
mount "$LOOP" "$B3/rootfs"
expect "record before any config.json" 0 '"container":"f3"' -- ctl get default f3
printf '{"annotations":{"com.urunc.unikernel.unikernelType":"mirage"}}\n' >"$B3/config.json.tmp"
mv "$B3/config.json.tmp" "$B3/config.json"
expect "bundle watcher annotates a late config.json" 0 'wait: ok' -- "$HELPER" wait-annotation "$B3" 2000
umount "$B2/rootfs" "$B3/rootfs"
agent_stop TERM
agent_stop TERM
agent_log_clean
finish
