#!/bin/bash
# agent_newapi.sh: rootfs mounts made with the new mount API are seen like
# mount(2) ones: fsopen/fsconfig/fsmount/move_mount (record and annotation
# before the simulated create), an open_tree clone moved onto a bundle, and
# their unmounts; loop attach (LOOP_CONFIGURE) and detach are reported.
. "$(dirname "$0")/agent_lib.sh"

start_agent || { not_ok "agent starts" "$(tail -3 "$LOG")"; finish; exit 1; }
LOOP=$(new_loop 16) || { not_ok "loop device" "losetup failed"; finish; exit 1; }
if wait_log "\"event\":\"loop-attach\",\"device\":\"$LOOP\".*\"backing_name\":\"img\\."; then
    ok "loop attach seen with its backing file"
else
    not_ok "loop attach seen with its backing file" "$(grep loop-attach "$LOG" | tail -2)"
fi
B1=$(new_bundle n1 unikernel)
B2=$(new_bundle n2 unikernel)
read -r MA MI < <(stat -Lc '%t %T' "$LOOP" | while read -r a b; do echo $((16#$a)) $((16#$b)); done)

expect "fsmount+move_mount: record there at simulated create (annotation, else socket get)" 0 '^create: ok' -- \
    "$HELPER" fsmount-create "$LOOP" "$B1/rootfs" ext4 "$SOCK"
echo "# $T_OUT"
expect "fsmount+move_mount: annotation written" 0 'wait: ok' -- "$HELPER" wait-annotation "$B1" 2000
expect "fsmount+move_mount: record names the device" 0 \
    "\"device\":\"$LOOP\",\"major\":$MA,\"minor\":$MI,\"fstype\":\"ext4\"" -- ctl get default n1

expect "open_tree clone moved onto a bundle" 0 '' -- "$HELPER" opentree "$B1/rootfs" "$B2/rootfs"
expect "open_tree clone: record" 0 "\"device\":\"$LOOP\".*\"container\":\"n2\"" -- ctl get default n2
expect "open_tree clone: annotated" 0 'wait: ok' -- "$HELPER" wait-annotation "$B2" 2000

umount "$B2/rootfs"
expect "umount of the clone removes its record" 1 'no record' -- ctl get default n2
expect "the original stays" 0 '"container":"n1"' -- ctl get default n1
umount "$B1/rootfs"
expect "umount removes the fsmount record" 1 'no record' -- ctl get default n1

losetup -d "$LOOP"
wait_log "\"event\":\"loop-detach\",\"device\":\"$LOOP\"" && ok "loop detach seen" ||
    not_ok "loop detach seen" "$(grep loop-detach "$LOG" | tail -2)"
agent_stop TERM
agent_log_clean
finish
