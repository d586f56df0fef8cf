#!/usr/bin/env bash
# Installs the Debian packages that are missing, then configures and builds
# into build/. Safe to run again.
#   scripts/setup.sh [--tests] [target...]
# --tests also installs scripts/deps-test.txt (what only the tests need);
# targets limit the build (default: everything).
set -euo pipefail
cd "$(dirname "$0")/.."

lists=(scripts/deps.txt)
if [ "${1:-}" = "--tests" ]; then
  lists+=(scripts/deps-test.txt)
  shift
fi
# A line is a package name, optionally followed by "cmd:NAME": the package is
# then needed only when no NAME command is installed (by it or by another
# package that ships the same program, e.g. another vendor's kubectl).
mapfile -t pkgs < <(cat "${lists[@]}" | grep -vE '^\s*(#|$)')
# Installed, or provided by an installed package (NodeSource's nodejs
# provides, and conflicts with, Debian's npm).
installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" && return 0
  dpkg-query -W -f='${Status}|${Provides}\n' 2>/dev/null | grep "^install ok installed|" |
    cut -d'|' -f2 | tr ',' '\n' | sed 's/ *(.*//; s/^ *//' | grep -x "$1" >/dev/null
}
missing=()
for line in "${pkgs[@]}"; do
  read -r p cmd <<<"$line"
  if [[ "${cmd:-}" == cmd:* ]] && command -v "${cmd#cmd:}" >/dev/null 2>&1; then continue; fi
  installed "$p" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's redis-server package starts a system instance on 6379; we run our own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  echo "setup: note: the system redis-server service is running on its own port; ours is separate"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j"$(nproc)" "${targets[@]}"
