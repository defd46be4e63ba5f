#!/bin/bash
# runtime_race.sh: `uniroot delete --force ID` racing `uniroot create ID` of
# the same id, N rounds (UR_RACE_ROUNDS, default 200; before the fix 3 of 400 rounds
# handed off). Runs without /dev/kvm:
# the monitor is build/bin/standin-vmm (UNIROOT_VMM), runc is a fake
# (UNIROOT_RUNC) that records every call and, like runc, removes the
# directory <root>/<id> it is told to delete. In every round: runc is never
# called (the id is uniroot's), create succeeds, and afterwards the id is
# either gone or a container `state` reports as created; no temporary
# directory is left in --root.
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
STANDIN=$UR_TOP/build/bin/standin-vmm
VMM=$STANDIN
. "$(dirname "$0")/runtime_lib.inc"

if [ ! -x "$UNIROOT" ] || [ ! -x "$STANDIN" ] || [ ! -f "$GUESTS/hello.hvt" ]; then
    skip race "build/bin/uniroot, standin-vmm or the guests are not built"
    finish; exit
fi
export UNIROOT_VMM=$STANDIN STANDIN_VMM_SLEEP=30
at_exit rt_cleanup

RUNC_LOG=$T_TMP/runc.log
cat >"$T_TMP/fake-runc" <<'SH'
#!/bin/bash
# fake runc: record the call; for delete, remove <root>/<id> as runc would
echo "$*" >>"$FAKE_RUNC_LOG"
root=/run/runc cmd='' id=''
while [ $# -gt 0 ]; do
    case $1 in
    --root) root=$2; shift 2 ;;
    --log|--log-format) shift 2 ;;
    --*|-*) shift ;;
    *) if [ -z "$cmd" ]; then cmd=$1; else id=$1; fi; shift ;;
    esac
done
[ "$cmd" = delete ] && [ -n "$id" ] && rm -rf "${root:?}/$id"
exit 0
SH
chmod +x "$T_TMP/fake-runc"
export UNIROOT_RUNC=$T_TMP/fake-runc FAKE_RUNC_LOG=$RUNC_LOG
: >"$RUNC_LOG"

B=$T_TMP/b
make_bundle "$B" hello
ROUNDS=${UR_RACE_ROUNDS:-200}
handed=0 create_failed=0 inconsistent=0 leftovers=0 why=''
for ((r = 1; r <= ROUNDS; r++)); do
    id=race$r
    ur create --bundle "$B" "$id" >"$T_TMP/create.out" 2>&1 &
    cpid=$!
    # several deletes, so one of them lands while create makes the directory
    (for i in 1 2 3 4 5 6; do ur delete --force "$id" >/dev/null 2>&1; done) &
    dpid=$!
    wait "$cpid"; crc=$?
    wait "$dpid"
    if [ -s "$RUNC_LOG" ]; then
        handed=$((handed + 1)); why="$why round $r: runc called: $(tr '\n' ' ' <"$RUNC_LOG");"
        : >"$RUNC_LOG"
    fi
    if [ "$crc" -ne 0 ]; then
        create_failed=$((create_failed + 1)); why="$why round $r: create: $(tr '\n' ' ' <"$T_TMP/create.out");"
    fi
    if [ -e "$RT_ROOT/$id" ]; then
        if ! ur state "$id" 2>/dev/null | grep -q '"status":[[:space:]]*"created"'; then
            inconsistent=$((inconsistent + 1)); why="$why round $r: $id exists but state says: $(ur state "$id" 2>&1 | tr '\n' ' ');"
        fi
        ur delete --force "$id" >/dev/null 2>&1
    fi
    [ -s "$RUNC_LOG" ] && : >"$RUNC_LOG"
    n=$(find "$RT_ROOT" -mindepth 1 -maxdepth 1 | wc -l)
    if [ "$n" -ne 0 ]; then
        leftovers=$((leftovers + 1)); why="$why round $r: left in --root: $(ls -A "$RT_ROOT" | tr '\n' ' ');"
        rm -rf "${RT_ROOT:?}"/* "$RT_ROOT"/.[!.]* 2>/dev/null
    fi
done
echo "# $ROUNDS rounds: $handed handed to runc, $create_failed create failures," \
     "$inconsistent inconsistent, $leftovers with leftovers"
[ -n "$why" ] && echo "# ${why:0:2000}"
[ "$handed" -eq 0 ] && ok "delete --force racing create never hands the id to runc ($ROUNDS rounds)" ||
    not_ok "never handed to runc" "$handed of $ROUNDS rounds"
[ "$create_failed" -eq 0 ] && ok "create racing delete --force succeeds ($ROUNDS rounds)" ||
    not_ok "create succeeds" "$create_failed of $ROUNDS rounds failed"
[ "$inconsistent" -eq 0 ] && [ "$leftovers" -eq 0 ] &&
    ok "the id is afterwards gone or a created container; nothing else in --root" ||
    not_ok "consistent state" "$inconsistent inconsistent, $leftovers with leftovers"
finish
