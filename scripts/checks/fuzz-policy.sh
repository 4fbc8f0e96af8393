#!/usr/bin/env bash
# fuzz-policy.sh — build the libFuzzer target of the policy reader and the Windows Firewall
# compilers (tests/fuzz/fuzz_policy.c: what merge-policy reads from other machines and what
# export --format powershell|netsh|intune writes; clang, -DWL_FUZZ=ON) in its own tree and run it
# for a fixed number of iterations from seed policies. Exit 0 when no crash, sanitizer report or
# invariant failure (a script line that does not parse back, a program path that changed);
# 77 (skipped) when clang cannot link a libFuzzer program here.
#   FUZZ_RUNS (default 200000) iterations; WL_BUILD_ROOT (default ./build) holds the tree.
set -euo pipefail
here=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
root=${WL_BUILD_ROOT:-$here/build}
b=$root/fuzz-policy
mkdir -p "$b"
probe=$b/probe
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe.c"
if ! command -v clang >/dev/null || ! clang -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" >"$probe.log" 2>&1; then
  echo "fuzz-policy: SKIPPED: clang with libFuzzer is not available here (see $probe.log)"
  exit 77
fi
cmake -S "$here" -B "$b" -DCMAKE_C_COMPILER=clang -DWL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >"$b.configure.log" 2>&1 || { cat "$b.configure.log"; exit 1; }
cmake --build "$b" --target fuzz_policy -j2 >"$b.build.log" 2>&1 || { tail -40 "$b.build.log"; exit 1; }

corpus=$b/fuzz_policy_corpus
mkdir -p "$corpus"
cat >"$corpus/seed1" <<'JSON'
{"format": "wfplearn-policy", "version": 1, "host": "pc1", "rules": [
 {"app": "C:\\Program Files\\Mozilla Firefox\\firefox.exe", "dir": "out", "proto": 6, "ports": [443, "8000-8100"], "remotes": ["203.0.113.0/24"], "user": null, "package": null},
 {"app": "C:\\Users\\o'brien\\$a `b`\\100% & x^y!z (1)\u2018q\u2019.exe", "dir": "out", "proto": null, "ports": [443], "remotes": [], "user": "S-1-5-21-1-2-3-1001", "package": null},
 {"app": null, "dir": "in", "proto": 17, "ports": [5353], "remotes": ["fe80::/10"], "user": null, "package": "S-1-15-2-1-2-3"},
 {"app": "\\device\\harddiskvolume3\\x.exe", "dir": "out", "proto": 58, "ports": [128], "remotes": [], "user": null, "package": null}]}
JSON
printf '{"format": "wfplearn-policy", "version": 1, "host": "pc\\\\", "rules": [{"app": "C:\\\\Windows\\\\x.exe", "dir": "in", "proto": 6}]}' >"$corpus/seed2"
"$b/bin/fuzz_policy" -runs="${FUZZ_RUNS:-200000}" -seed=1 -error_exitcode=1 -max_len=4096 \
  -timeout=10 -rss_limit_mb=1024 -artifact_prefix="$b/" "$corpus"
rm -f /dev/shm/fuzz_policy.*.json /tmp/fuzz_policy.*.json
echo "fuzz-policy: clean"
