#!/usr/bin/env bash
# demo.sh — the main job, on the simulated engine: a week of a workstation's traffic learned in
# accelerated time, reviewed, the good proposals promoted to permit filters, enforce switched on
# and confirmed, then one more day replayed to show that the promoted apps pass and everything
# else is blocked by wfplearn's default block and logged for review.
#
#   scripts/demo.sh [--attempts N] [--keep DIR]
#
# Everything lands in DIR (default build/demo-run): week.jsonl, day.jsonl, wfplearn.db and the
# sim engine's state file, so you can keep exploring with the commands printed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
attempts=1000000
run=$here/build/demo-run
while [ $# -gt 0 ]; do
  case $1 in
    --attempts) attempts=$2; shift 2 ;;
    --keep) run=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
t_start=$(date +%s)

section "1. Setup and build (native, Release)"
"$here/scripts/setup.sh" --native
cmake -S "$here" -B "$here/build/demo" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$here/build/demo" --target wfplearn -j2 >/dev/null
bin=$here/build/demo/bin/wfplearn
mkdir -p "$run"
rm -f "$run/wfplearn.db" "$run/wfplearn.db-wal" "$run/wfplearn.db-shm" "$run/sim.state"*
db=$run/wfplearn.db
state=$run/sim.state
W() { "$bin" --db "$db" --engine "sim:$state" "$@"; }
echo "built $bin"

section "2. A week of traffic ($attempts attempts, scripts/gen-traffic)"
"$here/scripts/gen-traffic" --attempts "$attempts" --seed 7 -o "$run/week.jsonl"

section "3. Learn: the sim engine classifies the week, wfplearn records every event"
echo "\$ wfplearn learn --source sim:week.jsonl"
W learn --source "sim:$run/week.jsonl"

section "4. Status"
W status

section "5. Review: what was seen and is not yet allowed"
W review

section "6. Promote the proposals nobody has to think twice about"
# Outbound proposals without a warning flag (no temp-path, seen-once, no-app, svchost).
ids=$(W review --json | python3 -c '
import json, sys
print(" ".join(str(p["id"]) for p in json.load(sys.stdin)
               if "id" in p and p["dir"] == "out" and not p["flags"]))')  # not revoke/held
echo "\$ wfplearn promote $ids"
W promote $ids
W rules

section "7. Enforce: default block, rolled back unless confirmed"
echo "\$ wfplearn enforce --confirm-within 120"
W enforce --confirm-within 120
W status | grep -E '^mode'
echo "\$ wfplearn confirm"
W confirm
W verify

section "8. One more day under enforce"
"$here/scripts/gen-traffic" --attempts $((attempts / 7)) --days 1 --seed 8 \
  --start 2026-11-23T00:00:00Z -o "$run/day.jsonl"
W learn --source "sim:$run/day.jsonl" --record "$run/day-events.jsonl"
echo
echo "What happened to each app that day (from the recorded events):"
python3 - "$run/day-events.jsonl" <<'PY'
import collections, json, sys
c = collections.defaultdict(collections.Counter)
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    app = e.get("app_dos") or e.get("app") or "(no app)"
    c[app.split("\\")[-1] or app][e["type"]] += 1
for app, n in sorted(c.items(), key=lambda kv: -sum(kv[1].values())):
    verdict = "passes" if n["drop"] == 0 else ("BLOCKED" if n["allow"] == 0 else "mixed")
    print(f"  {app:28} allowed {n['allow']:7}  blocked {n['drop']:7}  {verdict}")
PY
echo
echo "Blocked that day, waiting in review (note who blocked it):"
W review --since 1d

section "Done in $(( $(date +%s) - t_start )) s. Keep exploring:"
cat <<EOT
  W="$bin --db $db --engine sim:$state"
  \$W status                 # counters, mode, size
  \$W review --json          # proposals for scripts
  \$W rules                  # the whitelist and its filters
  \$W promote ID --dry-run   # what a promote would add
  \$W relax                  # remove the default block, back to learn
  \$W uninstall              # remove every WFP object of wfplearn
EOT
