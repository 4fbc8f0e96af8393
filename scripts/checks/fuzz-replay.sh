#!/usr/bin/env bash
# fuzz-replay.sh — build the libFuzzer target of the JSON-lines event stream parser
# (tests/fuzz/fuzz_replay.c, clang, -DWL_FUZZ=ON) in its own tree and run it for a fixed number of
# iterations from a small seed corpus. Exit 0 when no crash, leak or invariant failure.
#   FUZZ_RUNS (default 500000) iterations; WL_BUILD_ROOT (default ./build) holds the tree.
set -euo pipefail
here=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
root=${WL_BUILD_ROOT:-$here/build}
b=$root/fuzz-capture
mkdir -p "$b"
cmake -S "$here" -B "$b" -DCMAKE_C_COMPILER=clang -DWL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >"$b.configure.log" 2>&1 || { cat "$b.configure.log"; exit 1; }
cmake --build "$b" --target fuzz_replay -j2 >"$b.build.log" 2>&1 || { tail -40 "$b.build.log"; exit 1; }

corpus=$b/fuzz_replay_corpus
mkdir -p "$corpus"
cat >"$corpus/seed1" <<'LINES'
{"ts":"2026-11-24T03:30:49.1234567Z","type":"drop","dir":"in","app":"\\device\\harddiskvolume3\\a.exe","app_dos":"C:\\a.exe","proto":6,"local":"192.168.1.23:445","remote":"192.168.1.50:50000","filter_id":65001,"layer_id":44,"user":"S-1-5-18"}
{"ts":"2026-01-01T00:00:00+02:00","type":"cap-allow","remote":"[2001:db8::1]:443","local":"2001:db8::23","package":"S-1-15-2-1-2","loopback":true,"reauth":4}
{"ts":"2026-01-01T00:00:00Z","type":"allow","local_port":53,"ip_version":6,"app":"\u00e9\ud83d\ude00","app_truncated":true}
# comment

{"ts":"2026-01-01 00:00:00.5","type":"other","dir":"?"}
LINES
printf '{"ts":"2026-01-01T00:00:00Z","type":"drop","remote":"1.2.3.4"}' >"$corpus/seed2"
"$b/bin/fuzz_replay" -runs="${FUZZ_RUNS:-500000}" -seed=1 -error_exitcode=1 -max_len=8192 -timeout=10 \
  -rss_limit_mb=1024 -artifact_prefix="$b/" "$corpus"
echo "fuzz-replay: clean"
