#!/usr/bin/env bash
# fuzz-store.sh — build the libFuzzer target of the raw events' block decoder
# (tests/fuzz/fuzz_store_block.c: store/store_block.c's wl_block_decode, what turns a blocks.data
# BLOB of a possibly damaged store back into events; issue 16; clang, -DWL_FUZZ=ON) in its own
# tree and run it for a fixed number of iterations from seed blocks made by the real encoder (the
# target writes them into the corpus when WL_FUZZ_SEED_DIR is set). Exit 0 when no crash,
# sanitizer report or invariant failure (a result other than WL_OK/WL_E_CORRUPT, a decoded block
# that does not encode back to the same rows); 77 (skipped) when clang cannot link a libFuzzer
# program here.
#   FUZZ_RUNS (default 200000, ~60 s here) iterations; WL_BUILD_ROOT (default ./build) holds the tree.
set -euo pipefail
here=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
root=${WL_BUILD_ROOT:-$here/build}
b=$root/fuzz-store
mkdir -p "$b"
probe=$b/probe
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe.c"
if ! command -v clang >/dev/null || ! clang -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" >"$probe.log" 2>&1; then
  echo "fuzz-store: SKIPPED: clang with libFuzzer is not available here (see $probe.log)"
  exit 77
fi
cmake -S "$here" -B "$b" -DCMAKE_C_COMPILER=clang -DWL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >"$b.configure.log" 2>&1 || { cat "$b.configure.log"; exit 1; }
cmake --build "$b" --target fuzz_store_block -j2 >"$b.build.log" 2>&1 || { tail -40 "$b.build.log"; exit 1; }

corpus=$b/fuzz_store_block_corpus
rm -rf "$corpus"
mkdir -p "$corpus"
# -max_len: a full block of the seeds is ~40 KB; damaged headers and frames need far less
WL_FUZZ_SEED_DIR=$corpus "$b/bin/fuzz_store_block" -runs="${FUZZ_RUNS:-200000}" -seed=1 \
  -error_exitcode=1 -max_len=65536 -timeout=10 -rss_limit_mb=1024 -artifact_prefix="$b/" "$corpus"
echo "fuzz-store: clean"
