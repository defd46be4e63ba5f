# tests/integration/lib.sh: helpers sourced by every integration test script.
#
#   ok NAME | not_ok NAME WHY | skip NAME WHY  record one case
#   expect NAME WANT_STATUS WANT_GREP -- CMD... run CMD, check status and output
#   finish                                     print "N passed, N failed[, N skipped]"
#                                              and exit non-zero on failure
# Cleanup: register commands with `at_exit CMD` (run in reverse order, always).
set -u
UR_TOP=${UR_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VMM=${VMM:-$UR_TOP/build/bin/uniroot-vmm}
VMM_ASAN=${VMM_ASAN:-$UR_TOP/build/asan/bin/uniroot-vmm}
GUESTS=${GUESTS:-$UR_TOP/build/guests}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

_t_pass=0 _t_fail=0 _t_skip=0
_t_cleanup=()
T_TMP=$(mktemp -d /tmp/uniroot-test.XXXXXX)

at_exit() { _t_cleanup+=("$*"); }
# (its counter has a name no cleanup command uses: an eval'd "for i in" would move it)
_t_run_cleanup() {
    local _t_ci
    for ((_t_ci = ${#_t_cleanup[@]} - 1; _t_ci >= 0; _t_ci--)); do eval "${_t_cleanup[$_t_ci]}" >/dev/null 2>&1; done
    rm -rf "$T_TMP"
}
trap _t_run_cleanup EXIT

ok() { _t_pass=$((_t_pass + 1)); echo "ok - $1"; }
not_ok() { _t_fail=$((_t_fail + 1)); echo "not ok - $1: $2"; }
skip() { _t_skip=$((_t_skip + 1)); echo "SKIP - $1: $2"; }

# expect NAME STATUS REGEX -- CMD...: CMD's exit status must be STATUS and its
# combined output must match the extended REGEX (use '' for any output).
# Sanitizer reports always fail the case. Output is kept in $T_OUT.
expect() {
    local name=$1 want=$2 re=$3
    shift 4
    T_OUT=$("$@" 2>&1)
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        not_ok "$name" "exit status $rc, want $want; output: $(echo "$T_OUT" | tail -5 | tr '\n' '|')"
    elif echo "$T_OUT" | grep -qE 'ERROR: AddressSanitizer|[0-9]+: runtime error:|LeakSanitizer'; then
        not_ok "$name" "sanitizer report: $(echo "$T_OUT" | grep -E 'ERROR|runtime error' | head -3 | tr '\n' '|')"
    elif [ -n "$re" ] && ! echo "$T_OUT" | grep -qE -- "$re"; then
        not_ok "$name" "output does not match /$re/: $(echo "$T_OUT" | tail -5 | tr '\n' '|')"
    else
        ok "$name"
    fi
}

finish() {
    if [ "$_t_skip" -gt 0 ]; then
        echo "$_t_pass passed, $_t_fail failed, $_t_skip skipped"
    else
        echo "$_t_pass passed, $_t_fail failed"
    fi
    [ "$_t_fail" -eq 0 ]
}
