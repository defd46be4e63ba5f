#!/bin/bash
# tests/run.sh: run uniroot's test suites and print one summary line.
#
#   tests/run.sh [unit|integration]   (default: both)
#
# Unit tests are cmocka programs (build/bin/test_*, and their ASan+UBSan twins
# in build/asan/bin). Integration tests are tests/integration/*.sh; each
# prints "N passed, N failed[, N skipped]" as its last line (tests/integration/lib.sh).
# The last line of this script is the total, and it exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
what=${1:-all}
export UR_TOP=$PWD
passed=0 failed=0 skipped=0
failures=()

add_counts() { # $1 = name, $2 = output file, $3 = exit code
    local p f s
    p=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -1 | awk '{print $1}')
    f=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -1 | awk '{print $3}')
    s=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$2" | tail -1 | awk '{print $5}')
    if [ -z "$p" ]; then # a cmocka program
        p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$2" | tail -1 | awk '{print $4}')
        f=$(grep -Eo '^\[  FAILED  \] [0-9]+' "$2" | tail -1 | awk '{print $4}')
    fi
    p=${p:-0} f=${f:-0} s=${s:-0}
    if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed or exited badly
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    [ "$f" -gt 0 ] && failures+=("$1")
    printf '%-40s %3d passed, %d failed%s\n' "$1" "$p" "$f" "$( [ "$s" -gt 0 ] && echo ", $s skipped")"
}

run_one() { # $1 = display name, rest = command
    local name=$1 out rc
    shift
    out=$(mktemp)
    "$@" >"$out" 2>&1
    rc=$?
    add_counts "$name" "$out" $rc
    if [ $rc -ne 0 ] || grep -q -E '^(not ok|\[  FAILED  \]|SKIP)' "$out"; then
        sed 's/^/    | /' "$out"
    fi
    rm -f "$out"
}

# A build with clang must be clean too (-Werror); it counts as one case.
if [ "$what" = all ] && command -v clang >/dev/null; then
    echo "== build with clang"
    out=$(mktemp)
    if make -j2 CC=clang BUILD=build/clang all $(ls tests/unit/test_vmm_*.c 2>/dev/null | sed 's|tests/unit/\(.*\)\.c|build/clang/bin/\1|') >"$out" 2>&1; then
        printf '%-40s %3d passed, %d failed\n' "clang build" 1 0
        passed=$((passed + 1))
    else
        printf '%-40s %3d passed, %d failed\n' "clang build" 0 1
        grep -E 'error|Error' "$out" | head -20 | sed 's/^/    | /'
        failed=$((failed + 1))
        failures+=("clang build")
    fi
    rm -f "$out"
fi

if [ "$what" = all ] || [ "$what" = unit ]; then
    echo "== unit tests (plain, then ASan+UBSan)"
    for t in build/bin/test_* build/asan/bin/test_*; do
        [ -x "$t" ] || continue
        run_one "${t#build/}" env ASAN_OPTIONS=detect_leaks=1 "$t"
    done
fi

if [ "$what" = all ] || [ "$what" = integration ]; then
    echo "== integration tests"
    for t in tests/integration/*.sh; do
        case "$(basename "$t")" in lib.sh | *_lib.sh) continue ;; esac
        run_one "$t" bash "$t"
    done
fi

echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
[ "$skipped" -gt 0 ] && echo "(skipped tests print why above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
