#!/bin/bash
# runtime_config.sh: the runtime's config file (/etc/uniroot/config, here
# named by UNIROOT_CONFIG) through the real uniroot CLI, no KVM needed.
# On the real uniroot-spt: the bigbss guest (600 MiB of bss) does not fit the
# built-in 512 MiB, runs with spt.memory-mb = 700 from the file and reports
# that memory, and runs with 640 MiB when the annotation dev.uniroot.memory-mb
# says so over the file; the monitor's argv and the container's state say
# what decided. On the stand-in monitor: a memory limit wins over the file,
# an annotation above the limit is refused, the file's spt.monitor is used
# and UNIROOT_SPT wins over it, runc = ... and UNIROOT_RUNC likewise for the
# hand-off, agent-socket = ... and UNIROOT_AGENT_SOCKET for where create asks
# the agent, cgroup-root = ... and UNIROOT_CGROUP_ROOT for its cgroups,
# log-level filters the --log. Every bad file (unknown key, vcpus
# other than 1, memory out of range, a key twice, not key = value, a
# directory, a named file that is missing) makes create fail with one line
# naming the file and the line, the same in --log, and leaves no state.
# The script is init of its own pid namespace (it reaps the monitors).
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.inc"
unset UNIROOT_VMM UNIROOT_SPT UNIROOT_RUNC UNIROOT_AGENT_SOCKET UNIROOT_CGROUP_ROOT
STANDIN=$UR_TOP/build/bin/standin-vmm SPT=$UR_TOP/build/bin/uniroot-spt

for f in "$UNIROOT" "$STANDIN" "$SPT" "$GUESTS/hello.spt" "$GUESTS/hello.hvt" "$GUESTS/bigbss.spt"; do
    [ -e "$f" ] || { skip runtime-config "$f is not built (make all)"; finish; exit; }
done
command -v jq >/dev/null || { skip runtime-config "jq is not installed (JSON checks)"; finish; exit; }
export STANDIN_VMM_LOG=$T_TMP/vmm.log
export REFUSE_NO_MONITOR=1
at_exit rt_cleanup
CONF=$UNIROOT_CONFIG # runtime_lib.inc made it, empty
# conf LINES...: the config file holds these lines
conf() { printf '%s\n' "$@" >"$CONF"; }
sur() { UNIROOT_SPT=$STANDIN ur "$@"; }
argv_of() { grep "^argv .*start-fifo=$RT_ROOT/$1/start.fifo" "$STANDIN_VMM_LOG" | tail -1; }
ann() { ur state "$1" | jq -r ".annotations[\"$2\"]"; }

# real ID BUNDLE: create on the real uniroot-spt (output in $T_TMP/ID.out),
# then check the held monitor's --mem in MEM_WANT and state's memory-from in
# FROM_WANT, start, wait, delete; the guest's output stays in $T_TMP/ID.out.
real() {
    local id=$1 b=$2 p
    : >"$T_TMP/$id.out"
    if ! ur create --bundle "$b" --pid-file "$T_TMP/$id.pid" "$id" >"$T_TMP/$id.out" 2>&1; then
        not_ok "$id: create" "$(cat "$T_TMP/$id.out")"
        return 1
    fi
    p=$(cat "$T_TMP/$id.pid")
    tr '\0' ' ' <"/proc/$p/cmdline" | grep -q "^$SPT --ready-fd=3 --start-fifo=$RT_ROOT/$id/start.fifo --mem=$MEM_WANT -- " &&
        ok "$id: uniroot-spt was given --mem=$MEM_WANT" || not_ok "$id: --mem" "$(tr '\0' ' ' <"/proc/$p/cmdline")"
    [ "$(ann "$id" dev.uniroot.guest.memory-mb)" = "$MEM_WANT" ] && [ "$(ann "$id" dev.uniroot.guest.memory-from)" = "$FROM_WANT" ] &&
        ok "$id: state says $MEM_WANT MiB from $FROM_WANT" ||
        not_ok "$id: state" "$(ur state "$id" | jq -c '.annotations | with_entries(select(.key | startswith("dev.uniroot.guest")))')"
    ur start "$id" && wait_status "$id" stopped 100 || not_ok "$id: start and stop" "$(ur state "$id")"
    ur delete "$id"
}

# ---- guest memory on the real uniroot-spt
BIG=$T_TMP/big; make_bundle_on spt "$BIG" bigbss
# no setting: the built-in 512 MiB, which the 600 MiB image does not fit
: >"$CONF"
: >"$RT_LOG"
if ur create --bundle "$BIG" b0 >"$T_TMP/b0.out" 2>&1; then
    not_ok "built-in default: 512 MiB, too little for bigbss" "create succeeded"
elif ! log_error | grep -qE '^uniroot-spt: /proc/self/fd/4: segment 2 .* does not fit in 512 MiB of guest memory$'; then
    not_ok "built-in default: 512 MiB, too little for bigbss" "$(log_error)"
elif [ -e "$RT_ROOT/b0" ]; then
    not_ok "built-in default: 512 MiB, too little for bigbss" "state left"
else
    ok "built-in default: 512 MiB, too little for bigbss (the monitor says so)"
fi
H=$T_TMP/hello; make_bundle_on spt "$H" hello
MEM_WANT=512 FROM_WANT="built-in default" real h0 "$H"
grep -q '^Hello, uniroot!' "$T_TMP/h0.out" && ok "h0: the guest ran" || not_ok "h0: output" "$(cat "$T_TMP/h0.out")"
grep -q '"msg":"guest memory 512 MiB (from built-in default)"' "$RT_LOG" && ok "the --log says what decided the memory" ||
    not_ok "the --log's memory line" "$(grep -i memory "$RT_LOG")"

# the file's spt.memory-mb (line 3): the guest gets it
conf "# node settings" "hvt.memory-mb = 256" "spt.memory-mb = 700"
MEM_WANT=700 FROM_WANT="$CONF:3" real b1 "$BIG"
grep -q "^bigbss: ok, .* memory 0x2bc00000$" "$T_TMP/b1.out" && ok "b1: the guest has 700 MiB (from the file)" ||
    not_ok "b1: guest memory" "$(cat "$T_TMP/b1.out")"

# the annotation over the file
B2=$T_TMP/big2; make_bundle_on spt "$B2" bigbss '"dev.uniroot.memory-mb":"640"'
MEM_WANT=640 FROM_WANT="annotation dev.uniroot.memory-mb" real b2 "$B2"
grep -q "^bigbss: ok, .* memory 0x28000000$" "$T_TMP/b2.out" && ok "b2: the guest has 640 MiB (the annotation over the file)" ||
    not_ok "b2: guest memory" "$(cat "$T_TMP/b2.out")"
# the file's hvt setting is hvt's only
MEM_WANT=700 FROM_WANT="$CONF:3" real h1 "$H"

# ---- on the stand-in: the memory limit, bounds, monitor, runc, log level
# a memory limit wins over the file; an annotation may ask less than it, never more
conf "spt.memory-mb = 700"
L=$T_TMP/lim; make_bundle_on spt "$L" hello '"com.urunc.unikernel.cmdline":"standin:sleep=30"'
sed -i 's#"linux":{#"linux":{"resources":{"memory":{"limit":268435456}},#' "$L/config.json"
sur create --bundle "$L" l1 >/dev/null 2>&1
argv_of l1 | grep -q -- ' --mem=256 -- ' && [ "$(ann l1 dev.uniroot.guest.memory-from)" = "memory limit" ] &&
    ok "a 256 MiB memory limit wins over the file's 700" || not_ok "limit over file" "$(argv_of l1)"
ur delete --force l1
L2=$T_TMP/lim2; make_bundle_on spt "$L2" hello '"dev.uniroot.memory-mb":"128"'
sed -i 's#"linux":{#"linux":{"resources":{"memory":{"limit":268435456}},#' "$L2/config.json"
sur create --bundle "$L2" l2 >/dev/null 2>&1
argv_of l2 | grep -q -- ' --mem=128 -- ' && ok "the annotation (128) over the limit (256)" || not_ok "annotation under limit" "$(argv_of l2)"
ur delete --force l2
sed -i 's#"dev.uniroot.memory-mb":"128"#"dev.uniroot.memory-mb":"1024"#' "$L2/config.json"
refuse "an annotation above the memory limit is refused" \
    '^annotation dev.uniroot.memory-mb asks for 1024 MiB, more than the container.s memory limit of 256 MiB$' sur create --bundle "$L2" l3
A=$T_TMP/ann; make_bundle_on spt "$A" hello '"dev.uniroot.memory-mb":"64M"'
refuse "a malformed annotation is refused" \
    '^annotation dev.uniroot.memory-mb: want 2 to 65536 \(MiB; the most an spt guest can have\), got "64M"$' sur create --bundle "$A" a1

# hvt's own key, on the stand-in as hvt's monitor (no /dev/kvm needed)
conf "spt.memory-mb = 700" "hvt.memory-mb = 256"
HV=$T_TMP/hv; make_bundle_on hvt "$HV" hello '"com.urunc.unikernel.cmdline":"standin:sleep=30"'
UNIROOT_VMM=$STANDIN ur create --bundle "$HV" hv1 >/dev/null 2>&1
argv_of hv1 | grep -q -- ' --mem=256 -- ' && [ "$(ann hv1 dev.uniroot.guest.memory-from)" = "$CONF:2" ] &&
    ok "hvt.memory-mb applies to hvt guests" || not_ok "hvt.memory-mb" "$(argv_of hv1)"
ur delete --force hv1

# the file's spt.monitor; UNIROOT_SPT wins over it
conf "spt.monitor = $STANDIN"
S=$T_TMP/mon; make_bundle_on spt "$S" hello
expect "spt.monitor from the file runs" 0 'standin-vmm: running /proc/self/fd/4' -- ur run --bundle "$S" m1
grep -q "unikernel solo5 on spt ($STANDIN)" "$RT_LOG" && ok "the --log names the file's monitor" || not_ok "monitor in log" "$(grep unikernel "$RT_LOG" | tail -1)"
expect "--version names the file's monitor and the file" 0 "spt: $STANDIN" -- ur --version
echo "$T_OUT" | grep -qx "config: $CONF" && ok "--version names the config file" || not_ok "--version config" "$T_OUT"
conf "spt.monitor = /nonexistent/spt"
expect "UNIROOT_SPT wins over spt.monitor" 0 'standin-vmm: running' -- sur run --bundle "$S" m2
refuse "a file's monitor that is missing" '^cannot run /nonexistent/spt: No such file or directory$' ur create --bundle "$S" m3

# runc = ... for the hand-off; UNIROOT_RUNC wins over it
R=$T_TMP/plain; mkdir -p "$R/rootfs"
echo '{"ociVersion":"1.0.2","process":{"args":["/bin/true"]},"root":{"path":"rootfs"}}' >"$R/config.json"
conf "runc = /nonexistent/runc-from-file"
refuse "runc from the file runs ordinary containers" '^cannot run /nonexistent/runc-from-file: No such file or directory$' \
    ur create --bundle "$R" p1
refuse "UNIROOT_RUNC wins over runc =" '^cannot run /nonexistent/runc-from-env: No such file or directory$' \
    env UNIROOT_RUNC=/nonexistent/runc-from-env "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$R" p1

# agent-socket = ...: where create asks the agent (a listener here records
# the request); UNIROOT_AGENT_SOCKET wins over it
ASOCK=$T_TMP/agent.sock ASEEN=$T_TMP/agent.seen
python3 - "$ASOCK" "$ASEEN" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "ab") as f:
        f.write(c.recv(4096))
    c.close()
PY
at_exit "kill $!"
for i in $(seq 50); do [ -S "$ASOCK" ] && break; sleep 0.1; done
: >"$ASEEN"
G=$T_TMP/ag; make_bundle_on spt "$G" hello '"com.urunc.unikernel.mountRootfs":"true"'
conf "agent-socket = $ASOCK" "spt.monitor = $STANDIN"
ur run --bundle "$G" ag1 >/dev/null 2>&1
grep -q "\"bundle\":\"$G\"" "$ASEEN" && ok "create asks the agent at the file's agent-socket" ||
    not_ok "agent-socket from the file" "the listener saw: $(cat "$ASEEN")"
: >"$ASEEN"
: >"$RT_LOG"
UNIROOT_AGENT_SOCKET=$T_TMP/no-agent.sock ur run --bundle "$G" ag2 >/dev/null 2>&1
[ ! -s "$ASEEN" ] && grep -q 'agent: skipped' "$RT_LOG" && ok "UNIROOT_AGENT_SOCKET wins over agent-socket" ||
    not_ok "UNIROOT_AGENT_SOCKET over the file" "the listener saw: $(cat "$ASEEN")"

# cgroup-root = ...: where create makes the container's cgroups
CG=$T_TMP/cgb; make_bundle_on spt "$CG" hello '' /urcfgtest/c1
conf "cgroup-root = $T_TMP/no-cgroupfs"
refuse "cgroup-root from the file" "^cannot statfs $T_TMP/no-cgroupfs: No such file or directory$" sur create --bundle "$CG" cg1
refuse "UNIROOT_CGROUP_ROOT wins over cgroup-root" "^cannot statfs $T_TMP/env-cgroupfs: No such file or directory$" \
    env UNIROOT_CGROUP_ROOT="$T_TMP/env-cgroupfs" UNIROOT_SPT="$STANDIN" "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$CG" cg1

# log-level: warn drops info lines; --debug still logs everything
conf "log-level = warn" "spt.monitor = $STANDIN"
: >"$RT_LOG"
ur run --bundle "$S" q1 >/dev/null 2>&1
! jq -r .level "$RT_LOG" | grep -qv '^warning$\|^error$' && ok "log-level = warn: no info lines" || not_ok "log-level warn" "$(jq -r .level "$RT_LOG" | sort | uniq -c | tr '\n' ' ')"
: >"$RT_LOG"
"$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json --debug run --bundle "$S" q2 >/dev/null 2>&1
jq -r .level "$RT_LOG" | grep -q '^info$' && ok "--debug logs info lines over log-level = warn" || not_ok "--debug over warn" "$(cat "$RT_LOG")"

# ---- bad files: create fails with the file and the line, nothing is left
bad() { # bad NAME REGEX LINES...: the file holds LINES; create must be refused with REGEX
    local name=$1 re=$2
    shift 2
    conf "$@"
    refuse "bad file: $name" "^$CONF:$re" ur create --bundle "$H" bad1
}
bad "unknown key, on its line" '4: unknown setting "default_memory_mb" \(keys: ' \
    "# copied from urunc" "" "spt.memory-mb = 256" "default_memory_mb = 256"
bad "vcpus other than 1" '2: spt.vcpus: want 1, got "2": a Solo5 spt guest runs on one vCPU, and uniroot-spt cannot give it more$' \
    "spt.memory-mb = 256" "spt.vcpus = 2"
bad "hvt memory above 4 GiB" '1: hvt.memory-mb: want 2 to 4096 \(MiB; the most an hvt guest can have\), got "8192"$' \
    "hvt.memory-mb = 8192"
bad "memory with a unit" '1: spt.memory-mb: want 2 to 65536 .*got "1G"$' "spt.memory-mb = 1G"
bad "a key twice" '3: spt.memory-mb is set again \(first on line 1\)$' "spt.memory-mb = 256" "log-level = info" "spt.memory-mb = 512"
bad "a TOML section" '1: want "key = value", got "\[monitors.spt\]"$' "[monitors.spt]" "default_memory_mb = 256"
bad "an unknown monitor" '1: unknown setting "qemu.memory-mb" \(monitors: hvt, spt\)$' "qemu.memory-mb = 256"
bad "a relative monitor path" '1: spt.monitor: want an absolute path, got "uniroot-spt"$' "spt.monitor = uniroot-spt"
bad "an unknown log level" '1: log-level: want debug, info, warn or error, got "verbose"$' "log-level = verbose"
printf 'spt.memory-mb = 256\nlog-level = info\033[31m\n' >"$CONF"
refuse "bad file: a control character" "^$CONF:2: control character 0x1b$" ur create --bundle "$H" bad1
# every command reads it: state too
conf "spt.vcpus = 3"
refuse "bad file: refused by state as well" "^$CONF:1: spt.vcpus: want 1" ur state nothing
refuse "a named file that is missing" "^UNIROOT_CONFIG: config file $T_TMP/none: No such file or directory$" \
    env UNIROOT_CONFIG="$T_TMP/none" "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$H" bad1
mkdir -p "$T_TMP/confdir"
refuse "a directory as the file" "^config file: $T_TMP/confdir is not a regular file$" \
    env UNIROOT_CONFIG="$T_TMP/confdir" "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$H" bad1
head -c 70000 /dev/zero | tr '\0' '#' >"$T_TMP/huge"
refuse "a file over 64 KiB" "^config file: $T_TMP/huge is 70000 bytes; at most 65536 bytes are read$" \
    env UNIROOT_CONFIG="$T_TMP/huge" "$UNIROOT" --root "$RT_ROOT" --log "$RT_LOG" --log-format json create --bundle "$H" bad1
# fixed again: create works
: >"$CONF"
expect "an empty file: create works again" 0 'Hello, uniroot!' -- ur run --bundle "$H" fixed

# the same paths in the ASan+UBSan build of uniroot (any report fails the case)
if [ -x "$UNIROOT_ASAN" ]; then
    ura() { UNIROOT_SPT=$SPT "$UNIROOT_ASAN" --root "$RT_ROOT" --log "$RT_LOG" --log-format json "$@"; }
    conf "# asan" "spt.memory-mb = 700" "log-level = warn"
    expect "asan: the file's memory reaches the guest" 0 'memory 0x2bc00000' -- ura run --bundle "$BIG" asan1
    expect "asan: the annotation over the file" 0 'memory 0x28000000' -- ura run --bundle "$B2" asan2
    conf "spt.memory-mb = 700" "" "spt.vcpus = 8"
    expect "asan: a bad line is refused with its number" 1 "^uniroot: $CONF:3: spt.vcpus: want 1" -- ura create --bundle "$H" asan3
    printf 'a = \001\n' >"$CONF"
    expect "asan: a control byte is refused" 1 "^uniroot: $CONF:1: control character 0x01" -- ura state none
    : >"$CONF"
else
    skip "asan runtime" "$UNIROOT_ASAN is not built"
fi
finish
