#!/usr/bin/env bash
# fuzz-decode.sh — build the libFuzzer target of the consumer's cached decoder
# (tests/fuzz/fuzz_decode.c: wl_decoder against wl_decode, with the drive map changing) in the
# tree fuzz-replay.sh uses and run it for a fixed number of inputs from two seeds.
# Exit 0 when no crash, sanitizer report or difference.
#   FUZZ_RUNS (default 500000) inputs; WL_BUILD_ROOT (default ./build) holds the tree.
set -euo pipefail
here=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
root=${WL_BUILD_ROOT:-$here/build}
b=$root/fuzz-capture
mkdir -p "$b"
if ! command -v clang >/dev/null; then
  echo "fuzz-decode: SKIPPED: clang is not installed"
  exit 77
fi
cmake -S "$here" -B "$b" -DCMAKE_C_COMPILER=clang -DWL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >"$b.decode.configure.log" 2>&1 || { cat "$b.decode.configure.log"; exit 1; }
cmake --build "$b" --target fuzz_decode -j2 >"$b.decode.build.log" 2>&1 ||
  { tail -40 "$b.decode.build.log"; exit 1; }

corpus=$b/fuzz_decode_corpus
mkdir -p "$corpus"
# control bytes (map op, app prefix with "sizes from the input", extra, map on), 16 bytes of
# timestamp and filter id, flags (every header flag), type 6 (classify allow), then an app tail
printf '\x01\x80\x00\x00%016d\xff\x7f\x00\x00\x06\x00\x00\x00' 0 | tr 0 '\0' >"$corpus/seed1"
printf 'a\x00p\x00p\x00.\x00e\x00x\x00e\x00\x00\x00' >>"$corpus/seed1"
printf '\x09\x81\x02\x00%016d\x20\x00\x00\x00\x03\x00\x00\x00' 0 | tr 0 '\0' >"$corpus/seed2"
"$b/bin/fuzz_decode" -runs="${FUZZ_RUNS:-500000}" -seed=1 -error_exitcode=1 -max_len=2048 \
  -timeout=10 -rss_limit_mb=1024 -artifact_prefix="$b/decode-" "$corpus"
echo "fuzz-decode: clean"
