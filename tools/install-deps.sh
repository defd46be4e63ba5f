#!/bin/sh
# tools/install-deps.sh: install what uniroot needs to build, test and run on
# Debian 12, skipping packages that are already there. Run as root.
# Used by both README commands and by CI; safe to run again.
set -eu

# One package per line; a room that needs more adds lines here.
PACKAGES="
make
gcc
clang
libclang-rt-14-dev
llvm
pkg-config
libelf-dev
zlib1g-dev
libcmocka-dev
libcjson-dev
libmount-dev
libbpf-dev
bpftool
e2fsprogs
util-linux
iproute2
iputils-ping
kmod
runc
containerd
busybox-static
podman
python3
python3-grpcio
python3-yaml
groff-base
systemd
python3-protobuf
containernetworking-plugins
jq
qemu-system-x86
dmsetup
debootstrap
"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "install-deps: everything is installed"
fi
