#!/bin/bash
# vmm_fuzz.sh: a bounded libFuzzer run over uniroot-vmm's image reader
# (tests/fuzz/fuzz_elf_image.c), seeded with our test guests. Any crash,
# sanitizer report or abort fails the case and prints the input as hex.
source "$(dirname "$0")/lib.sh"
FUZZ=$UR_TOP/build/fuzz/fuzz_elf_image
SECONDS_TO_RUN=${UR_FUZZ_SECONDS:-20}

if [ ! -x "$FUZZ" ]; then
    not_ok "fuzz image reader" "$FUZZ is missing (make all)"
    finish
    exit
fi
mkdir -p "$T_TMP/corpus" "$T_TMP/artifacts"
cp "$GUESTS"/*.hvt "$T_TMP/corpus/"
"$FUZZ" -max_total_time="$SECONDS_TO_RUN" -artifact_prefix="$T_TMP/artifacts/" \
    -print_final_stats=1 "$T_TMP/corpus" >"$T_TMP/fuzz.log" 2>&1
rc=$?
runs=$(grep -o 'number_of_executed_units: [0-9]*' "$T_TMP/fuzz.log" | awk '{print $2}')
crash=$(ls "$T_TMP/artifacts" 2>/dev/null | head -1)
if [ $rc -ne 0 ] || [ -n "$crash" ]; then
    grep -E 'ERROR|runtime error|SUMMARY|#[0-9]+ 0x' "$T_TMP/fuzz.log" | head -15
    [ -n "$crash" ] && { echo "input:"; od -A x -t x1z "$T_TMP/artifacts/$crash" | head -20; }
    not_ok "fuzz image reader for ${SECONDS_TO_RUN}s" "libFuzzer exit $rc"
else
    ok "fuzz image reader for ${SECONDS_TO_RUN}s (${runs:-?} inputs, no crash)"
fi
finish
