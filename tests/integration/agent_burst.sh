#!/bin/bash
# agent_burst.sh: a burst of 1,000 container rootfs mounts (and unmounts).
# With the default ring buffer nothing may be lost: 1,000 records and 1,000
# annotations (each naming the loop device mounted there), 0 drops. Then the same burst while the agent is stopped
# (SIGSTOP) with a 16 KiB ring buffer: the kernel side counts every drop,
# and the agent, once resumed, repairs the table by reconciliation.
UNIROOTD=${UNIROOTD:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin/unirootd} # rates: the plain build
. "$(dirname "$0")/agent_lib.sh"
N=${AGENT_BURST_N:-1000}

LOOP=$(new_loop 16) || { not_ok "loop device" "losetup failed"; finish; exit 1; }
for i in $(seq 0 $((N - 1))); do new_bundle "b$i" unikernel >/dev/null; done
FMT="$TASKS/default/b%d/rootfs"

# every bundle's annotation names the loop device mounted there and its own id
check_annotations() { # NAME
    local r good
    r=$(annotations_right "$LOOP" "$TASKS"/default/b*)
    good=${r%% *}
    [ "$good" = "$N" ] && ok "$1" || not_ok "$1" "$good of $N right; ${r#* }"
}
status_num() { ctl status | grep -o "\"$1\":[0-9.]*" | head -1 | cut -d: -f2; }
wait_records() { # N
    for _ in $(seq 400); do [ "$(status_num records)" = "$1" ] && return 0; sleep 0.05; done
    return 1
}

# 1: live agent, default ring buffer: no loss.
start_agent || { not_ok "agent starts" "$(tail -3 "$LOG")"; finish; exit 1; }
expect "burst of $N mounts" 0 'burst:' -- "$HELPER" burst "$LOOP" ext4 "$N" "$FMT"
echo "# $T_OUT"
wait_records "$N" && ok "all $N records" || not_ok "all $N records" "records=$(status_num records)"
[ "$(status_num drops)" = 0 ] && ok "no drops" || not_ok "no drops" "drops=$(status_num drops)"
[ "$(status_num reconciles)" = 1 ] && ok "no reconciliation needed" || not_ok "no reconciliation needed" "$(status_num reconciles)"
check_annotations "all $N bundles annotated with the mounted device"
echo "# mount->annotation latency p50 $(status_num p50) us, p99 $(status_num p99) us over $(status_num n); agent RSS $(status_num rss_kib) KiB"
expect "unmount burst" 0 'unburst:' -- "$HELPER" unburst "$N" "$FMT"
wait_records 0 && ok "all records removed" || not_ok "all records removed" "records=$(status_num records)"
agent_stop TERM
"$UNIROOTD" --cleanup --pin-dir "$PIN"

# 2: stopped agent, tiny ring buffer: drops counted, then repaired.
for i in $(seq 0 $((N - 1))); do new_bundle "b$i" unikernel >/dev/null; done # fresh config.json
start_agent --ringbuf-kib 16 || { not_ok "agent starts (16 KiB ring)" "$(tail -3 "$LOG")"; finish; exit 1; }
kill -STOP "$AGENT_PID"
at_exit "kill -CONT $AGENT_PID"
"$HELPER" burst "$LOOP" ext4 "$N" "$FMT" >/dev/null
DROPS=$(bpftool map dump pinned "$PIN/stats" | grep -o '"drops": [0-9]*' | grep -o '[0-9]*$')
EVENTS=$(bpftool map dump pinned "$PIN/stats" | grep -o '"events": [0-9]*' | grep -o '[0-9]*$')
echo "# while stopped: $EVENTS events queued, $DROPS dropped (kernel counters)"
[ "${DROPS:-0}" -gt 0 ] && [ $((EVENTS + DROPS)) -ge "$N" ] && ok "every lost event counted" ||
    not_ok "every lost event counted" "events=$EVENTS drops=$DROPS"
kill -CONT "$AGENT_PID"
wait_records "$N" && ok "reconciliation repaired the table ($N records)" ||
    not_ok "reconciliation repaired the table" "records=$(status_num records)"
wait_log '"event":"events-dropped"' && ok "drops logged" || not_ok "drops logged" "no log line"
check_annotations "all $N bundles annotated with the mounted device after repair"
echo "# $(grep -o '"event":"reconciled","why":"ring buffer drops".*' "$LOG" | tail -1)"
"$HELPER" unburst "$N" "$FMT" >/dev/null
wait_records 0 && ok "all records removed" || not_ok "all records removed" "records=$(status_num records)"
agent_stop TERM
agent_log_clean
finish
