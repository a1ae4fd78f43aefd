#!/usr/bin/env bash
# Apply benchmark: the same 20-resource recipe applied to N lab nodes (systemd-nspawn + sshd) by crowbar,
# by Ansible (forks = N, pipelining on) and by parallel-ssh running an equivalent sh script; first (changing)
# and second (no-op) apply, wall time each. Each tool writes its own paths, so every first apply is a first.
# Needs root. Usage: Benchmarks/apply/run.sh [NODE_COUNTS…]   (default: 8 32)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/swift.sh
source scripts/lib/bench.sh
source scripts/lib/crowbard.sh
here=Benchmarks/apply
counts=("${@:-8 32}")
# shellcheck disable=SC2206
counts=(${counts[*]})
bash scripts/install-deps.sh
command -v ansible-playbook >/dev/null && command -v parallel-ssh >/dev/null || \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q ansible pssh >/dev/null
build_crowbar
work=$(mktemp -d /tmp/crowbar-apply-bench.XXXXXX)
CROWBARD_PID=""
cleanup() {
    "$bin/crowbar" lab down >/dev/null 2>&1 || true
    [ -z "$CROWBARD_PID" ] || stop_crowbard "$CROWBARD_PID"
    rm -rf "$work"
}
trap cleanup EXIT

results=()
for n in "${counts[@]}"; do
    "$bin/crowbar" lab down >/dev/null 2>&1 || true
    [ -z "$CROWBARD_PID" ] || stop_crowbard "$CROWBARD_PID"
    rm -rf "$work/data"
    start_crowbard "$bin" "$work/data" --barclamps $here/barclamps --recipes $here/recipes --log-level warning
    crowbar() { "$bin/crowbar" "$@"; }
    crowbar lab up --nodes "$n" >/dev/null
    nodes=$(seq -f 'n%g' 1 "$n" | tr '\n' ' ')
    addresses=$(crowbar node list --json | python3 -c 'import json,sys; print("\n".join(n["bootAddress"] for n in json.load(sys.stdin)))')
    echo "$addresses" > "$work/hosts"
    key="$work/data/ssh/id_ed25519"
    crowbar proposal create bench default >/dev/null
    # shellcheck disable=SC2086
    crowbar proposal assign bench default bench-node $nodes >/dev/null

    t0=$(now); crowbar proposal commit --follow bench default >"$work/crowbar-1.log"; t1=$(now)
    crowbar proposal commit --follow bench default >"$work/crowbar-2.log"; t2=$(now)
    grep -q 'succeeded, 0 changed' "$work/crowbar-2.log" || { echo "crowbar's second apply changed something" >&2; exit 1; }

    { echo "[all:vars]"; echo "ansible_user=root"; echo "ansible_ssh_private_key_file=$key"; echo "[all]"; cat "$work/hosts"; } > "$work/inventory"
    export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_PIPELINING=True ANSIBLE_FORKS=$n ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
    export ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null"
    t3=$(now); ansible-playbook -i "$work/inventory" $here/playbook.yml >"$work/ansible-1.log"; t4=$(now)
    ansible-playbook -i "$work/inventory" $here/playbook.yml >"$work/ansible-2.log"; t5=$(now)
    grep -Eq 'changed=0 ' "$work/ansible-2.log" || { echo "Ansible's second run changed something" >&2; exit 1; }

    pssh=(parallel-ssh -h "$work/hosts" -l root -p "$n" -t 0 -I -x "-i $key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")
    t6=$(now); "${pssh[@]}" 'sh -s' < $here/pssh-apply.sh >"$work/pssh-1.log"; t7=$(now)
    "${pssh[@]}" 'sh -s' < $here/pssh-apply.sh >"$work/pssh-2.log"; t8=$(now)

    results+=("| $n | crowbar | $(elapsed "$t0" "$t1") | $(elapsed "$t1" "$t2") |")
    results+=("| $n | Ansible $(ansible --version | head -1 | grep -o '[0-9.]*' | head -1) | $(elapsed "$t3" "$t4") | $(elapsed "$t4" "$t5") |")
    results+=("| $n | parallel-ssh | $(elapsed "$t6" "$t7") | $(elapsed "$t7" "$t8") |")
    printf '%s\n' "${results[@]: -3}" >&2
done
echo "| nodes | tool | first apply (s) | no-op apply (s) |"
echo "|---|---|---|---|"
printf '%s\n' "${results[@]}"
