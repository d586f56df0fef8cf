#!/usr/bin/env bash
# Puts Debian's own source of the installed cpp-httplib (header-only httplib.h,
# Debian's patches applied) into OUT/include/httplib.h, for the image's console.
#   image/httplib-source.sh OUT
#
# Why: Debian ships cpp-httplib only as a shared library built with OpenSSL,
# zlib and brotli, which costs the image 1.48 MB (libcpp-httplib, libbrotli*,
# libz). The image's console is compiled from the same library's source, same
# version, with those options off. Nothing is vendored: apt-get fetches the
# source package from the machine's own Debian archive (its deb lines turned
# into deb-src lines in a private apt state under OUT, so the system's apt
# configuration stays untouched).
set -euo pipefail
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
[ -s "$OUT/include/httplib.h" ] && exit 0
ver=$(dpkg-query -W -f='${source:Version}' libcpp-httplib-dev)
APT=$OUT/apt
rm -rf "$APT" "$OUT/src"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/sources.list.d" "$OUT/src"
for f in /etc/apt/sources.list.d/*.sources; do
  [ -e "$f" ] && sed -E 's/^Types:.*/Types: deb-src/' "$f" >"$APT/sources.list.d/$(basename "$f")"
done
if [ -f /etc/apt/sources.list ]; then
  sed -nE 's/^deb\s/deb-src /p' /etc/apt/sources.list >"$APT/sources.list.d/main.list"
fi
opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$APT/sources.list.d"
  -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o "APT::Sandbox::User=root"
  -o "Debug::NoLocking=1")
if ! apt-get -qq "${opts[@]}" update >"$APT/update.log" 2>&1 ||
  ! (cd "$OUT/src" && apt-get -qq "${opts[@]}" source --download-only "cpp-httplib=$ver") >"$APT/source.log" 2>&1; then
  echo "httplib-source: cannot fetch Debian's source of cpp-httplib $ver (needs the Debian archive):" >&2
  cat "$APT/update.log" "$APT/source.log" >&2 2>/dev/null || true
  exit 1
fi
(cd "$OUT/src" && dpkg-source --no-check -x ./*.dsc tree >/dev/null)
mkdir -p "$OUT/include"
cp "$OUT/src/tree/httplib.h" "$OUT/include/httplib.h.tmp"
mv "$OUT/include/httplib.h.tmp" "$OUT/include/httplib.h"
echo "httplib-source: cpp-httplib $ver from Debian's source package"
rm -rf "$APT/lists" "$APT/cache"
