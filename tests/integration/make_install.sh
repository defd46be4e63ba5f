#!/bin/bash
# make_install.sh: `make install DESTDIR=D PREFIX=P` puts exactly the programs
# of $(PROGRAMS) into D/P/bin (mode 0755, byte-identical to build/bin), and
# PREFIX defaults to /usr/local. Each installed program runs from there, away
# from the tree (cwd /, a bare environment): its libraries resolve, --help
# exits 0 with a usage line naming it, --version (where there is one) prints
# the version; the installed runtime finds the installed monitor beside it.
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2016
PROGRAMS=$(printf 'print-programs:\n\t@echo $(PROGRAMS)\n' |
    make -s --no-print-directory -C "$UR_TOP" -f Makefile -f - print-programs)
[ -n "$PROGRAMS" ] || { not_ok "list the programs" "make printed no \$(PROGRAMS)"; finish; exit 1; }
echo "# programs: $PROGRAMS"
D=$T_TMP/dest
P=/opt/uniroot-test
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s --no-print-directory -C "$UR_TOP" "$@"; }

expect "make install DESTDIR PREFIX" 0 '' -- mk install DESTDIR="$D" PREFIX="$P"
want=$(for p in $PROGRAMS; do basename "$p"; done | sort | tr '\n' ' ')
got=$(ls -A "$D$P/bin" 2>/dev/null | sort | tr '\n' ' ')
[ "$got" = "$want" ] && ok "installed exactly the programs" || not_ok "installed exactly the programs" "got '$got', want '$want'"
[ "$(find "$D" -type f | wc -l)" = "$(echo "$PROGRAMS" | wc -w)" ] && ok "nothing installed elsewhere" ||
    not_ok "nothing installed elsewhere" "$(find "$D" -type f | tr '\n' ' ')"

# Per program: what --help exits with, and the version option (- for none).
help_status() { echo 0; }
has_version() { case $1 in uniroot | uniroot-vmm) return 0 ;; *) return 1 ;; esac; }
bare() { (cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"); }
for p in $PROGRAMS; do
    n=$(basename "$p")
    f=$D$P/bin/$n
    [ "$(stat -c %a "$f" 2>/dev/null)" = 755 ] && cmp -s "$f" "$UR_TOP/$p" && ok "$n: installed 0755, same bytes as $p" ||
        not_ok "$n: installed 0755, same bytes as $p" "$(stat -c %a "$f" 2>&1)"
    missing=$(ldd "$f" 2>&1 | grep 'not found')
    [ -z "$missing" ] && ok "$n: libraries resolve" || not_ok "$n: libraries resolve" "$missing"
    expect "$n --help from $P/bin" "$(help_status "$n")" "^usage: $n " -- bare "$f" --help
    if has_version "$n"; then
        expect "$n --version from $P/bin" 0 "^$n (version )?[0-9]+\.[0-9]+\.[0-9]+" -- bare "$f" --version
    else
        echo "# $n has no --version"
    fi
done
expect "installed uniroot finds the installed uniroot-vmm beside it" 0 "^hvt: $D$P/bin/uniroot-vmm\$" -- bare "$D$P/bin/uniroot" --version
expect "installed uniroot finds the installed uniroot-spt beside it" 0 "^spt: $D$P/bin/uniroot-spt\$" -- bare "$D$P/bin/uniroot" --version
V1=$(bare "$D$P/bin/uniroot" --version 2>/dev/null | head -1 | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+')
V2=$(bare "$D$P/bin/uniroot-vmm" --version 2>/dev/null | head -1 | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | head -1)
[ -n "$V1" ] && [ "$V1" = "$V2" ] && ok "runtime and monitor report one version ($V1)" ||
    not_ok "runtime and monitor report one version" "uniroot '$V1', uniroot-vmm '$V2'"

expect "make install DESTDIR (default PREFIX)" 0 '' -- mk install DESTDIR="$T_TMP/dest2"
got=$(ls -A "$T_TMP/dest2/usr/local/bin" 2>/dev/null | sort | tr '\n' ' ')
[ "$got" = "$want" ] && ok "default PREFIX is /usr/local" || not_ok "default PREFIX is /usr/local" "$(find "$T_TMP/dest2" | head -5 | tr '\n' ' ')"
finish
