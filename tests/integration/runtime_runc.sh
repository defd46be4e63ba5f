#!/bin/bash
# runtime_runc.sh: a container without a unikernel description (busybox) is
# handed to runc with uniroot's own argv, so one runtime serves a whole pod:
# create/state/start/delete, run with its exit status, exec, list showing
# both kinds side by side.
# uniroot-test: needs kvm
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.inc"

if [ ! -x "$UNIROOT" ]; then skip runtime-runc "build/bin/uniroot is not built"; finish; exit; fi
RUNC=$(command -v runc) || { skip runtime-runc "runc is not installed"; finish; exit; }
BUSYBOX=$(command -v busybox) || BUSYBOX=/bin/busybox
at_exit rt_cleanup
at_exit "for d in \$(ls $RT_ROOT 2>/dev/null); do $RUNC --root $RT_ROOT delete --force \$d; done"

# busybox_bundle DIR ARGS-JSON: runc's default spec with a static busybox rootfs
busybox_bundle() {
    mkdir -p "$1/rootfs/bin"
    cp "$BUSYBOX" "$1/rootfs/bin/busybox"
    for a in sh echo sleep cat true; do ln -sf busybox "$1/rootfs/bin/$a"; done
    (cd "$1" && "$RUNC" spec)
    sed -i "s#\"terminal\": true#\"terminal\": false#; s#\"sh\"#$2#" "$1/config.json"
}

B=$T_TMP/bb
busybox_bundle "$B" '"\/bin\/echo", "hello from runc"'
ur create --bundle "$B" --pid-file "$T_TMP/bb.pid" bb >"$T_TMP/bb.out" 2>&1
[ $? -eq 0 ] && ok "create handed to runc" || not_ok "create handed to runc" "$(cat "$T_TMP/bb.out")"
[ -s "$T_TMP/bb.pid" ] && ok "runc wrote the pid file" || not_ok "runc wrote the pid file" "empty"
if [ -f "$RT_ROOT/bb/state.json" ] && ! grep -q '"uniroot"' "$RT_ROOT/bb/state.json"; then
    ok "runc's own state in the same --root"
else
    not_ok "runc's own state in the same --root" "$(ls -l "$RT_ROOT/bb" 2>&1 | tr '\n' ' ')"
fi
expect "state through runc" 0 '"status": "created"' -- ur state bb
expect "start through runc" 0 '' -- ur start bb
wait_status bb stopped && ok "busybox ran" || not_ok "busybox ran" "$(ur state bb)"
grep -q "hello from runc" "$T_TMP/bb.out" && ok "busybox output" || not_ok "busybox output" "$(cat "$T_TMP/bb.out")"
expect "delete through runc" 0 '' -- ur delete bb
[ ! -e "$RT_ROOT/bb" ] && ok "runc removed its state" || not_ok "runc removed its state" "left"

R=$T_TMP/bbrun
busybox_bundle "$R" '"\/bin\/sh", "-c", "echo ran; exit 3"'
expect "run through runc returns the exit status" 3 '^ran$' -- ur run --bundle "$R" bbrun

L=$T_TMP/bblong
busybox_bundle "$L" '"\/bin\/sleep", "30"'
ur create --bundle "$L" long >/dev/null 2>&1 && ur start long
expect "exec into a runc container" 0 'inside' -- ur exec long /bin/echo inside
expect "ps through runc" 0 '\[[0-9]+\]' -- ur ps --format json long
# a unikernel beside it, on the stand-in monitor (no guest runs: no /dev/kvm needed)
STANDIN=$UR_TOP/build/bin/standin-vmm
if [ -x "$STANDIN" ] && [ -f "$GUESTS/hello.hvt" ]; then
    make_bundle "$T_TMP/uk" hello
    UNIROOT_VMM=$STANDIN ur create --bundle "$T_TMP/uk" uk >/dev/null 2>&1
    expect "list shows both kinds" 0 'long +[0-9]+ +running' -- ur list
    echo "$T_OUT" | grep -qE 'uk +[0-9]+ +created' && ok "list: the unikernel too" || not_ok "list: the unikernel" "$T_OUT"
    expect "list --format json: both" 0 '"id":"long".*"id":"uk"|"id":"uk".*"id":"long"' -- ur list --format json
    ur delete --force uk
else
    skip "list shows both kinds" "build/bin/standin-vmm or build/guests/hello.hvt is not built"
fi
# without --root, runc keeps its containers in its own default root (/run/runc)
DID=uniroot-default-root-$RANDOM
at_exit "$RUNC delete --force $DID"
"$UNIROOT" create --bundle "$B" "$DID" >"$T_TMP/d.out" 2>&1
expect "no --root: state found in runc's default root" 0 '"status": "created"' -- "$UNIROOT" state "$DID"
expect "no --root: start" 0 '' -- "$UNIROOT" start "$DID"
for i in $(seq 50); do "$UNIROOT" state "$DID" 2>/dev/null | grep -q '"status": "stopped"' && break; sleep 0.1; done
expect "no --root: delete" 0 '' -- "$UNIROOT" delete "$DID"
[ ! -e "/run/runc/$DID" ] && ok "no --root: runc's state removed" || not_ok "no --root: runc's state removed" "left"
expect "kill through runc" 0 '' -- ur kill long KILL
wait_status long stopped
expect "delete --force through runc" 0 '' -- ur delete --force long
finish
