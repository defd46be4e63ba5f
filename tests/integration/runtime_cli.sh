#!/bin/bash
# runtime_cli.sh: the uniroot OCI runtime's CLI on the host, no /dev/kvm:
# UNIROOT_VMM is the stand-in monitor (tests/helpers/standin_vmm.c), which
# speaks the --ready-fd/--start-fifo protocol and records its argv. Covers
# refusals of bad bundles (one line on stderr, the same message as JSON in
# --log, nothing left behind), the create/start protocol (create holds,
# start releases, a monitor's "error: MSG"), state/kill/delete/list/ps/
# pause/resume, exit statuses through run, idempotent delete, locking,
# cgroups, namespaces given by path, --preserve-fds, --console-socket,
# urunc.json, spec/features. What needs a real guest is in
# runtime_lifecycle.sh. The script is init of its own pid namespace: it
# reaps the monitors that outlive `create`, as containerd's shim does.
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
STANDIN=$UR_TOP/build/bin/standin-vmm
export UNIROOT_VMM=$STANDIN
. "$(dirname "$0")/runtime_lib.inc"

for f in "$UNIROOT" "$STANDIN" "$GUESTS/hello.hvt" "$GUESTS/ext4label.hvt"; do
    [ -e "$f" ] || { skip runtime-cli "$f is not built (make all)"; finish; exit; }
done
PY=/usr/bin/python3
for t in "$PY" jq; do
    command -v "$t" >/dev/null || { skip runtime-cli "$t is not installed (JSON checks)"; finish; exit; }
done
export STANDIN_VMM_LOG=$T_TMP/vmm.log
at_exit rt_cleanup
CGN=uniroot-standin-$(cut -d" " -f22 /proc/self/stat)$RANDOM # $$ is 1 in our pid namespace
at_exit "rmdir /sys/fs/cgroup/*/$CGN/* /sys/fs/cgroup/*/$CGN /sys/fs/cgroup/$CGN/* /sys/fs/cgroup/$CGN"

pid_of() { ur state "$1" 2>/dev/null | grep -o '"pid":[[:space:]]*[0-9]*' | grep -o '[0-9]*$'; }
# argv_of ID: the argv the stand-in recorded for container ID
argv_of() { grep "start-fifo=$RT_ROOT/$1/start.fifo" "$STANDIN_VMM_LOG" | tail -1; }
# --- bad bundles
B=$T_TMP/hello
make_bundle "$B" hello '"com.urunc.unikernel.cmdline":"standin:sleep=60"'
bad() { # bad NAME: a copy of the hello bundle in $T_TMP/NAME, config.json to be edited
    rm -rf "${T_TMP:?}/$1"; cp -r "$B" "$T_TMP/$1"; echo "$T_TMP/$1"
}
X=$(bad nocfg); rm "$X/config.json"
refuse "no config.json" "cannot open $X/config.json: No such file or directory" ur create --bundle "$X" c1
X=$(bad malformed); echo '{"ociVersion":"1.0.2","root":{"path":"rootfs"' >"$X/config.json"
refuse "malformed config.json" '^config.json is not a valid JSON object$' ur create --bundle "$X" c1
X=$(bad array); echo '[1,2]' >"$X/config.json"
refuse "config.json not an object" '^config.json is not a valid JSON object$' ur create --bundle "$X" c1
X=$(bad noroot); sed -i 's#"root":{"path":"rootfs"},##' "$X/config.json"
refuse "root.path missing" '^config.json: root.path is missing$' ur create --bundle "$X" c1
X=$(bad rootnum); sed -i 's#"root":{"path":"rootfs"}#"root":{"path":5}#' "$X/config.json"
refuse "root.path of the wrong type" '^config.json: root.path is missing$' ur create --bundle "$X" c1
X=$(bad annarr); sed -i 's#"annotations":{#"annotations":["x"],"a":{#' "$X/config.json"
refuse "annotations of the wrong type" '^config.json: annotations is not an object$' ur create --bundle "$X" c1
X=$(bad argsnum); sed -i 's#"args":\["/unikernel/hello.hvt"\]#"args":["/unikernel/hello.hvt",7]#' "$X/config.json"
refuse "process.args holding a number" '^config.json: process.args holds a non-string$' ur create --bundle "$X" c1
X=$(bad argsstr); sed -i 's#"args":\["/unikernel/hello.hvt"\]#"args":"/unikernel/hello.hvt"#' "$X/config.json"
refuse "process.args a string" '^config.json: process.args is not an array$' ur create --bundle "$X" c1
X=$(bad procstr); sed -i 's#"process":{"args":\["/unikernel/hello.hvt"\],"cwd":"/"}#"process":"x"#' "$X/config.json"
refuse "process a string" '^config.json: process is not an object$' ur create --bundle "$X" c1
X=$(bad nsobj); sed -i 's#"namespaces":\[{"type":"pid"},{"type":"mount"}\]#"namespaces":{"type":"pid"}#' "$X/config.json"
refuse "linux.namespaces an object" '^config.json: linux.namespaces is not an array$' ur create --bundle "$X" c1
X=$(bad nstype); sed -i 's#{"type":"pid"}#{"type":"bogus"}#' "$X/config.json"
refuse "unknown namespace type" '^config.json: unknown namespace type "bogus"$' ur create --bundle "$X" c1
X=$(bad nspath); sed -i 's#{"type":"pid"}#{"type":"pid","path":7}#' "$X/config.json"
refuse "namespace path a number" '^config.json: namespace pid has a bad path$' ur create --bundle "$X" c1
X=$(bad nsgone); sed -i 's#{"type":"pid"}#{"type":"network","path":"/proc/nosuch/ns/net"}#' "$X/config.json"
refuse "namespace path that does not exist" '^cannot join namespace /proc/nosuch/ns/net: No such file or directory$' ur create --bundle "$X" c1
X=$(bad cgnum); sed -i 's#"linux":{#"linux":{"cgroupsPath":5,#' "$X/config.json"
refuse "cgroupsPath a number" '^config.json: linux.cgroupsPath is not a string$' ur create --bundle "$X" c1
X=$(bad cgdots); sed -i 's#"linux":{#"linux":{"cgroupsPath":"/a/../b",#' "$X/config.json"
refuse "cgroupsPath with .." 'cgroupsPath "/a/../b" holds "." or ".."' ur create --bundle "$X" c1
X=$(bad cgsd); sed -i 's#"linux":{#"linux":{"cgroupsPath":"system.slice:uniroot:x",#' "$X/config.json"
refuse "systemd cgroupsPath" 'is a systemd path; uniroot uses the cgroupfs driver' ur create --bundle "$X" c1
X=$(bad annnum); sed -i 's#"com.urunc.unikernel.cmdline":"standin:sleep=60"#"com.urunc.unikernel.cmdline":60#' "$X/config.json"
refuse "annotation of the wrong type" '^annotation com.urunc.unikernel.cmdline is not a string$' ur create --bundle "$X" c1
X=$(bad mrmaybe); sed -i 's#"com.urunc.unikernel.cmdline"#"com.urunc.unikernel.mountRootfs":"maybe","com.urunc.unikernel.x"#' "$X/config.json"
refuse "mountRootfs neither true nor false" 'mountRootfs: "maybe" is not true or false' ur create --bundle "$X" c1
X=$(bad nobinary); sed -i 's#"com.urunc.unikernel.binary":"/unikernel/hello.hvt",##' "$X/config.json"
refuse "binary annotation missing" 'com.urunc.unikernel.binary is missing$' ur create --bundle "$X" c1
X=$(bad relbinary); sed -i 's#"com.urunc.unikernel.binary":"/unikernel/hello.hvt"#"com.urunc.unikernel.binary":"unikernel/hello.hvt"#' "$X/config.json"
refuse "binary not absolute" 'binary must be an absolute path in the rootfs' ur create --bundle "$X" c1
X=$(bad notype); sed -i 's#"com.urunc.unikernel.unikernelType":"solo5",##' "$X/config.json"
refuse "unikernelType missing" 'unikernelType is missing$' ur create --bundle "$X" c1
X=$(bad badtype); sed -i 's#unikernelType":"solo5"#unikernelType":"linux"#' "$X/config.json"
refuse "unsupported unikernel type" 'unikernel type "linux" is not supported on hvt \(supported: ' ur create --bundle "$X" c1
X=$(bad qemu); sed -i 's#"hvt"#"qemu"#' "$X/config.json"
refuse "hypervisor qemu" 'hypervisor "qemu" is not supported.*hvt' ur create --bundle "$X" c1
X=$(bad missing); rm "$X/rootfs/unikernel/hello.hvt"
refuse "missing binary" '^annotations: unikernel binary \(com.urunc.unikernel.binary\): /unikernel/hello.hvt: not found in the rootfs$' ur create --bundle "$X" c1
X=$(bad dirbinary); rm "$X/rootfs/unikernel/hello.hvt"; mkdir "$X/rootfs/unikernel/hello.hvt"
refuse "binary that is a directory" '^annotations: unikernel binary \(com.urunc.unikernel.binary\): /unikernel/hello.hvt: is a directory, not a regular file$' ur create --bundle "$X" c1
X=$(bad notelf); echo "not an ELF" >"$X/rootfs/unikernel/hello.hvt"
refuse "binary that is not ELF" 'hello.hvt is not a Solo5 hvt unikernel: not an ELF file$' ur create --bundle "$X" c1
X=$(bad notsolo5); cp /bin/true "$X/rootfs/unikernel/hello.hvt"
refuse "ELF that is not a Solo5 unikernel" 'hello.hvt is not a Solo5 hvt unikernel: not a statically linked executable' ur create --bundle "$X" c1
make_bundle "$T_TMP/wantsblk" ext4label
refuse "a guest needing a block rootfs without one" 'needs block device "rootfs", but the rootfs is not handed over as one: mountRootfs is not set' ur create --bundle "$T_TMP/wantsblk" c1
X=$(bad initrd); sed -i 's#"com.urunc.unikernel.cmdline"#"com.urunc.unikernel.initrd":"/initrd.img","com.urunc.unikernel.x"#' "$X/config.json"
refuse "initrd refused for hvt" 'boots from an initrd \(/initrd.img\), which hypervisor hvt cannot load' ur create --bundle "$X" c1
X=$(bad noimage); sed -i 's#"com.urunc.unikernel.cmdline"#"com.urunc.unikernel.block":"/nosuch.img","com.urunc.unikernel.blkMntPoint":"/","com.urunc.unikernel.x"#' "$X/config.json"
refuse "missing block image" '^annotations: block image \(com.urunc.unikernel.block\): /nosuch.img: not found in the rootfs$' ur create --bundle "$X" c1
# urunc.json (values base64) when the annotations are not there
b64() { printf %s "$1" | base64 -w0; }
X=$(bad ujbad); echo '{"ociVersion":"1.0.2","process":{"args":["x"]},"root":{"path":"rootfs"}}' >"$X/config.json"
printf '{"com.urunc.unikernel.unikernelType":"%s","com.urunc.unikernel.hypervisor":"%s","com.urunc.unikernel.binary":"%s"}' \
    "$(b64 solo5)" "h v t" "$(b64 /unikernel/hello.hvt)" >"$X/rootfs/urunc.json"
refuse "urunc.json with a value that is not base64" 'not valid base64' ur create --bundle "$X" c1
echo '[1]' >"$X/rootfs/urunc.json"
refuse "urunc.json not an object" '^urunc.json is not a JSON object$' ur create --bundle "$X" c1
refuse "--systemd-cgroup" 'systemd-cgroup is not supported' ur --systemd-cgroup create --bundle "$B" c1
refuse "bad container id" 'invalid container id' ur create --bundle "$B" 'a/b'
refuse "unknown command" 'unknown command' ur frobnicate
refuse "create without an id" 'create: a container id is required' ur create --bundle "$B"
refuse "state of a container that does not exist" '^container "nosuch" does not exist$' ur state nosuch
refuse "unknown signal" 'kill: unknown signal "SIGFOO"' ur kill nosuch SIGFOO
expect "--log-format text" 1 '' -- "$UNIROOT" --root "$RT_ROOT" --log "$T_TMP/text.log" --log-format text state nosuch
grep -q '^time=".*" level=error msg="container \\"nosuch\\" does not exist"' "$T_TMP/text.log" &&
    ok "text log format" || not_ok "text log format" "$(cat "$T_TMP/text.log")"
[ ! -s "$STANDIN_VMM_LOG" ] && ok "refused bundles never start a monitor" ||
    not_ok "refused bundles never start a monitor" "$(cat "$STANDIN_VMM_LOG")"

# --- the monitor's own setup failure: "error: MSG" on the ready fd
refuse "the monitor's error reaches create" '^uniroot-vmm: cannot map guest memory$' \
    env STANDIN_VMM_FAIL="cannot map guest memory" "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$B" f1
X=$(bad cmdfail); sed -i 's#standin:sleep=60#standin:fail=bad%20guest#' "$X/config.json"
refuse "the monitor's error from the guest's cmdline" '^uniroot-vmm: bad%20guest$' ur create --bundle "$X" f2
refuse "a monitor exiting without a word" 'uniroot-vmm could not set up the guest \(exit status 1; its message is on the container.s stderr\)' \
    env UNIROOT_VMM=/bin/false "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$B" f3
printf '#!/bin/sh\nkill -9 $$\n' >"$T_TMP/selfkill"; chmod +x "$T_TMP/selfkill"
refuse "a monitor killed during setup" 'uniroot-vmm died during setup \(signal 9\)' \
    env UNIROOT_VMM="$T_TMP/selfkill" "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$B" f4
refuse "a monitor that cannot be run" '^cannot run /nonexistent/vmm: No such file or directory$' \
    env UNIROOT_VMM=/nonexistent/vmm "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$B" f5
[ -z "$(ls "$RT_ROOT" 2>/dev/null)" ] && ok "refused creates leave nothing" || not_ok "refused creates leave nothing" "$(ls "$RT_ROOT")"

# --- create holds, start releases
CG=/$CGN/c1
make_bundle "$T_TMP/hold" hello '"com.urunc.unikernel.cmdline":"one two standin:sleep=30"' "$CG"
ur create --bundle "$T_TMP/hold" --pid-file "$T_TMP/hold.pid" hold >"$T_TMP/hold.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "create" || not_ok "create" "rc $rc: $(cat "$T_TMP/hold.out")"
PID=$(cat "$T_TMP/hold.pid" 2>/dev/null)
if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null && grep -q standin-vmm "/proc/$PID/cmdline"; then
    ok "pid file names the live monitor ($PID)"
else
    not_ok "pid file names the live monitor" "pid '$PID'"
fi
[ "$(pid_of hold)" = "$PID" ] && ok "state pid = pid file" || not_ok "state pid = pid file" "$(pid_of hold) vs $PID"
A=$(argv_of hold)
echo "$A" | grep -qE "^argv $STANDIN --ready-fd=3 --start-fifo=$RT_ROOT/hold/start.fifo --mem=512 -- /proc/self/fd/4 one%20two%20standin:sleep=30$" &&
    ok "monitor argv: ready fd 3, start fifo, --, kernel (its inherited fd 4), cmdline as one argument" || not_ok "monitor argv" "$A"
K=$(grep -A2 -F -- "--start-fifo=$RT_ROOT/hold/start.fifo " "$STANDIN_VMM_LOG" | grep -m1 '^kernel ')
echo "$K" | grep -qE "^kernel 100[0-7]{3} [0-9]+:[0-9]+ $(stat -c %i "$T_TMP/hold/rootfs/unikernel/hello.hvt") " &&
    ok "monitor's fd 4 is the rootfs's /unikernel/hello.hvt" || not_ok "monitor's kernel fd" "$K"
[ -p "$RT_ROOT/hold/start.fifo" ] && ok "start fifo in the state dir" || not_ok "start fifo" "$(ls -l "$RT_ROOT/hold")"
[ "$(readlink /proc/$PID/fd/3 2>/dev/null)" = "" ] && ok "ready fd closed after ready" || not_ok "ready fd closed" "$(readlink /proc/$PID/fd/3)"
grep -q 'standin-vmm: running' "$T_TMP/hold.out" && not_ok "create holds the guest" "it ran at create" || ok "create holds the guest"
sleep 0.3
grep -q 'standin-vmm: running' "$T_TMP/hold.out" && not_ok "still held 0.3 s later" "it ran" || ok "still held 0.3 s later"
[ "$(awk '{print $6}' /proc/$PID/stat)" = "$PID" ] && ok "the monitor is a session leader" || not_ok "session leader" "$(cat /proc/$PID/stat)"
expect "state: created" 0 '"status":[[:space:]]*"created"' -- ur state hold
echo "$T_OUT" | "$PY" -c 'import json, sys
s = json.load(sys.stdin); a = s["annotations"]
assert s["ociVersion"] and s["id"] == "hold" and s["pid"] == int(sys.argv[1]) and s["bundle"] == sys.argv[2], s
assert a["dev.uniroot.rootfs.outcome"] == "none" and a["com.urunc.unikernel.cmdline"].startswith("one two"), a' "$PID" "$T_TMP/hold" 2>"$T_TMP/py.err" &&
    ok "state: OCI fields, pid, bundle, annotations and the rootfs decision" || not_ok "state fields" "$(tail -1 "$T_TMP/py.err")"
expect "ps --format json" 0 "^\[$PID\]$" -- ur ps --format json hold
expect "ps table" 0 "standin-vmm" -- ur ps hold
expect "list" 0 "hold +$PID +created" -- ur list
expect "list -q" 0 '^hold$' -- ur list -q
expect "list --format json" 0 '"id":"hold"' -- ur list --format json
refuse "list with an unknown format" 'list: unknown format "xml"' ur list --format xml
n=$(grep -c ":/$CGN/c1\$" "/proc/$PID/cgroup")
[ "$n" -ge 1 ] && ok "monitor joined linux.cgroupsPath ($n hierarchies)" || not_ok "monitor joined linux.cgroupsPath" "$(tr '\n' ' ' </proc/$PID/cgroup)"
refuse "pause a created container" '^container not running$' ur pause hold
refuse "resume a created container" '^container not paused$' ur resume hold
expect "start" 0 '' -- ur start hold
for i in $(seq 50); do grep -q 'standin-vmm: running' "$T_TMP/hold.out" && break; sleep 0.1; done
grep -q "standin-vmm: running /proc/self/fd/4 one two" "$T_TMP/hold.out" &&
    ok "start releases the monitor" || not_ok "start releases the monitor" "$(cat "$T_TMP/hold.out")"
expect "state: running" 0 '"status":[[:space:]]*"running"' -- ur state hold
refuse "start a running container" 'cannot start a container that is running' ur start hold
refuse "delete a running container without --force" 'not stopped: running' ur delete hold
expect "pause" 0 '' -- ur pause hold
grep -q '^State:.*T (stopped)' /proc/$PID/status && ok "paused monitor is stopped (SIGSTOP)" || not_ok "paused" "$(grep State /proc/$PID/status)"
expect "state: paused" 0 '"status":[[:space:]]*"paused"' -- ur state hold
refuse "pause a paused container" '^container not running$' ur pause hold
expect "resume" 0 '' -- ur resume hold
grep -q '^State:.*T (stopped)' /proc/$PID/status && not_ok "resumed monitor runs" "still stopped" || ok "resumed monitor runs"
expect "state: running again" 0 '"status":[[:space:]]*"running"' -- ur state hold
refuse "exec is refused" 'exec is not supported for unikernel containers' ur exec hold /bin/sh
expect "kill SIGTERM by name" 0 '' -- ur kill hold SIGTERM
wait_status hold stopped && ok "SIGTERM stops the monitor" || not_ok "SIGTERM stops the monitor" "$(ur state hold)"
refuse "start a stopped container" 'cannot start a container that is stopped' ur start hold
refuse "kill a stopped container" '^container not running$' ur kill hold KILL
expect "kill --all a stopped container succeeds" 0 '' -- ur kill --all hold 9
expect "delete" 0 '' -- ur delete hold
[ ! -e "$RT_ROOT/hold" ] && ok "state dir removed" || not_ok "state dir removed" "$(ls "$RT_ROOT/hold")"
left=$(ls -d /sys/fs/cgroup/*/$CGN/c1 /sys/fs/cgroup/$CGN/c1 2>/dev/null)
[ -z "$left" ] && ok "cgroups removed at delete" || not_ok "cgroups removed at delete" "$left"
expect "delete is idempotent" 0 '' -- ur delete hold
expect "delete --force of nothing" 0 '' -- ur delete --force hold
refuse "state of a deleted container" 'does not exist' ur state hold

# --- kill and death of a created container
ur create --bundle "$B" kc >/dev/null 2>&1
expect "kill TERM a created container" 0 '' -- ur kill kc TERM
wait_status kc stopped && ok "killed monitor shows stopped" || not_ok "killed monitor shows stopped" "$(ur state kc)"
refuse "start after the monitor died" 'cannot start a container that is stopped' ur start kc
expect "delete after kill" 0 '' -- ur delete kc
ur create --bundle "$B" dead >/dev/null 2>&1
kill -9 "$(pid_of dead)"
wait_status dead stopped && ok "monitor killed behind our back shows stopped" || not_ok "dead monitor" "$(ur state dead)"
expect "delete of a created container (no --force needed)" 0 '' -- ur delete dead
ur create --bundle "$B" kall >/dev/null 2>&1 && ur start kall
P=$(pid_of kall)
expect "kill --all signals the process group" 0 '' -- ur kill --all kall KILL
wait_status kall stopped && ok "kill --all: monitor gone" || not_ok "kill --all" "$(ur state kall)"
ur delete kall
ur create --bundle "$B" sl2 >/dev/null 2>&1 && ur start sl2
P=$(pid_of sl2)
expect "delete --force a running container" 0 '' -- ur delete --force sl2
[ ! -e "$RT_ROOT/sl2" ] && ok "forced delete removed the state" || not_ok "forced delete" "state left"
kill -0 "$P" 2>/dev/null && not_ok "forced delete killed the monitor" "pid $P alive" || ok "forced delete killed the monitor"
ur create --bundle "$B" pz >/dev/null 2>&1 && ur start pz && ur pause pz
expect "delete --force a paused container" 0 '' -- ur delete --force pz

# --- exit statuses: run, and state from a zombie nobody has reaped yet
E=$T_TMP/exit
make_bundle "$E" hello '"com.urunc.unikernel.cmdline":"standin:exit=7"'
expect "run returns the monitor's exit status" 7 'standin-vmm: running' -- ur run --bundle "$E" ex
[ ! -e "$RT_ROOT/ex" ] && ok "run deletes the container" || not_ok "run deletes the container" "left"
expect "run: exit status 0" 0 '' -- env STANDIN_VMM_EXIT=0 STANDIN_VMM_SLEEP=0 "$UNIROOT" --root "$RT_ROOT" run --bundle "$E" ex0
expect "run --keep keeps a stopped container with its status" 7 '' -- ur run --keep --bundle "$E" exk
expect "state after run --keep" 0 '"exitStatus":[[:space:]]*7' -- ur state exk
echo "$T_OUT" | grep -q '"status":[[:space:]]*"stopped"' && ok "run --keep: stopped" || not_ok "run --keep: stopped" "$T_OUT"
ur delete exk
refuse "run of a refused bundle" 'unikernel binary \(com.urunc.unikernel.binary\): /unikernel/hello.hvt: not found in the rootfs$' ur run --bundle "$T_TMP/missing" rx
"$UNIROOT" --root "$RT_ROOT" run --bundle "$B" rsig >"$T_TMP/rsig.out" 2>&1 &
RP=$!
for i in $(seq 50); do grep -q 'standin-vmm: running' "$T_TMP/rsig.out" && break; sleep 0.1; done
kill -TERM "$RP"; wait "$RP"; rc=$?
[ $rc -eq 143 ] && ok "run forwards SIGTERM; status 128+15" || not_ok "run forwards SIGTERM" "rc $rc: $(cat "$T_TMP/rsig.out")"
[ ! -e "$RT_ROOT/rsig" ] && ok "signalled run deletes the container" || not_ok "signalled run deletes" "left"
"$PY" -c 'import ctypes, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
time.sleep(60)' "$UNIROOT" --root "$RT_ROOT" create --bundle "$E" zz &
NR=$!
at_exit "kill -9 $NR"
wait_status zz created 50 && ur start zz
wait_status zz stopped
expect "a dead monitor shows stopped with its exit status (zombie)" 0 '"exitStatus":[[:space:]]*7' -- ur state zz
kill -9 "$NR"; wait "$NR" 2>/dev/null; sleep 0.2 # the zombie goes to us and is reaped
expect "the exit status is kept after the zombie is gone" 0 '"exitStatus":[[:space:]]*7' -- ur state zz
ur delete zz

# --- locking
ur create --bundle "$B" lk >/dev/null 2>&1
(ur start lk >"$T_TMP/s1.out" 2>&1; echo $? >"$T_TMP/s1") & (ur start lk >"$T_TMP/s2.out" 2>&1; echo $? >"$T_TMP/s2") & wait
[ "$(cat "$T_TMP/s1")$(cat "$T_TMP/s2")" = "01" ] || [ "$(cat "$T_TMP/s1")$(cat "$T_TMP/s2")" = "10" ] &&
    ok "concurrent starts: exactly one succeeds" ||
    not_ok "concurrent starts" "$(cat "$T_TMP/s1" "$T_TMP/s1.out" "$T_TMP/s2" "$T_TMP/s2.out" 2>/dev/null | tr '\n' ' ')"
n=$(grep -c "start-fifo=$RT_ROOT/lk/" "$STANDIN_VMM_LOG")
[ "$n" = 1 ] && ok "one monitor for the container" || not_ok "one monitor" "$n"
# a command holding the lock makes the others wait, not fail or race
exec 9<"$RT_ROOT/lk"
flock -x 9
(sleep 0.5; flock -u 9) &
t0=$(date +%s%N)
ur kill lk KILL
t1=$(date +%s%N)
exec 9<&-
wait
[ $(((t1 - t0) / 1000000)) -ge 400 ] && ok "kill waits for the container's lock ($(((t1 - t0) / 1000000)) ms)" ||
    not_ok "kill waits for the lock" "$(((t1 - t0) / 1000000)) ms"
wait_status lk stopped; ur delete lk
ur create --bundle "$B" twice >/dev/null 2>&1 && ok "create" || not_ok "create twice" "first create failed"
refuse "create an existing id" '^container with id exists: twice$' ur create --bundle "$B" twice
[ "$(pid_of twice)" -gt 0 ] && ok "the first container survives" || not_ok "the first container survives" "$(ur state twice)"
ur delete --force twice
for i in 1 2 3 4; do (ur create --bundle "$B" race >/dev/null 2>&1; echo $? >"$T_TMP/race$i") & done; wait
[ "$(cat "$T_TMP"/race? | sort | tr -d '\n')" = "0111" ] && ok "four concurrent creates of one id: one wins" ||
    not_ok "concurrent creates" "$(cat "$T_TMP"/race? | tr '\n' ' ')"
n=$(grep -c "start-fifo=$RT_ROOT/race/" "$STANDIN_VMM_LOG")
[ "$n" = 1 ] && ok "concurrent creates started one monitor" || not_ok "concurrent creates: monitors" "$n"
ur delete --force race

# --- namespaces by path, --preserve-fds, memory limit
N=$T_TMP/ns
make_bundle "$N" hello '"com.urunc.unikernel.cmdline":"standin:sleep=30"'
unshare --net --uts --ipc sleep 60 & NSPID=$!
at_exit "kill $NSPID"
# until unshare has made them (before, /proc/NSPID/ns names ours)
for _ in $(seq 100); do [ "$(readlink /proc/$NSPID/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.02; done
sed -i "s#\"namespaces\":\[#\"resources\":{\"memory\":{\"limit\":67108864}},\"namespaces\":[{\"type\":\"network\",\"path\":\"/proc/$NSPID/ns/net\"},{\"type\":\"uts\",\"path\":\"/proc/$NSPID/ns/uts\"},{\"type\":\"ipc\",\"path\":\"/proc/$NSPID/ns/ipc\"},{\"type\":\"user\",\"path\":\"/proc/$NSPID/ns/user\"},#" "$N/config.json"
sed -i "s#{\"type\":\"mount\"}#{\"type\":\"mount\",\"path\":\"/proc/$NSPID/ns/mnt\"}#" "$N/config.json"
exec 7<"$N/config.json" 5<"$N/rootfs"
ur create --bundle "$N" --preserve-fds 5 ns1 >/dev/null 2>"$T_TMP/ns1.err"
exec 7<&- 5<&-
P=$(pid_of ns1)
bad_ns=""
for t in net uts ipc; do
    [ "$(readlink /proc/$P/ns/$t)" = "$(readlink /proc/$NSPID/ns/$t)" ] || bad_ns="$bad_ns $t"
done
[ -n "$P" ] && [ -z "$bad_ns" ] && ok "monitor joined the net, uts and ipc namespaces given by path" ||
    not_ok "monitor joined the namespaces" "pid '$P' differs:$bad_ns $(cat "$T_TMP/ns1.err")"
[ "$(readlink /proc/$P/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ] && ok "mount namespace path not joined (the monitor needs the host's files)" ||
    not_ok "mount namespace not joined" "$(readlink /proc/$P/ns/mnt)"
[ "$(readlink /proc/$P/fd/7 2>/dev/null)" = "$N/config.json" ] && [ "$(readlink /proc/$P/fd/5 2>/dev/null)" = "$N/rootfs" ] &&
    ok "--preserve-fds: fds 5 and 7 reached the monitor" || not_ok "--preserve-fds" "fd 5 $(readlink /proc/$P/fd/5 2>&1), fd 7 $(readlink /proc/$P/fd/7 2>&1)"
[ "$(readlink /proc/$P/fd/9 2>/dev/null)" = "$N/rootfs/unikernel/hello.hvt" ] && ok "the kernel is the monitor's fd 9, after the ready fd" ||
    not_ok "kernel fd" "fd 9 $(readlink /proc/$P/fd/9 2>&1)"
extra=$(ls /proc/$P/fd | sort -n | awk '$1 > 9' | tr '\n' ' ')
[ -n "$P" ] && [ -z "$extra" ] && ok "no descriptor leaks into the monitor beyond 3+N and the kernel" || not_ok "fd leak" "fds $extra: $(for f in $extra; do readlink /proc/$P/fd/$f; done | tr '\n' ' ')"
argv_of ns1 | grep -q -- ' --ready-fd=8 .* --mem=64 ' && ok "ready fd after the preserved fds; --mem from the memory limit" ||
    not_ok "ready fd / --mem" "$(argv_of ns1)"
ur delete --force ns1
sed -i 's#"limit":67108864#"limit":1000#' "$N/config.json"
expect "a memory limit below what a guest needs is refused" 1 'below the 2 MiB' -- ur create --bundle "$N" ns2
ur delete --force ns2

# --- console socket: the pty master goes to the socket, the monitor's stdio is the pty
CS=$T_TMP/console.sock
"$PY" "$UR_TOP/tests/helpers/console_recv.py" "$CS" "$T_TMP/console.out" "one two" &
CPID=$!
for i in $(seq 50); do [ -S "$CS" ] && break; sleep 0.1; done
make_bundle "$T_TMP/con" hello '"com.urunc.unikernel.cmdline":"one two standin:sleep=5"'
ur create --bundle "$T_TMP/con" --console-socket "$CS" con1 >"$T_TMP/con1.out" 2>&1
P=$(pid_of con1)
tty=$(readlink /proc/$P/fd/1 2>/dev/null)
case "$tty" in /dev/pts/*) ok "console: the monitor's stdout is a pty ($tty)" ;; *) not_ok "console: stdout is a pty" "$tty $(cat "$T_TMP/con1.out")" ;; esac
[ "$(awk '{print $7}' /proc/$P/stat 2>/dev/null)" != 0 ] && ok "console: the pty is the monitor's controlling terminal" ||
    not_ok "console: controlling terminal" "$(cat /proc/$P/stat)"
ur start con1
wait $CPID
grep -q '^name: /dev/ptmx' "$T_TMP/console.out" && grep -q "standin-vmm: running .* one two" "$T_TMP/console.out" &&
    ok "console socket: the output arrives on the master" || not_ok "console socket" "$(cat "$T_TMP/console.out")"
ur delete --force con1
refuse "console socket nobody listens on" "cannot connect to console socket $T_TMP/nosuch.sock" ur create --bundle "$B" --console-socket "$T_TMP/nosuch.sock" con2

# --- urunc.json at the rootfs root instead of annotations
U=$T_TMP/uj
mkdir -p "$U/rootfs/unikernel"; cp "$GUESTS/hello.hvt" "$U/rootfs/unikernel/"
printf '{"com.urunc.unikernel.unikernelType":"%s","com.urunc.unikernel.hypervisor":"%s","com.urunc.unikernel.binary":"%s","com.urunc.unikernel.cmdline":"%s"}' \
    "$(b64 solo5)" "$(b64 hvt)" "$(b64 /unikernel/hello.hvt)" "$(b64 from-urunc-json)" >"$U/rootfs/urunc.json"
echo '{"ociVersion":"1.0.2","process":{"args":["x"]},"root":{"path":"rootfs"}}' >"$U/config.json"
expect "urunc.json describes the unikernel" 0 'running /proc/self/fd/[0-9]+ from-urunc-json' -- ur run --bundle "$U" uj

# --- a pure cgroup v2 layout: the unified hierarchy mounted on its own as the cgroup root
CG2=$T_TMP/cg2; mkdir -p "$CG2"
if mount -t cgroup2 none "$CG2" 2>/dev/null; then
    at_exit "umount $CG2"
    at_exit "rmdir $CG2/$CGN/c1 $CG2/$CGN"
    make_bundle "$T_TMP/v2" hello '' "/$CGN/c1"
    UNIROOT_CGROUP_ROOT=$CG2 ur create --bundle "$T_TMP/v2" v2c >/dev/null 2>&1
    P=$(pid_of v2c)
    grep -qx "$P" "$CG2/$CGN/c1/cgroup.procs" 2>/dev/null && ok "cgroup v2: monitor in cgroupsPath" ||
        not_ok "cgroup v2: monitor in cgroupsPath" "$(cat "$CG2/$CGN/c1/cgroup.procs" 2>&1)"
    ur delete --force v2c
    [ ! -d "$CG2/$CGN" ] && ok "cgroup v2: removed at delete" || not_ok "cgroup v2: removed" "left"
    mkdir -p "$CG2/$CGN-pre"
    at_exit "rmdir $CG2/$CGN-pre/c1 $CG2/$CGN-pre"
    make_bundle "$T_TMP/v2b" hello '' "/$CGN-pre/c1"
    UNIROOT_CGROUP_ROOT=$CG2 ur create --bundle "$T_TMP/v2b" v2d >/dev/null 2>&1
    ur delete --force v2d
    [ -d "$CG2/$CGN-pre" ] && [ ! -d "$CG2/$CGN-pre/c1" ] && ok "cgroup v2: delete removes only the cgroups it made" ||
        not_ok "cgroup v2: only its own cgroups" "$(ls -d "$CG2/$CGN-pre"* 2>&1)"
else
    skip "cgroup v2" "cannot mount cgroup2 here"
fi

# --- ASan+UBSan build of the runtime through the same paths
if [ -x "$UNIROOT_ASAN" ]; then
    ua() { "$UNIROOT_ASAN" --root "$RT_ROOT" --log "$RT_LOG" --log-format json "$@"; }
    ua create --bundle "$B" --pid-file "$T_TMP/as.pid" as1 >"$T_TMP/as.out" 2>&1
    expect "asan: state" 0 '"status":[[:space:]]*"created"' -- ua state as1
    expect "asan: list" 0 'as1' -- ua list
    expect "asan: ps" 0 '^\[[0-9]+\]$' -- ua ps --format json as1
    expect "asan: start" 0 '' -- ua start as1
    expect "asan: pause" 0 '' -- ua pause as1
    expect "asan: resume" 0 '' -- ua resume as1
    expect "asan: kill" 0 '' -- ua kill as1 KILL
    wait_status as1 stopped
    expect "asan: delete" 0 '' -- ua delete as1
    no_sanitizer_report "asan: create" "$T_TMP/as.out"
    expect "asan: run with exit status" 7 '' -- ua run --bundle "$E" as2
    expect "asan: urunc.json" 0 'from-urunc-json' -- ua run --bundle "$U" as3
    expect "asan: refused hypervisor" 1 'not supported' -- ua create --bundle "$T_TMP/qemu" as4
    expect "asan: malformed config.json" 1 'not a valid JSON object' -- ua create --bundle "$T_TMP/malformed" as4
    expect "asan: monitor error" 1 'uniroot-vmm: x' -- env STANDIN_VMM_FAIL=x "$UNIROOT_ASAN" --root "$RT_ROOT" create --bundle "$B" as5
    expect "asan: delete --force" 0 '' -- ua delete --force as4
    expect "asan: features" 0 'hvt' -- ua features
else
    skip "asan uniroot" "build/asan/bin/uniroot is not built (make check builds it)"
fi

# --- spec, features, version, help
mkdir -p "$T_TMP/spec"
expect "spec writes config.json" 0 '' -- ur spec --bundle "$T_TMP/spec"
grep -q '"com.urunc.unikernel.hypervisor":[[:space:]]*"hvt"' "$T_TMP/spec/config.json" && ok "spec is a unikernel config" || not_ok "spec" "$(cat "$T_TMP/spec/config.json")"
refuse "spec refuses to overwrite" 'exists' ur spec --bundle "$T_TMP/spec"
expect "features" 0 '"dev.uniroot.hypervisors":[[:space:]]*"hvt,spt"' -- ur features
expect "--version" 0 'uniroot version' -- ur --version
expect "--help" 0 'create' -- ur --help
[ -z "$(ls "$RT_ROOT" 2>/dev/null)" ] && ok "nothing left in --root" || not_ok "nothing left in --root" "$(ls "$RT_ROOT")"
finish
