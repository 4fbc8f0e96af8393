#!/usr/bin/env bash
# browser.sh — the review page in a real browser (issue 14): learns a week on the sim, starts
# `wfplearn ui --no-browser`, and runs tests/ui/browser.mjs (playwright-core driving Debian's
# chromium) against it. Screenshots land in OUT (default BUILD/ui-screenshots).
#
#   tests/ui/browser.sh WFPLEARN [OUT [HELD_SEED]]
#
# HELD_SEED (tests/ui/held_seed.c, built as wl_held_seed): first leaves connections that only the
# sim's connection tables showed in the store, so the page has a table-only section (issue 19).
#
# Exit 77 (ctest: skipped) only when chromium cannot run here at all (browser.mjs decides,
# after trying to start it); a missing node or playwright-core is a failure: scripts/setup.sh
# installs them.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:?usage: tests/ui/browser.sh WFPLEARN [OUT]}
out=${2:-$(dirname "$(dirname "$bin")")/ui-screenshots}
seed=${3:-}
command -v node >/dev/null || { echo "browser.sh: node missing (scripts/setup.sh installs it)" >&2; exit 1; }
[ -d "$here/node_modules/playwright-core" ] || {
  echo "browser.sh: $here/node_modules/playwright-core missing (scripts/setup.sh runs npm ci)" >&2; exit 1; }
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  "$bin" --db "$work/w.db" --engine "sim:$work/sim.state" relax >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out"
"$here/scripts/gen-traffic" --attempts 20000 --seed 7 -o "$work/week.jsonl" >/dev/null
if [ -n "$seed" ]; then # before the week: a capture now would backfill the sim's events again
  "$seed" "$work/w.db" "$work/sim.state"
fi
# a learning window (learn --for) so the page's header has one to show
"$bin" --db "$work/w.db" --engine "sim:$work/sim.state" learn --for 7d --source "sim:$work/week.jsonl"
"$bin" --db "$work/w.db" --engine "sim:$work/sim.state" ui --no-browser >"$work/ui.out" 2>"$work/ui.err" &
pid=$!
for _ in $(seq 100); do [ -s "$work/ui.out" ] && break; sleep 0.1; done
url=$(head -n 1 "$work/ui.out")
case $url in http://127.0.0.1:*/?token=*) ;; *) echo "browser.sh: no URL from wfplearn ui" >&2; cat "$work/ui.err" >&2; exit 1;; esac
WFPLEARN="$bin" WL_HELD="${seed:+1}" WL_DB="$work/w.db" WL_STATE="$work/sim.state" WL_URL="$url" WL_OUT="$out" \
  WL_ROOT="$here" timeout 240 node "$here/tests/ui/browser.mjs"
