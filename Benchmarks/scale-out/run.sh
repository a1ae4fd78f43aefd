#!/usr/bin/env bash
# docs/scale-out.md's simulation (issue 20): the real orchestrator and store apply a three-step recipe to NODES
# simulated nodes (default 10,000) that answer each apply as a no-op after LATENCY_MS (default 100), at each
# parallelism in PARALLEL (default "32 256 1024"): Tests/CrowbarOrchestratorTests/ScaleOutSimulation.swift.
# A debug build (the simulation reaches the orchestrator's internals through @testable, which release builds lack);
# no root, no network. Usage: Benchmarks/scale-out/run.sh [NODES] [LATENCY_MS] ["PARALLEL …"]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/swift.sh
swift=$(find_swift)
"$swift" build --build-tests >/dev/null
CROWBAR_SCALE_SIMULATION=1 CROWBAR_SIMULATION_NODES=${1:-10000} CROWBAR_SIMULATION_LATENCY_MS=${2:-100} \
    CROWBAR_SIMULATION_PARALLEL=${3:-32 256 1024} \
    "$swift" test --skip-build --filter ScaleOutSimulation 2>&1 | grep -E '^(simulation|\|)|✘|Expectation'
