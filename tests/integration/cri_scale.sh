#!/bin/bash
# cri_scale.sh: 50 pods at once through containerd's CRI (issue 11 item 6), on
# cri_lib.inc's private containerd (uniroot's runtime entry, CNI, the block
# snapshotter labelling each container's snapshot with its id, unirootd).
# `cri.py up` releases 50 threads together, each RunPodSandbox (handler
# uniroot; the pause container to runc) + CreateContainer + StartContainer of
# `ext4label.spt stay`: every container runs, every guest prints its own
# snapshot's label (so its own loop device) in its CRI log, every pod has its
# own address. Then `cri.py down` stops and removes all of them, 8 at a time:
# no loop device, mount, pod namespace, runtime state, tap, veth, IP
# allocation or process is left. Twice: unirootd's anonymous RSS after the
# second round must be that after the first, within the slack malloc's
# fragmentation takes (the first round sets most of its high water; a round
# after it was seen adding 200 KiB once), and, stopped, the agent must hold
# no record of any of the 2 x 2 x NPODS containers it saw.
# CRI_PODS overrides the count. Timing beside runc pods: tests/bench/cri.sh.
# uniroot-test: timeout 600
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 UR_NET_TAG=$$ exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.inc"
unset UNIROOT_VMM
. "$(dirname "$0")/cri_lib.inc"
NPODS=${CRI_PODS:-50}
RSS_SLACK_KB=512
cri_need
cri_setup
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}'; }
rss0=$(agent_rss)

pod_json 's{i}' >"$T_TMP/pod.json"
ctr_json label localhost/uniroot-label:latest >"$T_TMP/ctr.json"
# round K: NPODS up, checked, all down, checked
round() {
    local k=$1 t0 t_up nerr nrun running labelled bad ips loops ids w cid log
    t0=$EPOCHREALTIME
    $CRI up "$NPODS" uniroot "$T_TMP/pod.json" "$T_TMP/ctr.json" >"$T_TMP/up.jsonl" 2>"$T_TMP/up.err"
    t_up=$(secs "$t0")
    nerr=$(jq -r 'select(.error) | .error' "$T_TMP/up.jsonl" | wc -l)
    nrun=$(jq -r 'select(.run) | .ctr' "$T_TMP/up.jsonl" | wc -l)
    [ "$nrun" = "$NPODS" ] && [ "$nerr" = 0 ] && ok "round $k: $NPODS pods at once: every RunPodSandbox, CreateContainer, StartContainer succeeded (${t_up} s)" ||
        not_ok "round $k: $NPODS pods at once" "$nrun started, $nerr failed: $(jq -r 'select(.error) | .error' "$T_TMP/up.jsonl" | sort | uniq -c | head -3 | tr '\n' '|') $(tail -2 "$T_TMP/up.err")"
    echo "# round $k: create-to-running (RunPodSandbox to StartContainer's end), s: $(jq -r 'select(.run) | .run' "$T_TMP/up.jsonl" | sort -n |
        awk '{ t[NR] = $1 } END { if (NR) printf "p50 %s p90 %s max %s", t[int((NR + 1) / 2)], t[int((NR * 9 + 9) / 10)], t[NR] }')"

    # every guest: running, its own label in its own CRI log, its pod its own address
    $CRI list >"$T_TMP/list.jsonl"
    running=$(jq -r 'select(.state == "CONTAINER_RUNNING") | .id' "$T_TMP/list.jsonl" | wc -l)
    [ "$running" = "$NPODS" ] && ok "round $k: ContainerStatus: all $NPODS running" || not_ok "round $k: running" "$running of $NPODS"
    labelled=0 bad=
    while read -r cid log; do
        for _ in $(seq 50); do grep -q "label=" "$log" 2>/dev/null && break; sleep 0.1; done
        if grep -Eq "^[^ ]+ stdout F label=${cid:0:16} " "$log"; then labelled=$((labelled + 1)); else bad="$bad $log:$(grep -o 'label=[^ ]*' "$log" 2>/dev/null)"; fi
    done < <(jq -r '"\(.id) \(.log_path)"' "$T_TMP/list.jsonl")
    [ "$labelled" = "$NPODS" ] && ok "round $k: each of the $NPODS guests read its own snapshot's label from its own block device" ||
        not_ok "round $k: labels" "$labelled of $NPODS;${bad:0:300}"
    ips=$(jq -r .ip "$T_TMP/list.jsonl" | sort -u | grep -c '^10\.98\.0\.')
    [ "$ips" = "$NPODS" ] && ok "round $k: $NPODS pods, $NPODS distinct CNI addresses" || not_ok "round $k: pod addresses" "$ips distinct"
    loops=$(cri_loops | wc -l)
    [ "$loops" = $((NPODS * 2)) ] && ok "round $k: $loops loop devices: one per container snapshot (pause and guest)" || not_ok "round $k: loop devices" "$loops, want $((NPODS * 2))"
    ids=$(jq -r 'select(.pod) | .pod, .ctr // empty' "$T_TMP/up.jsonl")

    t0=$EPOCHREALTIME
    expect "round $k: all removed (StopContainer, RemoveContainer, StopPodSandbox, RemovePodSandbox)" 0 '^down: 0 failed$' -- $CRI down
    echo "# round $k: down: $(secs "$t0") s"
    [ -z "$($CRI pods)$($CRI ps)" ] && ok "round $k: no pod or container listed" || not_ok "round $k: listed" "$($CRI pods | wc -l) pods, $($CRI ps | wc -l) containers"
    # shellcheck disable=SC2086
    w=$(cri_leaks_settled $ids)
    [ -z "$w" ] && ok "round $k: nothing left: loops, mounts, pod namespaces, state, taps, veths, IP allocations, processes" || {
        not_ok "round $k: left behind" "${w:0:400}"
        [ -n "${CRI_DEBUG:-}" ] && { echo "$w"; ps -e -o pid,ppid,stat,args; cp -r "$D/log" "$T_TMP/agent.log" "$T_TMP/up.jsonl" /tmp/cri-debug/; }
    }
}
round 1
rss1=$(agent_rss)
[ "${CRI_ROUNDS:-2}" = 1 ] && { finish; exit; }
round 2
rss2=$(agent_rss)
echo "# unirootd anonymous RSS: $rss0 KiB before, $rss1 KiB after round 1, $rss2 KiB after round 2 (VmRSS now $(awk '/^VmRSS:/ {print $2}' /proc/$AGENT/status) KiB)"
[ $((rss2 - rss1)) -le $RSS_SLACK_KB ] && ok "unirootd's anonymous RSS flat: round 2 added $((rss2 - rss1)) KiB (round 1: $((rss1 - rss0)), slack ${RSS_SLACK_KB})" ||
    not_ok "agent RSS" "anonymous: $rss0 -> $rss1 -> $rss2 KiB"
kill "$AGENT"; wait "$AGENT"
stopping=$(grep '"event":"stopping"' "$T_TMP/agent.log")
echo "$stopping" | grep -q '"records":0,' && ok "unirootd stopped holding no record of the removed containers" ||
    not_ok "unirootd holds no record after every pod was removed" "${stopping:-no stopping line}"
grep -q '"level":"error"' "$T_TMP/agent.log" && not_ok "agent log" "$(grep '"level":"error"' "$T_TMP/agent.log" | head -2)" || ok "no error in unirootd's log"
finish
