#!/usr/bin/env bash
# Power benchmark, each part beside a peer in the same run:
# 1. pxe: `crowbar node power --all on --boot pxe` → every machine discovered, for 1 and 4 lab QEMU machines whose
#    BMCs (ipmi_sim) own them (the lab's `--powered-off` start), against crowbard's boot services.
# 2. sweep: a power status sweep of 32 ipmi_sim BMCs on loopback through crowbard (`crowbar node power --all status`,
#    8 and 32 at a time) beside ipmitool run in a shell loop (one after another, and 8 at a time with xargs -P).
# Needs root for pxe. Usage: Benchmarks/power/run.sh [pxe] [sweep]   (default: both)
# CROWBAR_BENCH_CONFIGURATION=debug uses the debug build (both parts are dominated by ipmitool, ipmi_sim and QEMU).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/swift.sh
source scripts/lib/bench.sh
source scripts/lib/crowbard.sh
parts=("${@:-pxe sweep}")
# shellcheck disable=SC2206
parts=(${parts[*]})
bash scripts/install-deps.sh
build_crowbar
work=$(mktemp -d /tmp/crowbar-power-bench.XXXXXX)
sims=()
cleanup() {
    CROWBAR_LAB_DIR=$work/lab "$bin/crowbar" lab down >/dev/null 2>&1 || true
    for pid in "${sims[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -z "${CROWBARD_PID:-}" ] || stop_crowbard "$CROWBARD_PID"
    rm -rf "$work"
}
trap cleanup EXIT
report=()
crowbar() { CROWBAR_LAB_DIR=$work/lab "$bin/crowbar" "$@"; }

if [[ " ${parts[*]} " == *" pxe "* ]]; then
    echo "== power on → discovered (QEMU TCG, BMCs: ipmi_sim)"
    bash iso/build-discovery.sh "$work/boot" >/dev/null
    start_crowbard "$bin" "$work/pxe" --barclamps barclamps --recipes recipes --log-level warning \
        --boot-address 192.168.124.10 --boot-interface crowbar0 --boot-files "$work/boot"
    for count in 1 4; do
        crowbar lab up --nodes 0 --vms "$count" --powered-off >/dev/null
        start=$(now)
        crowbar node power --all on --boot pxe >/dev/null
        # Until every machine's agent has reported (a boot address), polled every 0.5 s, at most 600 s.
        for _ in $(seq 1 1200); do
            reported=$(crowbar node list --json | python3 -c "import json,sys; print(sum(1 for n in json.load(sys.stdin) if n.get('bootAddress')))")
            [ "$reported" -ge "$count" ] && break
            sleep 0.5
        done
        end=$(now)
        [ "$reported" -ge "$count" ] || { echo "only $reported of $count machines discovered" >&2; exit 1; }
        echo "$count machines: $(elapsed "$start" "$end") s power on → all discovered"
        report+=("| power on → discovered | $count machines | $(elapsed "$start" "$end") s |")
        crowbar lab down >/dev/null 2>&1
        for number in $(seq 1 "$count"); do crowbar node delete "d52-54-00-77-01-$(printf %02x "$number")" >/dev/null; done
    done
    stop_crowbard "$CROWBARD_PID"
    CROWBARD_PID=""
fi

if [[ " ${parts[*]} " == *" sweep "* ]]; then
    echo "== power status of 32 BMCs: crowbard vs ipmitool in a shell loop"
    start_crowbard "$bin" "$work/sweep" --barclamps barclamps --recipes recipes --log-level warning
    password=bench-$RANDOM$RANDOM
    printf %s "$password" > "$work/password" && chmod 600 "$work/password"
    printf '#!/bin/sh\n[ "$2" = get ] && echo "power: 0"\nexit 0\n' > "$work/chassis.sh" && chmod 755 "$work/chassis.sh"
    for number in $(seq 1 32); do
        folder=$work/bmc$number
        mkdir -p "$folder/state"
        port=$((19600 + number))
        cat > "$folder/lan.conf" <<CONF
name "bench$number"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 $port
    priv_limit admin
    allowed_auths_admin none md2 md5 straight
    guid $(printf 'a%031x' "$number")
  endlan
  chassis_control "$work/chassis.sh 0x20"
  user 2 true "admin" "$password" admin 10 none md2 md5 straight
CONF
        printf 'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n' > "$folder/bmc.emu"
        ipmi_sim -c "$folder/lan.conf" -f "$folder/bmc.emu" -n -s "$folder/state" >"$folder/log" 2>&1 &
        sims+=($!)
        mac=$(printf '52:54:00:bb:00:%02x' "$number")
        crowbar node add "$mac" >/dev/null
        crowbar node bmc set "d${mac//:/-}" --address 127.0.0.1 --port "$port" --username admin --password-file "$work/password" >/dev/null
    done
    sleep 1
    ipmi() { IPMI_PASSWORD=$password ipmitool -I lanplus -H 127.0.0.1 -p "$1" -U admin -E -C 3 -N 1 -R 2 power status; }
    export -f ipmi; export password
    for round in 1 2 3; do
        start=$(now); crowbar node power --all status --concurrency 8 >/dev/null; end=$(now); c8=$(elapsed "$start" "$end")
        start=$(now); crowbar node power --all status --concurrency 32 >/dev/null; end=$(now); c32=$(elapsed "$start" "$end")
        start=$(now); for number in $(seq 1 32); do ipmi $((19600 + number)) >/dev/null; done; end=$(now); loop=$(elapsed "$start" "$end")
        start=$(now); seq 19601 19632 | xargs -P 8 -I{} bash -c 'ipmi {} >/dev/null'; end=$(now); xargs8=$(elapsed "$start" "$end")
        echo "round $round: crowbard 8 at a time $c8 s, 32 at a time $c32 s; ipmitool loop $loop s, xargs -P 8 $xargs8 s"
        report+=("| status sweep, 32 BMCs (round $round) | crowbard ×8 $c8 s · ×32 $c32 s | ipmitool loop $loop s · xargs -P 8 $xargs8 s |")
    done
fi

echo
echo "== rows for docs/benchmarks.md"
printf '%s\n' "${report[@]}"
