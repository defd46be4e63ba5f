# tests/integration/runtime_lib.sh: helpers for the uniroot runtime tests
# (sourced after lib.sh). Not a test itself (run.sh runs *.sh: it prints
# "0 passed, 0 failed" when run alone).
UNIROOT=${UNIROOT:-$UR_TOP/build/bin/uniroot}
RT_ROOT=$T_TMP/state
RT_LOG=$T_TMP/runtime-log.json
ur() { "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json "$@"; }

# make_bundle DIR GUEST [ANNOTATIONS-JSON-MEMBERS] [CGROUP]: a bundle whose
# rootfs directory holds /unikernel/GUEST.hvt.
make_bundle() {
    local dir=$1 guest=$2 extra=${3:-} cg=${4:-}
    mkdir -p "$dir/rootfs/unikernel"
    cp "$GUESTS/$guest.hvt" "$dir/rootfs/unikernel/"
    cat >"$dir/config.json" <<JSON
{"ociVersion":"1.0.2","process":{"args":["/unikernel/$guest.hvt"],"cwd":"/"},
 "root":{"path":"rootfs"},
 "annotations":{"com.urunc.unikernel.unikernelType":"solo5","com.urunc.unikernel.hypervisor":"hvt",
   "com.urunc.unikernel.binary":"/unikernel/$guest.hvt"${extra:+,$extra}},
 "linux":{${cg:+\"cgroupsPath\":\"$cg\",}"namespaces":[{"type":"pid"},{"type":"mount"}]}}
JSON
}

# wait_status ID STATUS [TENTHS]: poll `state` until it reports STATUS.
wait_status() {
    local i
    for ((i = 0; i < ${3:-100}; i++)); do
        ur state "$1" 2>/dev/null | grep -q "\"status\":[[:space:]]*\"$2\"" && return 0
        sleep 0.1
    done
    return 1
}

# Kill whatever VMMs this test left (by the pid each state.json records).
rt_cleanup() {
    local f pid
    for f in "$RT_ROOT"/*/state.json; do
        [ -f "$f" ] || continue
        pid=$(grep -o '"pid":[0-9]*' "$f" | head -1 | cut -d: -f2)
        [ -n "$pid" ] && [ "$pid" -gt 1 ] && kill -9 "$pid" 2>/dev/null
    done
    for f in "$RT_ROOT"/*; do [ -d "$f" ] && ur delete --force "$(basename "$f")"; done
}
