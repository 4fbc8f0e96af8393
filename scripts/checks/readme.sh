#!/usr/bin/env bash
# readme.sh — the README's tour must work as shown. Extracts every fenced ```sh block between
# "## A tour" and the next "## " heading of README.md and runs them in order, with `set -e`, in
# a scratch folder laid out like the repo (scripts/ and tests/data/ reachable; nothing beside
# it, so the tour needs nothing outside the repository), against the native build's wfplearn on
# the simulated engine. Called by scripts/test.sh (one check).
set -euo pipefail
src=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${WL_BUILD_ROOT:-$src/build}
bin=$build/native/bin
[ -x "$bin/wfplearn" ] || { echo "readme: $bin/wfplearn is not built"; exit 1; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/repo"
ln -s "$src/scripts" "$scratch/repo/scripts"
mkdir -p "$scratch/repo/tests"
ln -s "$src/tests/data" "$scratch/repo/tests/data"

awk '/^## A tour/ {on=1; next} on && /^## / {exit}
     on && /^```sh$/ {inblock=1; next} inblock && /^```$/ {inblock=0; next}
     inblock {print}' "$src/README.md" > "$scratch/tour.sh"
n=$(grep -cv '^\s*\(#\|$\)' "$scratch/tour.sh" || true)
[ "$n" -ge 10 ] || { echo "readme: only $n commands found in the tour"; exit 1; }
echo "readme: running $n commands from README.md's tour"

cd "$scratch/repo"
export PATH="$bin:$PATH"
bash -euo pipefail -x "$scratch/tour.sh" > "$scratch/out.log" 2>&1 || {
  tail -40 "$scratch/out.log"; echo "readme: a tour command failed"; exit 1; }
grep -q 'rules added' "$scratch/out.log" || { echo "readme: promote added nothing"; exit 1; }
echo "readme: all $n commands ran"
