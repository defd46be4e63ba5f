#!/bin/bash
# deploy_install.sh: deploy/install against temp node roots and containerd configs of both
# layouts. Version 2 (containerd 1.6/1.7): from no file, from `containerd config default`
# (other runtimes kept, the file only grows), twice (the second run changes nothing: same
# bytes, inode and mtime, no restart), a new --bindir (the block replaced in place); every
# merged file is read back by the installed containerd 1.6 (`containerd --config F config
# dump`) and the runtime's fields checked in its output. Version 3 (containerd 2.x, plugin
# io.containerd.cri.v1.runtime): from no file, from a 2.x-style config with other runtimes,
# twice; containerd 2.x is not in Debian 12, so these are checked by a TOML parser
# (tomllib) and the fields, not by containerd itself. Refused with one line and the file left
# byte-identical with no temp file beside it: not TOML, a version 1 layout, versions 4 and "2",
# 5 MiB, uniroot defined by hand, an inline table the block cannot extend, broken markers, a symlink,
# not UTF-8, a --layout that contradicts the file, a --bindir that would need TOML quoting, and
# a full filesystem while writing (tmpfs). The programs: copied from a `make install` tree,
# 0755, unchanged on a second run, and checked by running them in the node root (chroot;
# a root without their libraries is refused before the config is touched); with no --layout
# and no config, the layout comes from the node root's own containerd, run through chroot.
. "$(dirname "$0")/lib.sh"
INST=$UR_TOP/deploy/install
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import tomllib' 2>/dev/null || { skip "deploy/install" "no /usr/bin/python3 with tomllib (3.11)"; finish; exit 0; }
command -v containerd >/dev/null || { not_ok "containerd" "not installed (tools/install-deps.sh)"; finish; exit 1; }

# tq FILE KEY...: the JSON of one value of a TOML file ("null" when a key is missing).
tq() {
    "$PY" -c 'import json, sys, tomllib
d = tomllib.load(open(sys.argv[1], "rb"))
for k in sys.argv[2:]:
    d = d.get(k) if isinstance(d, dict) else None
print(json.dumps(d))' "$@"
}
# snap FILE: bytes, inode and mtime, to see that a run left a file alone.
snap() { echo "$(sha256sum <"$1") $(stat -c '%i %Y.%y %a' "$1")"; }
# no_temp DIR: the installer left no temp file there.
no_temp() { [ -z "$(find "$1" -maxdepth 1 -name '.config.toml.*')" ]; }
V2P=io.containerd.grpc.v1.cri
V3P=io.containerd.cri.v1.runtime
ANN='["com.urunc.unikernel.*", "dev.uniroot.*"]'

# check_runtime NAME FILE PLUGIN BINDIR: the uniroot entry as containerd needs it.
check_runtime() {
    local name=$1 f=$2 p=$3 b=$4 why=''
    [ "$(tq "$f" plugins "$p" containerd runtimes uniroot runtime_type)" = '"io.containerd.runc.v2"' ] || why="runtime_type"
    [ "$(tq "$f" plugins "$p" containerd runtimes uniroot options BinaryName)" = "\"$b/uniroot\"" ] || why="$why BinaryName"
    [ "$(tq "$f" plugins "$p" containerd runtimes uniroot pod_annotations)" = "$ANN" ] || why="$why pod_annotations"
    [ "$(tq "$f" plugins "$p" containerd runtimes uniroot container_annotations)" = "$ANN" ] || why="$why container_annotations"
    [ -z "$why" ] && ok "$name" || not_ok "$name" "wrong:$why"
}
# dump_check NAME FILE BINDIR: containerd 1.6 reads FILE; its dump has our runtime.
dump_check() {
    local name=$1 f=$2 b=$3
    if containerd --config "$f" config dump >"$T_TMP/dump.toml" 2>"$T_TMP/dump.err"; then
        check_runtime "$name: containerd 1.6 reads it (config dump) and has runtime uniroot" "$T_TMP/dump.toml" "$V2P" "$b"
    else
        not_ok "$name: containerd 1.6 reads it (config dump)" "$(head -3 "$T_TMP/dump.err" | tr '\n' '|')"
    fi
}
# refused NAME FILE WANT_REGEX ARGS...: the installer says no and FILE is untouched.
refused() {
    local name=$1 f=$2 re=$3 before
    shift 3
    before=$(snap "$f")
    expect "$name: refused" 1 "$re" -- "$INST" --no-binaries --config "$f" "$@"
    [ "$(snap "$f")" = "$before" ] && no_temp "$(dirname "$f")" && ok "$name: file left as it was, no temp file" ||
        not_ok "$name: file left as it was, no temp file" "$(ls -a "$(dirname "$f")" | tr '\n' ' ')"
}

# --- version 2 (containerd 1.6/1.7) ---
C=$T_TMP/v2empty/config.toml
mkdir -p "$T_TMP/v2empty"
: >"$T_TMP/restarts"
R=(--restart-command "echo x >>$T_TMP/restarts")
expect "v2 from no file" 0 "runtime uniroot added \(version 2, plugin $V2P" -- "$INST" --no-binaries --config "$C" --layout 2 "${R[@]}"
[ "$(tq "$C" version)" = 2 ] && ok "v2 from no file: version = 2" || not_ok "v2 from no file: version = 2" "$(head -3 "$C" | tr '\n' '|')"
check_runtime "v2 from no file: the runtime's fields" "$C" "$V2P" /usr/local/bin
dump_check "v2 from no file" "$C" /usr/local/bin
[ "$(stat -c %a "$C")" = 644 ] && ok "v2 from no file: mode 0644" || not_ok "v2 from no file: mode 0644" "$(stat -c %a "$C")"
[ "$(wc -l <"$T_TMP/restarts")" = 1 ] && ok "v2 from no file: containerd restarted once" || not_ok "v2 from no file: containerd restarted once" "$(wc -l <"$T_TMP/restarts") restarts"
s=$(snap "$C")
expect "v2 second run" 0 "runtime uniroot present \(version 2\), unchanged" -- "$INST" --no-binaries --config "$C" --layout 2 "${R[@]}"
[ "$(snap "$C")" = "$s" ] && ok "v2 second run: same bytes, inode and mtime" || not_ok "v2 second run: same bytes, inode and mtime" "$s -> $(snap "$C")"
[ "$(wc -l <"$T_TMP/restarts")" = 1 ] && ok "v2 second run: no restart" || not_ok "v2 second run: no restart" "$(wc -l <"$T_TMP/restarts") restarts"

# The file's own version wins without --layout; empty and only comments count as no file.
C=$T_TMP/v2auto/config.toml
mkdir -p "$T_TMP/v2auto"
printf '# only a comment\n' >"$C"
expect "comment-only file, layout from the node's containerd --version (1.6: version 2)" 0 "added \(version 2" -- \
    "$INST" --root / --no-binaries --config "$C"
grep -q '^# only a comment$' "$C" && [ "$(tq "$C" version)" = 2 ] && ok "comment kept, version = 2 put first" ||
    not_ok "comment kept, version = 2 put first" "$(head -3 "$C" | tr '\n' '|')"

# containerd's own default config: runc and every other section kept, text only appended.
C=$T_TMP/v2default/config.toml
mkdir -p "$T_TMP/v2default"
containerd config default >"$C"
chmod 600 "$C"
cp "$C" "$T_TMP/v2default.orig"
expect "v2 onto containerd config default" 0 "runtime uniroot added \(version 2" -- "$INST" --no-binaries --config "$C"
head -c "$(stat -c %s "$T_TMP/v2default.orig")" "$C" | cmp -s - "$T_TMP/v2default.orig" &&
    ok "v2 onto default: the original text is untouched, the block appended" || not_ok "v2 onto default: original text untouched" "$(diff "$T_TMP/v2default.orig" "$C" | head -5 | tr '\n' '|')"
[ "$(stat -c %a "$C")" = 600 ] && ok "v2 onto default: mode 0600 kept" || not_ok "v2 onto default: mode 0600 kept" "$(stat -c %a "$C")"
dump_check "v2 onto default" "$C" /usr/local/bin
[ "$(tq "$T_TMP/dump.toml" plugins "$V2P" containerd runtimes runc runtime_type)" = '"io.containerd.runc.v2"' ] &&
    [ "$(tq "$T_TMP/dump.toml" plugins "$V2P" containerd default_runtime_name)" = '"runc"' ] &&
    ok "v2 onto default: runc still there and still the default runtime" || not_ok "v2 onto default: runc kept" "$(tq "$T_TMP/dump.toml" plugins "$V2P" containerd runtimes | head -c 200)"
s=$(snap "$C")
expect "v2 onto default, second run" 0 "unchanged" -- "$INST" --no-binaries --config "$C"
[ "$(snap "$C")" = "$s" ] && ok "v2 onto default, second run: file untouched" || not_ok "v2 onto default, second run: file untouched" "changed"
expect "v2 onto default, new --bindir" 0 "runtime uniroot updated" -- "$INST" --no-binaries --config "$C" --bindir /opt/uniroot/bin
[ "$(grep -c '^# BEGIN uniroot runtime' "$C")" = 1 ] && ok "new --bindir: still one block" || not_ok "new --bindir: still one block" "$(grep -c BEGIN "$C")"
dump_check "v2 new --bindir" "$C" /opt/uniroot/bin

# --- version 3 (containerd 2.x) ---
C=$T_TMP/v3empty/config.toml
mkdir -p "$T_TMP/v3empty"
expect "v3 from no file" 0 "runtime uniroot added \(version 3, plugin $V3P" -- "$INST" --no-binaries --config "$C" --layout 3
[ "$(tq "$C" version)" = 3 ] && ok "v3 from no file: version = 3" || not_ok "v3 from no file: version = 3" "$(head -3 "$C" | tr '\n' '|')"
check_runtime "v3 from no file: the runtime's fields under $V3P (TOML parse)" "$C" "$V3P" /usr/local/bin
[ "$(tq "$C" plugins "$V2P")" = null ] && ok "v3 from no file: nothing under the 1.x plugin name" || not_ok "v3: nothing under $V2P" "$(tq "$C" plugins "$V2P")"
s=$(snap "$C")
expect "v3 second run" 0 "unchanged" -- "$INST" --no-binaries --config "$C" --layout 3
[ "$(snap "$C")" = "$s" ] && ok "v3 second run: same bytes, inode and mtime" || not_ok "v3 second run: file untouched" "changed"

C=$T_TMP/v3zero/config.toml
mkdir -p "$T_TMP/v3zero"
: >"$C"
expect "v3 from an empty (0 byte) file" 0 "runtime uniroot added \(version 3" -- "$INST" --no-binaries --config "$C" --layout 3
check_runtime "v3 from an empty file: the runtime's fields" "$C" "$V3P" /usr/local/bin
[ "$(tq "$C" version)" = 3 ] && ok "v3 from an empty file: version = 3" || not_ok "v3 from an empty file: version = 3" "$(head -2 "$C" | tr '\n' '|')"

C=$T_TMP/v3other/config.toml
mkdir -p "$T_TMP/v3other"
cat >"$C" <<'EOF'
version = 3
root = '/var/lib/containerd'
state = '/run/containerd'

[plugins]
  [plugins.'io.containerd.cri.v1.runtime']
    enable_selinux = false
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes]
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
          runtime_type = 'io.containerd.runc.v2'
          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
            SystemdCgroup = true
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.kata]
          runtime_type = 'io.containerd.kata.v2'
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'
EOF
cp "$C" "$T_TMP/v3other.orig"
expect "v3 onto a 2.x config with runc and kata" 0 "runtime uniroot added \(version 3" -- "$INST" --no-binaries --config "$C"
check_runtime "v3 onto a 2.x config: the runtime's fields" "$C" "$V3P" /usr/local/bin
[ "$(tq "$C" plugins "$V3P" containerd runtimes runc options SystemdCgroup)" = true ] &&
    [ "$(tq "$C" plugins "$V3P" containerd runtimes kata runtime_type)" = '"io.containerd.kata.v2"' ] &&
    [ "$(tq "$C" plugins io.containerd.cri.v1.images snapshotter)" = '"overlayfs"' ] &&
    ok "v3 onto a 2.x config: runc, kata and the images plugin kept" || not_ok "v3: other runtimes kept" "$(tq "$C" plugins | head -c 300)"
head -c "$(stat -c %s "$T_TMP/v3other.orig")" "$C" | cmp -s - "$T_TMP/v3other.orig" && ok "v3 onto a 2.x config: original text untouched" ||
    not_ok "v3: original text untouched" "differs"
s=$(snap "$C")
expect "v3 onto a 2.x config, second run" 0 "unchanged" -- "$INST" --no-binaries --config "$C"
[ "$(snap "$C")" = "$s" ] && ok "v3 onto a 2.x config, second run: file untouched" || not_ok "v3 second run: file untouched" "changed"

# --- refused ---
H=$T_TMP/hostile
mkdir -p "$H"
printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri"\nfoo = 1\n' >"$H/config.toml"
refused "not TOML" "$H/config.toml" "is not valid TOML"
printf '[plugins.cri]\n  sandbox_image = "pause"\n' >"$H/config.toml"
refused "version 1 layout (no version)" "$H/config.toml" "has settings but no .version."
printf 'version = 4\n' >"$H/config.toml"
refused "version = 4" "$H/config.toml" "version = 4; uniroot knows 2"
printf 'version = "2"\n' >"$H/config.toml"
refused 'version = "2"' "$H/config.toml" "version = '2'"
printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.uniroot]\n  runtime_type = "io.containerd.runc.v2"\n' >"$H/config.toml"
refused "uniroot defined by hand" "$H/config.toml" "already defines runtime uniroot outside the block"
printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  containerd = { default_runtime_name = "runc" }\n' >"$H/config.toml"
refused "an inline table the block would extend" "$H/config.toml" "with the uniroot block is not valid TOML"
"$INST" --no-binaries --config "$H/ok.toml" --layout 2 >/dev/null
sed -n '/^# BEGIN uniroot/p' "$H/ok.toml" >>"$H/ok.toml"
refused "two BEGIN markers" "$H/ok.toml" "marker lines are broken \(2 BEGIN, 1 END\)"
printf 'version = 2\n' >"$H/target.toml"
ln -sf target.toml "$H/link.toml"
refused "a symbolic link" "$H/target.toml" "is not a regular file" --config "$H/link.toml"
printf 'version = 2\n# caf\xe9\n' >"$H/config.toml"
refused "not UTF-8" "$H/config.toml" "is not UTF-8"
{ printf 'version = 2\n'; head -c $((5 << 20)) /dev/zero | tr '\0' '#'; } >"$H/config.toml"
refused "5 MiB" "$H/config.toml" "bytes, more than a containerd config has"
printf 'version = 2\n' >"$H/config.toml"
refused "--layout 3 on a version 2 file" "$H/config.toml" "has version = 2 but --layout 3" --layout 3
: >"$H/config.toml"
refused "empty file, node root without containerd" "$H/config.toml" "containerd version is unknown" --root "$T_TMP/nothing"
printf 'version = 2\n' >"$H/config.toml"
s=$(snap "$H/config.toml")
expect "--bindir needing TOML quoting: bad usage" 2 "must be an absolute path of letters" -- "$INST" --no-binaries --config "$H/config.toml" --bindir '/x"y'
[ "$(snap "$H/config.toml")" = "$s" ] && ok "--bindir needing quoting: file untouched" || not_ok "--bindir needing quoting: file untouched" "changed"

# A full filesystem while the merged file is written: the old one stays, no temp is left. The
# config ends 100 bytes short of two 4 KiB pages, so the merged text needs a third one: an
# in-place rewrite would get as far as the full disk lets it and leave the file cut short.
F=$T_TMP/full
mkdir -p "$F"
if mount -t tmpfs -o size=64k uniroot-test-full "$F" 2>/dev/null; then
    at_exit "umount $F"
    containerd config default >"$F/config.toml"
    printf '#%*s\n' $((8192 - 100 - $(stat -c %s "$F/config.toml") - 2)) '' >>"$F/config.toml"
    dd if=/dev/zero of="$F/filler" bs=4k count=64 2>/dev/null
    refused "disk full while writing" "$F/config.toml" "No space left on device"
    rm -f "$F/filler"
    expect "same file once there is room" 0 "runtime uniroot added" -- "$INST" --no-binaries --config "$F/config.toml"
    umount "$F"
else
    skip "disk full while writing" "cannot mount a tmpfs here"
fi

# --- the programs ---
S=$T_TMP/stage
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s --no-print-directory -C "$UR_TOP" install DESTDIR="$S" PREFIX=/usr/local >"$T_TMP/make.out" 2>&1 ||
    not_ok "make install DESTDIR=$S" "$(tail -3 "$T_TMP/make.out" | tr '\n' '|')"
B=$S/usr/local/bin
N=$T_TMP/bare
expect "programs into a node root without their libraries: refused" 1 "uniroot --version fails on the node .*left as it was" -- \
    "$INST" --root "$N" --from "$B" --layout 2
[ ! -e "$N/etc/containerd/config.toml" ] && ok "refused before the config was written" || not_ok "refused before the config was written" "config exists"
# A node root with the host's /usr (read-only) and an /opt of its own: the run check passes.
N=$T_TMP/node
mkdir -p "$N/usr" "$N/opt" "$N/etc"
for l in bin sbin lib lib64; do [ -L "/$l" ] && ln -s "$(readlink "/$l")" "$N/$l"; done
if mount --bind -o ro /usr "$N/usr" 2>/dev/null; then
    at_exit "umount $N/usr"
    # No --layout: the node's containerd (1.6, through chroot) says version 2, as in the pod.
    expect "programs into a node root" 0 "/opt/uniroot/bin/unirootd: installed" -- \
        "$INST" --root "$N" --from "$B" --bindir /opt/uniroot/bin
    grep -q "runtime uniroot added (version 2" <<<"$T_OUT" && ok "node root: layout from chroot ROOT containerd --version" ||
        not_ok "node root: layout from chroot ROOT containerd --version" "$(tail -1 <<<"$T_OUT")"
    bad=$(for f in "$B"/*; do n=$(basename "$f"); cmp -s "$f" "$N/opt/uniroot/bin/$n" && [ "$(stat -c %a "$N/opt/uniroot/bin/$n")" = 755 ] || echo "$n"; done)
    [ -z "$bad" ] && [ "$(ls "$N/opt/uniroot/bin" | wc -l)" = "$(ls "$B" | wc -l)" ] && ok "every program copied, 0755, same bytes" ||
        not_ok "every program copied, 0755, same bytes" "$bad"
    check_runtime "node root: the config names /opt/uniroot/bin/uniroot" "$N/etc/containerd/config.toml" "$V2P" /opt/uniroot/bin
    i=$(stat -c %i "$N/opt/uniroot/bin/uniroot")
    expect "programs, second run" 0 "unirootd: unchanged" -- "$INST" --root "$N" --from "$B" --bindir /opt/uniroot/bin --layout 2
    [ "$(stat -c %i "$N/opt/uniroot/bin/uniroot")" = "$i" ] && ! grep -q ': installed' <<<"$T_OUT" && ok "programs, second run: nothing copied" ||
        not_ok "programs, second run: nothing copied" "$(grep installed <<<"$T_OUT" | head -2 | tr '\n' '|')"
    umount "$N/usr"
else
    skip "programs into a node root" "cannot bind-mount /usr read-only"
fi
expect "from the source tree without --from: says what to give" 1 "give --from DIR" -- "$INST" --root "$T_TMP/x"
finish
