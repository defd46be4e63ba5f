#!/bin/bash
# deploy_image.sh: `make image` builds the node image, and the DaemonSet's containers work in it.
# Needs a Debian 12 base image in podman (no registry here): $UR_IMAGE_BASE, default
# localhost/uniroot-build-base:bookworm, which it makes with deploy/mkbase.sh when it is
# missing (debootstrap from Debian's archive, about 5 min; the image stays in podman as a
# cache, as build/vm keeps the nested guest's kernel); skipped, saying so, only when that
# fails or a named UR_IMAGE_BASE is missing. Built under a test tag (removed at the end). In the image: every program,
# byte-identical to build/bin; deploy/install runs (python3 with tomllib); nsenter is there;
# unirootctl without an agent fails clearly. The init container's command from
# deploy/kubernetes/daemonset.yaml, run as written in a privileged container with a node root
# at /host (the host's /usr read-only, the programs going to /opt/uniroot/bin instead of the
# read-only /usr/local/bin, a restart command for systemctl): programs installed and run
# through chroot, the runtime entry added in the layout of the node's containerd, and the
# second start changes nothing. The readiness probe's command, run in the image with the
# agent's socket directory mounted at /run/uniroot, passes while a host agent runs.
# uniroot-test: timeout 1200
. "$(dirname "$0")/agent_lib.sh"
PY=/usr/bin/python3
BASE=${UR_IMAGE_BASE:-localhost/uniroot-build-base:bookworm}
command -v podman >/dev/null || { skip "node image" "podman is not installed"; finish; exit 0; }
if ! podman image exists "$BASE" 2>/dev/null; then
    if [ -n "${UR_IMAGE_BASE:-}" ]; then
        skip "node image" "no base image $BASE in podman (UR_IMAGE_BASE names it; no registry here)"
        finish
        exit 0
    fi
    echo "# no base image $BASE in podman: making it with deploy/mkbase.sh (a few minutes)"
    if ! mkout=$(sh "$UR_TOP/deploy/mkbase.sh" "$BASE" 2>&1); then
        skip "node image" "no base image $BASE, and deploy/mkbase.sh could not make one: $(echo "$mkout" | tail -1)"
        finish
        exit 0
    fi
fi
"$PY" -c 'import yaml' 2>/dev/null || { not_ok "python3-yaml" "missing (tools/install-deps.sh)"; finish; exit 1; }
IMG=localhost/uniroot-node-test:$$
at_exit "podman rmi -f $IMG"
RUN=(podman --cgroup-manager cgroupfs --events-backend file run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s --no-print-directory -C "$UR_TOP" "$@"; }

expect "make image (base $BASE)" 0 "Successfully tagged $IMG" -- mk image IMAGE_BASE="$BASE" UNIROOT_IMAGE="$IMG"
PROGRAMS=$(printf 'p:\n\t@echo $(PROGRAMS)\n' | mk -f Makefile -f - p)
want=$(cd "$UR_TOP" && for p in $PROGRAMS; do echo "$(sha256sum <"$p" | cut -c1-64) $(basename "$p")"; done | sort)
got=$("${RUN[@]}" "$IMG" sh -c 'cd /usr/local/bin && for f in *; do echo "$(sha256sum <"$f" | cut -c1-64) $f"; done' 2>&1 | sort)
[ "$got" = "$want" ] && ok "image /usr/local/bin: every program, same bytes as build/bin" ||
    not_ok "image /usr/local/bin: every program, same bytes" "$(diff <(echo "$want") <(echo "$got") | head -4 | tr '\n' '|')"
expect "deploy/install runs in the image" 0 "^usage: install " -- "${RUN[@]}" "$IMG" /usr/local/share/uniroot/install --help
expect "nsenter is in the image" 0 "nsenter from util-linux" -- "${RUN[@]}" "$IMG" nsenter --version
expect "unirootctl in the image without an agent: status 2, one clear line" 2 "^unirootctl: connect /run/uniroot/unirootd.sock: No such file or directory$" -- \
    "${RUN[@]}" "$IMG" unirootctl --socket /run/uniroot/unirootd.sock status

# The init container, as the DaemonSet writes it.
from_yaml() {
    "$PY" -c 'import sys, yaml
ds = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "DaemonSet"][0]
spec = ds["spec"]["template"]["spec"]
c = [c for c in spec["initContainers"] + spec["containers"] if c["name"] == sys.argv[2]][0]
print("\n".join(c["readinessProbe"]["exec"]["command"] if sys.argv[2] == "unirootd" else c["command"]))' \
        "$UR_TOP/deploy/kubernetes/daemonset.yaml" "$1"
}
mapfile -t INIT < <(from_yaml install | sed -e 's|^/usr/local/bin$|/opt/uniroot/bin|' -e 's|^--restart-containerd$|--restart-command=echo containerd restarted|')
echo "# init container: ${INIT[*]}"
N=$T_TMP/node
mkdir -p "$N/usr" "$N/opt" "$N/etc"
for l in bin sbin lib lib64; do [ -L "/$l" ] && ln -s "$(readlink "/$l")" "$N/$l"; done
if mount --bind -o ro /usr "$N/usr" 2>/dev/null; then
    at_exit "umount $N/usr"
    expect "init container: installs and registers the runtime" 0 "runtime uniroot added \(version 2" -- \
        "${RUN[@]}" --privileged -v "$N:/host" "$IMG" "${INIT[@]}"
    grep -q "containerd restarted" <<<"$T_OUT" && ok "init container: containerd restarted (config changed)" ||
        not_ok "init container: containerd restarted" "$(tail -2 <<<"$T_OUT" | tr '\n' '|')"
    bad=$(cd "$UR_TOP" && for p in $PROGRAMS; do cmp -s "$p" "$N/opt/uniroot/bin/$(basename "$p")" || basename "$p"; done)
    [ -z "$bad" ] && ok "init container: every program on the node" || not_ok "init container: every program on the node" "$bad"
    grep -q 'BinaryName = "/opt/uniroot/bin/uniroot"' "$N/etc/containerd/config.toml" && containerd --config "$N/etc/containerd/config.toml" config dump >/dev/null 2>&1 &&
        ok "init container: the node's config names the installed runtime and containerd reads it" ||
        not_ok "init container: the node's config" "$(tail -3 "$N/etc/containerd/config.toml" | tr '\n' '|')"
    s=$(sha256sum <"$N/etc/containerd/config.toml" 2>/dev/null)
    expect "init container, second start: nothing to do" 0 "unchanged" -- "${RUN[@]}" --privileged -v "$N:/host" "$IMG" "${INIT[@]}"
    [ -f "$N/etc/containerd/config.toml" ] && ! grep -qE "installed|added|updated|restarted" <<<"$T_OUT" &&
        [ "$(sha256sum <"$N/etc/containerd/config.toml")" = "$s" ] &&
        ok "init container, second start: no program copied, config untouched, no restart" ||
        not_ok "init container, second start: changed nothing" "$(grep -E 'installed|added|updated|restarted' <<<"$T_OUT" | head -3 | tr '\n' '|')"
    umount "$N/usr"
else
    skip "init container" "cannot bind-mount /usr read-only"
fi

# The readiness probe, in the image, against an agent on the host.
mapfile -t PROBE < <(from_yaml unirootd)
if start_agent; then
    expect "readiness probe in the image passes while the agent runs" 0 '"observer"' -- \
        "${RUN[@]}" -v "$T_TMP:/run/uniroot" "$IMG" "${PROBE[@]}"
    agent_stop
    expect "readiness probe in the image fails once it stopped" 2 "No such file or directory" -- \
        "${RUN[@]}" -v "$T_TMP:/run/uniroot" "$IMG" "${PROBE[@]}"
else
    not_ok "agent for the probe" "$(tail -3 "$LOG" | tr '\n' '|')"
fi
agent_log_clean
finish
