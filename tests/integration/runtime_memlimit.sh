#!/bin/bash
# runtime_memlimit.sh: the container's memory limit (linux.resources.memory.
# limit) becomes the monitor's --mem in whole MiB; a limit above what an hvt
# guest can address (4 GiB: 32-bit hypercall addresses) gives the largest
# guest, --mem=4096, and a warning saying so in the --log; one below the
# smallest guest (2 MiB) is refused with one line and the monitor never
# starts; no limit, the built-in default --mem=512 (runtime_config.sh: the
# config file and the annotation). Runs without /dev/kvm: the stand-in monitor
# (build/bin/standin-vmm) records the argv it was started with.
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
STANDIN=${STANDIN:-$UR_TOP/build/bin/standin-vmm}
export UNIROOT_VMM=$STANDIN
. "$(dirname "$0")/runtime_lib.inc"

if [ ! -x "$UNIROOT" ] || [ ! -x "$STANDIN" ] || [ ! -f "$GUESTS/hello.hvt" ]; then
    skip "runtime memory limit" "build/bin/uniroot, standin-vmm or the guests are not built"
    finish; exit
fi
if [ "$(id -u)" -ne 0 ]; then skip "runtime memory limit" "needs root"; finish; exit; fi
at_exit rt_cleanup
export STANDIN_VMM_LOG=$T_TMP/standin.log

# create_with LIMIT ID: a hello bundle with that limit ("" for none), created.
create_with() {
    local b=$T_TMP/b-$2
    make_bundle "$b" hello
    [ -n "$1" ] && sed -i "s#\"namespaces\":\[#\"resources\":{\"memory\":{\"limit\":$1}},\"namespaces\":[#" "$b/config.json"
    : >"$STANDIN_VMM_LOG"
    : >"$RT_LOG"
    ur create --bundle "$b" "$2" >"$T_TMP/create.out" 2>&1
}
# The monitor argument --mem=..., or "none", of the last start.
mem_arg() {
    local m
    m=$(grep '^argv ' "$STANDIN_VMM_LOG" | tail -1 | tr ' ' '\n' | grep '^--mem=')
    echo "${m:-none}"
}

n=0
for c in 67108864:--mem=64 268435456:--mem=256 4294967296:--mem=4096 8589934592:--mem=4096 \
    68719476736:--mem=4096 9223372036854771712:--mem=4096 :--mem=512; do
    limit=${c%%:*} want=${c#*:} n=$((n + 1))
    if create_with "$limit" "m$n"; then
        got=$(mem_arg)
        if [ "$got" != "$want" ]; then
            not_ok "limit ${limit:-unset}: $want" "the monitor got $got: $(grep '^argv ' "$STANDIN_VMM_LOG" | tail -1)"
        elif [ "$want" = --mem=4096 ] && [ "$limit" != 4294967296 ] &&
            ! grep -q 'more than an hvt guest can address: the guest gets 4096 MiB' "$RT_LOG"; then
            not_ok "limit $limit: $want" "no warning in the --log: $(cat "$RT_LOG")"
        else
            ok "limit ${limit:-unset}: $want"
        fi
    else
        not_ok "limit ${limit:-unset}: $want" "create failed: $(cat "$T_TMP/create.out")"
    fi
    ur delete --force "m$n" >/dev/null 2>&1
done

# Below the smallest guest: refused, one clear line, nothing started or left.
if create_with 1048576 small; then
    not_ok "limit 1 MiB refused" "create succeeded; monitor got $(mem_arg)"
else
    if ! grep -q 'below the 2 MiB the smallest hvt guest needs' "$T_TMP/create.out"; then
        not_ok "limit 1 MiB refused" "unclear message: $(cat "$T_TMP/create.out")"
    elif grep -q '^argv ' "$STANDIN_VMM_LOG"; then
        not_ok "limit 1 MiB refused" "the monitor was started: $(cat "$STANDIN_VMM_LOG")"
    elif [ -e "$RT_ROOT/small" ]; then
        not_ok "limit 1 MiB refused" "state left behind in $RT_ROOT/small"
    elif ! grep -q '"level":"error".*below the 2 MiB' "$RT_LOG"; then
        not_ok "limit 1 MiB refused" "not in the --log as an error: $(cat "$RT_LOG")"
    else
        ok "limit 1 MiB refused"
    fi
fi
finish
