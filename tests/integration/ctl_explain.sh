#!/bin/bash
# ctl_explain.sh: unirootctl's argument checks and `explain BUNDLE` (no
# /dev/kvm, no agent needed: a fake agent socket answers). A --socket path
# longer than a unix address is refused (not cut); --timeout that is not a
# positive number is refused (not "no timeout"), both with the usage status
# 64; explain runs the runtime's own verifier, so a bind mount of a
# subdirectory of the recorded ext4 is "not verifiable" while the
# filesystem's root mounted there is verifiable. Runs in a mount namespace of
# its own; the loop device it makes is detached at exit.
if [ -z "${UR_MNTNS:-}" ] && unshare --mount true 2>/dev/null; then
    UR_MNTNS=1 exec unshare --mount bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
CTL=${UNIROOTCTL:-$UR_TOP/build/bin/unirootctl}
[ -x "$CTL" ] || { skip ctl "$CTL is not built"; finish; exit; }
PY=$(command -v python3) || { skip ctl "python3 (the fake agent) is missing"; finish; exit; }
T=$T_TMP

# fake_agent SOCKET MODE [FILE]: answer every request with FILE's line
# (MODE answer) or never answer (MODE silent); its pid is killed at exit.
fake_agent() {
    "$PY" - "$@" >/dev/null 2>&1 <<'PY' &
import os, socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(8)
held = []
while True:
    c, _ = s.accept()
    if mode == "silent":
        held.append(c); continue
    c.recv(65536)
    c.sendall(open(sys.argv[3], "rb").read().strip() + b"\n")
    c.close()
PY
    at_exit "kill $!"
}
wait_sock() { local i; for ((i = 0; i < 50; i++)); do [ -S "$1" ] && return 0; sleep 0.1; done; return 1; }

echo '{"ok":false,"error":"no record"}' >"$T/none.json"

# --- --socket longer than sun_path (107 bytes + NUL): refused, not cut
D=$T/s; mkdir -p "$D"
base="$D/"; while [ ${#base} -lt 106 ]; do base="${base}x"; done
SOCK107="${base}s"          # exactly 107 bytes: the longest that fits
fake_agent "$SOCK107" answer "$T/none.json"
wait_sock "$SOCK107" || not_ok "fake agent" "no socket at $SOCK107"
expect "--socket of 107 bytes works" 1 '"ok":false' -- "$CTL" --socket "$SOCK107" get /nonexistent
expect "--socket longer than a unix address refused (usage, 64)" 64 'longer than a unix socket address' -- \
    "$CTL" --socket "${SOCK107}-cut-off" get /nonexistent

# --- --timeout must be a positive number
SIL=$T/silent.sock
fake_agent "$SIL" silent
wait_sock "$SIL" || not_ok "silent fake agent" "no socket"
for v in abc -5 0 10x '' 99999999999999999999; do
    expect "--timeout '$v' refused (usage, 64)" 64 'wants a number' -- timeout 10 "$CTL" --socket "$SIL" --timeout "$v" list
done
expect "--timeout 300 times out" 2 'no answer .* within 300 ms' -- timeout 10 "$CTL" --socket "$SIL" --timeout 300 list
expect "watch --count abc refused (usage, 64)" 64 'wants a number' -- timeout 10 "$CTL" --socket "$SIL" watch --count abc

# --- explain: the runtime's verifier, on a subdirectory bind mount and on the fs root
if [ -z "${UR_MNTNS:-}" ]; then
    skip explain "no mount namespace of our own"
    finish; exit
fi
IMG=$T/fs.img
truncate -s 16M "$IMG" && mkfs.ext4 -q -F "$IMG" >/dev/null 2>&1 || { skip explain "mkfs.ext4 failed"; finish; exit; }
LOOP=$(losetup --find --show "$IMG" 2>/dev/null) || { skip explain "no free loop device"; finish; exit; }
at_exit "losetup -d $LOOP"
mkdir -p "$T/fs" && mount "$LOOP" "$T/fs" || { skip explain "cannot mount $LOOP"; finish; exit; }
at_exit "umount -l $T/fs"
mkdir -p "$T/fs/sub"
MAJ=$(( 0x$(stat -c %t "$LOOP") )) MIN=$(( 0x$(stat -c %T "$LOOP") ))
REC="{\"version\":1,\"type\":\"block\",\"device\":\"$LOOP\",\"major\":$MAJ,\"minor\":$MIN,\"fstype\":\"ext4\",\"backing\":\"$IMG\",\"observed_by\":\"test\",\"observed_at\":\"2026-12-02T00:00:00.000000000Z\",\"namespace\":\"default\",\"container\":\"c1\",\"mount_target\":\"$T/b/rootfs\"}"
B=$T/b; mkdir -p "$B/rootfs"
esc=$(printf %s "$REC" | sed 's/"/\\"/g')
printf '{"ociVersion":"1.0.2","root":{"path":"rootfs"},"annotations":{"dev.uniroot.rootfs":"%s"}}\n' "$esc" >"$B/config.json"
printf '{"ok":true,"record":%s}\n' "$REC" >"$T/rec.json"
AG=$T/agent.sock
fake_agent "$AG" answer "$T/rec.json"
wait_sock "$AG" || not_ok "fake agent" "no socket"

mount --bind "$T/fs/sub" "$B/rootfs" && at_exit "umount -l $B/rootfs"
expect "explain: subdirectory bind mount is not verifiable" 1 'decision: +not verifiable' -- "$CTL" --socket "$AG" explain "$B"
echo "$T_OUT" | grep -q 'not the root directory of the ext4' &&
    ok "explain gives the runtime verifier's reason" || not_ok "verifier reason" "$(echo "$T_OUT" | tr '\n' '|')"
umount "$B/rootfs"
mount --bind "$T/fs" "$B/rootfs"
expect "explain: the filesystem's root is verifiable" 0 'decision: +verifiable.*annotation record' -- "$CTL" --socket "$AG" explain "$B"
umount "$B/rootfs"
expect "explain: nothing mounted is not verifiable" 1 'decision: +not verifiable' -- "$CTL" --socket "$AG" explain "$B"
finish
