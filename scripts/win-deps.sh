#!/usr/bin/env bash
# win-deps.sh — cross-build the third-party libraries of the Windows build (SQLite, cmocka,
# expat, libmicrohttpd, zstd) for x86_64-w64-mingw32 from Debian's *source* packages into
# PREFIX/{include,lib} (static libraries only). Nothing is fetched from anywhere but the
# configured Debian repository and nothing lands in the repo: sources are cached beside PREFIX
# (PREFIX-src, override with WL_WIN_DEPS_SRC).
#
#   scripts/win-deps.sh PREFIX        e.g. build/win-deps (scripts/setup.sh passes that)
#
# Idempotent: PREFIX/.stamp holds the recipe version below; when it matches, the script exits
# at once. Bump the version when a build option changes: PREFIX is then rebuilt (the unpacked
# sources and the generated amalgamation stay cached). Otherwise only what is missing is built:
# a library added to the list below (libmicrohttpd was) is built into an existing PREFIX without
# rebuilding the others.
# Needs (scripts/setup.sh installs them): dpkg-dev, gcc, make, tcl, cmake, mingw-w64.
set -euo pipefail
shopt -s inherit_errexit
recipe=1
here=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:?usage: scripts/win-deps.sh PREFIX}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
src=${WL_WIN_DEPS_SRC:-$prefix-src}
toolchain=$here/cmake/mingw-w64-x86_64.cmake
triple=x86_64-w64-mingw32
cc=$triple-gcc-posix
jobs=${WL_JOBS:-2}

stamp=$prefix/.stamp
# up to date: the recipe matches and every library of the list is there
complete() {
  [ "$(cat "$stamp" 2>/dev/null)" = "$recipe" ] && [ -f "$prefix/lib/libmicrohttpd.a" ] &&
    [ -f "$prefix/lib/libzstd.a" ]
}
if complete; then
  echo "win-deps: $prefix up to date"
  exit 0
fi
# One builder at a time per PREFIX (setup.sh may run from several shells); re-check after waiting.
exec 8>"$prefix.lock"
flock -w 1800 8 || { echo "win-deps: $prefix.lock is held by another run" >&2; exit 1; }
if complete; then
  echo "win-deps: $prefix up to date"
  exit 0
fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$recipe" ]; then
  echo "win-deps: recipe changed ($(cat "$stamp") -> $recipe): rebuilding $prefix"
  rm -rf "${prefix:?}/include" "${prefix:?}/lib" "${prefix:?}/bin" "${prefix:?}/share" "$stamp"
fi

sudo_if() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "win-deps: need root for: $*" >&2; return 1; fi; }
log() { echo "win-deps: $*"; }
# run LOGFILE CMD...: quiet unless it fails, then show the end of the log.
run() {
  local logf=$1; shift
  if ! "$@" >>"$logf" 2>&1; then
    echo "win-deps: FAILED: $* (log: $logf)" >&2
    tail -n 40 "$logf" >&2
    return 1
  fi
}

for tool in "$cc" "$triple-ar" dpkg-source tclsh cmake make gcc; do
  command -v "$tool" >/dev/null || { echo "win-deps: $tool missing; run scripts/setup.sh" >&2; exit 1; }
done
mkdir -p "$src"

# deb-src for the Debian repositories already configured (deb822 debian.sources or one-line
# sources.list), written to our own file so the original stays untouched.
ensure_deb_src() {
  apt-cache showsrc sqlite3 2>/dev/null | grep -q '^Package: sqlite3' && return 0
  local d822=/etc/apt/sources.list.d/debian.sources
  local ours=/etc/apt/sources.list.d/wfplearn-deb-src.sources
  local ours1=/etc/apt/sources.list.d/wfplearn-deb-src.list
  if [ ! -f "$ours" ] && [ ! -f "$ours1" ]; then
    if [ -f "$d822" ]; then
      log "adding deb-src entries ($ours, from $d822)"
      awk '/^Types:/ && !/deb-src/ { print "Types: deb-src"; next } { print }' "$d822" |
        sudo_if tee "$ours" >/dev/null
    elif grep -qs '^deb http' /etc/apt/sources.list; then
      log "adding deb-src entries ($ours1, from /etc/apt/sources.list)"
      grep '^deb http' /etc/apt/sources.list | sed 's/^deb /deb-src /' | sudo_if tee "$ours1" >/dev/null
    else
      echo "win-deps: no Debian repository configured to derive a deb-src entry from" >&2
      return 1
    fi
  fi
  log "apt-get update (for the source indexes)"
  sudo_if apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null
  apt-cache showsrc sqlite3 2>/dev/null | grep -q '^Package: sqlite3' || {
    echo "win-deps: apt-cache showsrc sqlite3 still finds nothing" >&2; return 1; }
}

# fetch PKG: prints the unpacked source folder of PKG (apt-get source once into $src).
fetch() {
  local pkg=$1 dir
  dir=$(find "$src" -maxdepth 1 -type d -name "$pkg-[0-9]*" | sort | tail -n 1)
  if [ -z "$dir" ] || [ ! -f "$dir/.wl-unpacked" ]; then
    ensure_deb_src >&2
    log "apt-get source $pkg" >&2
    rm -rf "${dir:-/nonexistent}"
    # The newest version first; a mirror may lack some version's files (seen: a security
    # update's .dsc answering 404), so the other versions the index lists are tried in turn.
    local v ok=
    : >"$src/$pkg.fetch.log"
    for v in $(apt-cache showsrc "$pkg" | awk '/^Version:/ { print $2 }' | sort -Vru); do
      if (cd "$src" && apt-get -q source "$pkg=$v" >>"$src/$pkg.fetch.log" 2>&1); then
        ok=1; break
      fi
      echo "win-deps: apt-get source $pkg=$v failed, trying an older version" >&2
    done
    [ -n "$ok" ] || { echo "win-deps: FAILED: apt-get source $pkg (log: $src/$pkg.fetch.log)" >&2
      tail -n 20 "$src/$pkg.fetch.log" >&2; return 1; }
    dir=$(find "$src" -maxdepth 1 -type d -name "$pkg-[0-9]*" | sort | tail -n 1)
    [ -n "$dir" ] || { echo "win-deps: apt-get source $pkg unpacked nothing" >&2; return 1; }
    touch "$dir/.wl-unpacked"
  fi
  echo "$dir"
}

# SQLite: the amalgamation is generated natively (configure && make sqlite3.c, needs tclsh),
# then compiled once with mingw. Defaults plus: serialized threading, no extension loading.
build_sqlite() {
  [ -f "$prefix/lib/libsqlite3.a" ] && [ -f "$prefix/include/sqlite3.h" ] && return 0
  local dir b logf=$src/sqlite3.log
  dir=$(fetch sqlite3)
  b=$src/build-sqlite3
  : >"$logf"
  if [ ! -f "$b/sqlite3.c" ]; then
    log "sqlite3: generating the amalgamation from $(basename "$dir")"
    rm -rf "$b" && mkdir -p "$b"
    (cd "$b" && run "$logf" "$dir/configure" --disable-tcl --disable-readline &&
      run "$logf" make -j"$jobs" sqlite3.c)
  fi
  log "sqlite3: cross-compiling sqlite3.c"
  run "$logf" "$cc" -O2 -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION \
    -c "$b/sqlite3.c" -o "$b/sqlite3.win.o"
  mkdir -p "$prefix/lib" "$prefix/include"
  rm -f "$prefix/lib/libsqlite3.a"
  run "$logf" "$triple-ar" rcs "$prefix/lib/libsqlite3.a" "$b/sqlite3.win.o"
  install -m 644 "$b/sqlite3.h" "$dir/src/sqlite3ext.h" "$prefix/include/" 2>/dev/null ||
    install -m 644 "$b/sqlite3.h" "$prefix/include/"
}

# cmake_dep NAME SRCDIR ARGS...: configure with our toolchain, build, install into PREFIX.
cmake_dep() {
  local name=$1 dir=$2; shift 2
  local b=$src/build-$name logf=$src/$name.log
  : >"$logf"
  log "$name: cross-building $(basename "$dir")"
  rm -rf "$b"
  run "$logf" cmake -S "$dir" -B "$b" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib "$@"
  run "$logf" cmake --build "$b" -j"$jobs"
  run "$logf" cmake --install "$b"
}

build_cmocka() {
  [ -f "$prefix/include/cmocka.h" ] && ls "$prefix"/lib/libcmocka*.a >/dev/null 2>&1 && return 0
  local dir
  dir=$(fetch cmocka)
  # cmocka 1.1.5: WITH_STATIC_LIB adds libcmocka-static.a; the shared one is built as well
  # (no switch for it), so its import library is removed afterwards to force the static link.
  cmake_dep cmocka "$dir" -DWITH_STATIC_LIB=ON -DBUILD_SHARED_LIBS=OFF -DWITH_EXAMPLES=OFF \
    -DUNIT_TESTING=OFF -DPICKY_DEVELOPER=OFF
  rm -f "$prefix"/lib/libcmocka.dll.a "$prefix"/bin/*cmocka*.dll
  rm -rf "$prefix/lib/cmake/cmocka" "$prefix/lib/pkgconfig/cmocka.pc"
}

# expat: with its CMake build. Debian's security patches test `#if XML_DTD == 1`, which
# autotools' expat_config.h satisfies (`#define XML_DTD 1`) but CMake's (`#define XML_DTD`) does
# not, and the Debian tree is a git snapshot without a generated configure; so the CMake header
# is given autotools' value between configure and build. Users need XML_STATIC: the top-level
# CMakeLists.txt adds it to EXPAT::EXPAT.
build_expat() {
  [ -f "$prefix/include/expat.h" ] && [ -f "$prefix/lib/libexpat.a" ] && return 0
  local dir b logf=$src/expat.log
  dir=$(fetch expat)
  [ -f "$dir/CMakeLists.txt" ] || dir=$dir/expat
  b=$src/build-expat
  : >"$logf"
  log "expat: cross-building $(basename "$(dirname "$dir")")"
  rm -rf "$b"
  run "$logf" cmake -S "$dir" -B "$b" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
    -DEXPAT_SHARED_LIBS=OFF -DEXPAT_BUILD_TOOLS=OFF -DEXPAT_BUILD_EXAMPLES=OFF \
    -DEXPAT_BUILD_TESTS=OFF -DEXPAT_BUILD_DOCS=OFF -DEXPAT_BUILD_FUZZERS=OFF \
    -DEXPAT_BUILD_PKGCONFIG=OFF
  sed -i 's/^#define XML_DTD$/#define XML_DTD 1/' "$b/expat_config.h"
  grep -q '^#define XML_DTD 1$' "$b/expat_config.h" || {
    echo "win-deps: expat: could not set XML_DTD 1 in $b/expat_config.h" >&2; return 1; }
  run "$logf" cmake --build "$b" -j"$jobs"
  run "$logf" cmake --install "$b"
  rm -rf "$prefix/lib/cmake/expat-"*
}

# libmicrohttpd (the review page's HTTP server, `wfplearn ui`): autotools, static, HTTP only
# (no TLS: it serves 127.0.0.1), the threads configure finds (winpthreads with the -posix
# compiler: it reports W32 threads as unavailable), no docs or examples. Debian's tree ships a
# generated configure. Users define nothing extra for the static library; they link ws2_32.
build_mhd() {
  [ -f "$prefix/include/microhttpd.h" ] && [ -f "$prefix/lib/libmicrohttpd.a" ] && return 0
  local dir b logf=$src/libmicrohttpd.log
  dir=$(fetch libmicrohttpd)
  b=$src/build-libmicrohttpd
  : >"$logf"
  log "libmicrohttpd: cross-building $(basename "$dir")"
  rm -rf "$b" && mkdir -p "$b"
  (cd "$b" && run "$logf" "$dir/configure" --host="$triple" --prefix="$prefix" \
    --libdir="$prefix/lib" --enable-static --disable-shared --disable-https --without-gnutls \
    --disable-curl --disable-doc --disable-examples --disable-nls --disable-dauth \
    --with-threads=auto CC="$cc" &&
    run "$logf" make -j"$jobs" -C src/microhttpd &&
    run "$logf" make -C src/microhttpd install && run "$logf" make -C src/include install)
  rm -f "$prefix"/lib/libmicrohttpd.la
  rm -rf "$prefix/lib/pkgconfig/libmicrohttpd.pc"
}

# zstd (the store's event blocks, issue 16): Debian's libzstd source, the library's C files
# compiled straight with mingw (its Makefile and CMake build want more than we need): compression
# and decompression only (no dictionary builder, no legacy formats, no multithreading, no
# assembly: the x86-64 Huffman decoder is a GNU-as file for ELF). Users define nothing extra.
build_zstd() {
  [ -f "$prefix/include/zstd.h" ] && [ -f "$prefix/lib/libzstd.a" ] && return 0
  local dir b logf=$src/libzstd.log f objs=()
  dir=$(fetch libzstd)
  b=$src/build-libzstd
  : >"$logf"
  log "libzstd: cross-compiling $(basename "$dir")"
  rm -rf "$b" && mkdir -p "$b"
  for f in "$dir"/lib/common/*.c "$dir"/lib/compress/*.c "$dir"/lib/decompress/*.c; do
    run "$logf" "$cc" -O2 -DZSTD_DISABLE_ASM -DZSTD_LEGACY_SUPPORT=0 \
      -I"$dir/lib" -I"$dir/lib/common" -c "$f" -o "$b/$(basename "$f" .c).o"
    objs+=("$b/$(basename "$f" .c).o")
  done
  mkdir -p "$prefix/lib" "$prefix/include"
  rm -f "$prefix/lib/libzstd.a"
  run "$logf" "$triple-ar" rcs "$prefix/lib/libzstd.a" "${objs[@]}"
  install -m 644 "$dir/lib/zstd.h" "$dir/lib/zstd_errors.h" "$prefix/include/"
}

build_sqlite
build_cmocka
build_expat
build_mhd
build_zstd
echo "$recipe" >"$stamp"
log "ok: $prefix ($(cd "$prefix/lib" && echo *.a))"
