#!/usr/bin/env bash
# build-msi.sh — build the MSI from installer/wfplearn.wxs with Debian's wixl (msitools).
#
#   scripts/build-msi.sh WFPLEARN_EXE OUT.msi [VERSION]
#
# VERSION defaults to the project's (CMakeLists.txt). wixl finds a File's Source relative to
# the current directory, so the exe is staged with the .wxs in a temporary folder. wixl's
# GLib warnings about attributes it does not model are kept out of the output unless it fails.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
exe=${1:?usage: build-msi.sh WFPLEARN_EXE OUT.msi [VERSION]}
out=${2:?usage: build-msi.sh WFPLEARN_EXE OUT.msi [VERSION]}
version=${3:-$(sed -n 's/^project(wfplearn VERSION \([0-9.]*\).*/\1/p' "$here/CMakeLists.txt")}
command -v wixl >/dev/null || { echo "build-msi: wixl not found (Debian: apt-get install wixl)" >&2; exit 1; }
[ -f "$exe" ] || { echo "build-msi: $exe: no such file" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$exe" "$stage/wfplearn.exe"
# the debug info stays in the build tree; the package carries the stripped program
if command -v x86_64-w64-mingw32-strip >/dev/null; then x86_64-w64-mingw32-strip "$stage/wfplearn.exe"; fi
cp "$here/installer/wfplearn.wxs" "$stage/"
if ! (cd "$stage" && wixl -a x64 -D Version="$version" -o "$out" wfplearn.wxs) >"$stage/log" 2>&1; then
  cat "$stage/log" >&2
  echo "build-msi: wixl failed" >&2
  exit 1
fi
echo "build-msi: $out ($(stat -c %s "$out") bytes, version $version)"
