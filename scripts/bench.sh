#!/usr/bin/env bash
# bench.sh — benchmarks: `scripts/bench.sh NAME [ARGS...]` runs scripts/bench/NAME.sh; with no
# NAME, every scripts/bench/*.sh in turn. Benchmarks build their own Release tree (not part of
# scripts/test.sh: speed is measured here, never asserted in unit tests).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -gt 0 ]; then
  name=$1
  shift
  s=$here/scripts/bench/$name.sh
  [ -f "$s" ] || { echo "bench: no scripts/bench/$name.sh (have: $(cd "$here/scripts/bench" && ls *.sh | sed 's/\.sh$//' | tr '\n' ' '))" >&2; exit 2; }
  exec bash "$s" "$@"
fi
rc=0
for s in "$here"/scripts/bench/*.sh; do
  echo "== bench $(basename "$s" .sh)"
  bash "$s" || { echo "bench: $(basename "$s") failed" >&2; rc=1; }
done
exit $rc
