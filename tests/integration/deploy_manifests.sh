#!/bin/bash
# deploy_manifests.sh: deploy/ parses and agrees with itself and the tree
# (tests/integration/deploy_manifests.py: images, hostPID, privilege, host mounts, the
# agent's command line, the readiness probe, RuntimeClass handler = runtime name in the
# containerd entries, paths in the image tree). The image tree is what `make image` builds
# from: `make install DESTDIR=... PREFIX=/usr/local`. Also: the systemd unit's readiness
# check is the probe's command, and the CRI tests use deploy/containerd's 1.6/1.7 entry,
# not a copy of it.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import yaml, tomllib' 2>/dev/null || { not_ok "python3-yaml" "/usr/bin/python3 lacks yaml or tomllib (tools/install-deps.sh)"; finish; exit 1; }
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s --no-print-directory -C "$UR_TOP" "$@"; }
IMAGE=$(printf 'print-image:\n\t@echo $(UNIROOT_IMAGE)\n' | mk -f Makefile -f - print-image)
VERSION=$(sed -n 's/^#define UNIROOT_VERSION "\(.*\)"/\1/p' "$UR_TOP/runtime/oci/oci.h")
[ "$IMAGE" = "localhost/uniroot-node:$VERSION" ] && ok "make's UNIROOT_IMAGE is localhost/uniroot-node:$VERSION" ||
    not_ok "make's UNIROOT_IMAGE" "'$IMAGE'"
TREE=$T_TMP/image-root
if mk install DESTDIR="$TREE" PREFIX=/usr/local >"$T_TMP/make.out" 2>&1; then
    ok "the image tree (make install DESTDIR PREFIX=/usr/local)"
else
    not_ok "the image tree" "$(tail -3 "$T_TMP/make.out" | tr '\n' '|')"
fi
BASE=$(printf 'print-base:\n\t@echo $(IMAGE_BASE)\n' | mk -f Makefile -f - print-base)
"$PY" "$UR_TOP/tests/integration/deploy_manifests.py" "$UR_TOP" "$IMAGE" "$TREE" "$BASE" || true

u=$UR_TOP/deploy/systemd/unirootd.service.in
grep -q '^ExecStartPost=.*@BINDIR@/unirootctl status' "$u" && ok "unirootd.service waits for \`unirootctl status\`, like the readiness probe" ||
    not_ok "unirootd.service waits for unirootctl status" "$(grep -n ExecStartPost "$u")"
grep -q '^ExecStart=@BINDIR@/unirootd$' "$u" && ok "unirootd.service runs @BINDIR@/unirootd" || not_ok "unirootd.service ExecStart" "$(grep -n '^ExecStart=' "$u")"
grep -q "localhost/uniroot-node" "$UR_TOP/deploy/README.md" && grep -q 'make image' "$UR_TOP/deploy/README.md" &&
    ok "deploy/README.md names the image and make image" || not_ok "deploy/README.md names the image" "missing"

# The CRI tests (tests/integration/cri_*, another room's) read the entry from deploy/ and no
# test carries a copy of it.
cri=$(ls "$UR_TOP"/tests/integration/cri_* 2>/dev/null)
copies=$(grep -rlE '^[[:space:]]*\[plugins\."io\.containerd\.(grpc\.v1\.cri|cri\.v1\.runtime)"\.containerd\.runtimes\.uniroot' "$UR_TOP/tests" 2>/dev/null | sed "s|$UR_TOP/||")
[ -z "$copies" ] && ok "no test carries its own copy of the runtime entry" || not_ok "no test carries its own copy of the runtime entry" "$copies"
if [ -z "$cri" ]; then
    skip "CRI tests use deploy/containerd/uniroot-runtime.v2.toml" "no tests/integration/cri_* in this tree yet"
else
    grep -lq 'deploy/containerd/uniroot-runtime\.v2\.toml' $cri && ok "the CRI tests read deploy/containerd/uniroot-runtime.v2.toml" ||
        not_ok "the CRI tests read deploy/containerd/uniroot-runtime.v2.toml" "none of $(echo $cri | xargs -n1 basename | tr '\n' ' ') names it"
fi
finish
