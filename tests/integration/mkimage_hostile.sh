#!/bin/bash
# mkimage_hostile.sh: uniroot-mkimage under hostile conditions (no /dev/kvm
# needed): a full disk (a small tmpfs) makes it fail and leave nothing; a
# symlink planted at OUT.tmp is not followed; destinations with ".." are
# refused and odd ones ("//a/./b") normalised, as are files below a --link; a kernel that is not a Solo5
# ELF for the declared hypervisor is refused. Runs in a mount namespace of
# its own, so the tmpfs vanishes with it.
if [ -z "${UR_MNTNS:-}" ] && unshare --mount true 2>/dev/null; then
    UR_MNTNS=1 exec unshare --mount bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
MKIMAGE=${MKIMAGE:-$UR_TOP/build/bin/uniroot-mkimage}
[ -x "$MKIMAGE" ] || { skip mkimage "$MKIMAGE is not built"; finish; exit; }
HELLO=$GUESTS/hello.hvt
T=$T_TMP
head -c 100000 /dev/urandom >"$T/random"   # does not compress
echo hi >"$T/small"

# layer_names TAR: the entry names of the image's layer
layer_names() {
    local x=$T/x.$$
    rm -rf "$x" && mkdir -p "$x" && tar -xf "$1" -C "$x" || return 1
    local b
    for b in "$x"/blobs/sha256/*; do
        if gzip -t "$b" 2>/dev/null; then tar -tzf "$b"; fi
    done
}

# --- a full disk: fail, say why, leave nothing
if [ -n "${UR_MNTNS:-}" ] && mkdir -p "$T/full" && mount -t tmpfs -o size=64k uniroot-small-full "$T/full"; then
    at_exit "umount $T/full"
    expect "full disk: refused" 1 'No space left on device' -- "$MKIMAGE" --out "$T/full/img.tar" --file "$T/random=/r"
    [ -z "$(ls -A "$T/full")" ] && ok "full disk: nothing left behind" ||
        not_ok "full disk: nothing left behind" "$(ls -lA "$T/full" | tr '\n' ' ')"
    expect "a small image still fits" 0 '' -- "$MKIMAGE" --out "$T/full/small.tar" --file "$T/small=/s"
    umount "$T/full"
else
    skip "full disk" "cannot mount a tmpfs (no mount namespace)"
fi

# --- a symlink planted at OUT.tmp is not followed
ln -s "$T/victim" "$T/out.tar.tmp"
expect "symlink at OUT.tmp: image written" 0 '' -- "$MKIMAGE" --out "$T/out.tar" --file "$T/small=/s"
[ ! -e "$T/victim" ] && ok "symlink at OUT.tmp: its target untouched" || not_ok "symlink at OUT.tmp" "wrote $T/victim"
[ -f "$T/out.tar" ] && [ ! -L "$T/out.tar" ] && tar -tf "$T/out.tar" >/dev/null 2>&1 &&
    ok "symlink at OUT.tmp: OUT is a complete archive" || not_ok "OUT is a complete archive" "$(ls -l "$T/out.tar")"
[ -z "$(ls -A "$T" | grep -v '^out.tar\.tmp$' | grep '\.tmp')" ] && ok "no temporary file left" ||
    not_ok "no temporary file left" "$(ls -A "$T")"

# --- destinations
for d in /../../etc/x ../x a/../../x a/.. /a/b/../../../x; do
    rm -f "$T/dst.tar"
    expect "destination $d refused" 1 '"\.\." is not allowed' -- "$MKIMAGE" --out "$T/dst.tar" --file "$T/small=$d"
    [ ! -e "$T/dst.tar" ] || not_ok "destination $d: no image" "$T/dst.tar written"
done
expect "link destination ../x refused" 1 '"\.\." is not allowed' -- "$MKIMAGE" --out "$T/dst.tar" --link target=../x
expect "file below an earlier --link refused" 1 'below the symlink /etc' -- \
    "$MKIMAGE" --out "$T/dst.tar" --link /etc=/etc --file "$T/small=/etc/passwd"
expect "destination / refused" 1 'names no file' -- "$MKIMAGE" --out "$T/dst.tar" --file "$T/small=/"
expect "odd destination accepted" 0 '' -- "$MKIMAGE" --out "$T/odd.tar" --file "$T/small=//a/./b//c" --link s=./a/l
names=$(layer_names "$T/odd.tar" | tr '\n' ' ')
[ "$names" = "a/ a/b/ a/b/c a/l " ] && ok "odd destination normalised: $names" || not_ok "normalised names" "got: $names"
layer_names "$T/odd.tar" | grep -qE '(^|/)\.\.?(/|$)|^/' && not_ok "no . or .. or / in entries" "$names" ||
    ok "no . or .. or leading / in entries"

# --- the kernel must be a Solo5 ELF for the declared hypervisor
expect "text kernel refused" 1 'not a Solo5 hvt unikernel: not an ELF' -- "$MKIMAGE" --out "$T/k.tar" --unikernel solo5 --kernel "$T/small"
expect "host ELF kernel refused" 1 'not a Solo5 hvt unikernel' -- "$MKIMAGE" --out "$T/k.tar" --unikernel solo5 --kernel /bin/true
[ ! -e "$T/k.tar" ] && ok "refused kernel: no image" || not_ok "refused kernel: no image" "$T/k.tar written"
expect "unknown hypervisor refused" 1 'must be hvt or spt' -- "$MKIMAGE" --out "$T/k.tar" --unikernel solo5 --kernel "$T/small" --hypervisor qemu
if [ -f "$HELLO" ]; then
    expect "hvt kernel declared spt refused" 1 'not spt' -- "$MKIMAGE" --out "$T/k.tar" --unikernel solo5 --kernel "$HELLO" --hypervisor spt
    head -c 2000 "$HELLO" >"$T/trunc.hvt"
    expect "truncated kernel refused" 1 'not a Solo5 hvt unikernel' -- "$MKIMAGE" --out "$T/k.tar" --unikernel solo5 --kernel "$T/trunc.hvt"
    expect "hvt kernel accepted" 0 '' -- "$MKIMAGE" --out "$T/k.tar" --unikernel solo5 --kernel "$HELLO"
    layer_names "$T/k.tar" | grep -qx 'unikernel/hello.hvt' && ok "kernel at unikernel/hello.hvt" ||
        not_ok "kernel entry" "$(layer_names "$T/k.tar" | tr '\n' ' ')"
else
    skip "hvt kernel" "$HELLO is not built"
fi
finish
