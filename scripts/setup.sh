#!/usr/bin/env bash
# setup.sh — install and prepare everything the builds and tests need. Idempotent: every step
# checks first and does nothing when its result is already there, so a warm run takes ~1 s.
#
#   scripts/setup.sh [BUILD_ROOT]     (default: ./build)
#
# Native build: Debian's gcc, cmake, libsqlite3-dev, libcmocka-dev, libexpat1-dev.
# Windows build: mingw-w64 and wine from Debian; SQLite, cmocka and expat for mingw come from
# Debian's *source* packages (apt-get source), cross-compiled once into BUILD_ROOT/win-deps.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-$here/build}
mkdir -p "$root"
root=$(cd "$root" && pwd)

sudo_if() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_opts=(-y -q -o DPkg::Lock::Timeout=600)

pkgs=(build-essential cmake pkg-config tcl dpkg-dev
      libsqlite3-dev libcmocka-dev libexpat1-dev
      mingw-w64 wine wine64 clang libclang-rt-14-dev python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_if apt-get "${apt_opts[@]}" update
  sudo_if apt-get "${apt_opts[@]}" install --no-install-recommends "${missing[@]}"
fi

# deb-src for the same Debian repositories that are already configured (deb822 or one-line).
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "setup: adding deb-src entries"
  src=/etc/apt/sources.list.d/wfplearn-src.sources
  for f in /etc/apt/sources.list.d/debian.sources; do
    [ -f "$f" ] && sed 's/^Types: deb$/Types: deb-src/' "$f" | sudo_if tee "$src" >/dev/null
  done
  if [ ! -s "$src" ] && [ -f /etc/apt/sources.list ]; then
    grep '^deb http' /etc/apt/sources.list | sed 's/^deb /deb-src /' |
      sudo_if tee /etc/apt/sources.list.d/wfplearn-src.list >/dev/null
  fi
  sudo_if apt-get "${apt_opts[@]}" update
fi

"$here/scripts/win-deps.sh" "$root/win-deps"

# A wine prefix of our own under the build folder (never the user's ~/.wine).
export WINEPREFIX="$root/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="winedbg.exe=d;mscoree,mshtml="
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "setup: creating wine prefix $WINEPREFIX"
  wineboot -i >/dev/null 2>&1 || true
  wineserver -w || true
fi
echo "setup: ok"
