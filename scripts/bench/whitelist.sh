#!/usr/bin/env bash
# whitelist.sh — how long the whitelist commands take on a week of traffic (native Release
# build, sim engine): a store filled by `learn` from scripts/gen-traffic (WHITELIST_ATTEMPTS,
# default 1000000 attempts), then review (text and --json), promote of every proposal in one
# transaction, rules, verify, enforce + confirm (watchdog start included), relax, export and
# import-policy into a fresh store, and uninstall. One line per command: wall seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
b=${WL_BENCH_BUILD:-$here/build/bench}
n=${WHITELIST_ATTEMPTS:-1000000}
cmake -S "$here" -B "$b" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$b" --target wfplearn -j2 >/dev/null
w=$(mktemp -d "${TMPDIR:-/tmp}/wl-whitelist-bench.XXXXXX")
trap 'rm -rf "$w"' EXIT
python3 "$here/scripts/gen-traffic" --attempts "$n" --seed 1 -o "$w/traffic.jsonl"
wl() { "$b/bin/wfplearn" --db "$w/week.db" --engine "sim:$w/sim.state" "$@"; }
timed() { # label, then wfplearn arguments; output to $w/out
  local label=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  wl "$@" >"$w/out"
  t1=$(date +%s.%N)
  awk -v l="$label" -v a="$t0" -v z="$t1" 'BEGIN { printf "%-34s %8.3f s\n", l, z - a }'
}
timed "learn ($n attempts)" learn --source "sim:$w/traffic.jsonl"
tail -1 "$w/out"
timed "review" review
timed "review --json" review --json
ids=$(python3 -c 'import json,sys; print(" ".join(str(p["id"]) for p in json.load(open(sys.argv[1])) if p["promotable"]))' "$w/out")
echo "proposals: $(wc -w <<<"$ids") promotable"
timed "promote (all, one transaction)" promote $ids
tail -1 "$w/out"
timed "review after promote" review
timed "rules --json" rules --json
timed "verify" verify
tail -1 "$w/out"
timed "enforce --confirm-within 60" enforce --confirm-within 60
timed "confirm" confirm
timed "verify (enforcing)" verify
timed "relax" relax
timed "export" export -o "$w/policy.json"
# The fresh machine has the same apps installed (an app id needs the file): the sim state with
# its files, wfplearn's objects removed.
cp "$w/sim.state" "$w/other.state"
"$b/bin/wfplearn" --db "$w/other.db" --engine "sim:$w/other.state" uninstall >/dev/null 2>&1
t0=$(date +%s.%N)
"$b/bin/wfplearn" --db "$w/other.db" --engine "sim:$w/other.state" import-policy "$w/policy.json" >/dev/null
t1=$(date +%s.%N)
awk -v a="$t0" -v z="$t1" 'BEGIN { printf "%-34s %8.3f s\n", "import-policy (fresh machine)", z - a }'
timed "uninstall" uninstall
