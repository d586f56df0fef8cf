#!/usr/bin/env bash
# Builds the suma image with podman (no Docker engine needed), or saves it as a
# gzip archive that `docker load` / `podman load` take.
#   image/build-image.sh build [BUILD_DIR] [TAG]
#   image/build-image.sh save  [BUILD_DIR] [TAG] [ARCHIVE]
# BUILD_DIR (default build/) is a CMake build tree; the image's parts are
# built there first (`cmake --build BUILD_DIR --target image` does both). TAG defaults to
# suma-apollo-redis:latest, ARCHIVE to BUILD_DIR/image/suma-apollo-redis.tar.gz.
# PODMAN (default "podman --storage-driver vfs") picks the podman command,
# e.g. with --root/--runroot for a private image store.
# SUMA_IMAGE_SOURCE and SUMA_IMAGE_LICENSES override those two OCI labels.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
cmd=${1:-build}
case "$cmd" in
  build | save) shift || true ;;
  # The older form, image/build-image.sh BUILD_DIR [TAG], still builds.
  *) if [ -d "$cmd" ]; then cmd=build; else
       echo "usage: $0 build|save [BUILD_DIR] [TAG] [ARCHIVE]" >&2; exit 64
     fi ;;
esac
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
TAG=${2:-suma-apollo-redis:latest}
ARCHIVE=${3:-$BUILD/image/suma-apollo-redis.tar.gz}
PODMAN=${PODMAN:-podman --storage-driver vfs}
BUDGET=15000000  # bytes, as `podman images` counts MB

if [ "$cmd" = save ]; then
  tmp=$ARCHIVE.tmp.tar
  rm -f "$tmp"
  $PODMAN save --quiet --format docker-archive -o "$tmp" "$TAG"
  gzip -9 -n -c "$tmp" >"$ARCHIVE.tmp"
  rm -f "$tmp"
  mv "$ARCHIVE.tmp" "$ARCHIVE"
  echo "build-image: saved $TAG to $ARCHIVE ($(stat -c %s "$ARCHIVE") bytes, gzip)"
  exit 0
fi

# The parts, brought up to date unless the caller is that build (the `image` target).
if [ -z "${SUMA_IMAGE_PARTS_BUILT:-}" ] && [ -f "$BUILD/CMakeCache.txt" ]; then
  cmake --build "$BUILD" -j2 --target sumavlib-image suma-console-image suma-entrypoint suma-sdstub >/dev/null
fi

STAGE=$BUILD/image/stage
ROOTFS=$STAGE/rootfs
rm -rf "$STAGE"
mkdir -p "$ROOTFS" "$STAGE/stub" "$STAGE/data"
install -m 0755 "$(readlink -f /usr/bin/redis-server)" "$ROOTFS/redis-server"
# The image's own builds (image/CMakeLists.txt says why they are not the
# top-level sumavlib.so and console/suma-console).
install -m 0755 "$BUILD/image/sumavlib.so" "$ROOTFS/sumavlib.so"
install -m 0755 "$BUILD/image/suma-console" "$ROOTFS/suma-console"
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
# The server user (uid/gid 10001, named after the seed's /home/admin).
mkdir -p "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/sys" "$ROOTFS/tmp" "$ROOTFS/etc"
chmod 1777 "$ROOTFS/tmp"
printf 'root:x:0:0:root:/:/sbin/nologin\nadmin:x:10001:10001:suma:/home/admin:/sbin/nologin\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nadmin:x:10001:\n' >"$ROOTFS/etc/group"

version=$(sed -nE 's/^project\([^)]*VERSION ([0-9.]+).*/\1/p' "$ROOT/CMakeLists.txt")
revision=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
source=${SUMA_IMAGE_SOURCE:-$(git -C "$ROOT" remote get-url origin 2>/dev/null || echo "suma-apollo-redis")}
# Ours, then what the image carries: Redis, hiredis (BSD-3), jemalloc, lzf
# (BSD-2), cpp-httplib (MIT), OpenSSL (Apache-2.0), glibc (LGPL), libstdc++ /
# libgcc_s / libatomic (GPL with the GCC runtime exception).
licenses=${SUMA_IMAGE_LICENSES:-"LicenseRef-suma-apollo-redis AND BSD-3-Clause AND BSD-2-Clause AND MIT AND Apache-2.0 AND LGPL-2.1-or-later AND GPL-3.0-or-later WITH GCC-exception-3.1"}
cp "$HERE/Containerfile" "$STAGE/Containerfile"

echo "build-image: files in the image (bytes):"
(cd "$ROOTFS" && find . -type f -printf '%s\t%p\n' | sort -rn | awk -F'\t' '
  {printf "  %10d  %s\n", $1, substr($2, 3); total += $1}
  END {printf "  %10d  total\n", total}')
# --format docker keeps the HEALTHCHECK (the OCI format has none).
# Exit 3 tells a caller (image/test_image.py) that podman itself failed, not the staging.
$PODMAN build --quiet --format docker -t "$TAG" \
  --label "org.opencontainers.image.version=$version" \
  --label "org.opencontainers.image.revision=$revision" \
  --label "org.opencontainers.image.source=$source" \
  --label "org.opencontainers.image.licenses=$licenses" \
  -f "$STAGE/Containerfile" "$STAGE" >/dev/null || exit 3
size=$($PODMAN image inspect --format '{{.Size}}' "$TAG")
echo "build-image: $TAG is $size bytes ($(awk -v s="$size" 'BEGIN {printf "%.2f", s / 1e6}') MB; budget $BUDGET)"
if [ "$size" -gt "$BUDGET" ]; then
  echo "build-image: WARNING: over the $BUDGET-byte budget by $((size - BUDGET)) bytes" >&2
fi
