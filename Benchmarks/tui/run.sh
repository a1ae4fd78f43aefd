#!/usr/bin/env bash
# TUI benchmark: `crowbar tui` with 1,000 registered nodes while a run's log grows ~100 lines/s (two lab nspawn nodes
# print a line every 20 ms through a real apply over SSH): time to the first full screen, keystroke latency while the
# log streams, and the TUI process's CPU. The peer in the same run is less(1) under the same harness (tmux,
# capture-pane polled every 2 ms): its first screen of a 1,000-line file, its keystroke latency, and its CPU following
# a file that grows at the measured rate (less +F). Steps and measurement: Benchmarks/tui/bench.py, measure.py.
# Needs root (the lab). Usage: Benchmarks/tui/run.sh   (release build; CROWBAR_BENCH_CONFIGURATION to change it)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/swift.sh
source scripts/lib/bench.sh
source scripts/lib/crowbard.sh
bash scripts/install-deps.sh
build_crowbar
work=$(mktemp -d /tmp/crowbar-tui-bench.XXXXXX)
cleanup() {
    tmux kill-session -t bench-tui 2>/dev/null || true
    tmux kill-session -t bench-less 2>/dev/null || true
    "$bin/crowbar" lab down >/dev/null 2>&1 || true
    [ -z "${CROWBARD_PID:-}" ] || stop_crowbard "$CROWBARD_PID"
    rm -rf "$work"
}
trap cleanup EXIT
start_crowbard "$bin" "$work/data" --barclamps Benchmarks/tui/barclamps --recipes Benchmarks/tui/recipes --log-level warning
"$bin/crowbar" lab up --nodes 2 --authorized-key "$work/data/ssh/id_ed25519.pub" >/dev/null
python3 Benchmarks/tui/bench.py "$bin/crowbar" "$work"
