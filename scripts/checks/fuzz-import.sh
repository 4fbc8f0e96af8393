#!/usr/bin/env bash
# fuzz-import.sh — build the libFuzzer targets of the three log importers (tests/fuzz/fuzz_import_*.c,
# clang's libFuzzer, -DWL_FUZZ=ON) in their own tree and run each for a fixed number of
# iterations from a seed corpus cut from the real samples. Exit 0 when no crash, leak, sanitizer
# report or invariant failure. If clang cannot build a libFuzzer program here, it says so and
# exits 77 (scripts/test.sh counts it skipped), because that is a missing tool, not a bug.
#   FUZZ_RUNS (default 100000) iterations per target; WL_BUILD_ROOT (default ./build) holds the
#   tree. Seeds come from the samples in tests/data/real/, plus the two that may not be kept in
#   the repository from WL_SHARED_DIR/data/real/ (default ../shared) when it is there.
set -euo pipefail
here=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
root=${WL_BUILD_ROOT:-$here/build}
real=$here/tests/data/real
shared=${WL_SHARED_DIR:-$here/../shared}/data/real
b=$root/fuzz-import
runs=${FUZZ_RUNS:-100000}
mkdir -p "$b"

# Can clang link a libFuzzer program at all? (Debian: clang + libclang-rt-*-dev)
probe=$b/probe
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe.c"
if ! command -v clang >/dev/null || ! clang -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" >"$probe.log" 2>&1; then
  echo "fuzz-import: SKIPPED: clang with libFuzzer is not available here ($(command -v clang || echo 'no clang'); see $probe.log); install clang and libclang-rt-dev"
  exit 77
fi

cmake -S "$here" -B "$b" -DCMAKE_C_COMPILER=clang -DWL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >"$b.configure.log" 2>&1 || { cat "$b.configure.log"; exit 1; }
cmake --build "$b" --target fuzz_import_secjson fuzz_import_evtxml fuzz_import_pfirewall -j2 \
  >"$b.build.log" 2>&1 || { tail -40 "$b.build.log"; exit 1; }

# Seeds: a few real records of each shape, and hand-written edge cases.
seed() { mkdir -p "$b/corpus_$1"; cat >"$b/corpus_$1/$2"; }
head -n 3 "$real/otrf_wfp_events_full.jsonl" | seed secjson otrf_2023
sed -n '116,118p' "$real/otrf_wfp_events_full.jsonl" | seed secjson otrf_nxlog
grep -m1 '"EventID":5031' "$real/otrf_wfp_events_full.jsonl" | seed secjson otrf_5031
seed evtxml omer <"$real/omerbenamram_evtx_Security_short_selected_wfp.evtxexport.xml"
head -n 12 "$real/pfirewall_BetaHydri_ParseFirewallLog.log" | seed pfirewall head
sed -n '11699,11703p' "$real/pfirewall_BetaHydri_ParseFirewallLog.log" | seed pfirewall lost
if [ -d "$shared" ]; then   # no licence stated / GPL-3.0: read in place, never copied into the repo
  seed secjson d4rk <"$shared/d4rk_WinEvents_wfp.jsonl"
  head -n 60 "$shared/evtxattack_DE_RDP_Tunnel_5156.evtxexport.xml" | seed evtxml evtxattack
else
  echo "fuzz-import: no $shared: seeds from tests/data/real only"
fi
printf '\xef\xbb\xbf{"EventID":"5157","TimeGenerated":"2023-01-01T00:00:00Z","Direction":"Inbound","SourceAddress":"fe80::1%%3","DestAddress":"fe80::2","Protocol_string":"ICMP","winlog":{"event_data":{"Application":"C:\\\\x.exe"}}}\r\n[1]\n{"EventID":5156\n' | seed secjson edge
# Log Analytics SecurityEvent: the WFP fields in the EventData string (XML)
printf '{"TimeGenerated":"2024-03-05T10:00:00Z","Computer":"W","EventID":5156,"EventData":"<EventData><Data Name=\\"Direction\\">%%%%14593</Data><Data Name=\\"SourceAddress\\">10.0.0.5</Data><Data Name=\\"DestAddress\\">1.2.3.4</Data><Data Name=\\"DestPort\\">443</Data><Data Name=\\"Protocol\\">6</Data></EventData>"}\n' | seed secjson la
printf '<?xml version="1.0"?>\n<Event><System><EventID>5152</EventID><TimeCreated SystemTime="2020-01-01T00:00:00Z"/></System><EventData><Data Name="Direction">%%%%14592</Data><Data Name="SourceAddress">1.2.3.4</Data><Data Name="DestAddress">5.6.7.8</Data><Data Name="Protocol">6</Data></EventData></Event><<x><Event><System>' | seed evtxml edge
printf '#Fields: time date path pid dst-ip src-ip protocol action dst-port src-port info\n12:00:01 2024-03-01 SEND 4242 2001:db8::1 2001:db8::2 ICMP ALLOW - - -\n1 2 3\n' | seed pfirewall edge

for fmt in secjson evtxml pfirewall; do
  echo "== fuzz_import_$fmt: $runs runs"
  "$b/bin/fuzz_import_$fmt" -runs="$runs" -seed=1 -error_exitcode=1 -max_len=8192 -timeout=10 \
    -rss_limit_mb=1024 -artifact_prefix="$b/$fmt-" "$b/corpus_$fmt"
done
echo "fuzz-import: clean"
