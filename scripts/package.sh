#!/usr/bin/env bash
# package.sh — build wfplearn.exe (mingw-w64, no tests) and the MSI:
# build/dist/wfplearn-VERSION-x64.msi. Needs what scripts/setup.sh installs (mingw-w64, wixl,
# the cross-built dependencies in build/win-deps, or WL_WIN_DEPS=PREFIX).
#
#   scripts/package.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
deps=${WL_WIN_DEPS:-$here/build/win-deps}
b=$here/build/win-package
version=$(sed -n 's/^project(wfplearn VERSION \([0-9.]*\).*/\1/p' "$here/CMakeLists.txt")
cmake -S "$here" -B "$b" -DCMAKE_TOOLCHAIN_FILE="$here/cmake/mingw-w64-x86_64.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWL_WIN_DEPS="$deps" -DWL_BUILD_TESTS=OFF -DWL_WERROR=ON >/dev/null
cmake --build "$b" -j2 --target wfplearn >/dev/null
"$here/scripts/build-msi.sh" "$b/bin/wfplearn.exe" "$here/build/dist/wfplearn-$version-x64.msi" "$version"
