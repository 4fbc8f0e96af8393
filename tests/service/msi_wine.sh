#!/usr/bin/env bash
# msi_wine.sh — the MSI and the service under wine, in a fresh prefix (a copy of the build's
# pristine prefix, so the shared one is never written). A ctest of the Windows build:
#
#   msi_wine.sh BUILD_MSI_SH WFPLEARN_EXE FAKE_FWPUCLNT_DLL PRISTINE_PREFIX
#
#   A  msiexec /i /qn: the service RUNNING; wine's fwpuclnt.dll is stubs, so it waits for the
#      engine and `status` says so; the window (7 days) began; the Event Log source and the
#      Start-menu entries are there ("wfplearn review" runs `wfplearn ui` elevated through
#      PowerShell's Start-Process -Verb RunAs), the install folder is in the system PATH (once, also after
#      installing the same MSI twice, which changes nothing).
#   B  the fake fwpuclnt.dll (test setup: system32 + DllOverrides fwpuclnt=native): sc stop,
#      sc start → the engine connected, the same window.
#   C  msiexec /x: the service gone (sc query → 1060), the program files and the PATH entry
#      gone, the store kept.
#   D  install again with the service on the simulated engine and a traffic file (MSI
#      properties WL_SERVICE_ARGS/OPTS): the same window resumes; every event is captured;
#      sc stop flushes; sc start continues the same window; `learn --stop` and a 5 s window
#      (`learn --for 5s --window-only`) that ends by itself with its summary.
#   E  a store from a newer version: the service refuses it and keeps running.
#   F  a major upgrade (the same exe as version +1): the window survives.
#   G  promote a rule (our WFP objects in the fake engine), msiexec /x REMOVE_DATA=1 with the
#      service stopped: service gone, our objects gone from the engine, the store deleted.
# Exit 0 when every step held; the first failure prints what was seen.
set -euo pipefail
build_msi=$1 exe=$2 fake=$3 pristine=$4
work=$(mktemp -d /tmp/wl-msi.XXXXXX)
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="winedbg.exe=d;mscoree,mshtml="
# the fake fwpuclnt.dll and the sim share one state file, in every process (services.exe
# inherits this from the wineserver this script starts)
export WL_SIM_STATE='C:\ProgramData\wfplearn-sim.state'
cleanup() { wineserver -k 2>/dev/null || true; [ -n "${WL_KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
t0=$(date +%s)
step() { echo "--- $(( $(date +%s) - t0 )) s: $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
w() { timeout 120 wine "$@" </dev/null 2>&1 | tr -d '\r'; }
# wine's sc says "failed to open service 1060" only on its err channel
query() { WINEDEBUG=-all,err+sc timeout 60 wine sc query wfplearn </dev/null 2>&1 | tr -d '\r'; }
W='C:\Program Files\wfplearn\wfplearn.exe'
wl() { w "$W" "$@"; }
sim="--engine sim:$WL_SIM_STATE"
dc=$WINEPREFIX/drive_c
db=$dc/ProgramData/wfplearn/wfplearn.db
# wait_for WHAT PATTERN SECONDS CMD...: CMD's output matches PATTERN within SECONDS
wait_for() {
  local what=$1 pat=$2 n=$3 out=""; shift 3
  for ((i = 0; i < n * 2; i++)); do
    out=$("$@" 2>&1 || true)
    grep -qE "$pat" <<<"$out" && return 0
    sleep 0.5
  done
  printf '%s\n' "$out" >&2
  fail "$what: no /$pat/ within $n s"
}
json() { python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print($1)"; }
since() { wl status --json | json 'd["window"]["since"]'; }
events() { wl status --json | json 'd["events"]'; }

step "fresh prefix (copy of $pristine)"
cp -a "$pristine" "$WINEPREFIX"
# One wine session for the whole test: without -p the wineserver ends a few seconds after the
# last command, and services.exe with it, killing the service with no stop control (wine
# does not send SHUTDOWN/PRESHUTDOWN then); the next command would boot a new session that
# auto-starts the service again.
wineserver -p
"$build_msi" "$exe" "$work/wfplearn-x64.msi" >/dev/null
"$build_msi" "$exe" "$work/wfplearn-up-x64.msi" 99.0.0 >/dev/null
msi=$(winepath -w "$work/wfplearn-x64.msi" 2>/dev/null)
up=$(winepath -w "$work/wfplearn-up-x64.msi" 2>/dev/null)

step "A: install with wine's stub fwpuclnt"
w msiexec /i "$msi" /qn || fail "msiexec /i"
wait_for "service running" "STATE +: 4 +RUNNING" 20 query
wait_for "waiting for the engine" "^engine +waiting since .*FwpmEngineOpen0" 30 wl status
wl status | grep -qE "^window +active since .*\(6d 23h left\)" || fail "no 7-day window"
w reg query 'HKLM\System\CurrentControlSet\Services\EventLog\Application\wfplearn' |
  grep -q EventMessageFile || fail "event source not registered"
# all users' Start menu on Windows; wine's msi puts it in the user's even with ALLUSERS=1
lnks() { ls "$dc"/ProgramData/Microsoft/Windows/Start\ Menu/Programs/wfplearn/*.lnk \
  "$dc"/users/*/AppData/Roaming/Microsoft/Windows/Start\ Menu/Programs/wfplearn/*.lnk \
  2>/dev/null || true; }
lnks | grep -q "wfplearn status.lnk" || fail "no Start-menu entry"
# the review entry: `wfplearn ui` through PowerShell's Start-Process -Verb RunAs (UAC)
review=$(lnks | grep "wfplearn review.lnk" | head -n 1)
[ -n "$review" ] || fail "no Start-menu entry for the review page"
rl=$(strings -a -el "$review"; strings -a "$review")
grep -qi 'powershell.exe' <<<"$rl" || fail "review entry does not start powershell: $rl"
grep -qF "Start-Process -Verb RunAs -FilePath '$W' -ArgumentList ui" \
  <<<"$rl" || fail "review entry does not run wfplearn ui elevated: $rl"
syspath() { w reg query 'HKLM\System\CurrentControlSet\Control\Session Manager\Environment' /v Path; }
syspath | grep -qi 'C:\\Program Files\\wfplearn' || fail "install folder not in the system PATH"
first=$(since)
w msiexec /i "$msi" /qn || fail "installing twice (exit $?)"
[ "$(syspath | grep -oi 'C:\\Program Files\\wfplearn' | wc -l)" = 1 ] || fail "PATH entry twice"
wait_for "running after the second install" "RUNNING" 20 query

step "B: the fake fwpuclnt.dll"
cp "$fake" "$dc/windows/system32/fwpuclnt.dll"
w reg add 'HKCU\Software\Wine\DllOverrides' /v fwpuclnt /d native /f >/dev/null
w sc stop wfplearn >/dev/null
wait_for "stopped" "STATE +: 1 +STOPPED" 30 query
w sc start wfplearn >/dev/null
wait_for "engine connected" "^engine +connected" 30 wl status
[ "$(since)" = "$first" ] || fail "sc start began another window"

step "C: uninstall keeps the store"
w msiexec /x "$msi" /qn || fail "msiexec /x"
wait_for "service removed" "1060" 20 query
[ ! -e "$dc/Program Files/wfplearn/wfplearn.exe" ] || fail "program files left"
[ -f "$db" ] || fail "the store was removed"
! syspath | grep -qi 'C:\\Program Files\\wfplearn' || fail "PATH entry left after uninstall"

step "D: the service on the sim, a traffic file"
traffic=$dc/ProgramData/traffic.jsonl
for i in $(seq 1 300); do
  printf '{"ts":"2026-11-02T08:00:%02d.%03d0000Z","app":"C:\\\\Apps\\\\app%02d.exe","dir":"out","proto":6,"local":"192.168.1.23:%d","remote":"10.0.%d.%d:443"}\n' \
    $((i / 100)) $((i % 1000)) $((i % 7)) $((50000 + i)) $((i % 5)) $((i % 200 + 1))
done >"$traffic"
w msiexec /i "$msi" /qn "WL_SERVICE_ARGS=$sim" \
  'WL_SERVICE_OPTS=--source sim:C:\ProgramData\traffic.jsonl' || fail "msiexec /i (sim)"
wait_for "capturing" "^service +capturing" 30 wl status
wait_for "every event" '"events":300,' 30 wl status --json
[ "$(since)" = "$first" ] || fail "reinstall began another window"
w sc stop wfplearn >/dev/null
wait_for "stopped" "STATE +: 1 +STOPPED" 30 query
wl status | grep -qE "^capture +stopped" || fail "capture not stopped cleanly"
wl status | grep -qE "^service +stopped since" || fail "service state not recorded"
w sc start wfplearn >/dev/null
wait_for "captured again after sc start" '"events":600,' 30 wl status --json
[ "$(since)" = "$first" ] || fail "sc start began another window"
wl learn --stop | grep -q "window stopped" || fail "learn --stop"
wait_for "idle after learn --stop" "^service +idle" 20 wl status
wl learn --for 5s --window-only | grep -q "window new" || fail "learn --for 5s"
wait_for "the short window ends by itself" \
  "^window +ended at .*: [0-9]+ events, [0-9]+ apps, [0-9]+ proposals waiting, [0-9]+ drops" 30 wl status
wl status | grep -qE "^service +idle" || fail "not idle after the window's end"

step "E: a store from a newer version"
w sc stop wfplearn >/dev/null
wait_for "stopped" "STOPPED" 30 query
schema=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select value from meta where key='schema_version'\").fetchone()[0])" "$db")
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update meta set value='999' where key='schema_version'\"); c.commit()" "$db"
w sc start wfplearn >/dev/null
sleep 3
query | grep -q RUNNING || fail "the service did not keep running on a newer store"
{ wl status || true; } | grep -q "newer wfplearn" || fail "status does not say the store is newer"
w sc stop wfplearn >/dev/null
wait_for "stopped" "STOPPED" 30 query
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update meta set value=? where key='schema_version'\", (sys.argv[2],)); c.commit()" "$db" "$schema"
w sc start wfplearn >/dev/null
wait_for "back to idle" "^service +idle" 30 wl status

step "F: major upgrade"
wl learn --for 7d --window-only >/dev/null
win=$(since)
w msiexec /i "$up" /qn "WL_SERVICE_ARGS=$sim" || fail "upgrade"
wait_for "running after the upgrade" "RUNNING" 30 query
[ "$(since)" = "$win" ] || fail "the upgrade began another window"
[ "$(syspath | grep -oi 'C:\\Program Files\\wfplearn' | wc -l)" = 1 ] || fail "PATH after the upgrade"
wait_for "capturing after the upgrade" "^service +(capturing|idle)" 30 wl status

step "G: our WFP objects, uninstall with REMOVE_DATA=1 and the service stopped"
id=$(wl $sim review | sed -n 's/^#\([0-9][0-9]*\) .*/\1/p' | head -1)
[ -n "$id" ] || fail "no proposal to promote"
wl $sim promote "$id" >/dev/null || fail "promote $id"
wl $sim status | grep -qE "^sublayers wfplearn 0x" || fail "our sublayer is not in the engine"
w sc stop wfplearn >/dev/null
wait_for "stopped" "STOPPED" 30 query
cp "$exe" "$dc/wfplearn-check.exe"
w msiexec /x "$up" /qn REMOVE_DATA=1 || fail "msiexec /x REMOVE_DATA=1"
wait_for "service removed" "1060" 20 query
w 'C:\wfplearn-check.exe' --db 'C:\check.db' $sim status | grep -qE "^sublayers wfplearn -" ||
  fail "our objects are still in the engine after uninstall"
[ ! -e "$db" ] || fail "REMOVE_DATA=1 kept the store"
! syspath | grep -qi 'C:\\Program Files\\wfplearn' || fail "PATH entry left after uninstall"
syspath | grep -qiF 'REG_EXPAND_SZ    %SystemRoot%\system32;%SystemRoot%;' || fail "the other PATH entries were not kept"
step "ok"
