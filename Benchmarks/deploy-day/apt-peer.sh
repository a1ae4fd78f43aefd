#!/usr/bin/env bash
# How much of the deploy-day's cloud apply is package installation. The peer: on fresh lab nodes, plain apt-get
# installs the packages each node's roles install (docs/examples/lab-cloud.yml + the recipes' `package:` lines) from
# the same offline repository, all nodes in parallel, services not started (as the provisioner's policy-rc.d) — the
# least any tool pays. Then `crowbar deploy-day` builds and verifies the cloud on fresh nodes. Prints both, the ratio.
# Needs root; uses the lab (one lab per machine: nothing else may use it meanwhile). Usage: Benchmarks/deploy-day/apt-peer.sh
# CROWBAR_KEEP_LAB=1 leaves the cloud, its crowbard and their data (steps.py reads its store) for a closer look.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/swift.sh
source scripts/lib/crowbard.sh
bash scripts/install-deps.sh
swift=$(find_swift)
"$swift" build --product crowbard >/dev/null
"$swift" build --product crowbar >/dev/null
bin=$("$swift" build --show-bin-path)
lab_dir=${CROWBAR_LAB_DIR:-/var/lib/crowbar-lab}
bash iso/build-discovery.sh "$lab_dir/boot" >/dev/null
bash iso/build-repository.sh "$lab_dir/repository" --recipes recipes >/dev/null
work=$(mktemp -d /tmp/crowbar-apt-peer.XXXXXX)
CROWBARD_PID=""
crowbar() { "$bin/crowbar" "$@"; }
stop() { [ -z "$CROWBARD_PID" ] || stop_crowbard "$CROWBARD_PID"; CROWBARD_PID=""; }
cleanup() {
    if [ -n "${CROWBAR_KEEP_LAB:-}" ] && [ -n "$CROWBARD_PID" ]; then
        echo "kept: the lab, crowbard (pid $CROWBARD_PID, CROWBAR_URL=$CROWBAR_URL) and $work" >&2
        return
    fi
    crowbar lab down >/dev/null 2>&1 || true; stop; rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }

# fresh_crowbard NAME: a fresh crowbard serving the repository on the lab network (its data in $work/NAME).
fresh_crowbard() {
    stop
    start_crowbard "$bin" "$work/$1" --barclamps barclamps --recipes recipes \
        --boot-address 192.168.124.10 --boot-interface crowbar0 --boot-files "$lab_dir/boot" \
        --repository "$lab_dir/repository" --log-level info
}

# The packages of each lab node's roles: node number (the aliases are n1, n2, n3 in MAC order) → package list.
packages_per_node() {
    python3 - <<'PY'
import re, glob
cloud = open("docs/examples/lab-cloud.yml").read()
aliases = {a: i + 1 for i, a in enumerate(re.findall(r"alias: (\S+)", cloud))}
recipes = {path.split("/")[-1][:-4]: path for path in glob.glob("recipes/*/*.yml")}
nodes = {}
for role, members in re.findall(r"^\s+([\w-]+): \[(.*)\]\s*$", cloud, re.M):
    if role not in recipes:
        continue
    packages = [p.strip() for line in re.findall(r"- package: \[(.*)\]", open(recipes[role]).read()) for p in line.split(",")]
    for alias in re.findall(r"@@(\w+)@@", members):
        nodes.setdefault(aliases[alias], []).extend(p for p in packages if p not in nodes.get(aliases[alias], []))
for number in sorted(nodes):
    print(number, " ".join(nodes[number]))
PY
}

echo "== peer: plain apt-get on fresh nodes"
fresh_crowbard peer
crowbar lab down >/dev/null 2>&1 || true
crowbar lab up --nodes 3 >/dev/null
key="$work/peer/ssh/id_ed25519"
ssh_node() { ssh -i "$key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "root@192.168.124.6$1" "${@:2}"; }
t0=$(now)
pids=()
while read -r number packages; do
    # shellcheck disable=SC2029
    ssh_node "$number" "set -e
        echo 'deb [trusted=yes] http://192.168.124.10:8091/debian ./' > /etc/apt/sources.list
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $packages" >"$work/apt-n$number.log" 2>&1 &
    pids+=("$!")
    echo "n$number: $(wc -w <<<"$packages") packages named"
done < <(packages_per_node)
for p in "${pids[@]}"; do wait "$p" || { echo "apt-get failed on a node:" >&2; tail -n 20 "$work"/apt-n*.log >&2; exit 1; }; done
t1=$(now)
installed=$(for n in 1 2 3; do ssh_node "$n" "dpkg-query -W -f='\${Status}\n' | grep -c 'ok installed'"; done | paste -sd/)
crowbar lab down >/dev/null
# Said now too: a deploy-day that fails its verification still has a cloud apply to compare.
python3 -c 'import sys; print("peer: %.1f s (%s packages installed)" % (float(sys.argv[2]) - float(sys.argv[1]), sys.argv[3]))' "$t0" "$t1" "$installed"

echo "== crowbar deploy-day on fresh nodes"
fresh_crowbard cloud
keep=(); [ -z "${CROWBAR_KEEP_LAB:-}" ] || keep=(--keep)
crowbar deploy-day --nodes 3 --out "$work/deploy-day" "${keep[@]}" >"$work/deploy-day.log" 2>&1 || {
    tail -n 40 "$work/deploy-day.log" >&2
    grep -h '^== timings' "$work/deploy-day.log" >&2 || true
    exit 1
}
apply=$(grep -o 'cloud apply [0-9.]*' "$work/deploy-day/timings.txt" | grep -o '[0-9.]*$')
total=$(grep -o 'total [0-9.]*' "$work/deploy-day/timings.txt" | grep -o '[0-9.]*$')
python3 - "$t0" "$t1" "$apply" "$total" "$installed" <<'PY'
import sys
t0, t1, apply, total = map(float, sys.argv[1:5])
peer = t1 - t0
print("| | wall time | |")
print("|---|---|---|")
print(f"| peer: apt-get install of every role's packages, 3 nodes in parallel (dpkg packages installed per node: {sys.argv[5]}) | {peer:.1f} s | 1.00 |")
print(f"| crowbar: cloud apply (packages + config, DB syncs, services, registrations) | {apply:.1f} s | {apply / peer:.2f}× |")
print(f"| crowbar deploy-day (lab up, cloud apply, no-op re-apply, verification) | {total:.1f} s | {total / peer:.2f}× |")
PY
