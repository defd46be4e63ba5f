#!/bin/bash
# runtime_lifecycle.sh: the uniroot OCI runtime through its CLI with bundles
# the test builds (hello, exit, sleep guests on uniroot-vmm): create, start,
# state, kill, delete, list, ps, run, pause/resume, exec, spec, features,
# errors in --log as JSON, locking, idempotent delete, cgroups, urunc.json.
# In a pid namespace of its own, the script is init: it reaps the VMMs that
# outlive `create` the way containerd's shim (a subreaper) does.
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.inc"

if [ ! -x "$UNIROOT" ] || [ ! -x "$VMM" ] || [ ! -f "$GUESTS/hello.hvt" ]; then
    skip runtime "build/bin/uniroot, uniroot-vmm or the guests are not built"
    finish; exit
fi
if [ ! -w /dev/kvm ]; then skip runtime "no /dev/kvm"; finish; exit; fi
at_exit rt_cleanup
CG=/uniroot-test-$$/c1
at_exit "rmdir /sys/fs/cgroup/*/uniroot-test-$$ /sys/fs/cgroup/uniroot-test-$$"

# --- create / state / ps / list / start / stopped / delete with hello
B=$T_TMP/hello
make_bundle "$B" hello '"com.urunc.unikernel.cmdline":"one two"' "$CG"
ur create --bundle "$B" --pid-file "$T_TMP/hello.pid" hello >"$T_TMP/hello.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "create" || not_ok "create" "rc $rc: $(cat "$T_TMP/hello.out")"
PID=$(cat "$T_TMP/hello.pid" 2>/dev/null)
if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null && grep -q uniroot-vmm "/proc/$PID/cmdline"; then
    ok "pid file names the live VMM ($PID)"
else
    not_ok "pid file names the live VMM" "pid '$PID'"
fi
expect "state: created" 0 '"status":[[:space:]]*"created"' -- ur state hello
expect "state: OCI fields" 0 '"ociVersion".*' -- ur state hello
echo "$T_OUT" | grep -q "\"pid\":[[:space:]]*$PID" && echo "$T_OUT" | grep -q "\"bundle\":[[:space:]]*\"$B\"" &&
    echo "$T_OUT" | grep -q '"dev.uniroot.rootfs.outcome":[[:space:]]*"none"' &&
    ok "state: pid, bundle and the rootfs decision" || not_ok "state: pid, bundle, decision" "$T_OUT"
expect "ps --format json" 0 "^\[$PID\]$" -- ur ps --format json hello
expect "ps table" 0 "uniroot-vmm" -- ur ps hello
expect "list" 0 "hello +$PID +created" -- ur list
expect "list --format json" 0 '"id":"hello"' -- ur list --format json
if grep -q "uniroot-test-$$/c1" "/proc/$PID/cgroup"; then
    ok "VMM joined linux.cgroupsPath ($(grep -c "uniroot-test-$$/c1" "/proc/$PID/cgroup") hierarchies)"
else
    not_ok "VMM joined linux.cgroupsPath" "$(cat /proc/$PID/cgroup | tr '\n' ' ')"
fi
grep -q "Hello" "$T_TMP/hello.out" && not_ok "guest held until start" "it ran at create" || ok "guest held until start"
expect "start" 0 '' -- ur start hello
wait_status hello stopped && ok "guest ran to the end: stopped" || not_ok "stopped" "$(ur state hello)"
grep -q "Hello, uniroot!" "$T_TMP/hello.out" && grep -q "one two" "$T_TMP/hello.out" &&
    ok "guest output with its cmdline" || not_ok "guest output" "$(cat "$T_TMP/hello.out")"
expect "start a stopped container fails" 1 'cannot start a container that is stopped' -- ur start hello
expect "kill a stopped container" 1 'container not running' -- ur kill hello KILL
expect "kill --all a stopped container succeeds" 0 '' -- ur kill --all hello 9
expect "delete" 0 '' -- ur delete hello
[ ! -e "$RT_ROOT/hello" ] && ok "state dir removed" || not_ok "state dir removed" "$(ls "$RT_ROOT/hello")"
ls -d /sys/fs/cgroup/*/uniroot-test-$$/c1 >/dev/null 2>&1 && not_ok "cgroups removed" "$(ls -d /sys/fs/cgroup/*/uniroot-test-$$/c1)" || ok "cgroups removed"
expect "delete is idempotent" 0 '' -- ur delete hello
expect "state of a deleted container" 1 'does not exist' -- ur state hello

# --- kill a created container, and a VMM that died shows stopped
ur create --bundle "$B" kc >/dev/null 2>&1
expect "kill TERM a created container" 0 '' -- ur kill kc TERM
wait_status kc stopped && ok "killed VMM shows stopped" || not_ok "killed VMM shows stopped" "$(ur state kc)"
expect "start after the VMM died fails" 1 'cannot start a container that is stopped' -- ur start kc
expect "delete after kill" 0 '' -- ur delete kc
ur create --bundle "$B" dead >/dev/null 2>&1
kill -9 "$(ur state dead | grep -o '"pid":[[:space:]]*[0-9]*' | grep -o '[0-9]*$')"
wait_status dead stopped && ok "VMM killed behind our back shows stopped" || not_ok "dead VMM" "$(ur state dead)"
ur delete dead

# --- sleep guest: running, kill by name, pause/resume, delete --force
S=$T_TMP/sleep
make_bundle "$S" sleep '"com.urunc.unikernel.cmdline":"forever"'
ur create --bundle "$S" sl >"$T_TMP/sleep.out" 2>&1 && ur start sl
wait_status sl running 20 && ok "sleep guest running" || not_ok "sleep guest running" "$(ur state sl)"
expect "delete a running container without --force fails" 1 'not stopped: running' -- ur delete sl
expect "pause" 0 '' -- ur pause sl
expect "state: paused" 0 '"status":[[:space:]]*"paused"' -- ur state sl
expect "resume" 0 '' -- ur resume sl
expect "state: running again" 0 '"status":[[:space:]]*"running"' -- ur state sl
expect "exec is refused" 1 'exec is not supported for unikernel containers' -- ur exec sl /bin/sh
expect "kill SIGTERM by name" 0 '' -- ur kill sl SIGTERM
wait_status sl stopped && ok "SIGTERM stops the guest" || not_ok "SIGTERM stops the guest" "$(ur state sl)"
ur delete sl
ur create --bundle "$S" sl2 >/dev/null 2>&1 && ur start sl2
expect "delete --force a running container" 0 '' -- ur delete --force sl2
[ ! -e "$RT_ROOT/sl2" ] && ok "forced delete removed the state" || not_ok "forced delete" "state left"

# --- exit status of a VMM nobody has reaped yet: created under a subreaper
# that never reaps (like a busy shim), state reads it from the zombie and keeps it
E=$T_TMP/exit
make_bundle "$E" exit '"com.urunc.unikernel.cmdline":"7"'
if command -v python3 >/dev/null; then
    python3 -c 'import ctypes, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
time.sleep(60)' "$UNIROOT" --root "$RT_ROOT" create --bundle "$E" zz &
    NR=$!
    at_exit "kill -9 $NR"
    wait_status zz created 50 && ur start zz
    wait_status zz stopped
    expect "a dead VMM shows stopped with its exit status" 0 '"exitStatus":[[:space:]]*7' -- ur state zz
    kill -9 "$NR"; wait "$NR" 2>/dev/null; sleep 0.2 # the zombie goes to us and is reaped
    expect "the exit status is kept after the zombie is gone" 0 '"exitStatus":[[:space:]]*7' -- ur state zz
    ur delete zz
else
    skip "exit status from the zombie" "python3 is not installed"
fi

# --- run: exit status of the guest, and the state is gone afterwards
expect "run returns the guest's exit status" 7 'exit: status 7' -- ur run --bundle "$E" ex
[ ! -e "$RT_ROOT/ex" ] && ok "run deletes the container" || not_ok "run deletes the container" "left"

# --- locking: two concurrent starts, exactly one wins
ur create --bundle "$B" lk >"$T_TMP/lk.out" 2>&1 || echo "create failed: $(cat "$T_TMP/lk.out")" >"$T_TMP/lk.err"
(ur start lk >"$T_TMP/s1.out" 2>&1; echo $? >"$T_TMP/s1") & (ur start lk >"$T_TMP/s2.out" 2>&1; echo $? >"$T_TMP/s2") & wait
[ "$(cat "$T_TMP/s1")$(cat "$T_TMP/s2")" = "01" ] || [ "$(cat "$T_TMP/s1")$(cat "$T_TMP/s2")" = "10" ] &&
    ok "concurrent starts: exactly one succeeds" ||
    not_ok "concurrent starts" "$(cat "$T_TMP/s1" "$T_TMP/s1.out" "$T_TMP/s2" "$T_TMP/s2.out" "$T_TMP/lk.err" 2>/dev/null | tr '\n' ' ')"
wait_status lk stopped; ur delete lk
ur create --bundle "$B" twice >/dev/null 2>&1 && ok "create twice" || not_ok "create twice" "first create failed"
expect "create an existing id fails" 1 'container with id exists: twice' -- ur create --bundle "$B" twice
ur delete --force twice

# --- urunc.json at the rootfs root instead of annotations (values base64)
U=$T_TMP/uj
mkdir -p "$U/rootfs/unikernel"; cp "$GUESTS/hello.hvt" "$U/rootfs/unikernel/"
b64() { printf %s "$1" | base64 -w0; }
printf '{"com.urunc.unikernel.unikernelType":"%s","com.urunc.unikernel.hypervisor":"%s","com.urunc.unikernel.binary":"%s","com.urunc.unikernel.cmdline":"%s"}' \
    "$(b64 solo5)" "$(b64 hvt)" "$(b64 /unikernel/hello.hvt)" "$(b64 from-urunc-json)" >"$U/rootfs/urunc.json"
echo '{"ociVersion":"1.0.2","process":{"args":["x"]},"root":{"path":"rootfs"}}' >"$U/config.json"
expect "urunc.json describes the unikernel" 0 'cmdline: from-urunc-json' -- ur run --bundle "$U" uj

# --- errors: one JSON line in --log, plain text on stderr, nothing left behind
Q=$T_TMP/qemu
make_bundle "$Q" hello
sed -i 's/"hvt"/"qemu"/' "$Q/config.json"
: >"$RT_LOG"
expect "hypervisor qemu is refused" 1 'hypervisor "qemu" is not supported.*hvt' -- ur create --bundle "$Q" q1
grep -q '^{"level":"error","msg":"hypervisor \\"qemu\\" is not supported' "$RT_LOG" &&
    ok "error as a JSON line in --log" || not_ok "error as a JSON line in --log" "$(cat "$RT_LOG")"
[ ! -e "$RT_ROOT/q1" ] && ok "failed create leaves nothing" || not_ok "failed create leaves nothing" "state left"
M=$T_TMP/missing
make_bundle "$M" hello
rm "$M/rootfs/unikernel/hello.hvt"
expect "missing binary" 1 'unikernel binary .*/unikernel/hello.hvt: not found in the rootfs' -- ur create --bundle "$M" m1
expect "--systemd-cgroup is refused" 1 'systemd-cgroup is not supported' -- ur --systemd-cgroup create --bundle "$B" sd
expect "unknown command" 1 'unknown command' -- ur frobnicate
expect "bad id" 1 'invalid container id' -- ur create --bundle "$B" 'a/b'
expect "--log-format text" 1 '' -- "$UNIROOT" --root "$RT_ROOT" --log "$T_TMP/text.log" --log-format text state nosuch
grep -q '^time=".*" level=error msg="container \\"nosuch\\" does not exist"' "$T_TMP/text.log" &&
    ok "text log format" || not_ok "text log format" "$(cat "$T_TMP/text.log")"

# --- namespaces given by path, --preserve-fds, memory limit, console socket
N=$T_TMP/ns
make_bundle "$N" sleep '"com.urunc.unikernel.cmdline":"forever"'
unshare --net sleep 60 & NSPID=$!
at_exit "kill $NSPID"
sleep 0.2
sed -i "s#\"namespaces\":\[#\"resources\":{\"memory\":{\"limit\":67108864}},\"namespaces\":[{\"type\":\"network\",\"path\":\"/proc/$NSPID/ns/net\"},#" "$N/config.json"
exec 7<"$N/config.json"
ur create --bundle "$N" --preserve-fds 5 ns1 >/dev/null 2>&1
exec 7<&-
P=$(ur state ns1 | grep -o '"pid":[[:space:]]*[0-9]*' | grep -o '[0-9]*$')
if [ -n "$P" ] && [ "$(readlink /proc/$P/ns/net)" = "$(readlink /proc/$NSPID/ns/net)" ]; then
    ok "VMM joined the network namespace given by path"
else
    not_ok "VMM joined the network namespace" "vmm $(readlink /proc/$P/ns/net 2>&1) want $(readlink /proc/$NSPID/ns/net)"
fi
[ "$(readlink /proc/$P/fd/7 2>/dev/null)" = "$N/config.json" ] && ok "--preserve-fds: fd 7 reached the VMM" ||
    not_ok "--preserve-fds" "fd 7 is $(readlink /proc/$P/fd/7 2>&1)"
tr '\0' ' ' <"/proc/$P/cmdline" | grep -q -- '--ready-fd=8 .*--mem=64 ' && ok "ready fd after the preserved fds; --mem from the memory limit" ||
    not_ok "ready fd / --mem" "$(tr '\0' ' ' <"/proc/$P/cmdline")"
ur delete --force ns1
V=$T_TMP/badkernel
make_bundle "$V" hello
echo "not an ELF" >"$V/rootfs/unikernel/hello.hvt"
expect "a binary that is not ELF is refused" 1 'hello.hvt is not an ELF file' -- ur create --bundle "$V" bad1
cp /bin/true "$V/rootfs/unikernel/hello.hvt"
expect "an ELF that is not a Solo5 unikernel is refused" 1 'is not a Solo5 unikernel \(no Solo5 ABI note\)' -- ur create --bundle "$V" bad1
make_bundle "$T_TMP/wantsblk" ext4label
expect "a guest needing block rootfs without one" 1 'needs block device "rootfs", but the rootfs is not handed over as one: mountRootfs is not set' -- ur create --bundle "$T_TMP/wantsblk" bad2
expect "VMM setup failure is reported" 1 'uniroot-vmm could not set up the guest \(exit status 1' -- env UNIROOT_VMM=/bin/false "$UNIROOT" --root "$RT_ROOT" create --bundle "$B" bad3
# The monitor's own reason reaches the create error (it writes it to the ready fd):
# a hello image whose text segment claims to load at 32 KiB, over the monitor's page tables.
make_bundle "$T_TMP/lowload" hello
python3 - "$T_TMP/lowload/rootfs/unikernel/hello.hvt" <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b"); d = bytearray(f.read())
phoff = struct.unpack_from("<Q", d, 32)[0]
for i in range(struct.unpack_from("<H", d, 56)[0]):
    o = phoff + i * 56
    if struct.unpack_from("<I", d, o)[0] == 1:        # the first PT_LOAD
        struct.pack_into("<QQ", d, o + 16, 0x8000, 0x8000)  # p_vaddr, p_paddr
        break
f.seek(0); f.write(d); f.close()
PY
expect "the monitor's setup error is quoted" 1 'uniroot-vmm: .*below the lowest load address' -- ur create --bundle "$T_TMP/lowload" bad4
[ -z "$(ls "$RT_ROOT" 2>/dev/null)" ] && ok "refused creates leave nothing" || not_ok "refused creates leave nothing" "$(ls "$RT_ROOT")"
if command -v python3 >/dev/null; then
    CS=$T_TMP/console.sock
    python3 - "$CS" >"$T_TMP/console.out" 2>&1 <<'PY' &
import array, os, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
c, _ = s.accept()
fds = array.array("i")
msg, anc, flags, addr = c.recvmsg(64, socket.CMSG_LEN(4))
for level, typ, data in anc:
    fds.frombytes(data[:4])
m = fds[0]; out = b""; end = time.time() + 10
while time.time() < end and b"cmdline" not in out:
    try:
        out += os.read(m, 4096)
    except OSError:
        break
sys.stdout.write(out.decode(errors="replace"))
PY
    CPID=$!
    for i in $(seq 50); do [ -S "$CS" ] && break; sleep 0.1; done
    ur create --bundle "$B" --console-socket "$CS" con1 >/dev/null 2>&1 && ur start con1
    wait $CPID
    grep -q "Hello, uniroot!" "$T_TMP/console.out" && ok "console socket: guest output on the pty" ||
        not_ok "console socket" "$(cat "$T_TMP/console.out")"
    wait_status con1 stopped; ur delete con1
else
    skip "console socket" "python3 is not installed"
fi

# --- a pure cgroup v2 layout: the unified hierarchy mounted on its own as the cgroup root
CG2=$T_TMP/cg2; mkdir -p "$CG2"
if mount -t cgroup2 none "$CG2" 2>/dev/null; then
    at_exit "umount $CG2"
    at_exit "rmdir $CG2/uniroot-v2-$$/c1 $CG2/uniroot-v2-$$"
    make_bundle "$T_TMP/v2" hello '' "/uniroot-v2-$$/c1"
    UNIROOT_CGROUP_ROOT=$CG2 ur create --bundle "$T_TMP/v2" v2c >/dev/null 2>&1
    P=$(ur state v2c | grep -o '"pid":[[:space:]]*[0-9]*' | grep -o '[0-9]*$')
    grep -qx "$P" "$CG2/uniroot-v2-$$/c1/cgroup.procs" 2>/dev/null && ok "cgroup v2: VMM in cgroupsPath" ||
        not_ok "cgroup v2: VMM in cgroupsPath" "$(cat "$CG2/uniroot-v2-$$/c1/cgroup.procs" 2>&1)"
    ur delete --force v2c
    [ ! -d "$CG2/uniroot-v2-$$" ] && ok "cgroup v2: removed at delete" || not_ok "cgroup v2: removed" "left"
else
    skip "cgroup v2" "cannot mount cgroup2"
fi

make_bundle "$T_TMP/sdcg" hello '' "system.slice:uniroot:sd1"
expect "systemd cgroupsPath is refused clearly" 1 'is a systemd path; uniroot uses the cgroupfs driver' -- ur create --bundle "$T_TMP/sdcg" sd1
[ ! -e "$RT_ROOT/sd1" ] && ok "refused cgroupsPath leaves nothing" || not_ok "refused cgroupsPath leaves nothing" "left"

# --- the same lifecycle with uniroot built with ASan+UBSan
if [ -x "$UNIROOT_ASAN" ]; then
    ua() { "$UNIROOT_ASAN" --root "$RT_ROOT" --log "$RT_LOG" --log-format json "$@"; }
    ua create --bundle "$B" --pid-file "$T_TMP/as.pid" as1 >"$T_TMP/as.out" 2>&1
    expect "asan: state" 0 '"status":[[:space:]]*"created"' -- ua state as1
    expect "asan: list" 0 'as1' -- ua list
    expect "asan: ps" 0 '^\[[0-9]+\]$' -- ua ps --format json as1
    expect "asan: start" 0 '' -- ua start as1
    wait_status as1 stopped
    expect "asan: delete" 0 '' -- ua delete as1
    no_sanitizer_report "asan: create" "$T_TMP/as.out"
    grep -q "Hello, uniroot!" "$T_TMP/as.out" && ok "asan: guest ran" || not_ok "asan: guest ran" "$(cat "$T_TMP/as.out")"
    expect "asan: run with exit status" 7 'exit: status 7' -- ua run --bundle "$E" as2
    expect "asan: urunc.json" 0 'from-urunc-json' -- ua run --bundle "$U" as3
    expect "asan: refused hypervisor" 1 'not supported' -- ua create --bundle "$Q" as4
    expect "asan: delete --force" 0 '' -- ua delete --force as4
    expect "asan: features" 0 'hvt' -- ua features
else
    skip "asan uniroot" "build/asan/bin/uniroot is not built"
fi

# --- spec, features, version, help
mkdir -p "$T_TMP/spec"
expect "spec writes config.json" 0 '' -- ur spec --bundle "$T_TMP/spec"
grep -q '"com.urunc.unikernel.hypervisor":[[:space:]]*"hvt"' "$T_TMP/spec/config.json" && ok "spec is a unikernel config" || not_ok "spec" "$(cat "$T_TMP/spec/config.json")"
expect "spec refuses to overwrite" 1 'exists' -- ur spec --bundle "$T_TMP/spec"
expect "features" 0 '"dev.uniroot.hypervisors":[[:space:]]*"hvt"' -- ur features
expect "--version" 0 'uniroot version' -- ur --version
expect "--help" 0 'create' -- ur --help
finish
