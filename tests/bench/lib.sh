# tests/bench/lib.sh: what every benchmark script shares (sourced, not run).
#
#   bench_run VAR FIGURE CMD...  run CMD; its stdout goes into VAR. When it exits
#                                non-zero: one FAILED line (status and its last
#                                stderr line) and return 1
#   bench_fail FIGURE WHY        print "FAILED: FIGURE: WHY" (one line); the script
#                                then ends non-zero (bench_end)
#   bench_skip WHY               print "SKIPPED: WHY" (a figure not measured, and why)
#   bench_where                  text to print beside each figure: empty on the
#                                host, the nested-guest caveat inside one
#   bench_kvm_here               0 when this process can use /dev/kvm; 1 when the
#                                caller should use bench_nested instead; inside
#                                a nested guest without /dev/kvm: FAILED, return 2
#   bench_nested SCRIPT ARGS...  run `bash SCRIPT ARGS` inside a nested KVM guest
#                                (tests/nested/run-in-vm.sh), output passed through;
#                                returns its status (BENCH_RUN_IN_VM replaces the helper)
#   bench_end                    exit 1 if anything FAILED, else 0
#   isnum V                      V is a plain decimal number
#
# A figure is printed only when every sample in it was measured: a command that
# fails, even in one sample, makes its figure FAILED, with no ratio and no verdict.
BENCH_RC=0
UR_TOP=${UR_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BENCH_NESTED_NOTE="[nested TCG guest: compares the two programs on the same guest only]"

bench_fail() {
    BENCH_RC=1
    printf 'FAILED: %s: %s\n' "$1" "$(printf '%s' "$2" | tr '\n' ' ' | cut -c1-400)"
}

bench_skip() { echo "SKIPPED: $1"; }

# _last_line FILE: its last non-empty line
_last_line() { grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -1; }

bench_run() {
    local _var=$1 _fig=$2 _err _rc _out _why
    shift 2
    _err=$(mktemp /tmp/uniroot-bench-err.XXXXXX)
    _out=$("$@" 2>"$_err")
    _rc=$?
    printf -v "$_var" '%s' "$_out"
    if [ "$_rc" -ne 0 ]; then
        _why=$(_last_line "$_err")
        [ -n "$_why" ] || _why=$(printf '%s\n' "$_out" | grep -v '^[[:space:]]*$' | tail -1)
        bench_fail "$_fig" "$(basename "$1") exited $_rc${_why:+: $_why}"
    fi
    rm -f "$_err"
    return "$_rc"
}

isnum() { [[ ${1:-} =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; }

bench_where() { [ -n "${UR_BENCH_NESTED:-}" ] && printf '  %s' "$BENCH_NESTED_NOTE"; return 0; }

bench_kvm_here() {
    [ -c /dev/kvm ] && return 0
    if [ -n "${UR_BENCH_NESTED:-}" ]; then
        bench_fail "nested guest" "no /dev/kvm inside the nested guest either"
        return 2
    fi
    return 1
}

# Variables a nested run must see (the guest starts with a clean environment).
BENCH_PASS_ENV="RUNS UNIROOT_VMM N_SYS N_CYC N_LAT N_BURST BENCH_NESTED_TIMEOUT"

bench_nested() {
    local vm=${BENCH_RUN_IN_VM:-$UR_TOP/tests/nested/run-in-vm.sh} script out err rc v envs=()
    script=$UR_TOP/tests/bench/$(basename "$1") # the guest may start elsewhere
    shift
    if [ ! -x "$vm" ]; then
        bench_skip "no /dev/kvm on this host, and no tests/nested/run-in-vm.sh to run a nested KVM guest"
        return 0
    fi
    for v in $BENCH_PASS_ENV; do [ -n "${!v:-}" ] && envs+=("$v=${!v}"); done
    echo "(no /dev/kvm on this host: measured inside a nested KVM guest under qemu TCG, tests/nested/run-in-vm.sh)"
    out=$(mktemp /tmp/uniroot-bench-nested.XXXXXX)
    err=$(mktemp /tmp/uniroot-bench-nested.XXXXXX)
    "$vm" --needs kvm --timeout "${BENCH_NESTED_TIMEOUT:-1500}" -- \
        env UR_BENCH_NESTED=1 UR_TOP="$UR_TOP" "${envs[@]}" bash "$script" "$@" 2>"$err" | tee "$out"
    rc=${PIPESTATUS[0]}
    if [ "$rc" -ne 0 ]; then
        BENCH_RC=1
        # the script's own FAILED lines said why; else the guest itself failed
        grep -q '^FAILED: ' "$out" ||
            bench_fail "nested guest" "run-in-vm.sh exited $rc: $(_last_line "$err")"
    fi
    rm -f "$out" "$err"
    return "$rc"
}

bench_end() { exit "$BENCH_RC"; }
