#!/bin/bash
# Forced no-op re-applies of the lab cloud on a kept lab (`CROWBAR_KEEP_LAB=1 Benchmarks/deploy-day/apt-peer.sh` or
# `scripts/deploy-day`): COUNT times `crowbar batch apply docs/examples/lab-cloud.yml --force` against the crowbard
# serving DATA_DIR, then each batch's span from its store. With --restart, that crowbard is first replaced by the
# current build's (same data, same options as apt-peer.sh; its log replaces DATA_DIR.log), so two builds compare on one
# lab in one window; the new crowbard keeps serving the lab afterwards, as the kept one did.
# Usage: Benchmarks/deploy-day/reapply.sh DATA_DIR COUNT [--restart]   (root, sqlite3; e.g. DATA_DIR=/tmp/crowbar-apt-peer.X/cloud)
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?DATA_DIR}
count=${2:?COUNT}
bin=.build/debug
lab_dir=${CROWBAR_LAB_DIR:-/var/lib/crowbar-lab}
source scripts/lib/crowbard.sh
if [ "${3:-}" = --restart ]; then
    pid=$(pgrep -f "crowbard --data-dir $data( |$)" | head -1 || true)
    [ -n "$pid" ] || { echo "no crowbard serves $data (give DATA_DIR as it was started)" >&2; exit 1; }
    stop_crowbard "$pid"
    start_crowbard "$bin" "$data" --barclamps barclamps --recipes recipes --boot-address 192.168.124.10 \
        --boot-interface crowbar0 --boot-files "$lab_dir/boot" --repository "$lab_dir/repository" \
        --log-level info
    echo "crowbard $CROWBARD_PID (this build) at $CROWBAR_URL, its log in $data.log"
else
    CROWBAR_URL=$(cat "$data/ready")
    export CROWBAR_URL CROWBAR_DATA_DIR="$data"
fi
for i in $(seq 1 "$count"); do
    started=$(date +%s.%N)
    "$bin/crowbar" batch apply docs/examples/lab-cloud.yml --force >"$data.reapply-$i.log" 2>&1 || {
        tail -n 20 "$data.reapply-$i.log" >&2
        exit 1
    }
    echo "batch $i: $(python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$started" "$(date +%s.%N)") s for the CLI"
done
echo "spans in the store (last $count batches, newest first; python3 Benchmarks/deploy-day/steps.py $data/crowbar.sqlite FIRST LAST for a batch's steps):"
sqlite3 "$data/crowbar.sqlite" "SELECT b.id, printf('%.2f s', (julianday(max(r.finishedAt)) - julianday(min(r.startedAt))) * 86400), min(r.id), max(r.id)
    FROM batches b JOIN batchEntries e ON e.batchId = b.id JOIN runs r ON r.id = e.runId GROUP BY b.id ORDER BY b.id DESC LIMIT $count"
