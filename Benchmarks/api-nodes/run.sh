#!/usr/bin/env bash
# Node listing over HTTP (issue 20): GET /api/v1/nodes against a crowbard holding NODES nodes (default 10,000; a tenth
# ready, a twentieth assigned the loadtest-node role), end to end on loopback with keep-alive, beside the floor of
# crowbard's own HTTP path in the same run (GET /api/v1/health). Steps and checks: Benchmarks/api-nodes/measure.py.
# Usage: Benchmarks/api-nodes/run.sh [NODES] [REQUESTS]   (release build; no root: crowbard only, on loopback)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/swift.sh
source scripts/lib/bench.sh
source scripts/lib/crowbard.sh
build_crowbar
work=$(mktemp -d /tmp/crowbar-api-nodes.XXXXXX)
cleanup() {
    [ -z "${CROWBARD_PID:-}" ] || stop_crowbard "$CROWBARD_PID"
    rm -rf "$work"
}
trap cleanup EXIT
start_crowbard "$bin" "$work/data" --barclamps Benchmarks/api-load/barclamps --recipes Benchmarks/api-load/recipes --log-level warning
python3 Benchmarks/api-nodes/measure.py "${1:-10000}" "${2:-30}"
