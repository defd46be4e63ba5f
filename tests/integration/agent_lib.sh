# tests/integration/agent_lib.sh: helpers for unirootd's integration tests
# (sourced by tests/integration/agent_*.sh; run on its own it does nothing).
#
# Every test gets its own containerd-style state dir on a tmpfs (like
# /run/containerd), its own socket and its own BPF pin dir, so it never meets
# a real agent. Cleanup (always, via at_exit): agent killed by pid, every
# mount under the state dir unmounted, loop devices detached, pins removed.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then echo "0 passed, 0 failed"; exit 0; fi
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The ASan+UBSan agent when it is built (make check builds it), else the plain one.
if [ -z "${UNIROOTD:-}" ]; then
    UNIROOTD=$UR_TOP/build/bin/unirootd
    [ -x "$UR_TOP/build/asan/bin/unirootd" ] && UNIROOTD=$UR_TOP/build/asan/bin/unirootd
fi
UNIROOTCTL=$UR_TOP/build/bin/unirootctl
HELPER=$UR_TOP/build/tests/agent-mnt-helper
STATE=$T_TMP/state
TASKS=$STATE/io.containerd.runtime.v2.task
SOCK=$T_TMP/unirootd.sock
PIN=/sys/fs/bpf/uniroot-test-$$/v1
LOG=$T_TMP/agent.log
AGENT_PID=

[ "$(id -u)" -eq 0 ] || { skip "agent tests" "need root"; finish; exit 0; }
for f in "$UNIROOTD" "$UNIROOTCTL" "$HELPER"; do
    [ -x "$f" ] || { not_ok "build" "$f missing (run make)"; finish; exit 1; }
done

mkdir -p "$STATE"
mount -t tmpfs -o mode=0711 tmpfs "$STATE"
at_exit "umount -l '$STATE'"
at_exit "agent_cleanup_mounts"
at_exit "agent_stop"
at_exit "'$UNIROOTD' --cleanup --pin-dir '$PIN'; rmdir '$(dirname "$PIN")' 2>/dev/null"
at_exit "agent_cleanup_loops"

agent_cleanup_mounts() { # every mount under the state dir, deepest first
    awk -v p="$STATE/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | sort -r |
        while read -r m; do umount -l "$m"; done
}
# Loop devices are found by their backing files (new_loop runs in a subshell).
agent_cleanup_loops() {
    losetup -l -n -O NAME,BACK-FILE | awk -v p="$T_TMP/img." 'index($2, p) == 1 {print $1}' |
        while read -r l; do losetup -d "$l"; done
}

# new_loop SIZE_MB -> prints /dev/loopN of a fresh ext4 image
new_loop() {
    local img dev
    img=$(mktemp "$T_TMP/img.XXXXXX")
    truncate -s "${1:-8}M" "$img" && mkfs.ext4 -q -F "$img" || return 1
    dev=$(losetup -f --show "$img") || return 1
    echo "$dev"
}

# new_bundle ID KIND -> bundle dir with config.json (KIND: unikernel|plain|garbage)
new_bundle() {
    local b=$TASKS/default/$1
    mkdir -p "$b/rootfs"
    case $2 in
    unikernel) printf '{"ociVersion":"1.0.2","process":{"args":["/unikernel"],"cwd":"/"},\n "annotations":{"com.urunc.unikernel.unikernelType":"solo5","com.urunc.unikernel.hypervisor":"hvt"},\n "linux":{"resources":{"memory":{"limit":9223372036854775807}}},"root":{"path":"rootfs"}}\n' >"$b/config.json" ;;
    plain) printf '{"ociVersion":"1.0.2","process":{"args":["/pause"]},"annotations":{"io.kubernetes.cri.container-type":"sandbox"},"root":{"path":"rootfs"}}\n' >"$b/config.json" ;;
    garbage) printf '{"ociVersion":"1.0.2", "annotations":{"com.urunc.unikernel.unikernelType":"solo5"' >"$b/config.json" ;;
    esac
    echo "$b"
}

# start_agent [ARGS...]: start unirootd, wait for "ready"
start_agent() {
    local before
    before=$(grep -c '"event":"ready"' "$LOG" 2>/dev/null)
    "$UNIROOTD" --config /dev/null --state-dir "$STATE" --socket "$SOCK" --pin-dir "$PIN" \
        --reconcile-interval 0 "$@" >>"$LOG" 2>&1 &
    AGENT_PID=$!
    for _ in $(seq 200); do
        [ "$(grep -c '"event":"ready"' "$LOG" 2>/dev/null)" -gt "${before:-0}" ] && return 0
        kill -0 "$AGENT_PID" 2>/dev/null || { AGENT_PID=; return 1; }
        sleep 0.05
    done
    return 1
}

agent_stop() { # [SIGNAL]
    [ -n "$AGENT_PID" ] || return 0
    kill -"${1:-TERM}" "$AGENT_PID" 2>/dev/null
    wait "$AGENT_PID" 2>/dev/null
    AGENT_PID=
}

# agent_log_clean: one case failing if the agent's log has a sanitizer report
agent_log_clean() {
    if grep -qE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$LOG" 2>/dev/null; then
        not_ok "agent log free of sanitizer reports" "$(grep -E 'ERROR|runtime error' "$LOG" | head -3 | tr '\n' '|')"
    else
        ok "agent log free of sanitizer reports ($(basename "$UNIROOTD") $(dirname "$UNIROOTD" | grep -q asan && echo ASan))"
    fi
}

ctl() { "$UNIROOTCTL" --socket "$SOCK" --timeout 3000 "$@"; }

# wait_log REGEX [TRIES]: wait until the agent log has a line matching REGEX
wait_log() {
    for _ in $(seq "${2:-100}"); do grep -qE -- "$1" "$LOG" && return 0; sleep 0.05; done
    return 1
}

# strip_annotation FILE: the file without the member unirootd inserts
strip_annotation() { sed 's/"dev\.uniroot\.rootfs":"\([^"\\]\|\\.\)*",\{0,1\}//' "$1"; }

# annotation BUNDLE: the dev.uniroot.rootfs record in BUNDLE/config.json as
# plain JSON (the string unescaped); empty when there is none.
annotation() {
    grep -o '"dev\.uniroot\.rootfs":"\([^"\\]\|\\.\)*"' "$1/config.json" 2>/dev/null | head -1 |
        sed 's/^"dev\.uniroot\.rootfs":"//; s/"$//; s/\\"/"/g; s/\\\\/\\/g'
}

# annotation_device_ok NAME BUNDLE DEV: one case: BUNDLE/rootfs is a mount of
# block device DEV and the annotation names exactly it (path, major:minor).
annotation_device_ok() {
    local name=$1 b=$2 dev=$3 ann ma mi dma dmi
    ann=$(annotation "$b")
    read -r dma dmi <<<"$(stat -c '%Hr %Lr' "$dev" 2>/dev/null)"
    if ! mountpoint -q "$b/rootfs"; then
        not_ok "$name" "$b/rootfs is not a mount"
        return
    fi
    read -r ma mi <<<"$(stat -c '%Hd %Ld' "$b/rootfs")"
    if [ "$ma:$mi" != "$dma:$dmi" ]; then
        not_ok "$name" "$b/rootfs is on $ma:$mi, not $dev ($dma:$dmi)"
    elif echo "$ann" | grep -q "\"type\":\"block\",\"device\":\"$dev\",\"major\":$ma,\"minor\":$mi,"; then
        ok "$name"
    else
        not_ok "$name" "annotation '${ann:-absent}' does not name $dev ($ma:$mi)"
    fi
}

# annotations_right DEV BUNDLE...: prints how many BUNDLEs have an annotation
# that names block device DEV (path and major:minor), their own container id
# and a rootfs mounted from DEV, then up to 3 that do not, with why.
annotations_right() {
    python3 - "$@" <<'PY'
import json, os, sys
dev, bundles = sys.argv[1], sys.argv[2:]
st = os.stat(dev)
want = (os.major(st.st_rdev), os.minor(st.st_rdev))
good, bad = 0, []
for b in bundles:
    try:
        with open(os.path.join(b, "config.json")) as f:
            a = json.loads(json.load(f)["annotations"]["dev.uniroot.rootfs"])
        m = os.stat(os.path.join(b, "rootfs")).st_dev
        why = ("not block" if a["type"] != "block" else
               "device " + a["device"] if a["device"] != dev else
               "%d:%d" % (a["major"], a["minor"]) if (a["major"], a["minor"]) != want else
               "container " + a["container"] if a["container"] != os.path.basename(b.rstrip("/")) else
               "rootfs on %d:%d" % (os.major(m), os.minor(m)) if (os.major(m), os.minor(m)) != want else "")
    except Exception as e:
        why = "%s: %r" % (type(e).__name__, e)
    if why:
        bad.append("%s: %s" % (os.path.basename(b), why))
    else:
        good += 1
print(good, "; ".join(bad[:3]))
PY
}
