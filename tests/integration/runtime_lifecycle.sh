#!/bin/bash
# runtime_lifecycle.sh: the uniroot OCI runtime with real guests on
# uniroot-vmm: what only a running guest shows. create holds the guest until
# start, its output carries its cmdline, a guest that ends shows stopped, a
# sleeping guest is paused/resumed and stopped by SIGTERM, run returns the
# guest's exit status, urunc.json's cmdline reaches the guest, the monitor's
# own setup error is quoted, the console socket carries the guest's output;
# the same with the ASan build. Everything that finishes before a guest runs
# (refusals, state/kill/delete, locking, cgroups, namespaces, fds, the
# protocol) is in runtime_cli.sh on the stand-in monitor, without KVM.
# uniroot-test: needs kvm
# In a pid namespace of its own, the script is init: it reaps the VMMs that
# outlive `create` the way containerd's shim (a subreaper) does.
# uniroot-test: needs kvm
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

# --- hello: held at create, released by start, its output with its cmdline
B=$T_TMP/hello
make_bundle "$B" hello '"com.urunc.unikernel.cmdline":"one two"'
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
expect "ps table" 0 "uniroot-vmm" -- ur ps hello
sleep 0.3
grep -q "Hello" "$T_TMP/hello.out" && not_ok "guest held until start" "it ran at create" || ok "guest held until start"
expect "start" 0 '' -- ur start hello
wait_status hello stopped && ok "guest ran to the end: stopped" || not_ok "stopped" "$(ur state hello)"
grep -q "Hello, uniroot!" "$T_TMP/hello.out" && grep -q "one two" "$T_TMP/hello.out" &&
    ok "guest output with its cmdline" || not_ok "guest output" "$(cat "$T_TMP/hello.out")"
expect "delete" 0 '' -- ur delete hello

# --- sleep guest: running, kill by name, pause/resume, delete --force
S=$T_TMP/sleep
make_bundle "$S" sleep '"com.urunc.unikernel.cmdline":"forever"'
ur create --bundle "$S" sl >"$T_TMP/sleep.out" 2>&1 && ur start sl
wait_status sl running 20 && ok "sleep guest running" || not_ok "sleep guest running" "$(ur state sl)"
expect "pause" 0 '' -- ur pause sl
expect "state: paused" 0 '"status":[[:space:]]*"paused"' -- ur state sl
expect "resume" 0 '' -- ur resume sl
expect "state: running again" 0 '"status":[[:space:]]*"running"' -- ur state sl
expect "kill SIGTERM by name" 0 '' -- ur kill sl SIGTERM
wait_status sl stopped && ok "SIGTERM stops the guest" || not_ok "SIGTERM stops the guest" "$(ur state sl)"
ur delete sl
ur create --bundle "$S" sl2 >/dev/null 2>&1 && ur start sl2
expect "delete --force a running container" 0 '' -- ur delete --force sl2
[ ! -e "$RT_ROOT/sl2" ] && ok "forced delete removed the state" || not_ok "forced delete" "state left"

# --- run: exit status of the guest, and the state is gone afterwards
E=$T_TMP/exit
make_bundle "$E" exit '"com.urunc.unikernel.cmdline":"7"'
expect "run returns the guest's exit status" 7 'exit: status 7' -- ur run --bundle "$E" ex
[ ! -e "$RT_ROOT/ex" ] && ok "run deletes the container" || not_ok "run deletes the container" "left"

# --- urunc.json at the rootfs root instead of annotations (values base64)
U=$T_TMP/uj
mkdir -p "$U/rootfs/unikernel"; cp "$GUESTS/hello.hvt" "$U/rootfs/unikernel/"
b64() { printf %s "$1" | base64 -w0; }
printf '{"com.urunc.unikernel.unikernelType":"%s","com.urunc.unikernel.hypervisor":"%s","com.urunc.unikernel.binary":"%s","com.urunc.unikernel.cmdline":"%s"}' \
    "$(b64 solo5)" "$(b64 hvt)" "$(b64 /unikernel/hello.hvt)" "$(b64 from-urunc-json)" >"$U/rootfs/urunc.json"
echo '{"ociVersion":"1.0.2","process":{"args":["x"]},"root":{"path":"rootfs"}}' >"$U/config.json"
expect "urunc.json describes the unikernel" 0 'cmdline: from-urunc-json' -- ur run --bundle "$U" uj

# --- the monitor's own reason reaches the create error (it writes it to the ready fd):
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
[ -z "$(ls "$RT_ROOT" 2>/dev/null)" ] && ok "refused create leaves nothing" || not_ok "refused create leaves nothing" "$(ls "$RT_ROOT")"

# --- console socket: the guest's output on the pty
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

# --- the same lifecycle with uniroot built with ASan+UBSan
if [ -x "$UNIROOT_ASAN" ]; then
    ua() { "$UNIROOT_ASAN" --root "$RT_ROOT" --log "$RT_LOG" --log-format json "$@"; }
    ua create --bundle "$B" --pid-file "$T_TMP/as.pid" as1 >"$T_TMP/as.out" 2>&1
    expect "asan: state" 0 '"status":[[:space:]]*"created"' -- ua state as1
    expect "asan: start" 0 '' -- ua start as1
    wait_status as1 stopped
    expect "asan: delete" 0 '' -- ua delete as1
    no_sanitizer_report "asan: create" "$T_TMP/as.out"
    grep -q "Hello, uniroot!" "$T_TMP/as.out" && ok "asan: guest ran" || not_ok "asan: guest ran" "$(cat "$T_TMP/as.out")"
    expect "asan: run with exit status" 7 'exit: status 7' -- ua run --bundle "$E" as2
    expect "asan: urunc.json" 0 'from-urunc-json' -- ua run --bundle "$U" as3
else
    skip "asan uniroot" "build/asan/bin/uniroot is not built"
fi

finish
