#!/usr/bin/env bash
# Runs the Swift benchmarks (release build) and compares them with the thresholds checked in under
# Benchmarks/Thresholds/ (p90 values): wall clock may be 50 % slower, allocation counts 5 % higher (the tolerances
# are in CrowbarBenchmarks.swift). Exits non-zero, naming the benchmark and metric, on a regression.
# After an intended change: `Benchmarks/thresholds.sh update`, and commit the new Thresholds/ with the change.
set -euo pipefail
cd "$(dirname "$0")"
source ../scripts/lib/swift.sh
swift=$(find_swift)
case "${1:-check}" in
    check) "$swift" package benchmark thresholds check --path Thresholds ;;
    update) "$swift" package --allow-writing-to-package-directory benchmark thresholds update --path Thresholds ;;
    *) echo "usage: Benchmarks/thresholds.sh [check|update]" >&2; exit 2 ;;
esac
