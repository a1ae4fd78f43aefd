#!/usr/bin/env bash
# Install benchmark: power on (through the machines' BMCs, PXE first) → discovered → allocated with Debian 12 →
# installed → ready, for 1 and 3 lab QEMU machines (TCG), each machine's install timed by phase from its install log.
# The reference in the same run is discovery (power on → discovered): how many discoveries an install costs. No
# install peer (MAAS, Ironic) runs offline in this lab; docs/install.md says what they publish.
# Needs root. Usage: Benchmarks/install/run.sh [COUNT…]   (default: 1 3)
# Debug build by default (the time is QEMU's); CROWBAR_BENCH_CONFIGURATION=release to change it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/swift.sh
source scripts/lib/bench.sh
source scripts/lib/crowbard.sh
counts=("${@:-1 3}")
# shellcheck disable=SC2206
counts=(${counts[*]})
export CROWBAR_BENCH_CONFIGURATION=${CROWBAR_BENCH_CONFIGURATION:-debug}
bash scripts/install-deps.sh
build_crowbar
lab_dir=${CROWBAR_LAB_DIR:-/var/lib/crowbar-lab}
bash iso/build-discovery.sh "$lab_dir/boot" >/dev/null
bash iso/build-repository.sh "$lab_dir/repository" --recipes recipes >/dev/null
bash iso/build-os-image.sh "$lab_dir/boot" "$lab_dir/repository" >/dev/null
work=$(mktemp -d /tmp/crowbar-install-bench.XXXXXX)
cleanup() {
    "$bin/crowbar" lab down >/dev/null 2>&1 || true
    [ -z "${CROWBARD_PID:-}" ] || stop_crowbard "$CROWBARD_PID"
    rm -rf "$work"
}
trap cleanup EXIT
crowbar() { "$bin/crowbar" "$@"; }
# count_in STATES…: how many nodes are in one of STATES (`discovered` counts only nodes whose agent has reported: the
# lab registers each machine by its MAC before it boots).
count_in() {
    crowbar node list --json | python3 -c "
import json, sys
print(sum(1 for n in json.load(sys.stdin) if n['state'] in sys.argv[1:] and (n['state'] != 'discovered' or n.get('bootAddress'))))" "$@"
}
# wait_for COUNT SECONDS STATES…: polls every 2 s until COUNT nodes are in STATES.
wait_for() {
    local count=$1 seconds=$2
    shift 2
    for _ in $(seq 1 $((seconds / 2))); do [ "$(count_in "$@")" -ge "$count" ] && return 0; sleep 2; done
    echo "only $(count_in "$@") of $count nodes in $* after $seconds s" >&2
    return 1
}
report=()
for count in "${counts[@]}"; do
    echo "== $count machines: power on → discovered → installed → ready"
    start_crowbard "$bin" "$work/data$count" --barclamps barclamps --recipes recipes --log-level warning \
        --boot-address 192.168.124.10 --boot-interface crowbar0 --boot-files "$lab_dir/boot" --repository "$lab_dir/repository"
    crowbar lab up --nodes 0 --vms "$count" --powered-off >/dev/null
    start=$(now)
    crowbar node power --all on --boot pxe >/dev/null
    wait_for "$count" 600 discovered
    discovered=$(now)
    names=$(crowbar node list --json | python3 -c "import json,sys; print(' '.join(n['name'] for n in json.load(sys.stdin)))")
    for name in $names; do crowbar node allocate "$name" --os debian-12 >/dev/null; done
    wait_for "$count" 1800 ready problem
    ready=$(now)
    [ "$(count_in ready)" -ge "$count" ] || { crowbar node list; exit 1; }
    for name in $names; do
        crowbar node install "$name" --json | python3 -c '
import json, sys
from datetime import datetime
status = json.load(sys.stdin)
start = datetime.fromisoformat(status["attempt"]["createdAt"].replace("Z", "+00:00"))
seen = []
for line in status["log"]:
    if line["phase"] not in [p for p, _ in seen]:
        seen.append((line["phase"], (datetime.fromisoformat(line["at"].replace("Z", "+00:00")) - start).total_seconds()))
print(sys.argv[1] + ": " + ", ".join(f"{p} +{int(s)} s" for p, s in seen))' "$name"
    done
    to_discovered=$(elapsed "$start" "$discovered")
    to_ready=$(elapsed "$discovered" "$ready")
    ratio=$(python3 -c "print(f'{$to_ready / $to_discovered:.1f}')")
    echo "$count machines: $to_discovered s power on → discovered, $to_ready s allocate → all ready (${ratio}× discovery)"
    report+=("| $count | $to_discovered s | $to_ready s | ${ratio}× |")
    crowbar lab down >/dev/null 2>&1
    stop_crowbard "$CROWBARD_PID"
    CROWBARD_PID=""
done
echo
echo "| machines | power on → discovered | allocate --os → all ready | install / discovery |"
echo "|---|---|---|---|"
printf '%s\n' "${report[@]}"
