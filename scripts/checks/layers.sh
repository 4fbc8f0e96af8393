#!/usr/bin/env bash
# layers.sh — fail on an include that points up or sideways between the product's folders, on a
# cycle between folders, and on a product file over 800 lines (scripts/checks/layers.py says
# which layers there are). Called by scripts/test.sh as one check.
set -euo pipefail
here=${WL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$here/scripts/checks/layers.py" "$here"
