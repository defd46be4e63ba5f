#!/bin/bash
# runtime_hostile.sh: images written by an attacker. Every path an image names
# (com.urunc.unikernel.binary, .block, .initrd, urunc.json and its values) must
# stay inside the image's rootfs and name a regular file; config.json and
# urunc.json must not hang create or be read unbounded; NUL and control bytes
# in values are refused. Runs without /dev/kvm: the monitor is the stand-in
# (build/bin/standin-vmm), which records every start in $STANDIN_VMM_LOG.
#
# Each refusal must be: a non-zero exit within a timeout (no hang), exactly one
# line on stderr matching the expected reason, the same line as the last
# "error" record of the --log JSON, the stand-in never started (its log stays
# empty), and nothing left behind: no state directory, no cgroup, mounts and
# this test's loop devices as before. Positive cases (a plain binary, symlinks
# that stay inside, a traversal clamped at the rootfs root, a block image file
# inside the rootfs, the container's own block rootfs) must still start, and
# the stand-in must have been given exactly the file or device inside.
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
STANDIN=$UR_TOP/build/bin/standin-vmm
export UNIROOT_VMM=$STANDIN
. "$(dirname "$0")/runtime_lib.inc"

if [ ! -x "$UNIROOT" ] || [ ! -x "$STANDIN" ] || [ ! -f "$GUESTS/hello.hvt" ] ||
    [ ! -f "$GUESTS/ext4label.hvt" ]; then
    skip runtime-hostile "build/bin/uniroot, build/bin/standin-vmm or the guests are not built"
    finish; exit
fi
for t in python3 mkfs.ext4 losetup mknod timeout; do
    command -v $t >/dev/null || { skip runtime-hostile "$t missing"; finish; exit; }
done
[ "$(id -u)" = 0 ] || { skip runtime-hostile "needs root (mknod, loop devices, mounts)"; finish; exit; }
export STANDIN_VMM_LOG=$T_TMP/standin.log
PY=$(command -v /usr/bin/python3 || command -v python3) # a shim (pyenv) can take seconds to start
at_exit rt_cleanup
CGP=uniroot-confine-$$
at_exit "rmdir /sys/fs/cgroup/*/$CGP/* /sys/fs/cgroup/*/$CGP /sys/fs/cgroup/$CGP/* /sys/fs/cgroup/$CGP"

# What a hostile image wants to reach on the host: a disk (a loop device this
# test attaches, standing in for /dev/vda), a secret file, a valid kernel and
# description outside the rootfs.
HOST=$T_TMP/host
mkdir -p "$HOST"
truncate -s 8M "$HOST/disk.img"
# attach FILE: a loop device backed by FILE, checked (other tests attach loop
# devices at the same time; never trust a device that is not ours)
attach() {
    local i dev
    for i in 1 2 3 4 5; do
        dev=$(losetup --find --show "$1" 2>/dev/null) &&
            [ "$(losetup -nO BACK-FILE "$dev" 2>/dev/null)" = "$(realpath "$1")" ] && { echo "$dev"; return 0; }
        sleep 0.2
    done
    return 1
}
HDISK=$(attach "$HOST/disk.img") || { skip runtime-hostile "no loop device"; finish; exit; }
at_exit "losetup -d $HDISK"
HMAJMIN=$(lsblk -dno MAJ:MIN "$HDISK" | tr -d ' ')
echo "host secret" >"$HOST/secret"
cp "$GUESTS/hello.hvt" "$HOST/hello.hvt"

b64() { printf '%s' "$1" | base64 -w0; }

N=0
# hb [ANNOTATIONS-JSON-MEMBERS]: a fresh bundle (its path in $B) whose rootfs
# holds /unikernel/hello.hvt and /unikernel/ext4label.hvt; the annotations
# given replace the default description (solo5/hvt, binary hello.hvt). "-"
# for no annotations at all (the description is then urunc.json's).
hb() {
    N=$((N + 1))
    B=$T_TMP/b$N
    mkdir -p "$B/rootfs/unikernel"
    cp "$GUESTS/hello.hvt" "$GUESTS/ext4label.hvt" "$B/rootfs/unikernel/"
    local ann='"com.urunc.unikernel.unikernelType":"solo5","com.urunc.unikernel.hypervisor":"hvt","com.urunc.unikernel.binary":"/unikernel/hello.hvt"'
    if [ "${1:-}" = - ]; then ann=; elif [ -n "${1:-}" ]; then ann=$1; fi
    cat >"$B/config.json" <<JSON
{"ociVersion":"1.0.2","process":{"args":["x"]},"root":{"path":"rootfs"},
 "annotations":{$ann},
 "linux":{"cgroupsPath":"/$CGP/c$N","namespaces":[{"type":"mount"}]}}
JSON
}
# desc BINARY [EXTRA]: annotation members of a solo5/hvt description
desc() {
    printf '"com.urunc.unikernel.unikernelType":"solo5","com.urunc.unikernel.hypervisor":"hvt","com.urunc.unikernel.binary":"%s"%s' "$1" "${2:+,$2}"
}
# blockdesc BLOCK: a description with a block image at / (guest ext4label)
blockdesc() {
    desc /unikernel/ext4label.hvt "\"com.urunc.unikernel.block\":\"$1\",\"com.urunc.unikernel.blkMntPoint\":\"/\""
}
# urunc_json KEY=VALUE...: write $B/rootfs/urunc.json, values base64
urunc_json() {
    local kv out='{' sep=
    for kv in "$@"; do
        out+="$sep\"com.urunc.unikernel.${kv%%=*}\":\"$(b64 "${kv#*=}")\""
        sep=,
    done
    printf '%s}' "$out" >"$B/rootfs/urunc.json"
}
uj_base=("unikernelType=solo5" "hypervisor=hvt")

snapshot() { # what must be the same before and after a refused create
    { grep -F "$T_TMP" /proc/self/mountinfo | cut -d" " -f2- | sort; losetup -a | grep -F "$T_TMP" | sort; } 2>/dev/null
}
last_error_msg() { # the msg of the last "error" record in the --log JSON
    if command -v jq >/dev/null; then
        jq -r 'select(.level == "error") | .msg' "$RT_LOG" 2>/dev/null | tail -1; return
    fi
    $PY - "$RT_LOG" <<'PY'
import json, sys
msg = ""
for line in open(sys.argv[1], errors="replace"):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("level") == "error":
        msg = r.get("msg", "")
print(msg)
PY
}

# refused NAME REGEX [BUNDLE]: create must fail with one line matching REGEX.
refused() {
    local name=$1 re=$2 b=${3:-$B} id=h$N-$RANDOM
    : >"$STANDIN_VMM_LOG"
    : >"$RT_LOG"
    local before; before=$(snapshot)
    local out rc
    timeout 20 "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$b" "$id" >"$T_TMP/$id.out" 2>&1
    rc=$?
    out=$(cat "$T_TMP/$id.out")
    local why=
    if [ "$rc" -eq 124 ]; then why="create hung (killed after 20 s)"
    elif [ "$rc" -eq 0 ]; then why="create succeeded"
    elif [ "$(printf '%s\n' "$out" | wc -l)" -ne 1 ]; then why="not one line: $(echo "$out" | tr '\n' '|')"
    elif ! printf '%s' "$out" | grep -qE -- "$re"; then why="\"$out\" does not match /$re/"
    elif [ "uniroot: $(last_error_msg)" != "$out" ]; then why="--log says \"$(last_error_msg)\", stderr \"$out\""
    elif [ -s "$STANDIN_VMM_LOG" ]; then why="the monitor was started: $(head -c 300 "$STANDIN_VMM_LOG")"
    elif [ -e "$RT_ROOT/$id" ]; then why="state directory $RT_ROOT/$id left"
    elif ls -d /sys/fs/cgroup/*/$CGP/c$N /sys/fs/cgroup/$CGP/c$N >/dev/null 2>&1; then why="cgroup left"
    elif [ "$before" != "$(snapshot)" ]; then why="mounts or loop devices changed: $(diff <(echo "$before") <(snapshot) | tr '\n' '|')"
    fi
    if [ -z "$why" ]; then ok "refused: $name -> $out"; else not_ok "refused: $name" "$why"; fi
}

# started NAME [BUNDLE]: create must succeed and start the stand-in; $SL is
# its log. The container is deleted afterwards (state must go).
started() {
    local name=$1 b=${2:-$B} id=p$N-$RANDOM
    : >"$STANDIN_VMM_LOG"
    # output to a file: the stand-in keeps stdout open (it is the container's)
    if ! timeout 20 "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$b" "$id" >"$T_TMP/$id.out" 2>&1; then
        not_ok "works: $name" "create failed: $(cat "$T_TMP/$id.out")"; SL=; return 1
    fi
    SL=$(cat "$STANDIN_VMM_LOG")
    ur delete --force "$id" >/dev/null 2>&1
    if [ -e "$RT_ROOT/$id" ]; then not_ok "works: $name" "state left after delete"; return 1; fi
    return 0
}
ino() { stat -c %i "$1"; }
# kernel_is NAME FILE: the stand-in's kernel was FILE (same inode), a regular file
kernel_is() {
    local k; k=$(echo "$SL" | grep '^kernel ')
    if echo "$k" | grep -qE "^kernel 100[0-7]{3} [0-9]+:[0-9]+ $(ino "$2") "; then ok "works: $1 ($k)"
    else not_ok "works: $1" "kernel line \"$k\", want inode $(ino "$2") of $2"; fi
}

echo "# host targets: disk $HDISK ($HMAJMIN), $HOST/secret, $HOST/hello.hvt, /etc/shadow"

# ---- positive cases first: what must keep working
hb; started "plain binary" && kernel_is "plain binary, handed over as an fd" "$B/rootfs/unikernel/hello.hvt"
echo "$SL" | grep -q -- '-- /proc/self/fd/[0-9]*$' && ok "works: kernel given as /proc/self/fd/N, never the image's path" ||
    not_ok "kernel argument" "$(echo "$SL" | grep ^argv)"
hb "$(desc /unikernel/app)"; ln -s /unikernel/hello.hvt "$B/rootfs/unikernel/app"
started "absolute symlink inside the rootfs" && kernel_is "absolute symlink inside the rootfs" "$B/rootfs/unikernel/hello.hvt"
hb "$(desc /bin/app)"; mkdir -p "$B/rootfs/bin"; ln -s ../unikernel/hello.hvt "$B/rootfs/bin/app"
started "relative symlink inside the rootfs" && kernel_is "relative symlink inside the rootfs" "$B/rootfs/unikernel/hello.hvt"
hb "$(desc /../../../../unikernel/hello.hvt)"
started "traversal clamped at the rootfs root" && kernel_is "traversal clamped at the rootfs root (the rootfs's own file)" "$B/rootfs/unikernel/hello.hvt"
hb "$(blockdesc /disk.img)"; truncate -s 8M "$B/rootfs/disk.img"
if started "block image file inside the rootfs"; then
    echo "$SL" | grep -qE "^block rootfs 100[0-7]{3} 0:0 8388608 [0-9]+:[0-9]+ $(ino "$B/rootfs/disk.img")$" &&
        ok "works: block image file inside the rootfs ($(echo "$SL" | grep '^block '))" ||
        not_ok "works: block image file inside" "$(echo "$SL" | grep -E '^(argv|block)')"
fi
hb "$(blockdesc /big.img)"; truncate -s 1T "$B/rootfs/big.img"
if started "sparse 1 TiB block image inside the rootfs"; then
    echo "$SL" | grep -qE "^block rootfs 100[0-7]{3} 0:0 1099511627776 " &&
        ok "works: sparse 1 TiB block image inside the rootfs (handed over, never read by the runtime)" ||
        not_ok "works: sparse 1 TiB block image" "$(echo "$SL" | grep -E '^(argv|block)')"
fi
hb -; urunc_json "${uj_base[@]}" "binary=/unikernel/hello.hvt" "cmdline=a b"
started "urunc.json description" && kernel_is "urunc.json description" "$B/rootfs/unikernel/hello.hvt"

# ---- the binary
for how in annotation urunc.json; do
    # bin_case NAME BINARY: a bundle naming BINARY as annotation or in urunc.json
    bin_case() {
        if [ "$how" = annotation ]; then hb "$(desc "$1")"; else hb -; urunc_json "${uj_base[@]}" "binary=$1"; fi
    }
    bin_case /../../../../../../../../etc/shadow
    refused "$how: binary /../../../../../../../../etc/shadow" 'unikernel binary .*/etc/shadow: not found in the rootfs'
    bin_case "/../../../../../../../..$HOST/hello.hvt"
    refused "$how: binary traversal to a host kernel" 'hello.hvt: not found in the rootfs'
    bin_case "$HOST/hello.hvt"
    refused "$how: binary absolute host path $HOST/hello.hvt" "$HOST/hello.hvt: not found in the rootfs"
    bin_case /unikernel/evil; ln -s "$HOST/hello.hvt" "$B/rootfs/unikernel/evil"
    refused "$how: binary absolute symlink out" '/unikernel/evil: not found in the rootfs'
    bin_case /unikernel/evil; ln -s ../../../host/hello.hvt "$B/rootfs/unikernel/evil"
    [ -f "$B/rootfs/unikernel/../../../host/hello.hvt" ] || not_ok "setup" "relative link does not reach the host file"
    refused "$how: binary relative symlink out (../../../host/hello.hvt, reaches it on the host)" '/unikernel/evil: not found in the rootfs'
    bin_case /unikernel/shadow; ln -s /etc/shadow "$B/rootfs/unikernel/shadow"
    refused "$how: binary symlink to /etc/shadow" '/unikernel/shadow: not found in the rootfs'
    bin_case /unikernel/magic; ln -s /proc/self/root/etc/shadow "$B/rootfs/unikernel/magic"
    refused "$how: binary symlink via /proc/self/root" '/unikernel/magic: not found in the rootfs'
    bin_case /unikernel/loop; ln -s loop "$B/rootfs/unikernel/loop"
    refused "$how: binary symlink loop" '/unikernel/loop: too many symbolic links'
    bin_case /unikernel/disk; mknod "$B/rootfs/unikernel/disk" b "${HMAJMIN%:*}" "${HMAJMIN#*:}"
    refused "$how: binary device node naming host disk $HDISK" "/unikernel/disk: is a block device node \\($HMAJMIN\\), not a regular file"
    bin_case /unikernel/null; mknod "$B/rootfs/unikernel/null" c 1 3
    refused "$how: binary character device" '/unikernel/null: is a character device node \(1:3\), not a regular file'
    bin_case /unikernel/fifo; mkfifo "$B/rootfs/unikernel/fifo"
    refused "$how: binary FIFO (no hang)" '/unikernel/fifo: is a FIFO, not a regular file'
    bin_case /unikernel/sock; $PY -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$B/rootfs/unikernel/sock"
    refused "$how: binary socket" '/unikernel/sock: is a socket, not a regular file'
    bin_case /unikernel
    refused "$how: binary directory" '/unikernel: is a directory, not a regular file'
    bin_case /unikernel/huge.hvt; truncate -s 1T "$B/rootfs/unikernel/huge.hvt"
    refused "$how: binary sparse 1 TiB" '/unikernel/huge.hvt: is 1099511627776 bytes, more than the 268435456 allowed'
done

# ---- the block image (block + blkMntPoint "/")
for how in annotation urunc.json; do
    blk_case() {
        if [ "$how" = annotation ]; then hb "$(blockdesc "$1")"
        else hb -; urunc_json "${uj_base[@]}" binary=/unikernel/ext4label.hvt "block=$1" blkMntPoint=/; fi
    }
    blk_case "/../../../../../../../..$HDISK"
    refused "$how: block traversal to host disk $HDISK" "block image .*$HDISK: not found in the rootfs"
    blk_case "$HDISK"
    refused "$how: block absolute host device $HDISK" "block image .*: $HDISK: not found in the rootfs"
    blk_case "$HOST/disk.img"
    refused "$how: block absolute host file $HOST/disk.img" "$HOST/disk.img: not found in the rootfs"
    blk_case /disk.img; ln -s "$HDISK" "$B/rootfs/disk.img"
    refused "$how: block absolute symlink to $HDISK" '/disk.img: not found in the rootfs'
    blk_case /disk.img; ln -s ../../host/disk.img "$B/rootfs/disk.img"
    [ -f "$B/rootfs/../../host/disk.img" ] || not_ok "setup" "relative link does not reach the host file"
    refused "$how: block relative symlink out (../../host/disk.img)" '/disk.img: not found in the rootfs'
    blk_case /disk.img; mknod "$B/rootfs/disk.img" b "${HMAJMIN%:*}" "${HMAJMIN#*:}"
    refused "$how: block device node naming $HDISK" "/disk.img: is a block device node \\($HMAJMIN\\), not a regular file"
    blk_case /disk.img; mkfifo "$B/rootfs/disk.img"
    refused "$how: block FIFO (no hang)" '/disk.img: is a FIFO, not a regular file'
    blk_case /disk.img; $PY -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$B/rootfs/disk.img"
    refused "$how: block socket" '/disk.img: is a socket, not a regular file'
    blk_case /unikernel
    refused "$how: block directory" '/unikernel: is a directory, not a regular file'
done

# ---- the initrd is never opened: hvt refuses any
hb "$(desc /unikernel/hello.hvt "\"com.urunc.unikernel.initrd\":\"/../../../..$HDISK\"")"
refused "annotation: initrd traversal (never opened)" 'boots from an initrd .*which hypervisor hvt cannot load'

# ---- urunc.json itself
hb -; ln -s "$HOST/urunc.json" "$B/rootfs/urunc.json"
( B=$HOST; mkdir -p "$HOST/rootfs"; urunc_json "${uj_base[@]}" binary=/unikernel/hello.hvt; mv "$HOST/rootfs/urunc.json" "$HOST/urunc.json" )
refused "urunc.json: absolute symlink to a host description" 'urunc.json: not found in the rootfs'
hb -; ln -s ../../host/urunc.json "$B/rootfs/urunc.json"
refused "urunc.json: relative symlink out" 'urunc.json: not found in the rootfs'
hb -; mkfifo "$B/rootfs/urunc.json"
refused "urunc.json: FIFO (no hang)" 'urunc.json: is a FIFO, not a regular file'
hb -; $PY -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$B/rootfs/urunc.json"
refused "urunc.json: socket" 'urunc.json: is a socket, not a regular file'
hb -; mknod "$B/rootfs/urunc.json" c 1 3
refused "urunc.json: device node" 'urunc.json: is a character device node \(1:3\), not a regular file'
hb -; mkdir "$B/rootfs/urunc.json"
refused "urunc.json: directory" 'urunc.json: is a directory, not a regular file'
hb -; truncate -s 1G "$B/rootfs/urunc.json"
refused "urunc.json: sparse 1 GiB" 'urunc.json: is 1073741824 bytes, more than the 65536 allowed'

# ---- config.json itself
hb; rm "$B/config.json"; mkfifo "$B/config.json"
refused "config.json: FIFO (no hang)" 'config.json is not a regular file'
hb; truncate -s 5M "$B/config.json"
refused "config.json: 5 MiB" 'config.json is 5242880 bytes; at most 4194304 bytes are read'

# ---- NUL and control characters in values
hb "$(desc '/unikernel/hello.hvt\u0000/../../etc/shadow')"
refused "annotation: NUL inside binary" 'config.json: a string holds a NUL character \(\\u0000 at byte [0-9]+\); refused'
hb "$(desc /unikernel/hello.hvt '"com.urunc.unikernel.cmdline":"a\u0000b"')"
refused "annotation: NUL inside cmdline" 'NUL character'
hb -; printf '{"com.urunc.unikernel.unikernelType":"%s","com.urunc.unikernel.hypervisor":"%s","com.urunc.unikernel.binary":"%s\\u0000"}' \
    "$(b64 solo5)" "$(b64 hvt)" "$(b64 /unikernel/hello.hvt)" >"$B/rootfs/urunc.json"
refused "urunc.json: NUL escape in a value" 'urunc.json: a string holds a NUL character'
hb -; printf '{"com.urunc.unikernel.unikernelType":"%s","com.urunc.unikernel.hypervisor":"%s","com.urunc.unikernel.binary":"%s"}' \
    "$(b64 solo5)" "$(b64 hvt)" "$(printf '/unikernel/hello.hvt\0x' | base64 -w0)" >"$B/rootfs/urunc.json"
refused "urunc.json: NUL byte in a decoded value" 'decoded value holds a NUL byte'
hb "$(desc /unikernel/hello.hvt '"com.urunc.unikernel.cmdline":"a\nstandin:exit=3"')"
refused "annotation: newline in cmdline" 'cmdline holds a control character \(byte 0x0a at offset 1\); refused'
hb "$(desc '/unikernel/hello.hvt\n')"
refused "annotation: newline in binary" 'binary holds a control character \(byte 0x0a'
hb "$(blockdesc '/disk.img\r')"
refused "annotation: carriage return in block" 'block holds a control character \(byte 0x0d'
hb -; urunc_json "${uj_base[@]}" binary=/unikernel/hello.hvt "cmdline=$(printf 'a\tb')"
refused "urunc.json: tab in cmdline" 'cmdline holds a control character \(byte 0x09'
hb "$(desc /unikernel/hello.hvt '"com.urunc.unikernel.cmdline":"x\u001b[2J"')"
refused "annotation: escape character in cmdline" 'control character \(byte 0x1b'

# ---- a block rootfs: ext4 on a loop device mounted on the bundle's rootfs
IMG=$T_TMP/rootfs.img
mkdir -p "$T_TMP/ext4src/unikernel"
cp "$GUESTS/ext4label.hvt" "$T_TMP/ext4src/unikernel/"
truncate -s 16M "$IMG"
mkfs.ext4 -q -F -d "$T_TMP/ext4src" "$IMG" || { not_ok "mkfs.ext4 -d" failed; finish; exit; }
LOOP=$(attach "$IMG") || { not_ok "losetup" "no loop device"; finish; exit; }
at_exit "losetup -d $LOOP"
MAJMIN=$(lsblk -dno MAJ:MIN "$LOOP" | tr -d ' ')
# blk_rootfs BINARY: a bundle whose rootfs is the ext4 (mounted rw, fresh content)
blk_rootfs() {
    hb "$(desc "$1" '"com.urunc.unikernel.mountRootfs":"true"')"
    rm -rf "$B/rootfs"; mkdir "$B/rootfs"
    mount "$LOOP" "$B/rootfs" || { not_ok "mount $LOOP" failed; return 1; }
    at_exit "umount $B/rootfs"
    rm -rf "$B/rootfs/urunc.json" "$B/rootfs/unikernel/evil"
}
still_mounted() { # the refusal must leave the rootfs mounted where it was
    grep -q " $B/rootfs " /proc/self/mountinfo && ok "block rootfs: $1: rootfs still mounted" ||
        not_ok "block rootfs: $1" "rootfs not mounted any more"
    umount "$B/rootfs"
}
if blk_rootfs /unikernel/ext4label.hvt && started "block rootfs (ext4 on $LOOP)"; then
    echo "$SL" | grep -qE "^block rootfs 60[0-7]{3} $MAJMIN " &&
        ok "works: block rootfs handed over as the verified device $MAJMIN ($(echo "$SL" | grep '^block '))" ||
        not_ok "works: block rootfs" "$(echo "$SL" | grep -E '^(argv|block|kernel)')"
    echo "$SL" | grep -q -- "--block:rootfs=/proc/self/fd/[0-9]* " && ok "works: block rootfs given as /proc/self/fd/N" ||
        not_ok "block rootfs argument" "$(echo "$SL" | grep ^argv)"
fi
grep -q " $B/rootfs " /proc/self/mountinfo && umount "$B/rootfs" # (create unmounted it; delete does not mount back)
blk_rootfs /unikernel/evil && ln -s "$HOST/hello.hvt" "$B/rootfs/unikernel/evil" &&
    refused "block rootfs: binary symlink (in the ext4) to a host kernel" '/unikernel/evil: not found in the rootfs' && still_mounted "symlink out"
blk_rootfs /unikernel/evil && ln -s ../../../../../../../../../..$HOST/hello.hvt "$B/rootfs/unikernel/evil" &&
    refused "block rootfs: binary relative symlink (in the ext4) out" '/unikernel/evil: not found in the rootfs' && still_mounted "relative symlink out"
blk_rootfs /unikernel/evil && mknod "$B/rootfs/unikernel/evil" b "${HMAJMIN%:*}" "${HMAJMIN#*:}" &&
    refused "block rootfs: binary device node (in the ext4) naming $HDISK" "is a block device node \\($HMAJMIN\\)" && still_mounted "device node"
blk_rootfs /unikernel/evil && mkfifo "$B/rootfs/unikernel/evil" &&
    refused "block rootfs: binary FIFO (in the ext4)" 'is a FIFO, not a regular file' && still_mounted "FIFO"
blk_rootfs /unikernel/ext4label.hvt && ln -s "$HOST/urunc.json" "$B/rootfs/urunc.json" &&
    refused "block rootfs: urunc.json symlink (in the ext4) out" 'urunc.json: not found in the rootfs' && still_mounted "urunc.json symlink"
blk_rootfs /unikernel/ext4label.hvt && mknod "$B/rootfs/urunc.json" c 1 3 &&
    refused "block rootfs: urunc.json device node (in the ext4)" 'urunc.json: is a character device node' && still_mounted "urunc.json device node"
mkdir -p "$T_TMP/m" && mount "$LOOP" "$T_TMP/m" && rm -rf "$T_TMP/m/urunc.json" "$T_TMP/m/unikernel/evil" && umount "$T_TMP/m"
if losetup -d "$LOOP"; then ok "block rootfs: loop device free at the end (nothing holds it)"; else not_ok "loop device free" "busy"; fi
finish
