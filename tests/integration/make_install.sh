#!/bin/bash
# make_install.sh: `make install DESTDIR=D PREFIX=P` puts exactly this into D/P and nothing
# anywhere else: the programs of $(PROGRAMS) in bin (0755, byte-identical to build/bin), one man
# page per program (section from man/whatis) made from its --help, the systemd unit with
# @BINDIR@ replaced, $(EXAMPLE_CONFIGS), the containerd runtime entries and deploy/install.
# PREFIX defaults to /usr/local. Each installed program runs from there, away from the tree
# (cwd /, a bare environment): its libraries resolve, --help exits 0 with a usage line naming
# it and says every option its parser knows (unirootd, unirootctl, uniroot-mkimage), --version
# (where there is one) prints the version; the installed runtime finds the installed monitor
# beside it; unirootctl without an agent says so. The man pages render without groff warnings
# and hold the whole --help; the unit passes `systemd-analyze verify` (its Documentation= pages
# found among the installed ones); the installed deploy/install finds its programs and
# containerd entries beside it.
. "$(dirname "$0")/lib.sh"
# mkvar VAR: the value of a Makefile variable after every fragment is read.
mkvar() {
    printf 'print-var:\n\t@echo $(%s)\n' "$1" |
        make -s --no-print-directory -C "$UR_TOP" -f Makefile -f - print-var
}
PROGRAMS=$(mkvar PROGRAMS)
EXAMPLES=$(mkvar EXAMPLE_CONFIGS)
SNIPPETS=$(mkvar CONTAINERD_SNIPPETS)
[ -n "$PROGRAMS" ] || { not_ok "list the programs" "make printed no \$(PROGRAMS)"; finish; exit 1; }
[ -n "$EXAMPLES" ] || { not_ok "list the example configs" "make printed no \$(EXAMPLE_CONFIGS)"; finish; exit 1; }
echo "# programs: $PROGRAMS"
echo "# example configs: $EXAMPLES"
D=$T_TMP/dest
P=/opt/uniroot-test.$$
at_exit "rm -rf $P" # only there if an install escaped DESTDIR (unique to this run)
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s --no-print-directory -C "$UR_TOP" "$@"; }
section() { awk -v n="$1" '$1 == n { print $2 }' "$UR_TOP/man/whatis"; }

expect "make install DESTDIR PREFIX" 0 '' -- mk install DESTDIR="$D" PREFIX="$P"
want=$(for p in $PROGRAMS; do basename "$p"; done | sort | tr '\n' ' ')
got=$(ls -A "$D$P/bin" 2>/dev/null | sort | tr '\n' ' ')
[ "$got" = "$want" ] && ok "installed exactly the programs" || not_ok "installed exactly the programs" "got '$got', want '$want'"
# Every file, by path under D: the list above and nothing else.
{
    for p in $PROGRAMS; do
        n=$(basename "$p")
        echo "$P/bin/$n"
        echo "$P/share/man/man$(section "$n")/$n.$(section "$n")"
    done
    echo "$P/lib/systemd/system/unirootd.service"
    for e in $EXAMPLES; do echo "$P/share/doc/uniroot/examples/$(basename "$e")"; done
    for s in $SNIPPETS; do echo "$P/share/uniroot/containerd/$(basename "$s")"; done
    echo "$P/share/uniroot/install"
} | sort >"$T_TMP/want"
(cd "$D" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort) >"$T_TMP/got"
d=$(diff "$T_TMP/want" "$T_TMP/got" | grep '^[<>]' | tr '\n' ' ')
[ -z "$d" ] && ok "installed exactly the expected $(wc -l <"$T_TMP/want") files under DESTDIR/PREFIX" ||
    not_ok "installed exactly the expected files" "missing (<) / extra (>): $d"
[ ! -e "$P" ] && ok "nothing installed outside DESTDIR ($P does not exist)" ||
    not_ok "nothing installed outside DESTDIR" "$P exists"
for e in $EXAMPLES; do
    cmp -s "$UR_TOP/$e" "$D$P/share/doc/uniroot/examples/$(basename "$e")" && ok "example $(basename "$e") installed as is" ||
        not_ok "example $(basename "$e") installed as is" "differs from $e"
done

# Per program: the version option (- for none).
has_version() { case $1 in uniroot | uniroot-vmm | uniroot-spt) return 0 ;; *) return 1 ;; esac; }
bare() { (cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"); }
# options_in SRC...: every long option a C parser names ("--x" literals, getopt_long tables).
options_in() {
    { grep -ohE '"--[a-z][a-z-]*' "$@" | tr -d '"'
      grep -ohE '\{"[a-z][a-z-]*", *(no|required|optional)_argument' "$@" | sed -E 's/\{"([^"]*)".*/--\1/'; } | sort -u
}
declare -A PARSER=([unirootd]="userspace/config.c" [unirootctl]="tools/unirootctl.c" [uniroot-mkimage]="tools/mkimage.c")
for p in $PROGRAMS; do
    n=$(basename "$p")
    f=$D$P/bin/$n
    [ "$(stat -c %a "$f" 2>/dev/null)" = 755 ] && cmp -s "$f" "$UR_TOP/$p" && ok "$n: installed 0755, same bytes as $p" ||
        not_ok "$n: installed 0755, same bytes as $p" "$(stat -c %a "$f" 2>&1)"
    missing=$(ldd "$f" 2>&1 | grep 'not found')
    [ -z "$missing" ] && ok "$n: libraries resolve" || not_ok "$n: libraries resolve" "$(echo "$missing" | tr '\n' ' ')"
    expect "$n --help from $P/bin" 0 "^usage: $n " -- bare "$f" --help
    help=$T_OUT
    if [ -n "${PARSER[$n]:-}" ]; then
        miss=$(for o in $(cd "$UR_TOP" && options_in ${PARSER[$n]}); do grep -qE -- "$o([^a-z-]|\$)" <<<"$help" || echo "$o"; done | tr '\n' ' ')
        [ -z "$miss" ] && ok "$n --help names every option its parser knows" ||
            not_ok "$n --help names every option its parser knows" "missing: $miss"
    fi
    if has_version "$n"; then
        expect "$n --version from $P/bin" 0 "^$n (version )?[0-9]+\.[0-9]+\.[0-9]+" -- bare "$f" --version
    else
        echo "# $n has no --version"
    fi
    # The man page: renders with no warnings and holds every line of --help.
    s=$(section "$n")
    page=$D$P/share/man/man$s/$n.$s
    warn=$(groff -man -ww -z "$page" 2>&1)
    [ -z "$warn" ] && ok "$n.$s renders without groff warnings" || not_ok "$n.$s renders without groff warnings" "$(echo "$warn" | head -3 | tr '\n' '|')"
    text=$(groff -man -Tascii -P-c -P-b -P-u "$page" 2>/dev/null)
    lost=$(while IFS= read -r l; do
        l=$(echo "$l" | sed 's/^ *//; s/ *$//')
        [ -z "$l" ] || grep -qF -- "$l" <<<"$text" || echo "$l"
    done <<<"$help" | head -3 | tr '\n' '|')
    [ -z "$lost" ] && grep -qE "^ *$n - " <<<"$text" && ok "man page $n($s) has its NAME line and the whole --help" ||
        not_ok "man page $n($s) has its NAME line and the whole --help" "lines not in the page: $lost"
done
expect "installed uniroot finds the installed uniroot-vmm beside it" 0 "^hvt: $D$P/bin/uniroot-vmm\$" -- bare "$D$P/bin/uniroot" --version
expect "installed uniroot finds the installed uniroot-spt beside it" 0 "^spt: $D$P/bin/uniroot-spt\$" -- bare "$D$P/bin/uniroot" --version
V1=$(bare "$D$P/bin/uniroot" --version 2>/dev/null | head -1 | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+')
V2=$(bare "$D$P/bin/uniroot-vmm" --version 2>/dev/null | head -1 | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | head -1)
[ -n "$V1" ] && [ "$V1" = "$V2" ] && ok "runtime and monitor report one version ($V1)" ||
    not_ok "runtime and monitor report one version" "uniroot '$V1', uniroot-vmm '$V2'"
grep -q "uniroot $V1" "$D$P/share/man/man8/unirootd.8" && ok "man pages carry version $V1" ||
    not_ok "man pages carry version $V1" "$(grep '^\.TH' "$D$P/share/man/man8/unirootd.8")"
expect "installed unirootctl without an agent: one clear line, status 2" 2 \
    "^unirootctl: connect $T_TMP/no-agent.sock: No such file or directory\$" -- \
    bare "$D$P/bin/unirootctl" --socket "$T_TMP/no-agent.sock" status

# The unit: BINDIR put in, and systemd accepts it (installed for real under a temp PREFIX so
# ExecStart exists; MANPATH so its Documentation= pages are the installed ones).
u=$D$P/lib/systemd/system/unirootd.service
grep -qx "ExecStart=$P/bin/unirootd" "$u" && ! grep -q '@BINDIR@' "$u" && ok "unit: ExecStart=$P/bin/unirootd, no @BINDIR@ left" ||
    not_ok "unit: ExecStart=$P/bin/unirootd, no @BINDIR@ left" "$(grep -n 'Exec\|@' "$u" | tr '\n' '|')"
R=$T_TMP/real
if ! command -v systemd-analyze >/dev/null; then
    skip "systemd-analyze verify unirootd.service" "systemd-analyze is not installed"
elif mk install PREFIX="$R" >/dev/null 2>&1; then
    expect "systemd-analyze verify unirootd.service" 0 '' -- \
        env MANPATH="$R/share/man" systemd-analyze verify "$R/lib/systemd/system/unirootd.service"
    [ -z "$T_OUT" ] && ok "systemd-analyze verify says nothing" || not_ok "systemd-analyze verify says nothing" "$(echo "$T_OUT" | head -3 | tr '\n' '|')"
else
    not_ok "make install PREFIX=$R" "failed"
fi

# The installed installer: programs from PREFIX/bin and the runtime entry beside it.
N=$T_TMP/node
expect "installed deploy/install onto a node root" 0 "config.toml: runtime uniroot added \(version 2" -- \
    "$D$P/share/uniroot/install" --root "$N" --layout 2 --no-verify
got=$(ls -A "$N/usr/local/bin" 2>/dev/null | sort | tr '\n' ' ')
[ "$got" = "$want" ] && ok "installed deploy/install put the programs of $P/bin on the node" ||
    not_ok "installed deploy/install put the programs of $P/bin on the node" "got '$got'"

expect "make install DESTDIR (default PREFIX)" 0 '' -- mk install DESTDIR="$T_TMP/dest2"
got=$(ls -A "$T_TMP/dest2/usr/local/bin" 2>/dev/null | sort | tr '\n' ' ')
[ "$got" = "$want" ] && ok "default PREFIX is /usr/local" || not_ok "default PREFIX is /usr/local" "$(find "$T_TMP/dest2" | head -5 | tr '\n' ' ')"
[ -f "$T_TMP/dest2/usr/local/lib/systemd/system/unirootd.service" ] && [ -f "$T_TMP/dest2/usr/local/share/man/man8/unirootd.8" ] &&
    ok "default PREFIX: unit in /usr/local/lib/systemd/system, pages in /usr/local/share/man" ||
    not_ok "default PREFIX: unit and man pages" "$(cd "$T_TMP/dest2" && find . -type f | tr '\n' ' ')"
finish
