#!/bin/bash
# runtime_rootfs.sh: the container rootfs handed over as a block device, on
# the host without /dev/kvm (UNIROOT_VMM is the stand-in monitor, which
# records its argv and what each --block path is). A real loop device holds
# an ext4 rootfs mounted on bundle/rootfs. Covers the O(1) verifier of the
# agent's dev.uniroot.rootfs record (a real record is accepted; a device node
# whose rdev differs, a major:minor that is not the mounted one, another
# device, a regular file, a wrong fstype, a bind mount of a subdirectory are
# refused and libmount decides, the reason in the log), the agent's socket,
# libmount, the unmount and the O_EXCL open (a device still mounted elsewhere
# is refused and the rootfs mounted back with its options), the exclusive fd
# the monitor inherits, and an explicit block image. runtime_block.sh boots
# the real guest on the same paths (KVM).
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
STANDIN=$UR_TOP/build/bin/standin-vmm
export UNIROOT_VMM=$STANDIN
. "$(dirname "$0")/runtime_lib.inc"

for f in "$UNIROOT" "$STANDIN" "$GUESTS/ext4label.hvt"; do
    [ -e "$f" ] || { skip runtime-rootfs "$f is not built (make all)"; finish; exit; }
done
for t in mkfs.ext4 losetup mknod /usr/bin/python3; do
    command -v $t >/dev/null || { skip runtime-rootfs "$t is not installed"; finish; exit; }
done
PY=/usr/bin/python3
export STANDIN_VMM_LOG=$T_TMP/vmm.log
export UNIROOT_AGENT_SOCKET=$T_TMP/no-agent.sock
at_exit rt_cleanup

mkimg() { # mkimg FILE LABEL: a 16 MiB ext4 image holding the ext4label guest and a urunc.json
    local src=$T_TMP/src-$2
    mkdir -p "$src/unikernel"
    cp "$GUESTS/ext4label.hvt" "$src/unikernel/"
    echo '{}' >"$src/urunc.json" # not read (annotations describe the unikernel), but copied out
    truncate -s 16M "$1" && mkfs.ext4 -q -F -L "$2" -d "$src" "$1"
}
mkimg "$T_TMP/rootfs.img" urrootfs$$ || { not_ok "mkfs.ext4 -d" "failed"; finish; exit; }
mkimg "$T_TMP/other.img" urother$$
LOOP=$(losetup --find --show "$T_TMP/rootfs.img") || { skip runtime-rootfs "no loop device"; finish; exit; }
at_exit "losetup -d $LOOP"
LOOP2=$(losetup --find --show "$T_TMP/other.img") || { skip runtime-rootfs "no second loop device"; finish; exit; }
at_exit "losetup -d $LOOP2"
MAJMIN=$(lsblk -dno MAJ:MIN "$LOOP" | tr -d ' ') MAJMIN2=$(lsblk -dno MAJ:MIN "$LOOP2" | tr -d ' ')
MAJ=${MAJMIN%:*} MIN=${MAJMIN#*:} MAJ2=${MAJMIN2%:*} MIN2=${MAJMIN2#*:}
echo "# rootfs $LOOP ($MAJMIN), other $LOOP2 ($MAJMIN2)"

# block_bundle DIR [EXTRA-ANNOTATIONS]: a bundle whose rootfs/ the caller mounts
block_bundle() {
    mkdir -p "$1/rootfs"
    cat >"$1/config.json" <<JSON
{"ociVersion":"1.0.2","process":{"args":["/unikernel/ext4label.hvt"]},"root":{"path":"rootfs"},
 "annotations":{"com.urunc.unikernel.unikernelType":"solo5","com.urunc.unikernel.hypervisor":"hvt",
   "com.urunc.unikernel.binary":"/unikernel/ext4label.hvt","com.urunc.unikernel.mountRootfs":"true",
   "com.urunc.unikernel.cmdline":"standin:sleep=30"${2:+,$2}},
 "linux":{"namespaces":[{"type":"mount"}]}}
JSON
}
# record DEVICE MAJOR MINOR [FSTYPE]: the agent's annotation member, escaped for JSON
record() {
    printf '"dev.uniroot.rootfs":"{\\"version\\":1,\\"type\\":\\"block\\",\\"device\\":\\"%s\\",\\"major\\":%s,\\"minor\\":%s,\\"fstype\\":\\"%s\\",\\"observed_by\\":\\"test\\"}"' \
        "$1" "$2" "$3" "${4:-ext4}"
}
mounted() { grep -q " $1 " /proc/self/mountinfo; }
mount_opts() { awk -v t="$1" '$5 == t {print $6}' /proc/self/mountinfo | tail -1; }
pid_of() { ur state "$1" 2>/dev/null | grep -o '"pid":[[:space:]]*[0-9]*' | grep -o '[0-9]*$'; }
annot() { ur state "$1" | jq -r ".annotations[\"dev.uniroot.rootfs.$2\"]"; }
vmm_lines() { grep -A1 "start-fifo=$RT_ROOT/$1/start.fifo" "$STANDIN_VMM_LOG"; }

# handed NAME ID BUNDLE SOURCE: create succeeded; check the decision came from
# SOURCE, the rootfs is off the host, the monitor got $LOOP as a block device
# (its rdev as the stand-in saw it), the kernel copied out, and the exclusive
# fd; then start, and delete leaves the device free.
handed() {
    local name=$1 id=$2 b=$3 src=$4
    [ "$(annot "$id" outcome)" = rootfs-block ] && [ "$(annot "$id" source)" = "$src" ] &&
        ok "$name: decision rootfs-block by $src" ||
        not_ok "$name: decision by $src" "$(ur state "$id" | jq -c .annotations)"
    mounted "$b/rootfs" && not_ok "$name: rootfs unmounted from the host" "still mounted" ||
        ok "$name: rootfs unmounted from the host"
    local v; v=$(vmm_lines "$id")
    echo "$v" | grep -qE -- " --block:rootfs=/proc/self/fd/[0-9]+ -- $RT_ROOT/$id/ext4label.hvt standin:sleep=30$" &&
        ok "$name: monitor argv --block:rootfs=/proc/self/fd/N and the kernel copied out" ||
        not_ok "$name: monitor argv" "$v"
    echo "$v" | grep -qE "^block rootfs 60[0-7]{3} $MAJ:$MIN 0( |$)" &&
        ok "$name: the monitor's --block path is the block device $MAJ:$MIN" || not_ok "$name: --block rdev" "$v"
    cmp -s "$RT_ROOT/$id/ext4label.hvt" "$GUESTS/ext4label.hvt" && [ -f "$RT_ROOT/$id/urunc.json" ] &&
        ok "$name: kernel and urunc.json copied into the state dir" || not_ok "$name: copied out" "$(ls "$RT_ROOT/$id")"
    local pid; pid=$(pid_of "$id")
    [ "$(readlink "/proc/$pid/fd/4")" = "$LOOP" ] && ok "$name: the monitor holds the device (fd 4)" ||
        not_ok "$name: monitor holds the device" "fd 4: $(readlink "/proc/$pid/fd/4" 2>&1)"
    mkdir -p "$T_TMP/try"
    if mount "$LOOP" "$T_TMP/try" 2>/dev/null; then
        umount "$T_TMP/try"; not_ok "$name: the host cannot mount the device while the guest has it" "mounted"
    else
        ok "$name: the host cannot mount the device while the guest has it"
    fi
    ur start "$id" && ur kill "$id" KILL
    wait_status "$id" stopped || not_ok "$name: stopped" "$(ur state "$id")"
    ur delete "$id"
    [ ! -e "$RT_ROOT/$id" ] && ! mounted "$LOOP" && ok "$name: deleted; device mounted nowhere" ||
        not_ok "$name: delete" "$(ls "$RT_ROOT"; grep "$LOOP" /proc/self/mountinfo)"
}

# create_on NAME BUNDLE ID: mount $LOOP on the bundle's rootfs, create; 0 on success
create_on() {
    mount "$LOOP" "$2/rootfs" || { not_ok "$1: mount" "failed"; return 1; }
    at_exit "umount $2/rootfs"
    : >"$RT_LOG"
    ur create --bundle "$2" "$3" >"$T_TMP/$3.out" 2>&1 && ok "$1: create" && return 0
    not_ok "$1: create" "$(cat "$T_TMP/$3.out")"
    return 1
}

# --- a real record of the mounted device: the O(1) verifier accepts it
B=$T_TMP/real; block_bundle "$B" "$(record "$LOOP" "$MAJ" "$MIN")"
if create_on "real record" "$B" real; then
    grep -q "rootfs: annotation: verified (block $LOOP $MAJ:$MIN)" "$RT_LOG" && ! grep -q 'rootfs: agent\|rootfs: libmount' "$RT_LOG" &&
        ok "real record: verified, neither agent nor mount table asked" || not_ok "real record: log" "$(grep rootfs: "$RT_LOG")"
    [ "$(annot real decision_ns)" -gt 0 ] 2>/dev/null && ok "real record: decision time recorded ($(annot real decision_ns) ns)" ||
        not_ok "real record: decision_ns" "$(annot real decision_ns)"
    grep -q "rootfs: unmounted $B/rootfs ($LOOP) from the host" "$RT_LOG" && ok "real record: unmount logged" ||
        not_ok "real record: unmount logged" "$(grep rootfs: "$RT_LOG")"
    handed "real record" real "$B" annotation
fi

# --- records the verifier must refuse; libmount then decides (the real device), the reason logged
# refused_record NAME ANNOTATION WANT-LOG: WANT-LOG is the fixed text after "rootfs: annotation: "
refused_record() {
    local name=$1 id=rec$RANDOM b=$T_TMP/$1
    block_bundle "$b" "$2"
    if create_on "$name" "$b" "$id"; then
        grep -qF "rootfs: annotation: $3" "$RT_LOG" && ok "$name: refused, reason logged" ||
            not_ok "$name: reason logged" "$(grep rootfs: "$RT_LOG" | head -3)"
        grep -q "rootfs: libmount: $b/rootfs is ext4 $LOOP ($MAJ:$MIN)" "$RT_LOG" && ok "$name: libmount decided" ||
            not_ok "$name: libmount decided" "$(grep rootfs: "$RT_LOG")"
        handed "$name" "$id" "$b" libmount
    fi
}
# a device node named in the record whose rdev is not the one mounted
mknod "$T_TMP/fake-loop" b "$MAJ2" "$MIN2"
refused_record "rdev differs" "$(record "$T_TMP/fake-loop" "$MAJ" "$MIN")" \
    "not trusted, device $T_TMP/fake-loop is $MAJ2:$MIN2, record says $MAJ:$MIN"
refused_record "major:minor mismatch" "$(record "$LOOP" "$MAJ" $((MIN + 1)))" \
    "not trusted, root.path is on $MAJ:$MIN, record says $MAJ:$((MIN + 1))"
refused_record "another device" "$(record "$LOOP2" "$MAJ2" "$MIN2")" \
    "not trusted, root.path is on $MAJ:$MIN, record says $MAJ2:$MIN2"
mounted "$LOOP2" && not_ok "another device: $LOOP2 untouched" "mounted" || ok "another device: $LOOP2 untouched"
echo x >"$T_TMP/regular"
refused_record "not a block device" "$(record "$T_TMP/regular" "$MAJ" "$MIN")" "not trusted, $T_TMP/regular is not a block device"
refused_record "device node gone" "$(record "$T_TMP/nosuch" "$MAJ" "$MIN")" "not trusted, device $T_TMP/nosuch: No such file or directory"
refused_record "wrong fstype" "$(record "$LOOP" "$MAJ" "$MIN" xfs)" "not trusted, root.path is not xfs (magic 0xef53)"
refused_record "malformed record" '"dev.uniroot.rootfs":"{not json"' "ignored, "

# a bind mount of a subdirectory of the ext4: same device, not its root; libmount sees no block device
B=$T_TMP/subdir; block_bundle "$B" "$(record "$LOOP" "$MAJ" "$MIN")"
sed -i 's#"com.urunc.unikernel.binary":"/unikernel/ext4label.hvt"#"com.urunc.unikernel.binary":"/ext4label.hvt"#' "$B/config.json"
mkdir -p "$T_TMP/whole" && mount "$LOOP" "$T_TMP/whole" && at_exit "umount $T_TMP/whole"
mount --bind "$T_TMP/whole/unikernel" "$B/rootfs" && at_exit "umount $B/rootfs"
: >"$RT_LOG"
expect "bind mount of a subdirectory: not handed over" 1 'needs block device "rootfs", but the rootfs is not handed over as one: the container rootfs is not a block device \(libmount\)' -- ur create --bundle "$B" sub
grep -qF "rootfs: annotation: not trusted, root.path is not the root directory of the ext4" "$RT_LOG" &&
    ok "bind mount of a subdirectory: record refused, reason logged" || not_ok "subdirectory: reason" "$(grep rootfs: "$RT_LOG")"
mounted "$B/rootfs" && ok "bind mount of a subdirectory: left mounted" || not_ok "subdirectory: left mounted" "gone"
umount "$B/rootfs"
# root.path inside the mounted filesystem, not a mount of its own
sed -i "s#\"root\":{\"path\":\"rootfs\"}#\"root\":{\"path\":\"$T_TMP/whole/unikernel\"}#" "$B/config.json"
: >"$RT_LOG"
expect "root.path not a mount: not handed over" 1 'the container rootfs is not a block device \(libmount\)' -- ur create --bundle "$B" sub
grep -qF "rootfs: annotation: not trusted, root.path is not the root of a mount" "$RT_LOG" &&
    ok "root.path not a mount: record refused, reason logged" || not_ok "not a mount: reason" "$(grep rootfs: "$RT_LOG")"
umount "$T_TMP/whole"

# --- the agent's socket (a fake agent answering one query)
# fake_agent SOCK DEVICE MAJOR MINOR BUNDLE: answers {"op":"get","bundle":BUNDLE} with that record
fake_agent() {
    "$PY" - "$@" >"$T_TMP/agent.log" 2>&1 <<'PY' &
import json, socket, sys
path, dev, maj, mn, bundle = sys.argv[1:]
s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(1); s.settimeout(20)
c, _ = s.accept(); q = json.loads(c.makefile().readline())
ok = q == {"op": "get", "bundle": bundle}
rec = {"version": 1, "type": "block", "device": dev, "major": int(maj), "minor": int(mn), "fstype": "ext4"}
c.sendall((json.dumps({"ok": True, "record": rec} if ok else {"ok": False, "error": "bad query %r" % q}) + "\n").encode())
c.close()
PY
    for i in $(seq 50); do [ -S "$1" ] && break; sleep 0.1; done
}
# agent_create NAME BUNDLE ID DEVICE: create with a fake agent answering DEVICE's
# record. The runtime waits 50 ms for an answer; on a loaded machine the fake
# (python) can miss that, so a timeout is retried (twice), and said.
agent_create() {
    local try
    for try in 1 2 3; do
        rm -f "$T_TMP/$3.sock"
        fake_agent "$T_TMP/$3.sock" "$4" "$MAJ" "$MIN" "$2"
        export UNIROOT_AGENT_SOCKET=$T_TMP/$3.sock
        create_on "$1" "$2" "$3" || return 1
        grep -q 'rootfs: agent: no answer within' "$RT_LOG" || return 0
        echo "# note: $1: the fake agent did not answer within 50 ms (try $try); again"
        ur delete --force "$3"; wait; umount "$2/rootfs"
    done
    return 0
}
B=$T_TMP/agent; block_bundle "$B"
if agent_create "agent" "$B" ag1 "$LOOP"; then
    grep -q "rootfs: annotation: absent" "$RT_LOG" && grep -q "rootfs: agent: verified (block $LOOP $MAJ:$MIN)" "$RT_LOG" &&
        ! grep -q 'rootfs: libmount' "$RT_LOG" && ok "agent: answer verified, no mount table read" || not_ok "agent: log" "$(grep rootfs: "$RT_LOG")"
    handed "agent" ag1 "$B" agent
fi
wait
B=$T_TMP/agent-bad; block_bundle "$B"
if agent_create "agent with a wrong rdev" "$B" ag2 "$T_TMP/fake-loop"; then
    grep -qF "rootfs: agent: answer not trusted, device $T_TMP/fake-loop is $MAJ2:$MIN2, record says $MAJ:$MIN" "$RT_LOG" &&
        ok "agent with a wrong rdev: refused, reason logged" || not_ok "agent wrong rdev: log" "$(grep rootfs: "$RT_LOG")"
    handed "agent with a wrong rdev" ag2 "$B" libmount
fi
wait
export UNIROOT_AGENT_SOCKET=$T_TMP/no-agent.sock
B=$T_TMP/libmount; block_bundle "$B"
if create_on "libmount" "$B" lm; then
    grep -q 'rootfs: annotation: absent' "$RT_LOG" && grep -q "rootfs: agent: skipped, no agent at $T_TMP/no-agent.sock" "$RT_LOG" &&
        ok "libmount: each step logged with its reason" || not_ok "libmount: steps" "$(grep rootfs: "$RT_LOG")"
    handed "libmount" lm "$B" libmount
fi

# --- unmount, O_EXCL, mount-back
# refused_busy NAME BUNDLE WANT-ERROR MOUNT-OPTS [MOUNTED-BACK]: the rootfs is
# mounted, then its per-mount flags set to MOUNT-OPTS (a bind remount: the
# superblock is shared with the mount elsewhere); create must fail with WANT-ERROR, start no monitor,
# leave no state, and leave the rootfs mounted with the same options.
refused_busy() {
    local name=$1 b=$2 want=$3 o=$4 back=${5:-mounted back}
    mount "$LOOP" "$b/rootfs" || { not_ok "$name: mount" "failed"; return; }
    at_exit "umount $b/rootfs"
    mount -o "remount,bind,$o" "$b/rootfs" || { not_ok "$name: remount $o" "failed"; return; }
    local before; before=$(mount_opts "$b/rootfs")
    : >"$RT_LOG"; : >"$STANDIN_VMM_LOG"
    ur create --bundle "$b" busy >"$T_TMP/busy.out" 2>&1 # a file: a monitor started by mistake keeps it open
    local rc=$?
    [ $rc -eq 1 ] && grep -qF -- "$want" "$T_TMP/busy.out" && ok "$name: refused" ||
        not_ok "$name: refused" "exit status $rc: $(tr '\n' '|' <"$T_TMP/busy.out")"
    [ -z "$(jq -r 'select(.level == "error") | .msg' "$RT_LOG" | grep -F -- "$want")" ] &&
        not_ok "$name: error in --log" "$(cat "$RT_LOG" | tail -2)" || ok "$name: error in --log"
    local after; after=$(mount_opts "$b/rootfs")
    [ -n "$after" ] && [ "$after" = "$before" ] && ok "$name: rootfs $back ($after)" ||
        not_ok "$name: rootfs $back" "before '$before', after '$after'"
    [ ! -e "$RT_ROOT/busy" ] && [ ! -s "$STANDIN_VMM_LOG" ] && ok "$name: no state, no monitor" ||
        not_ok "$name: no state, no monitor" "$(ls "$RT_ROOT"; cat "$STANDIN_VMM_LOG")"
    [ $rc -eq 0 ] && ur delete --force busy
    umount "$b/rootfs" 2>/dev/null
}
mkdir -p "$T_TMP/elsewhere"
mount "$LOOP" "$T_TMP/elsewhere" && at_exit "umount $T_TMP/elsewhere"
B=$T_TMP/busy-annot; block_bundle "$B" "$(record "$LOOP" "$MAJ" "$MIN")"
refused_busy "verified record, device mounted rw elsewhere" "$B" "rootfs device $LOOP is still mounted elsewhere; refusing to hand it to the guest" rw
grep -q "rootfs: unmounted $B/rootfs" "$RT_LOG" && ok "O_EXCL refusal came after the unmount" || not_ok "unmount then O_EXCL" "$(grep rootfs: "$RT_LOG")"
refused_busy "verified record, ro,nosuid,nodev rootfs, device mounted elsewhere" "$B" "still mounted elsewhere; refusing" ro,nosuid,nodev,noexec
B=$T_TMP/busy-lm; block_bundle "$B"
refused_busy "libmount, device mounted rw elsewhere" "$B" "rootfs device $LOOP is also mounted read-write at $T_TMP/elsewhere; refusing" rw "left mounted"
umount "$T_TMP/elsewhere"
mount "$LOOP" "$T_TMP/elsewhere" && mount -o remount,bind,ro "$T_TMP/elsewhere"
refused_busy "libmount, device mounted ro elsewhere (O_EXCL)" "$B" "rootfs device $LOOP is still mounted elsewhere; refusing" rw
umount "$T_TMP/elsewhere"
# held by another process with O_EXCL while mounted: a bind mount of the rootfs elsewhere
B=$T_TMP/busy-bind; block_bundle "$B" "$(record "$LOOP" "$MAJ" "$MIN")"
mount "$LOOP" "$B/rootfs" && mount --bind "$B/rootfs" "$T_TMP/elsewhere" && at_exit "umount $T_TMP/elsewhere"
umount "$B/rootfs"
refused_busy "verified record, a bind mount of the device elsewhere" "$B" "still mounted elsewhere; refusing" rw
umount "$T_TMP/elsewhere"
# short-lived references (the agent reading urunc.json, a fresh mount namespace's copy, when
# many pods start at once) are waited out: create succeeds once they are gone
# taken_after NAME BUNDLE CMD...: CMD (in the background) holds the rootfs ~0.4 s; create waits
taken_after() {
    local name=$1 b=$2 t0 hold
    shift 2
    mount "$LOOP" "$b/rootfs" || { not_ok "$name: mount" "failed"; return; }
    "$@" &
    hold=$!
    sleep 0.1
    : >"$RT_LOG"
    t0=$EPOCHREALTIME
    if ur create --bundle "$b" short >"$T_TMP/short.out" 2>&1; then
        ok "$name: create waited it out ($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}') s)"
    else
        not_ok "$name: create" "$(tr '\n' '|' <"$T_TMP/short.out")"
    fi
    wait $hold
    ur delete --force short >/dev/null 2>&1
    umount "$b/rootfs" 2>/dev/null
}
B=$T_TMP/short; block_bundle "$B" "$(record "$LOOP" "$MAJ" "$MIN")"
taken_after "a process with its cwd in the rootfs for 0.4 s (unmount EBUSY)" "$B" \
    bash -c "cd '$B/rootfs' && sleep 0.5"
taken_after "the device mounted elsewhere for 0.4 s (O_EXCL EBUSY)" "$B" \
    bash -c "mount '$LOOP' '$T_TMP/elsewhere' && sleep 0.5; umount '$T_TMP/elsewhere'"
# the monitor fails after the device was taken: mounted back, device free again
B=$T_TMP/vmmfail; block_bundle "$B" "$(record "$LOOP" "$MAJ" "$MIN")"
mount "$LOOP" "$B/rootfs" && at_exit "umount $B/rootfs"
: >"$RT_LOG"
expect "monitor failure after the unmount" 1 'uniroot-vmm: no guest today' -- env STANDIN_VMM_FAIL="no guest today" "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$B" vf
mounted "$B/rootfs" && [ "$(awk -v t="$B/rootfs" '$5 == t {print $3}' /proc/self/mountinfo)" = "$MAJMIN" ] &&
    ok "monitor failure: the rootfs mounted back" || not_ok "monitor failure: mounted back" "$(grep "$B" /proc/self/mountinfo)"
grep -q "rootfs: unmounted $B/rootfs" "$RT_LOG" && ok "monitor failure: it had been unmounted" || not_ok "monitor failure: unmounted" "$(grep rootfs: "$RT_LOG")"
[ ! -e "$RT_ROOT/vf" ] && ok "monitor failure: no state" || not_ok "monitor failure: no state" "left"
umount "$B/rootfs"
if "$PY" -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_RDWR | os.O_EXCL))' "$LOOP"; then
    ok "device free for O_EXCL at the end"
else
    not_ok "device free for O_EXCL" "busy"
fi

# --- an explicit block image in the rootfs (block + blkMntPoint "/"): handed over as "rootfs"
BI=$T_TMP/b-image; mkdir -p "$BI/rootfs/unikernel"
cp "$GUESTS/ext4label.hvt" "$BI/rootfs/unikernel/"
truncate -s 8M "$BI/rootfs/disk.img" && mkfs.ext4 -q -F -L imglabel "$BI/rootfs/disk.img"
cat >"$BI/config.json" <<JSON
{"ociVersion":"1.0.2","process":{"args":["x"]},"root":{"path":"rootfs"},
 "annotations":{"com.urunc.unikernel.unikernelType":"solo5","com.urunc.unikernel.hypervisor":"hvt",
   "com.urunc.unikernel.binary":"/unikernel/ext4label.hvt","com.urunc.unikernel.block":"/disk.img",
   "com.urunc.unikernel.blkMntPoint":"/"}}
JSON
: >"$RT_LOG"
expect "block image at / handed over as rootfs" 0 '' -- ur run --bundle "$BI" bimg
grep -q 'rootfs: decision block-image' "$RT_LOG" && ok "block image: decision logged" || not_ok "block image decision" "$(grep rootfs: "$RT_LOG")"
v=$(vmm_lines bimg)
ino=$(stat -c %i "$BI/rootfs/disk.img")
echo "$v" | grep -qE -- "--block:rootfs=/proc/self/fd/[0-9]+ -- /proc/self/fd/[0-9]+$" &&
    echo "$v" | grep -qE "^block rootfs 100[0-7]{3} 0:0 8388608 [0-9]+:[0-9]+ $ino$" &&
    ok "block image: the monitor got the rootfs's regular file, as an fd" ||
    not_ok "block image: monitor argv" "$v"

[ -z "$(ls "$RT_ROOT" 2>/dev/null)" ] && ok "nothing left in --root" || not_ok "nothing left in --root" "$(ls "$RT_ROOT")"
if losetup -d "$LOOP"; then ok "loop device detaches at the end (no holder, no mount)"; else not_ok "loop device free" "busy"; fi
finish
