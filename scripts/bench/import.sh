#!/usr/bin/env bash
# import.sh — import speed per format, in records/s (read from the file), for three cases:
# parse only (--dry-run), into a fresh store, and the same file again (every record a
# duplicate). Inputs are the real samples repeated with each copy's Computer/Hostname changed
# (so Security records stay distinct; pfirewall lines are distinct by position anyway).
#   IMPORT_COPIES (default 10): copies of otrf (3,056 records) and pfirewall (16,809), and 10×
#   that many of the 101-event XML sample. Native Release build in WL_BENCH_BUILD.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
b=${WL_BENCH_BUILD:-$here/build/bench}
real=${WL_SHARED_DIR:-$here/../shared}/data/real
copies=${IMPORT_COPIES:-10}
cmake -S "$here" -B "$b" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$b" --target wfplearn -j2 >/dev/null
w=$b/bin/wfplearn
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for k in $(seq 1 "$copies"); do
  sed "s/\"Hostname\":\"/\"Hostname\":\"c$k-/" "$real/otrf_wfp_events_full.jsonl"
done >"$work/sec.jsonl"
for k in $(seq 1 $((copies * 10))); do
  sed "s/<Computer>/<Computer>c$k-/" "$real/evtxattack_DE_RDP_Tunnel_5156.evtxexport.xml"
done >"$work/events.xml"
for k in $(seq 1 "$copies"); do cat "$real/pfirewall_BetaHydri_ParseFirewallLog.log"; done \
  >"$work/pfirewall.log"

now() { date +%s.%N; }
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
run() { # label format file [extra args]
  local label=$1 fmt=$2 file=$3
  shift 3
  local t0 t1 out read
  t0=$(now)
  out=$("$w" --db "$work/store.db" import --format "$fmt" --json "$@" "$file")
  t1=$(now)
  read=$(echo "$out" | field read)
  awk -v l="$label" -v f="$fmt" -v n="$read" -v a="$t0" -v b="$t1" -v mb="$(stat -c %s "$file")" \
    -v imp="$(echo "$out" | field imported)" -v dup="$(echo "$out" | field duplicate)" \
    'BEGIN { s = b - a; printf "import %-9s %-10s %8d records in %6.2f s: %9.0f records/s, %6.1f MB/s (imported %d, duplicate %d)\n", f, l, n, s, n / s, mb / 1e6 / s, imp, dup }'
}
for spec in secjson:sec.jsonl evtxml:events.xml pfirewall:pfirewall.log; do
  fmt=${spec%%:*} file=$work/${spec#*:}
  rm -f "$work"/store.db*
  run parse-only "$fmt" "$file" --dry-run
  run new-store "$fmt" "$file"
  run again "$fmt" "$file"
done
