#!/usr/bin/env bash
# capture.sh — capture costs (native Release build): callback ns/event (what a BFE worker
# pays), decode ns/event, replay parse ns/line (bench/capture_bench.c), then end-to-end
# events/s into the store from `learn --source sim:TRAFFIC` and `--source replay:FILE` over a
# generated traffic file of CAPTURE_EVENTS attempts (default 1000000) from 200 apps.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
b=${WL_BENCH_BUILD:-$here/build/bench}
n=${CAPTURE_EVENTS:-1000000}
cmake -S "$here" -B "$b" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$b" --target capture_bench gen_traffic wfplearn -j2 >/dev/null
"$b/bin/capture_bench" "${CAPTURE_BENCH_N:-2000000}"

w=$(mktemp -d "${TMPDIR:-/tmp}/wl-capture-bench.XXXXXX")
trap 'rm -rf "$w"' EXIT
"$b/bin/gen_traffic" "$w/traffic.jsonl" "$n" 200 1
rate() { # label, then the learn command's arguments
  local label=$1 t0 t1 out
  shift
  t0=$(date +%s.%N)
  out=$("$b/bin/wfplearn" "$@")
  t1=$(date +%s.%N)
  local ev
  ev=$(sed -n 's/^learn: \([0-9]*\) events stored.*/\1/p' <<<"$out")
  awk -v l="$label" -v e="$ev" -v a="$t0" -v z="$t1" \
    'BEGIN { printf "%s: %d events in %.2f s = %.0f events/s\n", l, e, z - a, e / (z - a) }'
}
rate "end-to-end sim -> store" --db "$w/sim.db" --engine "sim:$w/sim.state" \
  learn --source "sim:$w/traffic.jsonl" --record "$w/events.jsonl"
rate "end-to-end replay -> store" --db "$w/replay.db" learn --source "replay:$w/events.jsonl"
