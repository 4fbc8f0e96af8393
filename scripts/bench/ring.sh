#!/usr/bin/env bash
# ring.sh — records/s through the MPSC ring for 1 and 2 producers (native Release build).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
b=${WL_BENCH_BUILD:-$here/build/bench}
cmake -S "$here" -B "$b" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$b" --target ring_bench -j2 >/dev/null
"$b/bin/ring_bench" 2 "${RING_RECORDS:-2000000}"
