#!/bin/bash
# fuzz.sh: a bounded libFuzzer run of every target in tests/fuzz/ (built by
# tests/fuzz/build.mk), each seeded with its corpus in tests/fuzz/corpus/<target>/
# (the image reader: with our test guests). One line per target with the
# inputs run and the crashes; a crash, sanitizer report or abort fails it and
# prints the report and the input as hex.
#   UR_FUZZ_SECONDS   seconds per target (default 10; `make fuzz` gives 600)
#   UR_FUZZ_TARGETS   which targets (default: all of them)
#   UR_FUZZ_KEEP      a directory: keep each target's grown corpus and log there
source "$(dirname "$0")/lib.sh"
SECONDS_TO_RUN=${UR_FUZZ_SECONDS:-10}
TARGETS=${UR_FUZZ_TARGETS:-fuzz_elf_image fuzz_spec fuzz_urunc_json fuzz_rootfs_record fuzz_agent_request fuzz_config_annotate fuzz_settings fuzz_ctr_state}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

for t in $TARGETS; do
    fz=$UR_TOP/build/fuzz/$t
    if [ ! -x "$fz" ]; then
        not_ok "fuzz $t" "$fz is missing (make all)"
        continue
    fi
    w=$T_TMP/$t
    mkdir -p "$w/corpus" "$w/artifacts"
    seeds=$UR_TOP/tests/fuzz/corpus/$t
    args=(-dict="$UR_TOP/tests/fuzz/json.dict" "$w/corpus" "$seeds")
    if [ "$t" = fuzz_elf_image ]; then # the guests, copied: not build/guests/obj too
        cp "$GUESTS"/*.hvt "$w/corpus/" 2>/dev/null
        seeds=$w/corpus
        args=("$w/corpus")
    fi
    if [ ! -d "$seeds" ] || [ -z "$(ls "$seeds")" ]; then
        not_ok "fuzz $t" "no seeds in $seeds (for the image reader: $GUESTS/*.hvt, make all)"
        continue
    fi
    # New inputs go to the first directory (a temp one); the seeds are only read.
    "$fz" -max_total_time="$SECONDS_TO_RUN" -artifact_prefix="$w/artifacts/" -print_final_stats=1 \
        "${args[@]}" >"$w/fuzz.log" 2>&1
    rc=$?
    runs=$(grep -o 'number_of_executed_units: [0-9]*' "$w/fuzz.log" | awk '{print $2}')
    ncrash=$(ls "$w/artifacts" | wc -l)
    crash=$(ls "$w/artifacts" | head -1)
    if [ -n "${UR_FUZZ_KEEP:-}" ]; then
        mkdir -p "$UR_FUZZ_KEEP/$t" && cp -r "$w"/. "$UR_FUZZ_KEEP/$t/"
    fi
    if [ $rc -ne 0 ] || [ "$ncrash" -gt 0 ]; then
        grep -E 'ERROR|runtime error|SUMMARY|fuzz check failed|before:|after:|#[0-9]+ 0x' "$w/fuzz.log" | head -20
        [ -n "$crash" ] && { echo "input:"; od -A x -t x1z "$w/artifacts/$crash" | head -20; }
        not_ok "fuzz $t for ${SECONDS_TO_RUN}s" "libFuzzer exit $rc, ${runs:-?} inputs, $ncrash crash(es)"
    else
        ok "fuzz $t for ${SECONDS_TO_RUN}s: ${runs:-?} inputs, 0 crashes"
    fi
done
finish
