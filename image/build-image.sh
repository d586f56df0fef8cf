#!/usr/bin/env bash
# Stages the image's root filesystem and builds it with podman (no Docker engine needed).
#   image/build-image.sh BUILD_DIR [TAG]
# BUILD_DIR is a CMake build tree with sumavlib.so, console/suma-console,
# image/entrypoint and image/libsystemd.so.0 built. TAG defaults to
# suma-apollo-redis:latest. PODMAN (default "podman --storage-driver vfs") picks
# the podman command, e.g. with --root/--runroot for a private image store.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
TAG=${2:-suma-apollo-redis:latest}
PODMAN=${PODMAN:-podman --storage-driver vfs}
HERE=$(cd "$(dirname "$0")" && pwd)
STAGE=$BUILD/image/stage
ROOTFS=$STAGE/rootfs

rm -rf "$STAGE"
mkdir -p "$ROOTFS" "$STAGE/stub"
install -m 0755 "$(readlink -f /usr/bin/redis-server)" "$ROOTFS/redis-server"
install -m 0755 "$BUILD/sumavlib.so" "$ROOTFS/sumavlib.so"
install -m 0755 "$BUILD/console/suma-console" "$ROOTFS/suma-console"
install -m 0755 "$BUILD/image/entrypoint" "$ROOTFS/entrypoint"
strip --strip-unneeded "$ROOTFS/redis-server" "$ROOTFS/sumavlib.so" "$ROOTFS/suma-console" "$ROOTFS/entrypoint"

# Our one-symbol libsystemd (image/sdstub) stands in for Debian's; resolving
# with it first keeps the real one's dependencies (libgcrypt, liblzma, ...) out.
cp "$BUILD/image/libsystemd.so.0" "$STAGE/stub/"
libs=$(for bin in redis-server sumavlib.so suma-console entrypoint; do
  LD_LIBRARY_PATH="$STAGE/stub" ldd "$ROOTFS/$bin" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i}'
done | sort -u)
for lib in $libs; do
  case "$lib" in
    "$STAGE/stub/"*) dest="$ROOTFS/lib/x86_64-linux-gnu/$(basename "$lib")" ;;
    *) dest="$ROOTFS$lib" ;;
  esac
  mkdir -p "$(dirname "$dest")"
  cp -L "$lib" "$dest"
done
# The loader finds /lib/x86_64-linux-gnu by default; /lib64 holds ld.so itself.
mkdir -p "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/sys" "$ROOTFS/tmp"
chmod 1777 "$ROOTFS/tmp"
cp "$HERE/Containerfile" "$STAGE/Containerfile"

echo "build-image: staged $(du -sb "$ROOTFS" | cut -f1) bytes:"
(cd "$ROOTFS" && find . -type f -printf '%s\t%p\n' | sort -rn)
# Exit 3 tells a caller (image/test_image.py) that podman itself failed, not the staging.
$PODMAN build --quiet -t "$TAG" -f "$STAGE/Containerfile" "$STAGE" || exit 3
echo "build-image: $TAG is $($PODMAN image inspect --format '{{.Size}}' "$TAG") bytes"
