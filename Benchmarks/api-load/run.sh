#!/usr/bin/env bash
# API load benchmark (issue 18): 32 clients edit (If-Match, retried on 412) and commit 8 proposals of one barclamp
# for 60 s while a client registers nodes (20/s) and another follows a run whose log grows ~100 lines/s (two lab
# nspawn nodes printing every 20 ms over SSH). Measured: every request's latency by kind, status codes (no 5xx),
# lost edits (each proposal's counter must equal the increments answered 200). The floor in the same run is
# crowbard's own HTTP path: GET /api/v1/health under the same load. Steps: Benchmarks/api-load/load.py.
# Needs root (the lab). Usage: Benchmarks/api-load/run.sh [SECONDS] [CLIENTS]   (release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/swift.sh
source scripts/lib/bench.sh
source scripts/lib/crowbard.sh
bash scripts/install-deps.sh
build_crowbar
work=$(mktemp -d /tmp/crowbar-api-load.XXXXXX)
cleanup() {
    "$bin/crowbar" lab down >/dev/null 2>&1 || true
    [ -z "${CROWBARD_PID:-}" ] || stop_crowbard "$CROWBARD_PID"
    rm -rf "$work"
}
trap cleanup EXIT
start_crowbard "$bin" "$work/data" --barclamps Benchmarks/api-load/barclamps --recipes Benchmarks/api-load/recipes --log-level warning
"$bin/crowbar" lab up --nodes 2 --authorized-key "$work/data/ssh/id_ed25519.pub" >/dev/null
python3 Benchmarks/api-load/load.py "${1:-60}" "${2:-32}"
