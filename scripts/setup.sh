#!/usr/bin/env bash
# setup.sh — install and prepare everything the builds and tests need. Idempotent: every step
# checks first and does nothing when its result is already there, so a warm run takes ~1 s.
#
#   scripts/setup.sh [--native] [BUILD_ROOT]     (default: ./build)
#
# --native: only what the native build and the demo need (no mingw, wine or win-deps).
#
# 1. Debian packages (apt-get, as root or through sudo): native gcc/cmake, libsqlite3-dev,
#    libcmocka-dev, libexpat1-dev, libzstd-dev (the store's event blocks), libmicrohttpd-dev; chromium, nodejs and npm for the review
#    page's browser test (then `npm ci`: playwright-core from package-lock.json); mingw-w64 and
#    wine for the Windows build; clang for fuzzing; wixl/msitools for the MSI.
# 2. BUILD_ROOT/win-deps: SQLite, cmocka, expat, libmicrohttpd and zstd cross-built for mingw from Debian's *source*
#    packages (scripts/win-deps.sh, which also adds the deb-src entry it needs).
# 3. BUILD_ROOT/wineprefix: a wine prefix of our own (never the user's ~/.wine).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
native_only=0
if [ "${1:-}" = "--native" ]; then native_only=1; shift; fi
root=${1:-$here/build}
mkdir -p "$root"
root=$(cd "$root" && pwd)

sudo_if() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "setup: need root (or sudo) for: $*" >&2; return 1
  fi
}
apt_opts=(-y -q -o DPkg::Lock::Timeout=600)

pkgs=(build-essential cmake pkg-config libsqlite3-dev libcmocka-dev libexpat1-dev libzstd-dev python3)
# the review page (`wfplearn ui`): libmicrohttpd; its browser test: chromium, node and npm (a
# node that brings its own npm, as NodeSource's does, makes Debian's npm package unnecessary)
pkgs+=(libmicrohttpd-dev chromium nodejs)
command -v npm >/dev/null || pkgs+=(npm)
if [ "$native_only" = 0 ]; then
  pkgs+=(tcl dpkg-dev mingw-w64 wine wine64 clang libclang-rt-14-dev)
  pkgs+=(wixl msitools) # the MSI (scripts/build-msi.sh) and msiinfo
fi
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

# playwright-core for tests/ui/browser.mjs, exactly as package-lock.json pins it
if [ ! -f "$here/node_modules/playwright-core/package.json" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  echo "setup: npm ci (playwright-core for the browser test)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "$native_only" = 1 ]; then
  echo "setup: ok (native)"
  exit 0
fi

"$here/scripts/win-deps.sh" "$root/win-deps"

# The wine prefix. Booted with /dev/null as stdio: wine's service processes outlive the command
# that boots a prefix and keep its stdio open (a pipe reader would wait for them).
export WINEPREFIX="$root/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="winedbg.exe=d;mscoree,mshtml="
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "setup: creating wine prefix $WINEPREFIX"
  wineboot -i </dev/null >"$root/wineprefix.log" 2>&1 || true
  wineserver -w
  [ -f "$WINEPREFIX/system.reg" ] || {
    echo "setup: wine prefix creation failed (log: $root/wineprefix.log)" >&2; exit 1; }
fi
echo "setup: ok"
