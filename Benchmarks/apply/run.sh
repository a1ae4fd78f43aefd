#!/usr/bin/env bash
# Apply benchmark: the same 20-resource recipe applied to N nodes by crowbar, by Ansible (forks = N, pipelining on) and
# by parallel-ssh running an equivalent sh script; first (changing) and second (no-op) apply, wall time each, and
# crowbard's resident memory (before → peak) and peak thread count during its applies. Each tool writes its own paths,
# so every first apply is a first. Needs root. Usage: Benchmarks/apply/run.sh [NODE_COUNTS…]   (default: 8 32)
#   APPLY_BENCH_NODES=lab        nodes are `crowbar lab up` nodes (own network namespace and veth each; at most 194)
#   APPLY_BENCH_NODES=loopback   nodes are loopback-nodes.sh containers (the same root, the host's network; hundreds)
#   APPLY_BENCH_TOOLS            which tools, default "crowbar ansible parallel-ssh"
#   APPLY_BENCH_SSH_THREADS      crowbard's --ssh-threads (its default: 32)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/swift.sh
source scripts/lib/bench.sh
source scripts/lib/crowbard.sh
here=Benchmarks/apply
counts=("${@:-8 32}")
nodes_kind=${APPLY_BENCH_NODES:-lab}
[[ $nodes_kind == lab || $nodes_kind == loopback ]] || { echo "APPLY_BENCH_NODES is lab or loopback, not '$nodes_kind'" >&2; exit 2; }
tools=" ${APPLY_BENCH_TOOLS:-crowbar ansible parallel-ssh} "
for tool in $tools; do
    [[ $tool == crowbar || $tool == ansible || $tool == parallel-ssh ]] || { echo "unknown tool '$tool' in APPLY_BENCH_TOOLS" >&2; exit 2; }
done
sessions=${APPLY_BENCH_SSH_THREADS:-32}
# parallel-ssh and Ansible hold descriptors per node, as crowbard does (which raises its own limit).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
crowbard_options=(--barclamps $here/barclamps --recipes $here/recipes --log-level warning)
crowbard_options+=(--ssh-threads "$sessions")
# shellcheck disable=SC2206
counts=(${counts[*]})
bash scripts/install-deps.sh
command -v ansible-playbook >/dev/null && command -v parallel-ssh >/dev/null || \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q ansible pssh >/dev/null
build_crowbar
work=$(mktemp -d /tmp/crowbar-apply-bench.XXXXXX)
CROWBARD_PID=""
nodes_down() {
    "$bin/crowbar" lab down >/dev/null 2>&1 || true
    bash $here/loopback-nodes.sh down "$work/nodes" || true
}
cleanup() {
    nodes_down
    [ -z "$CROWBARD_PID" ] || stop_crowbard "$CROWBARD_PID"
    rm -rf "$work"
}
trap cleanup EXIT

# sample_threads PID OUT: until stopped, writes PID's peak thread count to OUT every 0.1 s.
sample_threads() {
    local threads=0 key value _
    while [ -r "/proc/$1/status" ]; do
        while read -r key value _; do
            [ "$key" != Threads: ] || [ "$value" -le "$threads" ] || threads=$value
        done < "/proc/$1/status"
        echo "$threads" > "$2.new" && mv "$2.new" "$2"
        sleep 0.1
    done
}
# status_mb FIELD PID: a /proc/PID/status field (kB) in MB.
status_mb() { awk -v field="$1:" '$1 == field { print int($2 / 1024) }' "/proc/$2/status"; }

# start_nodes N: N nodes of the chosen kind, registered with crowbard; their addresses into $work/hosts.
start_nodes() {
    if [ "$nodes_kind" = lab ]; then
        crowbar lab up --nodes "$1" >/dev/null
        crowbar node list --json | python3 -c 'import json,sys; print("\n".join(n["bootAddress"] for n in json.load(sys.stdin)))' > "$work/hosts"
        return
    fi
    if ! compgen -G "/var/lib/crowbar-lab/base-bookworm-*/etc/os-release" >/dev/null; then
        crowbar lab up --nodes 1 >/dev/null
        crowbar lab down >/dev/null
        crowbar node delete n1 >/dev/null
    fi
    local name address mac fingerprint
    : > "$work/hosts"
    bash $here/loopback-nodes.sh up "$1" "$work/nodes" "$work/data/ssh/id_ed25519.pub" > "$work/nodes.txt"
    while read -r name address mac fingerprint; do
        crowbar node add "$mac" --name "$name" --address "$address" --host-key-fingerprint "$fingerprint" >/dev/null
        echo "$address" >> "$work/hosts"
    done < "$work/nodes.txt"
}

results=()
for n in "${counts[@]}"; do
    nodes_down
    [ -z "$CROWBARD_PID" ] || stop_crowbard "$CROWBARD_PID"
    rm -rf "$work/data"
    start_crowbard "$bin" "$work/data" "${crowbard_options[@]}"
    crowbar() { "$bin/crowbar" "$@"; }
    start_nodes "$n"
    nodes=$(seq -f 'n%g' 1 "$n" | tr '\n' ' ')
    key="$work/data/ssh/id_ed25519"
    if [[ $tools == *" crowbar "* ]]; then
        crowbar proposal create bench default >/dev/null
        # shellcheck disable=SC2086
        crowbar proposal assign bench default bench-node $nodes >/dev/null
        rss_before=$(status_mb VmRSS "$CROWBARD_PID")
        echo 5 > "/proc/$CROWBARD_PID/clear_refs" # VmHWM from here on
        sample_threads "$CROWBARD_PID" "$work/threads" & sampler=$!
        t0=$(now); crowbar proposal commit --follow bench default >"$work/crowbar-1.log"; t1=$(now)
        crowbar proposal commit --follow bench default >"$work/crowbar-2.log"; t2=$(now)
        kill "$sampler"; wait "$sampler" 2>/dev/null || true
        grep -q 'succeeded, 0 changed' "$work/crowbar-2.log" || { echo "crowbar's second apply changed something" >&2; exit 1; }
        results+=("| $n | crowbar, $sessions sessions | $(elapsed "$t0" "$t1") | $(elapsed "$t1" "$t2") | $rss_before → $(status_mb VmHWM "$CROWBARD_PID") | $(cat "$work/threads") |")
    fi

    if [[ $tools == *" ansible "* ]]; then
        { echo "[all:vars]"; echo "ansible_user=root"; echo "ansible_ssh_private_key_file=$key"; echo "[all]"; cat "$work/hosts"; } > "$work/inventory"
        export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_PIPELINING=True ANSIBLE_FORKS=$n ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
        export ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null"
        t3=$(now); ansible-playbook -i "$work/inventory" $here/playbook.yml >"$work/ansible-1.log"; t4=$(now)
        ansible-playbook -i "$work/inventory" $here/playbook.yml >"$work/ansible-2.log"; t5=$(now)
        grep -Eq 'changed=0 ' "$work/ansible-2.log" || { echo "Ansible's second run changed something" >&2; exit 1; }
        results+=("| $n | Ansible $(ansible --version | head -1 | grep -o '[0-9.]*' | head -1) | $(elapsed "$t3" "$t4") | $(elapsed "$t4" "$t5") | | |")
    fi

    if [[ $tools == *" parallel-ssh "* ]]; then
        pssh=(parallel-ssh -h "$work/hosts" -l root -p "$n" -t 0 -I -x "-i $key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")
        t6=$(now); "${pssh[@]}" 'sh -s' < $here/pssh-apply.sh >"$work/pssh-1.log"; t7=$(now)
        "${pssh[@]}" 'sh -s' < $here/pssh-apply.sh >"$work/pssh-2.log"; t8=$(now)
        ! grep -q FAILURE "$work/pssh-1.log" "$work/pssh-2.log" || { echo "parallel-ssh failed on a node" >&2; exit 1; }
        results+=("| $n | parallel-ssh | $(elapsed "$t6" "$t7") | $(elapsed "$t7" "$t8") | | |")
    fi
    printf '%s\n' "${results[@]}" >&2
done
echo "| nodes | tool | first apply (s) | no-op apply (s) | crowbard RSS before → peak (MB) | crowbard threads (peak) |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${results[@]}"
