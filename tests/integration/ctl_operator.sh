#!/bin/bash
# ctl_operator.sh: unirootctl for operators, against a real unirootd and real
# uniroot containers on uniroot-spt (no KVM needed). A block container (its
# ext4 rootfs on a loop device mounted on a bundle in the agent's state dir,
# so the agent annotates it) and a netecho container (its tap in a network
# namespace of its own, running) are created through the uniroot CLI; then
# every command runs with and without --json (the JSON parsed with jq):
# status, list, get (bundle, namespace/id, unknown), raw, watch --count,
# explain BUNDLE, explain ID (each field checked against what the runtime
# recorded and did: uniroot state, the monitor's argv, net.json, the
# device's major:minor, the agent's own answer), explain of an unknown id,
# an invalid id and corrupt or hostile state (exit 3, 64, 4). Then with the
# agent stopped: status, list and get exit 2, explain still shows the
# runtime's side with the agent unreachable, and a block container created
# now is decided by the runtime's fallback (libmount), which explain says;
# an agent that answers "not ok" makes status exit 1.
# The script is init of its own pid namespace (it reaps the monitors).
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 UR_NET_TAG=$$ exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/agent_lib.sh"
. "$(dirname "$0")/runtime_lib.inc"
RT_ROOT=$T_TMP/rt-root # runtime_lib's default is agent_lib's state dir
SPT=$UR_TOP/build/bin/uniroot-spt
unset UNIROOT_VMM
export UNIROOT_SPT=$SPT UNIROOT_AGENT_SOCKET=$SOCK
for f in "$UNIROOT" "$SPT" "$GUESTS/ext4label.spt" "$GUESTS/netecho.spt"; do
    [ -e "$f" ] || { skip ctl-operator "$f is not built (make all)"; finish; exit; }
done
for t in jq mkfs.ext4 losetup; do
    command -v $t >/dev/null || { skip ctl-operator "$t is not installed (tools/install-deps.sh)"; finish; exit; }
done
. "$(dirname "$0")/net_lib.inc"
at_exit rt_cleanup
CTL=$UNIROOTCTL
MAC=$(if_mac 2>/dev/null)
# jcase NAME FILTER: the last output ($T_OUT) is one JSON document for which
# the jq FILTER is true (jq --arg values from JQ_ARGS)
jcase() {
    local n
    n=$(printf '%s\n' "$T_OUT" | jq -s length 2>/dev/null)
    if [ "$n" != 1 ]; then
        not_ok "$1" "not one JSON document: $(echo "$T_OUT" | head -3 | tr '\n' '|')"
    elif printf '%s' "$T_OUT" | jq -e "${JQ_ARGS[@]}" "$2" >/dev/null 2>&1; then
        ok "$1"
    else
        not_ok "$1" "jq '$2' is not true of: $(echo "$T_OUT" | head -c 600)"
    fi
}
JQ_ARGS=()

start_agent || { not_ok "agent is up" "$(tail -3 "$LOG")"; finish; exit; }
ok "agent is up"

# ---- a block container: ext4 with ext4label.spt inside, on a loop device
SRC=$T_TMP/src; mkdir -p "$SRC/unikernel"; cp "$GUESTS/ext4label.spt" "$SRC/unikernel/"
# block_image N: a loop device of such an image (agent_lib detaches $T_TMP/img.* at exit)
block_image() {
    truncate -s 16M "$T_TMP/img.$1" && mkfs.ext4 -q -F -L ctllbl$1 -d "$SRC" "$T_TMP/img.$1" &&
        losetup -f --show "$T_TMP/img.$1"
}
# block_bundle ID: a bundle in the watched state dir, its config naming ext4label.spt
block_bundle() {
    local b=$TASKS/default/$1
    mkdir -p "$b/rootfs"
    printf '{"ociVersion":"1.0.2","process":{"args":["x"]},"root":{"path":"rootfs"},"annotations":{"com.urunc.unikernel.unikernelType":"solo5","com.urunc.unikernel.hypervisor":"spt","com.urunc.unikernel.binary":"/unikernel/ext4label.spt","com.urunc.unikernel.mountRootfs":"true"},"linux":{"resources":{"memory":{"limit":67108864}}}}\n' >"$b/config.json"
    echo "$b"
}
LOOP=$(block_image 1) || { skip ctl-operator "no loop device"; finish; exit; }
read -r MA MI <<<"$(stat -c '%Hr %Lr' "$LOOP")"
B1=$(block_bundle cb1)
mount "$LOOP" "$B1/rootfs"
for _ in $(seq 100); do grep -q 'dev.uniroot.rootfs' "$B1/config.json" && break; sleep 0.05; done
grep -q 'dev.uniroot.rootfs' "$B1/config.json" && ok "the agent annotated cb1's bundle" || not_ok "agent annotation" "none"

# explain BUNDLE before create: the annotation is verifiable now
expect "explain BUNDLE (text): verifiable" 0 "decision: +verifiable: the runtime can take $LOOP" -- "$CTL" --socket "$SOCK" explain "$B1"
expect "explain BUNDLE --json: exit 0" 0 '' -- "$CTL" --socket "$SOCK" --json explain "$B1"
JQ_ARGS=(--arg d "$LOOP")
jcase "explain BUNDLE --json: verifiable by the annotation, the agent's record" \
    '.decision.verifiable == true and .decision.by == "annotation" and .decision.device == $d and .agent.record.device == $d and .rootfs.on_recorded_device == true and .verifier[0].verdict == "verified"'

: >"$RT_LOG"
# ---- status, list, get, raw, watch: text and --json, agent up (before
# create: the runtime's create unmounts the rootfs, and the agent drops the
# record when it sees that)
expect "status: exit 0 with the agent up" 0 '^\{"ok":true,"status":\{"observer":' -- "$CTL" --socket "$SOCK" status
expect "status --json: exit 0" 0 '' -- "$CTL" --socket "$SOCK" --json status
jcase "status --json: ready, reason, the agent's status" '.ok == true and .ready == true and (.reason | startswith("observing with")) and (.status.observer | length > 0) and (.status.records | type) == "number"'
expect "status --json after the command: exit 0" 0 '"ready":true' -- "$CTL" --socket "$SOCK" status --json
expect "list: exit 0" 0 '"ok":true,"records":\[' -- "$CTL" --socket "$SOCK" list
expect "list --json: exit 0" 0 '' -- "$CTL" --socket "$SOCK" --json list
JQ_ARGS=(--arg d "$LOOP")
jcase "list --json: cb1's record" '.ok and (.records | map(select(.container == "cb1" and .device == $d)) | length) == 1'
expect "get BUNDLE: exit 0" 0 "\"device\":\"$LOOP\"" -- "$CTL" --socket "$SOCK" get "$B1"
expect "get BUNDLE --json: exit 0" 0 '' -- "$CTL" --socket "$SOCK" --json get "$B1"
JQ_ARGS=(--argjson ma "$MA" --argjson mi "$MI")
jcase "get BUNDLE --json: the record" '.ok and .record.type == "block" and .record.major == $ma and .record.minor == $mi and .record.container == "cb1"'
AGENT_REC=$(printf '%s' "$T_OUT" | jq -c .record)
expect "get NS ID: exit 0" 0 "\"container\":\"cb1\"" -- "$CTL" --socket "$SOCK" get default cb1
expect "get NS ID --json: exit 0" 0 '' -- "$CTL" --socket "$SOCK" --json get default cb1
jcase "get NS ID --json: the record" '.ok and .record.namespace == "default"'
expect "get unknown: exit 1" 1 '"ok":false' -- "$CTL" --socket "$SOCK" get default nope
expect "get unknown --json: exit 1" 1 '' -- "$CTL" --socket "$SOCK" --json get default nope
jcase "get unknown --json: the agent's error" '.ok == false and (.error | test("no record"))'
expect "raw status: exit 0" 0 '"ok":true,"status"' -- "$CTL" --socket "$SOCK" raw '{"op":"status"}'
expect "raw --json: exit 0" 0 '' -- "$CTL" --socket "$SOCK" --json raw '{"op":"list"}'
jcase "raw --json: one document" '.ok and (.records | type) == "array"'
expect "raw unknown op: exit 1" 1 '"ok":false' -- "$CTL" --socket "$SOCK" raw '{"op":"frob"}'
expect "raw unknown op --json: exit 1" 1 '' -- "$CTL" --socket "$SOCK" --json raw '{"op":"frob"}'
jcase "raw unknown op --json: the agent's error" '.ok == false and (.error | length > 0)'

# watch --count 1: one change line after the answer (a mount in the state dir makes one)
WLOOP=$(new_loop 8) || not_ok "watch: loop" "no loop"
watch_case() { # MODE(text|json) ACTION: watch for one change while ACTION runs
    local mode=$1 out=$T_TMP/watch.$1 j=
    [ "$mode" = json ] && j=--json
    timeout 20 "$CTL" --socket "$SOCK" $j watch --count 1 >"$out" 2>&1 &
    local w=$!
    for _ in $(seq 100); do grep -q watching "$out" && break; sleep 0.05; done
    eval "$2"
    wait $w
    local rc=$?
    T_OUT=$(cat "$out")
    if [ $rc -ne 0 ]; then not_ok "watch $mode" "exit $rc: $T_OUT"
    elif [ "$(wc -l <"$out")" != 2 ]; then not_ok "watch $mode" "not 2 lines: $T_OUT"
    elif [ "$(sed -n 1p "$out")" != '{"ok":true,"watching":true}' ]; then not_ok "watch $mode" "first line: $T_OUT"
    elif ! sed -n 2p "$out" | jq -e '.event and .record.device' >/dev/null 2>&1; then not_ok "watch $mode" "change line: $T_OUT"
    else ok "watch --count 1 ($mode): the answer, then one change line, exit 0"; fi
}
WB=$(new_bundle w1 plain)
watch_case text "mount $WLOOP $WB/rootfs"
watch_case json "umount $WB/rootfs"

# (the monitor keeps its stdout: a file, not expect's pipe)
ur create --bundle "$B1" cb1 >"$T_TMP/cb1.out" 2>&1 && ok "create cb1 (block rootfs, spt)" ||
    not_ok "create cb1" "$(cat "$T_TMP/cb1.out")"
ST1=$(ur state cb1)

# ---- a running netecho container with a tap
BN=$T_TMP/bn; net_bundle "$BN" netecho "$NSC"
ur create --bundle "$BN" cn1 >"$T_TMP/cn1.out" 2>&1 && ur start cn1 && guest_ready "$T_TMP/cn1.out" $IP &&
    ok "cn1 (netecho) runs" || not_ok "cn1 runs" "$(tail -3 "$T_TMP/cn1.out")"

# ---- explain ID: the block container, created (monitor held)
expect "explain cb1 (text): exit 0" 0 '' -- "$CTL" --socket "$SOCK" --root "$RT_ROOT" explain cb1
for want in "status:     created, monitor pid $(echo "$ST1" | jq .pid)" "monitor:    spt, $SPT" "memory:     64 MiB (--mem)" \
    "rootfs:     rootfs-block, $LOOP ($MA:$MI) ext4" "chosen by:  annotation: the agent's annotation in config.json, verified" \
    "net:        none" "agent:      no record: agent says: no record for bundle $B1" \
    "annotated:  block $LOOP ($MA:$MI) ext4" "agreement:  the agent's record names the device the runtime took"; do
    printf '%s\n' "$T_OUT" | grep -qF -- "$want" && ok "explain cb1 says \"${want:0:40}...\"" ||
        not_ok "explain cb1 text" "no \"$want\" in: $(echo "$T_OUT" | tr '\n' '|')"
done
expect "explain cb1 --json: exit 0" 0 '' -- "$CTL" --socket "$SOCK" --root "$RT_ROOT" --json explain cb1
CMD1=$(jq -r .vmm_cmdline "$RT_ROOT/cb1/state.json")
JQ_ARGS=(--argjson st "$ST1" --arg d "$LOOP" --argjson ma "$MA" --argjson mi "$MI" --arg spt "$SPT" --argjson rec "$AGENT_REC")
jcase "explain cb1 --json: status, pid and bundle as uniroot state says" '.runtime == "uniroot" and .status == $st.status and .pid == $st.pid and .bundle == $st.bundle and .created == $st.created'
jcase "explain cb1 --json: the rootfs decision as the runtime logged it" '.decision.version == 1 and .decision.rootfs.outcome == $st.annotations["dev.uniroot.rootfs.outcome"] and .decision.rootfs.source == "annotation" and .decision.rootfs.source == $st.annotations["dev.uniroot.rootfs.source"] and .decision.rootfs.reason == $st.annotations["dev.uniroot.rootfs.reason"]'
jcase "explain cb1 --json: the device taken is the loop device ($MA:$MI)" '.decision.rootfs.device == $d and .decision.rootfs.major == $ma and .decision.rootfs.minor == $mi and .decision.rootfs.fstype == "ext4"'
jcase "explain cb1 --json: monitor, memory, no net" '.decision.hypervisor == "spt" and .decision.monitor == $spt and .decision.mem_mb == 64 and .decision.net == []'
jcase "explain cb1 --json: the agent has no record now (the rootfs was unmounted for the guest), its annotation at create is its answer before, agreeing" '.agent.state == "no-record" and .agent.record == null and .agent.annotation == $rec and .agrees == true'
JQ_ARGS=()
[[ "$CMD1" == "$SPT "*" --mem=64 --block:rootfs=/proc/self/fd/"* ]] && ok "the monitor's argv has what explain says (--mem=64, the block rootfs)" ||
    not_ok "monitor argv" "$CMD1"
kill -0 "$(echo "$ST1" | jq .pid)" 2>/dev/null && ok "explain's pid is the live monitor" || not_ok "monitor pid" "not alive"

# ---- explain ID: the running netecho container and its tap
expect "explain cn1 (text): exit 0" 0 'status: +running, monitor pid [0-9]+' -- "$CTL" --socket "$SOCK" --root "$RT_ROOT" explain cn1
TAP=$(jq -r '.devices[0].state.tap.name // .devices[0].state.tap' "$RT_ROOT/cn1/net.json" 2>/dev/null)
printf '%s\n' "$T_OUT" | grep -qF "net:        service: tap $TAP, mac $MAC, on $VC in $NSC" &&
    ok "explain cn1 names the tap, the MAC, the interface and the namespace" || not_ok "explain cn1 net" "tap $TAP: $(echo "$T_OUT" | grep net: )"
printf '%s\n' "$T_OUT" | grep -q "agent:      no record: agent says: no record for bundle $BN" &&
    ok "explain cn1: the agent has no record of a bundle outside its state dir" || not_ok "explain cn1 agent" "$(echo "$T_OUT" | grep agent:)"
expect "explain cn1 --json: exit 0" 0 '' -- "$CTL" --socket "$SOCK" --root "$RT_ROOT" --json explain cn1
ip -n "$C" link show "$TAP" 2>/dev/null | grep -q "$TAP" && ok "the tap $TAP exists in $C" || not_ok "tap" "$TAP not in $C"
JQ_ARGS=(--arg tap "$TAP" --arg mac "$MAC" --arg vc "$VC" --arg ns "$NSC" --argjson pid "$(ur state cn1 | jq .pid)")
jcase "explain cn1 --json: running, its pid, the net device as made" '.status == "running" and .pid == $pid and .decision.net == [{"name":"service","tap":$tap,"mac":$mac,"iface":$vc,"netns":$ns}] and .decision.rootfs.outcome == "none" and .decision.rootfs.source == "none" and .agent.state == "no-record" and .agrees == null'
JQ_ARGS=()

# ---- explain: unknown, invalid, corrupt, hostile
expect "explain unknown id: exit 3" 3 "no container \"nope\" in $RT_ROOT" -- "$CTL" --socket "$SOCK" --root "$RT_ROOT" explain nope
expect "explain unknown id --json: exit 3" 3 '' -- "$CTL" --socket "$SOCK" --root "$RT_ROOT" --json explain nope
jcase "explain unknown id --json: {\"error\"}" '(.error | test("no container \"nope\"")) and (keys == ["error"])'
expect "explain unknown id, default root: exit 3, says to pass --root" 3 'pass the same --root' -- "$CTL" --socket "$SOCK" explain nope-$$
expect "explain invalid id: exit 64" 64 'invalid container id' -- "$CTL" --root "$RT_ROOT" explain ..
expect "explain invalid id --json: exit 64" 64 '' -- "$CTL" --root "$RT_ROOT" --json explain 'a b'
jcase "explain invalid id --json: {\"error\"}" '.error | test("invalid container id")'
mkdir -p "$RT_ROOT/bad1" "$RT_ROOT/bad2" "$RT_ROOT/bad3"
echo 'garbage{' >"$RT_ROOT/bad1/state.json"
echo '{"uniroot":{"version":1},"id":"bad2","pid":"12"}' >"$RT_ROOT/bad2/state.json"
ln -s "$RT_ROOT/cb1/state.json" "$RT_ROOT/bad3/state.json"
at_exit "rm -rf $RT_ROOT/bad1 $RT_ROOT/bad2 $RT_ROOT/bad3"
expect "explain corrupt state (not JSON): exit 4" 4 'bad1.*state.json is not a JSON object' -- "$CTL" --root "$RT_ROOT" explain bad1
expect "explain corrupt state (a wrong type): exit 4" 4 '"pid" is not a whole number' -- "$CTL" --root "$RT_ROOT" explain bad2
expect "explain hostile state (a symlink): exit 4" 4 'symlink: refused' -- "$CTL" --root "$RT_ROOT" explain bad3
expect "explain corrupt state --json: exit 4" 4 '' -- "$CTL" --root "$RT_ROOT" --json explain bad1
jcase "explain corrupt state --json: {\"error\"}" '.error | test("not a JSON object")'

# ---- usage
expect "--help: exit 0, the whole usage" 0 'exit status:' -- "$CTL" --help
for w in 'explain CONTAINER_ID' '--json' '--root DIR' '64  bad command line' 'status '; do
    printf '%s\n' "$T_OUT" | grep -qF -- "$w" && ok "--help covers \"$w\"" || not_ok "--help" "no \"$w\""
done
expect "unknown command: exit 64" 64 'usage: unirootctl' -- "$CTL" frob
expect "unknown command --json: exit 64" 64 '' -- "$CTL" --json frob
jcase "unknown command --json: {\"error\"}" '.error | test("usage")'

# ---- an agent that answers "not ok": status exits 1
FAKE=$T_TMP/fake.sock
python3 - "$FAKE" >/dev/null 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(8)
while True:
    c, _ = s.accept(); c.recv(65536); c.sendall(b'{"ok":false,"error":"shutting down"}\n'); c.close()
PY
at_exit "kill $!"
for _ in $(seq 50); do [ -S "$FAKE" ] && break; sleep 0.1; done
expect "status, agent not ready: exit 1" 1 'agent not ready: agent says: shutting down' -- "$CTL" --socket "$FAKE" status
expect "status --json, agent not ready: exit 1" 1 '' -- "$CTL" --socket "$FAKE" --json status
jcase "status --json, agent not ready: ready false" '.ready == false and .ok == false and (.reason | test("shutting down"))'

# ---- the agent stopped
agent_stop
expect "status, agent stopped: exit 2" 2 "connect $SOCK" -- "$CTL" --socket "$SOCK" status
expect "status --json, agent stopped: exit 2" 2 '' -- "$CTL" --socket "$SOCK" --json status
jcase "status --json, agent stopped: {\"error\"}" '.error | test("connect")'
expect "list, agent stopped: exit 2" 2 'connect' -- "$CTL" --socket "$SOCK" list
expect "get --json, agent stopped: exit 2" 2 '"error"' -- "$CTL" --socket "$SOCK" --json get "$B1"
expect "explain cb1, agent stopped: exit 0" 0 'agent: +unreachable: connect' -- "$CTL" --socket "$SOCK" --root "$RT_ROOT" explain cb1
expect "explain cb1 --json, agent stopped: exit 0" 0 '' -- "$CTL" --socket "$SOCK" --root "$RT_ROOT" --json explain cb1
JQ_ARGS=(--arg d "$LOOP")
jcase "explain cb1 --json, agent stopped: the runtime's side intact, compared with the annotation" '.agent.state == "unreachable" and .agrees == true and .decision.rootfs.device == $d and .decision.rootfs.source == "annotation"'
JQ_ARGS=()
# a block container created now: no annotation, no agent, the runtime's fallback
LOOP2=$(block_image 2) || not_ok "loop 2" "none"
B2=$(block_bundle cb2)
mount "$LOOP2" "$B2/rootfs"
ur create --bundle "$B2" cb2 >"$T_TMP/cb2.out" 2>&1 && ok "create cb2 with the agent stopped" ||
    not_ok "create cb2" "$(cat "$T_TMP/cb2.out")"
expect "explain cb2 (text): fallback" 0 'chosen by: +libmount: fallback: the runtime' -- "$CTL" --socket "$SOCK" --root "$RT_ROOT" explain cb2
expect "explain cb2 --json" 0 '' -- "$CTL" --socket "$SOCK" --root "$RT_ROOT" --json explain cb2
JQ_ARGS=(--arg d "$LOOP2" --argjson st "$(ur state cb2)")
jcase "explain cb2 --json: libmount decided, as the runtime recorded" '.decision.rootfs.source == "libmount" and .decision.rootfs.source == $st.annotations["dev.uniroot.rootfs.source"] and .decision.rootfs.device == $d and (.decision.rootfs.trace | test("agent: skipped")) and .agent.state == "unreachable" and .agent.annotation == null and .agrees == null'
JQ_ARGS=()
agent_log_clean
finish
