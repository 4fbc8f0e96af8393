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
# With STORE_STREAM="1000000 3000000" (issue 16; the default) it first runs, per size, the stress
# stream (bench/store_stream.c: 300 apps, 5,000 hosts, Zipf, 20 % drops, 10 % IPv6) through the
# real path, `wfplearn learn --source replay:FILE`, right after SQLite's own bulk insert of the
# same events (the ceiling), and prints one line: N, flows, ceiling s, wfplearn s, ratio
# (ceiling s / wfplearn s: >= 1 means faster than SQLite's bulk insert), bytes/event, max RSS;
# before it, the store's own part (`store_stream write`: the same events from memory through
# wl_store_write) with its wall and CPU time next to the ceiling's.
# STORE_ONLY_STREAM=1 stops after it.
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
cmake --build "$b" --target store_bench store_stream wfplearn -j2 >/dev/null
bin=$b/bin/store_bench
mkdir -p "$dir"
stream_line() { # N: one line of the table
  local n=$1 f=$dir/stream.jsonl db=$dir/stream.db ceil t rss ev flows bytes
  "$b/bin/store_stream" gen "$f" "$n"
  "$b/bin/store_stream" ceiling "$dir/ceiling.db" "$n" | tee "$dir/ceiling.out"
  ceil=$(awk '{print $4}' "$dir/ceiling.out")
  # the store's own part (events in memory, wl_store_write): CPU time against the ceiling's
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "store max RSS %M KB" "$b/bin/store_stream" write "$dir/write.db" "$n"
  else
    "$b/bin/store_stream" write "$dir/write.db" "$n"
  fi
  rm -f "$dir/write.db" "$dir/write.db-wal" "$dir/write.db-shm"
  rm -f "$db" "$db-wal" "$db-shm" "$dir/ceiling.db" "$dir/ceiling.db-wal"
  local t0 t1
  t0=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$dir/rss" "$b/bin/wfplearn" --db "$db" --engine sim learn \
      --source "replay:$f" >"$dir/learn.out"
    rss=$(cat "$dir/rss")
  else
    "$b/bin/wfplearn" --db "$db" --engine sim learn --source "replay:$f" >"$dir/learn.out"
    rss=?
  fi
  t1=$(date +%s.%N)
  ev=$(sed -n 's/^learn: \([0-9]*\) events stored.*/\1/p' "$dir/learn.out")
  flows=$(sed -n 's/.* \([0-9]*\) flows, .*/\1/p' "$dir/learn.out")
  bytes=$(stat -c %s "$db" "$db-wal" 2>/dev/null | awk '{s+=$1} END {print s}')
  awk -v n="$n" -v ev="$ev" -v fl="$flows" -v c="$ceil" -v t0="$t0" -v t1="$t1" -v b="$bytes" \
      -v rss="$rss" 'BEGIN { t = t1 - t0; printf "stream N=%d stored=%d flows=%d ceiling %.2f s " \
      "wfplearn %.2f s ratio %.2fx %.1f bytes/event max RSS %s KB\n", n, ev, fl, c, t, c / t, \
      b / ev, rss }'
  rm -f "$f" "$db" "$db-wal" "$db-shm"
}
for n in ${STORE_STREAM-1000000 3000000}; do stream_line "$n"; done
[ "${STORE_ONLY_STREAM:-0}" = 1 ] && exit 0
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
