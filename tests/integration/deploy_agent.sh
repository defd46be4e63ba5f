#!/bin/bash
# deploy_agent.sh: the DaemonSet's agent command and readiness probe, and the systemd unit's
# start check, run as written (read from deploy/kubernetes/daemonset.yaml and
# deploy/systemd/unirootd.service.in), with only the node paths swapped for this test's: the
# binaries for build/bin's, the socket, state dir and pin dir for private ones, PID 1's mount
# namespace for this script's. The agent started through `nsenter --mount=...` annotates a unikernel bundle whose rootfs
# is mounted from a loop device; the probe fails (non-zero, within the probe's timeoutSeconds)
# with no agent, with a socket that never answers and after the agent stopped, and passes (0)
# while it runs; the unit's ExecStartPost loop passes once the agent answers and gives up
# (status 1) after its 10 s without one.
. "$(dirname "$0")/agent_lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import yaml' 2>/dev/null || { not_ok "python3-yaml" "missing (tools/install-deps.sh)"; finish; exit 1; }
# The agent's command and the probe's, one argument per line, node paths replaced.
# PID 1 of this machine is not ours to enter (nor the host's init it stands for on a node):
# the test's own mount namespace plays the host's.
swap() { sed -e "s|^--mount=/proc/1/ns/mnt\$|--mount=/proc/$$/ns/mnt|" -e "s|^/usr/local/bin/unirootd\$|$UNIROOTD|" -e "s|^unirootctl\$|$UNIROOTCTL|" \
    -e "s|^/run/uniroot/unirootd.sock\$|$SOCK|" -e "s|^/run/containerd\$|$STATE|"; }
from_yaml() {
    "$PY" -c 'import sys, yaml
ds = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "DaemonSet"][0]
c = [c for c in ds["spec"]["template"]["spec"]["containers"] if c["name"] == "unirootd"][0]
print("\n".join(c["command"] if sys.argv[2] == "agent" else c["readinessProbe"]["exec"]["command"]))
if sys.argv[2] == "timeout":
    print(c["readinessProbe"]["timeoutSeconds"])' "$UR_TOP/deploy/kubernetes/daemonset.yaml" "$1"
}
mapfile -t AGENT < <(from_yaml agent | swap)
mapfile -t PROBE < <(from_yaml probe | swap)
PTIMEOUT=$(from_yaml timeout | tail -1)
echo "# agent: ${AGENT[*]}"
echo "# probe: ${PROBE[*]} (timeoutSeconds $PTIMEOUT)"
[ "${AGENT[0]}" = nsenter ] && [ "${AGENT[3]}" = "$UNIROOTD" ] && [ "${PROBE[0]}" = "$UNIROOTCTL" ] &&
    grep -qx -- "$SOCK" <(printf '%s\n' "${AGENT[@]}") && grep -qx -- "$SOCK" <(printf '%s\n' "${PROBE[@]}") &&
    ok "commands read from the DaemonSet, node paths swapped" || not_ok "commands read from the DaemonSet" "${AGENT[*]} / ${PROBE[*]}"

# probe NAME WANT: run the probe as the kubelet would, within its timeoutSeconds.
probe() {
    local t0=$SECONDS rc
    timeout "$PTIMEOUT" "${PROBE[@]}" >"$T_TMP/probe.out" 2>&1
    rc=$?
    if [ "$2" = 0 ] && [ "$rc" = 0 ]; then
        ok "$1: probe passes"
    elif [ "$2" != 0 ] && [ "$rc" != 0 ] && [ "$rc" != 124 ]; then
        ok "$1: probe fails (status $rc, $((SECONDS - t0)) s: $(head -1 "$T_TMP/probe.out"))"
    else
        not_ok "$1: probe status $rc" "want $([ "$2" = 0 ] && echo 0 || echo non-zero within ${PTIMEOUT}s); $(head -2 "$T_TMP/probe.out" | tr '\n' '|')"
    fi
}
probe "no agent" 1

# A socket that accepts and never answers.
"$PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
c = [s.accept() for _ in range(8)]; time.sleep(60)' "$SOCK" &
MUTE=$!
at_exit "kill $MUTE"
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.05; done
probe "a socket that never answers" 1
kill "$MUTE" 2>/dev/null
wait "$MUTE" 2>/dev/null
rm -f "$SOCK"

# The agent as the DaemonSet runs it (plus the private pin dir and no settings file).
"${AGENT[@]}" --pin-dir "$PIN" --config /dev/null --reconcile-interval 0 >>"$LOG" 2>&1 &
# shellcheck disable=SC2034 # agent_lib.sh's agent_stop (at exit too) stops it by this pid
AGENT_PID=$!
if wait_log '"event":"ready"' 200; then
    ok "agent started through nsenter --mount (the host's mount namespace)"
else
    not_ok "agent started through nsenter" "$(tail -3 "$LOG" | tr '\n' '|')"
fi
probe "agent running" 0
grep -q '"observer"' "$T_TMP/probe.out" && ok "probe output is the agent's status (names the observer)" ||
    not_ok "probe output is the agent's status" "$(head -c 200 "$T_TMP/probe.out")"
dev=$(new_loop 8)
b=$(new_bundle deploy-uk unikernel)
mount "$dev" "$b/rootfs"
for _ in $(seq 100); do [ -n "$(annotation "$b")" ] && break; sleep 0.05; done
annotation_device_ok "the DaemonSet's agent annotates a unikernel bundle mounted from $dev" "$b" "$dev"
umount "$b/rootfs"

# The unit's start check, with @BINDIR@ = build/bin and the socket by environment.
post=$(sed -n 's/^ExecStartPost=//p' "$UR_TOP/deploy/systemd/unirootd.service.in" | sed -e "s|@BINDIR@|$UR_TOP/build/bin|g" -e 's/\$\$/$/g')
[ -n "$post" ] && ok "unit has an ExecStartPost start check" || not_ok "unit has an ExecStartPost start check" "none"
post_run() { eval "env UNIROOT_AGENT_SOCKET=$SOCK $post"; }
expect "unit start check passes with the agent up" 0 '' -- post_run

agent_stop
probe "agent stopped" 1
t0=$SECONDS
expect "unit start check gives up without an agent" 1 '' -- post_run
[ $((SECONDS - t0)) -ge 9 ] && [ $((SECONDS - t0)) -le 20 ] && ok "unit start check waited about 10 s ($((SECONDS - t0)) s)" ||
    not_ok "unit start check waited about 10 s" "$((SECONDS - t0)) s"
agent_log_clean
finish
