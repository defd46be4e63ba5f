#!/bin/bash
# tests/run.sh: run uniroot's test suites and print one summary line.
#
#   tests/run.sh [unit|integration] [SCRIPT...]   (default: both, every script)
#
# Unit tests are cmocka programs (build/bin/test_*, and their ASan+UBSan twins
# in build/asan/bin). Integration tests are tests/integration/*.sh (or the
# SCRIPTs named); each prints "N passed, N failed[, N skipped]"
# (tests/integration/lib.sh). Every such line a script prints is counted; a
# script that exits 0 without one fails, and so does one that exits non-zero.
# Each line shows the script's counts and the time it took.
#
# Marker lines near the top of a script (within its first 30 lines):
#   # uniroot-test: needs kvm    run it inside a qemu guest with nested KVM
#                                (tests/nested/run-in-vm.sh) when /dev/kvm is missing
#   # uniroot-test: needs dm     the same when /dev/mapper/control is missing
#   # uniroot-test: not-nested   with needs kvm: skip it (saying why, from its
#                                "# not-nested because: ..." line) instead of
#                                nesting, unless UR_NESTED_ALL=1
# UR_NESTED=no skips what would run in the guest instead (saying so).
# run-in-vm.sh reruns a script once when the guest wedges; only the summary
# lines after its "rerunning CMD" line count.
#   # uniroot-test: timeout S    its time limit in seconds (default
#                                $UR_TEST_TIMEOUT, 900); a script past it fails
# Where the host has what a script needs, it runs directly.
# The closing lines list the failed scripts with their failing cases (so a
# log's tail says why), every skipped case and why; the last line is the
# total "N passed, N failed, N skipped", and the exit status is non-zero on
# any failure.
set -u
cd "$(dirname "$0")/.."
what=all
case ${1:-} in unit | integration | all) what=$1; shift ;; esac
export UR_TOP=$PWD
DEFAULT_TIMEOUT=${UR_TEST_TIMEOUT:-900}
passed=0 failed=0 skipped=0
failures=() skips=() failure_lines=()

# count NAME OUT RC SECONDS NOTE: add one program's results to the totals and print its line.
count() {
    local name=$1 out=$2 rc=$3 secs=$4 note=$5 p=0 f=0 s=0 n why=''
    # every "N passed, N failed[, N skipped]" line (lib.sh's finish), summed
    # (a nested run that wedged and started over counts from the rerun on)
    read -r n p f s < <(awk '/^run-in-vm: .*rerunning CMD/ { n = p = f = s = 0 }
        /^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$/ {
        n++; p += $1; f += $3; s += $5 } END {print n + 0, p + 0, f + 0, s + 0}' "$out")
    if [ "$n" -eq 0 ]; then # a cmocka program
        read -r n p f s < <(awk '/^\[  PASSED  \] [0-9]+/ {n++; p += $4} /^\[  FAILED  \] [0-9]+/ {n++; f += $4}
            /^\[  SKIPPED \] [0-9]+/ {s += $4} END {print n + 0, p + 0, f + 0, s + 0}' "$out")
    fi
    if [ "$rc" -eq 124 ]; then
        why="timed out after ${LIMIT:-?} s"
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        why="exit status $rc"
    elif [ "$n" -eq 0 ]; then
        why="no summary line"
    fi
    [ -n "$why" ] && [ "$f" -eq 0 ] && f=1
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    [ "$f" -gt 0 ] && failures+=("$name")
    LAST_FAILED=$f
    while IFS= read -r line; do
        skips+=("$name: ${line#SKIP - }")
    done < <(awk '/^run-in-vm: .*rerunning CMD/ { n = 0 } /^SKIP - / { l[n++] = $0 }
        END { for (i = 0; i < n; i++) print l[i] }' "$out")
    printf '%-40s %3d passed, %d failed%s  (%s s%s%s)\n' "$name" "$p" "$f" \
        "$([ "$s" -gt 0 ] && echo ", $s skipped")" "$secs" "${note:+, $note}" "${why:+; $why}"
}

# run_one NAME TIMEOUT NOTE CMD...: run CMD with a time limit; its output is shown
# when it fails or skips.
run_one() {
    local name=$1 limit=$2 note=$3 out rc t0
    shift 3
    out=$(mktemp)
    t0=$EPOCHREALTIME
    timeout -k 15 "$limit" "$@" >"$out" 2>&1 </dev/null
    rc=$?
    grep -q '^run-in-vm: .*rerunning CMD' "$out" && note="${note:+$note, }rerun after the guest wedged"
    LIMIT=${SHOWN_LIMIT:-$limit} count "$name" "$out" $rc "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')" "$note"
    if [ "$LAST_FAILED" -gt 0 ]; then # kept for the closing lines, which a log's tail shows
        while IFS= read -r line; do failure_lines+=("$name: $line"); done < <(
            grep -E '^(not ok|\[  FAILED  \]|run-in-vm: )' "$out" | cut -c1-400 | tail -8)
    fi
    if [ "$LAST_FAILED" -gt 0 ] || grep -q -E '^(not ok|\[  FAILED  \]|SKIP)' "$out"; then
        sed 's/^/    | /' "$out"
    else
        grep '^run-in-vm: ' "$out" | sed 's/^/    | /'
    fi
    rm -f "$out"
}

# markers SCRIPT: prints "NEEDS TIMEOUT" from its "# uniroot-test:" lines.
markers() {
    awk -v t="$DEFAULT_TIMEOUT" 'NR > 30 {exit} /^# uniroot-test:/ {
        for (i = 3; i <= NF; i++) {
            if ($i == "needs" && i < NF) needs = $(++i)
            else if ($i == "timeout" && i < NF) t = $(++i)
            else if ($i == "not-nested") nn = 1
        } } END {print (needs == "" ? "none" : needs), t, (nn ? "no" : "yes")}' "$1"
}

# A build with clang must be clean too (-Werror): every program and unit test
# (the sanitized and fuzz builds use the same sources); it counts as one case.
if [ "$what" = all ] && [ $# -eq 0 ] && command -v clang >/dev/null; then
    echo "== build with clang"
    out=$(mktemp)
    t0=$EPOCHREALTIME
    if make -j"$(nproc)" CC=clang BUILD=build/clang compile >"$out" 2>&1; then
        echo "1 passed, 0 failed" >>"$out"
        rc=0
    else
        grep -E 'error|Error' "$out" | head -20 >"$out.err"
        { cat "$out.err"; echo "0 passed, 1 failed"; } >"$out"
        rm -f "$out.err"
        rc=1
    fi
    count "clang build" "$out" $rc "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')" ""
    [ $rc -eq 0 ] || sed 's/^/    | /' "$out"
    rm -f "$out"
fi

if { [ "$what" = all ] || [ "$what" = unit ]; } && [ $# -eq 0 ]; then
    echo "== unit tests (plain, then ASan+UBSan)"
    for t in build/bin/test_* build/asan/bin/test_*; do
        [ -x "$t" ] || continue
        run_one "${t#build/}" "$DEFAULT_TIMEOUT" "" env ASAN_OPTIONS=detect_leaks=1 "$t"
    done
fi

if [ "$what" = all ] || [ "$what" = integration ]; then
    echo "== integration tests"
    if [ $# -gt 0 ]; then scripts=("$@"); else scripts=(tests/integration/*.sh); fi
    for t in "${scripts[@]}"; do
        case "$(basename "$t")" in lib.sh | *_lib.sh) continue ;; esac
        read -r needs limit nestable < <(markers "$t")
        nest=
        { [ "$needs" = kvm ] && [ ! -c /dev/kvm ]; } ||
            { [ "$needs" = dm ] && [ ! -c /dev/mapper/control ]; } && nest=1
        why=
        if [ -n "$nest" ] && [ "${UR_NESTED:-yes}" = no ]; then
            why="UR_NESTED=no: not run in the nested guest"
        elif [ -n "$nest" ] && [ "$needs" = kvm ] && [ "$nestable" = no ] && [ "${UR_NESTED_ALL:-0}" != 1 ]; then
            why="marked not-nested: $(sed -n 's/^# not-nested because: //p' "$t" | head -1) (UR_NESTED_ALL=1 runs it there)"
        fi
        if [ -n "$why" ]; then
            printf '%-40s %3d passed, %d failed, 1 skipped\n' "$t" 0 0
            echo "    | SKIP - no /dev/${needs/dm/mapper\/control} here; $why"
            skipped=$((skipped + 1))
            skips+=("$t: no /dev/${needs/dm/mapper\/control}; $why")
            continue
        fi
        if [ -n "$nest" ]; then
            # a guest boot and slower (emulated) code: the limit covers the whole guest
            SHOWN_LIMIT=$limit run_one "$t" $((limit + 60)) "nested KVM guest" \
                tests/nested/run-in-vm.sh --needs "$needs" --timeout "$limit" -- bash "$t"
        else
            run_one "$t" "$limit" "" bash "$t"
        fi
    done
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
    echo "failed: ${failures[*]}"
    [ ${#failure_lines[@]} -gt 0 ] && printf '  %s\n' "${failure_lines[@]}"
fi
if [ ${#skips[@]} -gt 0 ]; then
    echo "skipped (${#skips[@]}):"
    printf '  %s\n' "${skips[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
