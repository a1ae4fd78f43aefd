#!/usr/bin/env bash
# Rack scale for the boot services (issue 20): CLIENTS (default 1,000) simulated PXE clients at once against one
# crowbard on a veth pair, the clients in a namespace, each with its own address: DHCP (perfdhcp, CLIENTS DORA
# exchanges), then TFTP of the boot program and HTTP of the iPXE script, kernel and initrd
# (Benchmarks/pxe-scale/clients.py). crowbard starts with systemd's default soft descriptor limit (1,024), as the
# packaged service would. Measured: clients served, time to the last, crowbard's open descriptors
# (sampled every 100 ms) and threads. Boot files: random, the sizes of the real ones.
# Needs root. Usage: Benchmarks/pxe-scale/run.sh [CLIENTS]   (release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/swift.sh
source scripts/lib/bench.sh
source scripts/lib/crowbard.sh
clients=${1:-1000}
bash scripts/install-deps.sh >/dev/null  # perfdhcp among them (kea-admin)
build_crowbar
work=$(mktemp -d /tmp/crowbar-pxe-scale.XXXXXX)
namespace=crowbar-bench-pxe
veth=cbpxe
sampler=""
cleanup() {
    [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
    [ -z "${CROWBARD_PID:-}" ] || stop_crowbard "$CROWBARD_PID"
    ip link del "$veth" 2>/dev/null || true
    ip netns del "$namespace" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

veth_namespace "$namespace" "$veth" 10.78.0.1/16 10.78.0.2/16
python3 -c "
import ipaddress
for index in range($clients):
    print(f'addr add {ipaddress.IPv4Address(\"10.78.1.0\") + index}/16 dev eth0')" | ip -n "$namespace" -batch -

mkdir -p "$work/boot/discovery"
head -c 74213 /dev/urandom >"$work/boot/undionly.kpxe"
head -c 8247232 /dev/urandom >"$work/boot/discovery/vmlinuz"
head -c 13338159 /dev/urandom >"$work/boot/discovery/initrd.img"

# The admin network 10.78.0.0/16 through a network proposal.
start_crowbard "$bin" "$work/data" --barclamps barclamps --recipes recipes --log-level warning
set_admin_network 10.78.0.0 255.255.0.0 10.78.0.1 10.78.255.255 \
    '{"admin":{"start":"10.78.0.1","end":"10.78.0.9"},"dhcp":{"start":"10.78.100.0","end":"10.78.200.255"},"host":{"start":"10.78.201.0","end":"10.78.250.255"}}'
stop_crowbard "$CROWBARD_PID"
# Started with the soft limit systemd gives a service without LimitNOFILE, 1,024 (the hard limit: this shell's).
mkdir -p "$work/limited"
printf '#!/bin/sh\nexec prlimit --nofile=1024:%s -- %s/crowbard "$@"\n' "$(ulimit -Hn)" "$bin" >"$work/limited/crowbard"
chmod +x "$work/limited/crowbard"
start_crowbard "$work/limited" "$work/data" --barclamps barclamps --recipes recipes --log-level warning \
    --boot-address 10.78.0.1 --boot-interface "$veth" --boot-files "$work/boot" --boot-http-port 8091 \
    --dhcp-relay 10.78.0.2 --dhcp-new-clients-per-second 0
(
    peak=0
    while kill -0 "$CROWBARD_PID" 2>/dev/null; do
        open=$(ls "/proc/$CROWBARD_PID/fd" 2>/dev/null | wc -l)
        [ "$open" -gt "$peak" ] && echo "$open $(ls "/proc/$CROWBARD_PID/task" | wc -l)" >"$work/peak" && peak=$open
        sleep 0.1
    done
) &
sampler=$!

echo "== $clients simulated PXE clients against crowbard (boot services on $veth, 10.78.0.1)"
started=$(now)
# perfdhcp is a relay in DHCPv4 (giaddr 10.78.0.2): it sends each client's DISCOVER and REQUEST once, no retries, so
# crowbard's new-client limit (256 at once, then 50/s: 15 s for 1,000, inside PXE ROMs' retries) is off for this.
dhcp=$(ip netns exec "$namespace" timeout 120 perfdhcp -4 -l 10.78.0.2 -r 1000 -R "$clients" -n "$clients" -p 10 -W 2000000 10.78.0.1 2>&1 || true)
dhcp_done=$(now)
acks=$(echo "$dhcp" | awk '/Statistics for: REQUEST-ACK/{f=1} f&&/^received packets:/{print $3; exit}')
echo "DHCP: ${acks:-?} of $clients clients got an address in $(elapsed "$started" "$dhcp_done") s"
[ -n "$acks" ] || echo "$dhcp" | tail -30
status=0
ip netns exec "$namespace" timeout 600 python3 Benchmarks/pxe-scale/clients.py "$clients" 10.78.0.1 8091 "$work/boot" >"$work/result" || status=$?
cat "$work/result"
ended=$(now)
read -r fds threads <"$work/peak"
echo "crowbard: at most $fds descriptors open and $threads threads; soft descriptor limit it ran with: $(prlimit --pid "$CROWBARD_PID" --nofile --noheadings --output SOFT)"
echo "TFTP + HTTP for $clients clients: $(python3 -c "import json; print(json.load(open('$work/result'))['last_seconds'])") s to the last; DHCP + TFTP + HTTP: $(elapsed "$started" "$ended") s"
curl -sf -H "Authorization: Bearer $(cat "$work/data/api-token")" "$CROWBAR_URL/api/v1/boot" | python3 -c '
import json, sys
counters = json.load(sys.stdin)["counters"]
print("counters:", ", ".join(f"{key} {value}" for key, value in sorted(counters.items()) if key.startswith(("tftp.", "dhcp.sent", "dhcp.refused"))))'
grep -i "error\|warn" "$work/data.log" | sort | uniq -c | sort -rn | head -5
exit "$status"
