#!/usr/bin/env bash
# store.sh — the SQLite store (native Release build):
#   1. SQLite's own bulk insert of rows shaped like our events, same durability (WAL, NORMAL),
#      one prepared INSERT, one transaction per batch: the ceiling for the write path;
#   2. wl_store_write events/s for STORE_EVENTS events over 2,000 flows (Zipf s=1.1) and over
#      500,000 flows (uniform: every flow is hit, the worst case for the flow upserts), the
#      latter next to its own reference: SQLite's upsert + insert per row over the same keys;
#   2b. the fixed cost of a transaction: 200,000 events in batches of 10 over 2,000 flows, and
#       with a realistic flows table (1,000,000 events over 20,000 flows, what gen-traffic's week
#       makes): batches of 2,048 against batches of 8,192 (a batch rewrites the flows pages it
#       touches, so that cost grows with the table, not the batch);
#   3. a simulated week: STORE_WEEK_EVENTS events over 20,000 flows (Zipf) spread over 7 days,
#      default retention: bytes per event on disk (database + WAL);
#   4. the time of each review query on that week's store.
# Sizes: STORE_EVENTS (default 5000000), STORE_WEEK_EVENTS (default 10000000), STORE_BATCH
# (default 2048, WL_CAPTURE_BATCH). The databases go to STORE_BENCH_DIR (default: the build folder) and are
# removed afterwards unless STORE_KEEP=1.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
b=${WL_BENCH_BUILD:-$here/build/bench}
n=${STORE_EVENTS:-5000000}
week=${STORE_WEEK_EVENTS:-10000000}
batch=${STORE_BATCH:-2048}
dir=${STORE_BENCH_DIR:-$b/store-bench}
cmake -S "$here" -B "$b" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$b" --target store_bench -j2 >/dev/null
bin=$b/bin/store_bench
mkdir -p "$dir"
"$bin" sqlite "$dir/ref.db" "$n" "$batch"
"$bin" write "$dir/zipf.db" "$n" 2000 zipf "$batch"
"$bin" write "$dir/wide.db" "$n" 500000 uniform "$batch"
"$bin" sqlite-upsert "$dir/ref-upsert.db" "$n" 500000 "$batch"
"$bin" write "$dir/small.db" 200000 2000 zipf 10
"$bin" txcost "$dir/tx.db" 1000000 20000 2048 8192
"$bin" week "$dir/week.db" "$week" 20000 "$batch"
"$bin" query "$dir/week.db"
if [ "${STORE_KEEP:-0}" != 1 ]; then
  rm -f "$dir"/*.db "$dir"/*.db-wal "$dir"/*.db-shm
fi
