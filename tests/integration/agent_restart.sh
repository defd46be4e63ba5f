#!/bin/bash
# agent_restart.sh: unirootd's socket (get/list/status/watch, root only) and
# its state across a SIGKILL: the pinned links keep observing while the agent
# is dead, and the restarted agent rebuilds its table from the pinned maps,
# the queued events and /proc/self/mountinfo; with the pins gone it rebuilds
# from mountinfo alone. SIGHUP reloads. Every annotation names the loop
# device actually mounted on its bundle (two devices, so a mix-up shows).
. "$(dirname "$0")/agent_lib.sh"

start_agent || { not_ok "agent starts" "$(tail -3 "$LOG")"; finish; exit 1; }
LOOP=$(new_loop 16) || { not_ok "loop device" "losetup failed"; finish; exit 1; }
LOOP2=$(new_loop 16) || { not_ok "loop device" "losetup failed"; finish; exit 1; }
# c3 and c5 are on a second loop device: each annotation must name its own.
dev_of() { case $1 in c3 | c5) echo "$LOOP2" ;; *) echo "$LOOP" ;; esac; }
for c in c1 c2 c3 c4 c5 c6; do new_bundle $c unikernel >/dev/null; done

[ "$(stat -c %a "$SOCK")" = 600 ] && ok "socket is mode 0600" || not_ok "socket is mode 0600" "$(stat -c %a "$SOCK")"
expect "non-root client refused" 2 'connect' -- setpriv --reuid 65534 --regid 65534 --clear-groups "$UNIROOTCTL" --socket "$SOCK" status
expect "malformed request answered with an error" 1 '"ok":false' -- ctl raw '{"op":'
expect "unknown op answered with an error" 1 'unknown op' -- ctl raw '{"op":"frobnicate"}'
expect "get without a key answered with an error" 1 'needs' -- ctl raw '{"op":"get"}'

# watch sees an add
ctl watch --count 1 >"$T_TMP/watch.out" 2>&1 &
WATCH=$!
at_exit "kill $WATCH"
# subscribed once the agent's first answer is out (a mount before it is missed)
for _ in $(seq 100); do grep -q '"watching":true' "$T_TMP/watch.out" && break; sleep 0.05; done
for c in c1 c2 c3; do mount "$(dev_of $c)" "$TASKS/default/$c/rootfs"; done
for _ in $(seq 50); do grep -q '"event":"add"' "$T_TMP/watch.out" && break; sleep 0.05; done
grep -q '"event":"add","record":{"version":1' "$T_TMP/watch.out" && ok "watch streams changes" ||
    not_ok "watch streams changes" "$(cat "$T_TMP/watch.out")"
expect "list has three records" 0 '"container":"c1".*"container":"c2".*"container":"c3"|"container":"c[123]".*"container":"c[123]".*"container":"c[123]"' -- ctl list

# SIGKILL; meanwhile c4 and c5 are mounted and c1 is unmounted.
agent_stop KILL
[ -n "$(ls "$PIN/links" 2>/dev/null)" ] && ok "links stay pinned after SIGKILL" || not_ok "links stay pinned after SIGKILL" "none"
mount "$LOOP" "$TASKS/default/c4/rootfs"
"$HELPER" fsmount "$LOOP2" "$TASKS/default/c5/rootfs" ext4
umount "$TASKS/default/c1/rootfs"
QUEUED=$(bpftool map dump pinned "$PIN/stats" | grep -o '"events": [0-9]*')
echo "# while dead, kernel side counted: $QUEUED"

start_agent || { not_ok "agent restarts" "$(tail -3 "$LOG")"; finish; exit 1; }
ok "agent restarts"
expect "restart: c1 (unmounted while dead) is gone" 1 'no record' -- ctl get default c1
for c in c2 c3 c4 c5; do
    expect "restart: $c present" 0 "\"container\":\"$c\"" -- ctl get default $c
done
for c in c2 c3 c4 c5; do
    annotation_device_ok "restart: $c's annotation names its loop device" "$TASKS/default/$c" "$(dev_of $c)"
done
expect "restart: c4 came from the events queued while dead" 0 '"observed_by":"bpf-' -- ctl get default c4
expect "status after restart" 0 '"records":4' -- ctl status
echo "# $(grep -o '"event":"pinned-table-loaded".*' "$LOG" | tail -1)"

# Rebuild from mountinfo alone (pins removed while no agent runs).
agent_stop KILL
"$UNIROOTD" --cleanup --pin-dir "$PIN"
[ ! -e "$PIN" ] && ok "--cleanup removes the pins" || not_ok "--cleanup removes the pins" "$(ls "$PIN")"
mount "$LOOP" "$TASKS/default/c6/rootfs"
start_agent || { not_ok "agent restarts without pins" "$(tail -3 "$LOG")"; finish; exit 1; }
for c in c2 c3 c4 c5 c6; do
    expect "mountinfo rebuild: $c present" 0 "\"container\":\"$c\"" -- ctl get default $c
done
expect "mountinfo rebuild marks its source" 0 '"observed_by":"mountinfo"' -- ctl get default c6
for c in c2 c3 c4 c5 c6; do
    annotation_device_ok "mountinfo rebuild: $c's annotation names its loop device" "$TASKS/default/$c" "$(dev_of $c)"
done

# SIGHUP reloads and reconciles.
kill -HUP "$AGENT_PID"
wait_log '"event":"reloaded"' && ok "SIGHUP reloads" || not_ok "SIGHUP reloads" "$(tail -2 "$LOG")"
kill -0 "$AGENT_PID" && ok "agent alive after SIGHUP" || not_ok "agent alive after SIGHUP" "died"
# A state dir named through a symlink is watched under its real path too.
agent_stop TERM
ln -s "$STATE" "$T_TMP/statelink"
before=$(grep -c '"event":"ready"' "$LOG")
"$UNIROOTD" --config /dev/null --state-dir "$T_TMP/statelink" --socket "$SOCK" --pin-dir "$PIN" \
    --reconcile-interval 0 >>"$LOG" 2>&1 &
AGENT_PID=$!
for _ in $(seq 200); do [ "$(grep -c '"event":"ready"' "$LOG")" -gt "$before" ] && break; sleep 0.05; done
new_bundle c7 unikernel >/dev/null
mount "$LOOP2" "$TASKS/default/c7/rootfs"
expect "state dir given as a symlink: real path watched" 0 'wait: ok' -- "$HELPER" wait-annotation "$TASKS/default/c7" 2000
annotation_device_ok "symlinked state dir: c7's annotation names its loop device" "$TASKS/default/c7" "$LOOP2"
expect "get through a symlinked bundle path" 0 '"container":"c7"' -- ctl get "$T_TMP/statelink/io.containerd.runtime.v2.task/default/c7/"
agent_stop TERM
agent_log_clean
finish
