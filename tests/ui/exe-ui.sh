#!/usr/bin/env bash
# exe-ui.sh — the `ui` command of the real executable, in both flavours (under wine for the
# Windows one): `wfplearn ui --no-browser` prints http://127.0.0.1:PORT/?token=T first, answers
# GET /api/status with that token (and 401 without it), and stops on SIGTERM with exit 0.
#
#   tests/ui/exe-ui.sh WFPLEARN [EMULATOR...]     (e.g. cmake/wine-run.sh PREFIX)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:?usage: tests/ui/exe-ui.sh WFPLEARN [EMULATOR...]}
shift
emu=("$@")
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
p=$work
[ ${#emu[@]} -gt 0 ] && p=Z:$work   # what the Windows program sees
W() { "${emu[@]}" "$bin" --db "$p/w.db" --engine "sim:$p/sim.state" "$@"; }
"$here/scripts/gen-traffic" --attempts 2000 --seed 3 -o "$work/t.jsonl" >/dev/null
W learn --source "sim:$p/t.jsonl" >/dev/null 2>&1
(exec "${emu[@]}" "$bin" --db "$p/w.db" --engine "sim:$p/sim.state" ui --no-browser \
  >"$work/out" 2>"$work/err") &
pid=$!
for _ in $(seq 300); do grep -q '^http' "$work/out" 2>/dev/null && break; sleep 0.1; done
url=$(head -n 1 "$work/out" | tr -d '\r')
echo "ui printed: ${url%%token=*}token=(hidden)"
python3 - "$url" <<'PY'
import json, sys, urllib.request, urllib.error
url = sys.argv[1]
base, token = url.split("/?token=")
assert len(token) == 32 and all(c in "0123456789abcdef" for c in token), "token is not 128 bits of hex"
def get(auth):
    req = urllib.request.Request(base + "/api/status", headers={"Authorization": auth})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
code, st = get("Bearer " + token)
assert code == 200 and st["exists"] and st["events"] > 0, (code, st)
print("GET /api/status: 200, mode %s, %d events" % (st["mode"], st["events"]))
code, err = get("Bearer " + "0" * 32)
assert code == 401 and "token" in err["error"], (code, err)
print("without the token: 401")
PY
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
# a signalled wine process reports its own way; natively the command ends normally
if [ ${#emu[@]} -eq 0 ] && [ "$rc" != 0 ]; then echo "ui exited $rc on SIGTERM" >&2; exit 1; fi
grep -q "stopped" "$work/err" || [ ${#emu[@]} -gt 0 ] || { echo "no 'stopped' line" >&2; exit 1; }
if grep -q "$(sed 's/.*token=//' <<<"$url")" "$work/err"; then echo "the token leaked to stderr" >&2; exit 1; fi
echo "ok"
