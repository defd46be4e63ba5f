#!/bin/sh
# deploy/mkbase.sh [NAME]: make a Debian 12 base image for `make image` without a container
# registry: debootstrap (minbase, with the packages deploy/Containerfile wants, so its build
# fetches nothing) from Debian's archive, imported into podman as NAME (default
# localhost/uniroot-build-base:bookworm, the base tests/integration/deploy_image.sh looks for).
# Then: make image IMAGE_BASE=NAME. Takes a few minutes; needs debootstrap and root.
set -eu
name=${1:-localhost/uniroot-build-base:bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || { echo "mkbase: needs debootstrap (apt-get install debootstrap)" >&2; exit 1; }
dir=$(mktemp -d /var/tmp/uniroot-base.XXXXXX)
trap 'rm -rf "$dir"' EXIT
debootstrap --variant=minbase --include=python3,libbpf1,libelf1,libcjson1 bookworm "$dir/root" "$mirror" >"$dir/log" 2>&1 ||
    { tail -5 "$dir/log" >&2; echo "mkbase: debootstrap failed" >&2; exit 1; }
rm -rf "$dir/root/var/lib/apt/lists/"* "$dir/root/var/cache/apt/"*.bin
tar -C "$dir/root" -c . | podman import - "$name" >/dev/null
echo "mkbase: $name"
