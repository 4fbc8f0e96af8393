#!/usr/bin/env bash
# common.sh — common/ throughput: JSON lines/s and MB/s on real Security-log records, RFC 3339
# format+parse/s, IPv6 formats/s, UTF-16 app ids/s (native Release build).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
b=${WL_BENCH_BUILD:-$here/build/bench}
data=${WL_SHARED_DIR:-$here/../shared}/data/real/otrf_wfp_events_full.jsonl
cmake -S "$here" -B "$b" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$b" --target common_bench -j2 >/dev/null
"$b/bin/common_bench" "$data" "${COMMON_ROUNDS:-20}"
