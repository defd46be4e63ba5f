#!/bin/bash
# agent_rootfs.sh: unirootd sees an ext4 image on a loop device mounted on a
# containerd-style bundle path and writes the record and the annotation before
# a simulated runtime `create` (printing the gap); umount removes the record;
# a garbage config.json stays byte-identical (error logged); a bundle that is
# not a unikernel is never touched; the pinned table reads with bpftool.
# The annotation is written atomically (a new inode by rename, mode and owner
# kept, no config.json.tmp-PID-N left, a planted temp name not followed), and
# `unirootctl explain` is judged on an annotation the agent does not back.
. "$(dirname "$0")/agent_lib.sh"

start_agent || { not_ok "agent starts" "$(tail -3 "$LOG")"; finish; exit 1; }
ok "agent starts"
expect "status names the live observer" 0 '"observer":"(bpf-tracepoint|bpf-fentry)"' -- ctl status
echo "# $(grep -o '"event":"observer".*' "$LOG" | head -1)"

LOOP=$(new_loop 16) || { not_ok "loop device" "losetup failed"; finish; exit 1; }
IMG=$(losetup -n -O BACK-FILE "$LOOP")
B1=$(new_bundle c1 unikernel)
cp "$B1/config.json" "$T_TMP/c1.orig"
# Someone else's file: mode and owner must survive the rewrite. The agent's
# first temp name (config.json.tmp-PID-0) is taken by a symlink that must be
# neither followed nor replaced.
chmod 0640 "$B1/config.json"
chown 1234:5678 "$B1/config.json"
INO0=$(stat -c %i "$B1/config.json")
APID=$(grep -o '"event":"ready".*"pid":[0-9]*' "$LOG" | tail -1 | grep -o '[0-9]*$')
echo untouched >"$T_TMP/victim"
ln -s "$T_TMP/victim" "$B1/config.json.tmp-$APID-0"

# The shim mounts, then execs the runtime: the annotation must be there already.
expect "record there at simulated create (annotation, else socket get)" 0 '^create: ok' -- "$HELPER" mount-create "$LOOP" "$B1/rootfs" ext4 "$SOCK"
echo "# $T_OUT"
expect "annotation written" 0 'wait: ok' -- "$HELPER" wait-annotation "$B1" 2000

read -r MA MI < <(stat -c '%Hd %Ld' "$B1/rootfs")
annotation_device_ok "annotation names the mounted loop device" "$B1" "$LOOP"
[ "$(stat -c %i "$B1/config.json")" != "$INO0" ] && ok "config.json replaced by rename (new inode)" ||
    not_ok "config.json replaced by rename (new inode)" "same inode $INO0: written in place"
[ "$(stat -c '%a %u:%g' "$B1/config.json")" = "640 1234:5678" ] && ok "config.json keeps its mode and owner" ||
    not_ok "config.json keeps its mode and owner" "$(stat -c '%a %u:%g' "$B1/config.json")"
if [ -L "$B1/config.json.tmp-$APID-0" ] && [ "$(cat "$T_TMP/victim")" = untouched ]; then
    ok "a planted temp name is neither followed nor replaced"
else
    not_ok "a planted temp name is neither followed nor replaced" "$(ls -l "$B1" | tr '\n' ' '); victim: $(cat "$T_TMP/victim")"
fi
rm -f "$B1/config.json.tmp-$APID-0"
LEFT=$(ls -A "$B1" | tr '\n' ' ')
[ "$LEFT" = "config.json rootfs " ] && ok "no temp file left in the bundle" || not_ok "no temp file left in the bundle" "$LEFT"
expect "get by bundle returns the block record" 0 \
    "\"device\":\"$LOOP\",\"major\":$MA,\"minor\":$MI,\"fstype\":\"ext4\",\"backing\":\"$IMG\"" -- ctl get "$B1"
expect "get by namespace and id" 0 '"namespace":"default","container":"c1"' -- ctl get default c1
if strip_annotation "$B1/config.json" | cmp -s - "$T_TMP/c1.orig"; then
    ok "every other byte of config.json kept (incl. int64 memory limit)"
else
    not_ok "every other byte of config.json kept" "$(diff <(strip_annotation "$B1/config.json") "$T_TMP/c1.orig" | head -5)"
fi
if grep -q '"dev.uniroot.rootfs":"{\\"version\\":1,\\"type\\":\\"block\\"' "$B1/config.json"; then
    ok "annotation is the versioned record"
else
    not_ok "annotation is the versioned record" "$(head -c 400 "$B1/config.json")"
fi
expect "unirootctl explain, agent record: verifiable" 0 'agent: +has a record' -- ctl explain "$B1"
echo "$T_OUT" | grep -qE 'decision: +verifiable' && ok "unirootctl explain, agent record: decision verifiable" ||
    not_ok "unirootctl explain, agent record: decision verifiable" "$(echo "$T_OUT" | tr '\n' '|')"
# The annotation alone (a copy of the bundle outside the state dir, so the
# agent has no record for it): explain must judge that record.
AB=$T_TMP/annonly
mkdir -p "$AB/rootfs" "$T_TMP/annbad/rootfs"
cp "$B1/config.json" "$AB/config.json"
mount "$LOOP" "$AB/rootfs" && at_exit "umount -l '$AB/rootfs'"
expect "unirootctl explain, annotation only: verifiable" 0 'decision: +verifiable' -- ctl explain "$AB"
echo "$T_OUT" | grep -qE 'agent: +no record' && echo "$T_OUT" | grep -qE 'annotation: +present' &&
    echo "$T_OUT" | grep -qE "record: +block $LOOP \($MA:$MI\)" && ok "unirootctl explain, annotation only: judged on the annotation" ||
    not_ok "unirootctl explain, annotation only: judged on the annotation" "$(echo "$T_OUT" | tr '\n' '|')"
sed 's/\\"minor\\":'"$MI"',/\\"minor\\":'"$((MI + 200))"',/' "$B1/config.json" >"$T_TMP/annbad/config.json"
mount "$LOOP" "$T_TMP/annbad/rootfs" && at_exit "umount -l '$T_TMP/annbad/rootfs'"
expect "unirootctl explain, annotation naming another minor: not verifiable" 1 'decision: +not verifiable' -- ctl explain "$T_TMP/annbad"
echo "$T_OUT" | grep -q "($MA:$((MI + 200)))" || not_ok "the tampered annotation was read" "$(echo "$T_OUT" | tr '\n' '|')"
umount "$AB/rootfs" "$T_TMP/annbad/rootfs"
expect "bpftool shows the pinned record" 0 "\"id\": \"c1\"" -- bpftool map dump pinned "$PIN/containers"
expect "bpftool names the rootfs type" 0 '"type": "UR_ROOTFS_BLOCK"' -- bpftool map dump pinned "$PIN/containers"
echo "$T_OUT" | grep -q "\"device\": \"$LOOP\"" && ok "pinned record names the device" ||
    not_ok "pinned record names the device" "$(echo "$T_OUT" | head -20 | tr '\n' ' ')"

# A mount on a bundle path made in another mount namespace (anyone with a user
# namespace can build such a path) is filtered out in the kernel.
B5=$(new_bundle c5 unikernel)
cp "$B5/config.json" "$T_TMP/c5.orig"
unshare -m --propagation private sh -c "mount '$LOOP' '$B5/rootfs' && sleep 0.3 && umount '$B5/rootfs'"
expect "mount in another mount namespace: no record" 1 'no record' -- ctl get default c5
cmp -s "$B5/config.json" "$T_TMP/c5.orig" && ok "mount in another mount namespace: bundle untouched" ||
    not_ok "mount in another mount namespace: bundle untouched" "changed"

# Not a unikernel: recorded, never written.
B3=$(new_bundle c3 plain)
cp "$B3/config.json" "$T_TMP/c3.orig"
mount "$LOOP" "$B3/rootfs"
expect "non-unikernel bundle still gets a record" 0 '"container":"c3"' -- ctl get default c3
cmp -s "$B3/config.json" "$T_TMP/c3.orig" && ok "non-unikernel config.json untouched" ||
    not_ok "non-unikernel config.json untouched" "changed"

# Garbage config.json: byte-identical, error logged.
B2=$(new_bundle c2 garbage)
cp "$B2/config.json" "$T_TMP/c2.orig"
mount "$LOOP" "$B2/rootfs"
if wait_log '"event":"annotate-failed".*/default/c2"'; then ok "garbage config.json: error logged"; else
    not_ok "garbage config.json: error logged" "$(tail -3 "$LOG")"; fi
cmp -s "$B2/config.json" "$T_TMP/c2.orig" && ok "garbage config.json byte-identical" ||
    not_ok "garbage config.json byte-identical" "changed"
LEFT=$(ls -A "$B2" | tr '\n' ' ')
[ "$LEFT" = "config.json rootfs " ] && ok "garbage config.json: no temp file left" || not_ok "garbage config.json: no temp file left" "$LEFT"

# The runtime's fallback when it is faster than the agent: `get` drains the
# in-flight event first. Made certain by stopping the agent across the mount.
B4=$(new_bundle c4 unikernel)
kill -STOP "$AGENT_PID"
("$HELPER" mount-create "$LOOP" "$B4/rootfs" ext4 "$SOCK" >"$T_TMP/c4.out" 2>&1; echo $? >"$T_TMP/c4.rc") &
sleep 0.3
kill -CONT "$AGENT_PID"
wait $!
if [ "$(cat "$T_TMP/c4.rc")" = 0 ] && grep -q 'agent socket answered' "$T_TMP/c4.out"; then
    ok "get answers for a mount whose event is still in flight"
else
    not_ok "get answers for a mount whose event is still in flight" "$(cat "$T_TMP/c4.out")"
fi
echo "# $(cat "$T_TMP/c4.out")"
umount "$B4/rootfs"

# umount removes the record (and the pinned entry).
umount "$B1/rootfs"
expect "umount removes the record" 1 'no record' -- ctl get default c1
expect "unirootctl explain after umount: not verifiable" 1 'NOT the recorded device' -- ctl explain "$B1"
expect "umount removes the pinned entry" 0 '' -- bpftool map dump pinned "$PIN/containers"
echo "$T_OUT" | grep -q '"id": "c1"' && not_ok "pinned entry gone" "still there" || ok "pinned entry gone"

# Loop detach is seen.
umount "$B2/rootfs" "$B3/rootfs"
losetup -d "$LOOP"
if wait_log "\"event\":\"loop-detach\",\"device\":\"$LOOP\""; then ok "loop detach seen"; else
    not_ok "loop detach seen" "$(grep loop "$LOG" | tail -3)"; fi

agent_stop TERM
grep -q '"event":"stopping"' "$LOG" && ok "SIGTERM stops cleanly" || not_ok "SIGTERM stops cleanly" "$(tail -2 "$LOG")"
[ -z "$(ls "$PIN/links" 2>/dev/null)" ] && ok "SIGTERM detaches (no pinned links)" ||
    not_ok "SIGTERM detaches" "$(ls "$PIN/links")"
agent_stop TERM
agent_log_clean
finish
