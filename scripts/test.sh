#!/usr/bin/env bash
# test.sh — every test of the tree, from one command (README.md; .ci/run calls exactly this).
#
#   scripts/test.sh
#
# Runs scripts/setup.sh, then configures, builds (-j2) and runs ctest for five flavours under
# ./build/, every one with -DWL_WERROR=ON (warnings are errors):
#   native       gcc, RelWithDebInfo — every test
#   native-clang clang, RelWithDebInfo — every test
#   native-asan  gcc, ASan + UBSan (-DWL_SANITIZE=address), Debug at -O1 — every test
#   native-tsan  gcc, TSan (-DWL_SANITIZE=thread) — only the tests labelled tsan (target
#                wl_tsan_tests, `ctest -L tsan`; see wl_add_test LABELS)
#   win          mingw-w64 (cmake/mingw-w64-x86_64.cmake, -DWL_WIN_DEPS=build/win-deps), the
#                .exes run under wine through cmake/wine-run.sh in build/wineprefix
# then `wfplearn.exe --help` under wine (must print usage), then every executable
# scripts/checks/*.sh (one test each, pass = exit 0, skipped = exit 77; they get WL_BUILD_ROOT,
# WL_SOURCE_DIR and WL_SHARED_DIR, run from the repo root, output in build/checks/NAME.log).
# A flavour whose configure or build fails counts one failure (tests it could not build fail
# too). Skipped tests are the ctest entries that exit 77 (SKIP_RETURN_CODE): the ones that need
# the real samples kept outside the repository (*_shared, see tests/data/real/README.md) when
# ../shared/data/real is not there. They are counted apart, never as passed, and do not fail the
# run. Logs: build/<flavour>/{configure,build,ctest}.log. The last line is always
# `N passed, M failed, K skipped`; the exit status is non-zero when M > 0.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 1
root=$here/build
jobs=${WL_JOBS:-2}
passed=0
failed=0
skipped=0
report=()

exec </dev/null   # CI gives no standard input; nothing here reads one (wine neither)
mkdir -p "$root"
exec 9>"$root/.test.lock"
flock -w 3600 9 || {
  echo "test: another scripts/test.sh holds $root/.test.lock"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

finish() {
  echo
  echo "== summary"
  printf '  %s\n' "${report[@]}"
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
  exit $?
}

# note SUITE PASS FAIL SKIP [WHAT]: add to the totals and the per-suite report.
note() {
  passed=$((passed + $2))
  failed=$((failed + $3))
  skipped=$((skipped + $4))
  report+=("$(printf '%-12s %4d ok  %4d failing  %4d skipped  %s' "$1" "$2" "$3" "$4" "${5:-}")")
}

t0=$(date +%s)
if ! scripts/setup.sh "$root"; then
  echo "test: SETUP FAILED (scripts/setup.sh)"
  note setup 0 1 0 "scripts/setup.sh failed"
  finish
fi
echo "test: setup $(( $(date +%s) - t0 )) s"

wl_shared=$(cd "$here/../shared" 2>/dev/null && pwd || echo "$here/../shared")
export WL_SHARED_DIR=$wl_shared
export WINEPREFIX=$root/wineprefix WINEDEBUG=-all

# drop_stale BUILD_DIR: after a failed `make -k`, delete the executable of every target make
# reports as failed or "not remade because of errors" (a dependency failed), so that ctest fails
# those tests instead of running the binary of an earlier build.
drop_stale() {
  local b=$1 t
  grep -E 'Error [0-9]|not remade because of errors' "$b/build.log" |
    grep -oE 'CMakeFiles/[A-Za-z0-9_.+-]+\.dir/' | sed -E 's|CMakeFiles/(.*)\.dir/|\1|' | sort -u |
    while read -r t; do
      find "$b" \( -name "$t" -o -name "$t.exe" \) -type f -delete
    done
}

# flavour NAME TARGET CTEST_ARGS -- CMAKE_ARGS...: configure, build TARGET (or all), run ctest.
flavour() {
  local name=$1 target=$2 ctest_args=$3
  shift 4
  local b=$root/$name t
  t=$(date +%s)
  mkdir -p "$b"
  echo "== $name"
  if ! cmake -S "$here" -B "$b" "$@" >"$b/configure.log" 2>&1; then
    echo "CONFIGURE FAILED: $name (log: $b/configure.log)"
    grep -A4 'CMake Error' "$b/configure.log" | head -n 30
    note "$name" 0 1 0 "CONFIGURE FAILED, see $b/configure.log"
    return
  fi
  local build_failed=0
  local targ=()
  [ -n "$target" ] && targ=(--target "$target")
  if ! cmake --build "$b" -j"$jobs" "${targ[@]}" -- -k >"$b/build.log" 2>&1; then
    build_failed=1
    echo "BUILD FAILED: $name (log: $b/build.log); tests that did not build fail below"
    grep -E 'error|undefined reference|Error [0-9]' "$b/build.log" | head -n 30
    drop_stale "$b"
  fi
  # shellcheck disable=SC2086
  ctest --test-dir "$b" -j"$jobs" --output-on-failure $ctest_args >"$b/ctest.log" 2>&1
  # ctest counts a skipped test (exit 77, SKIP_RETURN_CODE) in "out of N" and lists it under
  # "The following tests did not run:" as "NUMBER - NAME (Skipped)".
  local line total nfail nskip
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$b/ctest.log" | tail -n 1)
  nskip=$(grep -cE '^[[:space:]]+[0-9]+ - .+ \(Skipped\)$' "$b/ctest.log")
  if [ -n "$line" ]; then
    total=${line##* out of }
    nfail=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed.*/\1/')
  else
    total=0 nfail=1 nskip=0
    echo "ctest ran no test in $name (log: $b/ctest.log)"
    tail -n 5 "$b/ctest.log"
  fi
  if [ "$nfail" -gt 0 ]; then
    # each failing test's result line and the start of its output (60 lines), then the list
    awk '/Test +#[0-9]+:.*(\*\*\*|Not Run)/ && !/\*\*\*Skipped/ { p = 1; n = 0 }
         /Test +#[0-9]+:.*(Passed|Skipped)/ || /^ +Start +[0-9]+:/ || /tests passed,/ { p = 0 }
         p && n++ < 60' "$b/ctest.log"
    sed -n '/The following tests FAILED/,$p' "$b/ctest.log"
    echo "(full output: $b/ctest.log)"
  fi
  local what=""
  [ "$build_failed" = 1 ] && what="BUILD FAILED, see $b/build.log"
  [ "$nskip" -gt 0 ] && what="${what:+$what; }skipped: $(sed -nE 's/^[[:space:]]+[0-9]+ - (.+) \(Skipped\)$/\1/p' "$b/ctest.log" | paste -sd' ')"
  note "$name" $((total - nfail - nskip)) $((nfail + build_failed)) "$nskip" "$what"
  echo "$name: $((total - nfail - nskip))/$total tests passed, $nskip skipped$([ "$build_failed" = 1 ] && echo ', build failed') ($(( $(date +%s) - t )) s)"
}

flavour native "" "" -- -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWL_SANITIZE= -DWL_WERROR=ON
flavour native-clang "" "" -- -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWL_SANITIZE= -DWL_WERROR=ON
flavour native-asan "" "" -- -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" \
  -DWL_SANITIZE=address -DWL_WERROR=ON
flavour native-tsan wl_tsan_tests "-L tsan" -- -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWL_SANITIZE=thread -DWL_WERROR=ON

# The Windows flavour: one persistent wineserver for all the .exes (else each pays ~2.5 s),
# booted with /dev/null as stdio (wine's services outlive it and would hold our pipes).
wineserver -p </dev/null >/dev/null 2>&1
wine wineboot </dev/null >/dev/null 2>&1
trap 'wineserver -k 2>/dev/null' EXIT
flavour win "" "" -- -DCMAKE_TOOLCHAIN_FILE="$here/cmake/mingw-w64-x86_64.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWL_WIN_DEPS="$root/win-deps" -DWL_WINEPREFIX="$WINEPREFIX" \
  -DWL_WERROR=ON

# wfplearn.exe --help under wine prints usage (\r stripped: Windows line ends).
exe=$(find "$root/win" -name wfplearn.exe -type f 2>/dev/null | head -n 1)
if [ -n "$exe" ] && out=$("$here/cmake/wine-run.sh" "$WINEPREFIX" "$exe" --help 2>&1 | tr -d '\r') &&
   echo "$out" | grep -q '^usage: wfplearn'; then
  note wine-help 1 0 0 "${exe#"$here"/} --help"
else
  echo "FAILED: ${exe:-build/win/.../wfplearn.exe (not built)} --help under wine printed no usage:"
  echo "${out:-}" | head -n 10
  note wine-help 0 1 0 "wfplearn.exe --help printed no usage"
fi
wineserver -k 2>/dev/null
trap - EXIT

# Extra checks registered by modules (fuzz runs, end-to-end scripts): one test each; exit 77
# means skipped (a missing tool), said on the check's last line.
mkdir -p "$root/checks"
cp=0 cf=0 cs=0 names=() skips=()
for c in "$here"/scripts/checks/*.sh; do
  [ -x "$c" ] || continue
  n=$(basename "$c" .sh)
  echo "== check $n"
  WL_BUILD_ROOT=$root WL_SOURCE_DIR=$here timeout 1800 "$c" >"$root/checks/$n.log" 2>&1
  case $? in
    0) cp=$((cp + 1)) ;;
    77) cs=$((cs + 1)) skips+=("$n")
        echo "check skipped: $n: $(tail -n 1 "$root/checks/$n.log")" ;;
    *) cf=$((cf + 1)) names+=("$n")
       echo "CHECK FAILED: $n (log: $root/checks/$n.log)"
       tail -n 20 "$root/checks/$n.log" ;;
  esac
done
what="${names[*]:+failed: ${names[*]}}"
[ ${#skips[@]} -gt 0 ] && what="${what:+$what; }skipped: ${skips[*]}"
[ $((cp + cf + cs)) -gt 0 ] && note checks "$cp" "$cf" "$cs" "$what"
echo "test: total $(( $(date +%s) - t0 )) s"
finish
