#!/usr/bin/env bash
# Boot services benchmark, each against a peer in the same run:
# 1. DHCP: perfdhcp DORA exchanges against crowbard and kea-dhcp4 (memfile), one after another on the same veth pair
#    (server on the host side, perfdhcp in a namespace as a relay sending unicast, then broadcast), at each of
#    DHCP_RATES (default 2000…16000/s), each with a fresh lease store kept on disk; dnsmasq at DHCP_DNSMASQ/s if set.
# 2. TFTP: a 64 MB file fetched by atftp from crowbard's TFTP server and from tftpd-hpa on loopback, at
#    blksize 512 and 1468 and windowsize 1, 8, 16 (tftpd-hpa 5.2 has no windowsize: it falls back to lock-step).
#    TFTP_BASELINE=FOLDER (another build's bin folder, e.g. a checkout's .build/release) adds its crowbard's TFTP beside
#    them (on 127.0.0.2, added to lo for the run); TFTP_ROUNDS=N repeats the transfers N times (default 1), each round
#    fetching from every server in turn; TFTP_WINDOWS="1" measures lock-step only (default "1 8 16"). Each transfer's
#    wall time and the server's CPU time (user + system, tftpd-hpa's per-transfer children included) are reported.
#    The files live on tmpfs (/dev/shm), so the disk does not pace the clients.
# (Power-on → discovered through the machines' BMCs: Benchmarks/power/run.sh.)
# Needs root. Usage: Benchmarks/boot/run.sh [dhcp] [tftp]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/swift.sh
source scripts/lib/bench.sh
source scripts/lib/crowbard.sh
parts=("${@:-dhcp tftp}")
# shellcheck disable=SC2206
parts=(${parts[*]})
bash scripts/install-deps.sh
bash scripts/lib/apt-install.sh kea-dhcp4-server dnsmasq-base tftpd-hpa >/dev/null
build_crowbar
work=$(mktemp -d /tmp/crowbar-boot-bench.XXXXXX)
files=$(mktemp -d /dev/shm/crowbar-boot-bench.XXXXXX)
added_loopback=""
namespace=crowbar-bench-dhcp
veth=cbbench
server_pid=""
stop_server() {
    [ -z "$server_pid" ] && return
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}
# Each TFTP server runs in a CPU-accounting control group of its own (tftpd-hpa forks a child per transfer, which it
# does not wait for): account NAME PID moves PID there, cpu_seconds NAME is the group's CPU time so far.
cgroups=/sys/fs/cgroup/cpuacct
[ -d "$cgroups" ] || cgroups=/sys/fs/cgroup
account() { mkdir -p "$cgroups/crowbar-bench-$1" && echo "$2" >"$cgroups/crowbar-bench-$1/cgroup.procs"; }
cpu_seconds() {
    local group=$cgroups/crowbar-bench-$1
    if [ -f "$group/cpuacct.usage" ]; then awk '{ printf "%.2f", $1 / 1e9 }' "$group/cpuacct.usage"
    else awk '/^usage_usec/ { printf "%.2f", $2 / 1e6 }' "$group/cpu.stat"; fi
}
# remove_accounting: ends what still runs in the servers' groups (at most 5 s), then removes the groups.
remove_accounting() {
    local group
    for group in "$cgroups"/crowbar-bench-*; do
        [ -d "$group" ] || continue
        for _ in $(seq 1 50); do
            [ -s "$group/cgroup.procs" ] || break
            xargs -r kill -KILL <"$group/cgroup.procs" 2>/dev/null || true
            sleep 0.1
        done
        rmdir "$group" || echo "could not remove $group: $(wc -l <"$group/cgroup.procs") processes left" >&2
    done
}
cleanup() {
    stop_server
    if [ -n "${baseline_pid:-}" ]; then stop_crowbard "$baseline_pid"; fi
    # A crowbard whose start timed out (start_crowbard exits before its pid is kept).
    if [ -n "${CROWBARD_PID:-}" ]; then stop_crowbard "$CROWBARD_PID"; fi
    CROWBAR_LAB_DIR=$work/lab "$bin/crowbar" lab down >/dev/null 2>&1 || true
    ip link del "$veth" 2>/dev/null || true
    ip netns del "$namespace" 2>/dev/null || true
    if [ -n "$added_loopback" ]; then ip addr del 127.0.0.2/32 dev lo 2>/dev/null || true; fi
    remove_accounting
    rm -rf "$work" "$files"
}
trap cleanup EXIT
report=()
# shellcheck disable=SC2206
rates=(${DHCP_RATES:-2000 4000 6000 8000 12000 16000})

# crowbard_with ARGS…: crowbard on a free loopback port with the shipped barclamps; exports CROWBAR_URL.
crowbard_with() {
    start_crowbard "$bin" "$work/data" --barclamps barclamps --recipes recipes --log-level warning "$@"
    server_pid=$CROWBARD_PID
}

# perfdhcp_rate NAME PATH RATE: DORA at an offered RATE/s for 5 s from up to a million random clients. perfdhcp is a
# relay in DHCPv4 (giaddr = its address, replies unicast to it, from and to port 67): PATH unicast sends to the
# server's address (-l 10.77.0.2 10.77.0.1), PATH broadcast to 255.255.255.255 on the namespace's eth0 (-l eth0).
# Prints and records the achieved rate, the drops and the share of REQUESTs not ACKed in time.
perfdhcp_rate() {
    local name=$1 path=$2 offered=$3 out how=(-l 10.77.0.2 10.77.0.1)
    [ "$path" = broadcast ] && how=(-l eth0)
    sleep 1
    out=$(ip netns exec "$namespace" timeout 60 perfdhcp -4 -r "$offered" -R 1000000 -p 5 -W 2000000 "${how[@]}" 2>&1 || true)
    local achieved sent_requests drops_offer drops_ack
    achieved=$(echo "$out" | sed -n 's/^Rate: \([0-9.]*\) 4-way.*/\1/p')
    drops_offer=$(echo "$out" | awk '/Statistics for: DISCOVER-OFFER/{f=1} f&&/^drops:/{print $2; exit}')
    drops_ack=$(echo "$out" | awk '/Statistics for: REQUEST-ACK/{f=1} f&&/^drops:/{print $2; exit}')
    sent_requests=$(echo "$out" | awk '/Statistics for: REQUEST-ACK/{f=1} f&&/^sent packets:/{print $3; exit}')
    local lost
    lost=$(python3 -c "print(f'{100 * ${drops_ack:-0} / max(${sent_requests:-0}, 1):.0f} %')")
    printf '%-10s %-7s %6s/s offered %10s DORA/s   drops: %s offers, %s acks (%s of REQUESTs)\n' \
        "$name" "$path" "$offered" "${achieved:-?}" "${drops_offer:-?}" "${drops_ack:-?}" "$lost"
    report+=("$(printf '| %s | %s | %s | %s | %s | %s | %s |' "$path" "$offered" "$name" "${achieved:-?}" "${drops_offer:-?}" "${drops_ack:-?}" "$lost")")
    [ -n "$achieved" ] || { echo "$out" | tail -20; }
}

if [[ " ${parts[*]} " == *" dhcp "* ]]; then
    echo "== DHCP: perfdhcp DORA, offered ${rates[*]}/s for 5 s each, random clients, a pool of 851,967 addresses in 10.64.0.0/12, unicast and broadcast"
    veth_namespace "$namespace" "$veth" 10.77.0.1/12 10.77.0.2/12

    # crowbard: the admin network is set to 10.64.0.0/12 through a network proposal, then DHCP serves it.
    crowbard_with
    set_admin_network 10.64.0.0 255.240.0.0 10.77.0.1 10.79.255.255 \
        '{"admin":{"start":"10.77.0.1","end":"10.77.0.9"},"dhcp":{"start":"10.64.0.1","end":"10.76.255.255"},"host":{"start":"10.78.0.0","end":"10.78.255.255"}}'
    stop_server
    cp -a "$work/data" "$work/data.configured"
    # Kea: UDP sockets for the unicast path (as Kea's documentation advises for relayed traffic), raw ones (its default,
    # which direct clients need) for the broadcast path.
    cat >"$work/kea.json" <<KEA
{"Dhcp4": {
  "interfaces-config": {"interfaces": ["$veth"], "dhcp-socket-type": "SOCKET_TYPE"},
  "lease-database": {"type": "memfile", "persist": true, "name": "$work/kea-leases.csv", "lfc-interval": 0},
  "valid-lifetime": 3600,
  "subnet4": [{"id": 1, "subnet": "10.64.0.0/12", "pools": [{"pool": "10.64.0.1 - 10.76.255.255"}],
               "option-data": [{"name": "routers", "data": "10.77.0.1"}]}],
  "loggers": [{"name": "kea-dhcp4", "severity": "WARN", "output_options": [{"output": "$work/kea.log"}]}]
}}
KEA
    for path in unicast broadcast; do
        for offered in "${rates[@]}"; do
            # A fresh lease store for each rate, as Kea's below. No new-client rate limit: the peers have none, and
            # the point is the rate the server can sustain.
            rm -rf "$work/data" && cp -a "$work/data.configured" "$work/data"
            crowbard_with --boot-address 10.77.0.1 --boot-interface "$veth" --boot-http-port 18091 --dhcp-relay 10.77.0.2 \
                --dhcp-new-clients-per-second 0
            udp_errors=$(nstat -az UdpRcvbufErrors | awk '/UdpRcvbufErrors/{print $2}')
            perfdhcp_rate crowbard "$path" "$offered"
            curl -sf -H "Authorization: Bearer $(cat "$work/data/api-token")" "$CROWBAR_URL/api/v1/boot" | python3 -c '
import json, sys
status = json.load(sys.stdin)
counters = {key: value for key, value in sorted(status["counters"].items()) if key.startswith("dhcp.")}
leases = len(status["leases"])
print(f"           {leases} leases stored;", ", ".join(f"{key} {value}" for key, value in counters.items()))'
            echo "           receive buffer overflows (UdpRcvbufErrors): $(( $(nstat -az UdpRcvbufErrors | awk '/UdpRcvbufErrors/{print $2}') - udp_errors ))"
            stop_server
            rm -f "$work"/kea-leases.csv*
            socket_type=udp
            [ "$path" = broadcast ] && socket_type=raw
            sed "s/SOCKET_TYPE/$socket_type/" "$work/kea.json" >"$work/kea-$path.json"
            KEA_PIDFILE_DIR=$work KEA_LOCKFILE_DIR=$work kea-dhcp4 -c "$work/kea-$path.json" >"$work/kea.out" 2>&1 &
            server_pid=$!
            perfdhcp_rate kea-dhcp4 "$path" "$offered"
            stop_server
        done
    done
    if [ -n "${DHCP_DNSMASQ:-}" ]; then
        dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface="$veth" --bind-interfaces --except-interface=lo \
            --dhcp-range=10.64.0.1,10.76.255.255,255.240.0.0,1h --dhcp-leasefile="$work/dnsmasq.leases" --dhcp-authoritative \
            --dhcp-lease-max=100000 --no-ping >"$work/dnsmasq.log" 2>&1 &
        server_pid=$!
        perfdhcp_rate dnsmasq unicast "$DHCP_DNSMASQ"
        stop_server
    fi
    ip link del "$veth"
    ip netns del "$namespace"
fi

if [[ " ${parts[*]} " == *" tftp "* ]]; then
    echo "== TFTP: 64 MB fetched by atftp on loopback"
    mkdir -p "$files/tftp"
    head -c $((64 << 20)) /dev/urandom >"$files/tftp/image.bin"
    # crowbard's TFTP (its boot services on 127.0.0.1, no DHCP) and tftpd-hpa, side by side.
    rm -rf "$work/data"
    crowbard_with --boot-address 127.0.0.1 --boot-files "$files/tftp" --boot-http-port 18092
    crowbard_pid=$server_pid
    account crowbard "$crowbard_pid"
    servers=(crowbard@127.0.0.1:69 tftpd-hpa@127.0.0.1:6969)
    baseline_pid=""
    if [ -n "${TFTP_BASELINE:-}" ]; then
        # crowbard serves TFTP once its boot address is on an interface.
        if [ -z "$(ip -4 -o addr show dev lo to 127.0.0.2/32)" ]; then ip addr add 127.0.0.2/32 dev lo; added_loopback=yes; fi
        start_crowbard "$TFTP_BASELINE" "$work/data-baseline" --barclamps barclamps --recipes recipes --log-level warning \
            --boot-address 127.0.0.2 --boot-files "$files/tftp" --boot-http-port 18093
        baseline_pid=$CROWBARD_PID
        account baseline "$baseline_pid"
        servers=(baseline@127.0.0.2:69 "${servers[@]}")
    fi
    in.tftpd -L -s "$files/tftp" -a 127.0.0.1:6969 &
    hpa_pid=$!
    account tftpd-hpa "$hpa_pid"
    sleep 1
    for round in $(seq 1 "${TFTP_ROUNDS:-1}"); do
        for blksize in 512 1468; do
            for window in ${TFTP_WINDOWS:-1 8 16}; do
                line="| round $round, blksize $blksize, windowsize $window |"
                for server in "${servers[@]}"; do
                    address=${server#*@} name=${server%%@*}
                    rm -f "$files/got"
                    cpu_before=$(cpu_seconds "$name")
                    start=$(now)
                    atftp --option "blksize $blksize" --option "windowsize $window" -g -r image.bin -l "$files/got" "${address%:*}" "${address#*:}" >/dev/null 2>&1 || true
                    end=$(now)
                    sleep 0.2  # until the client's last ACK has reached the server
                    cpu=$(python3 -c "print(f'{$(cpu_seconds "$name") - $cpu_before:.2f}')")
                    ok=$(cmp -s "$files/got" "$files/tftp/image.bin" && echo ok || echo FAILED)
                    secs=$(elapsed "$start" "$end")
                    printf '%-10s blksize %-5s windowsize %-3s %8s s  CPU %6s s  %s\n' "$name" "$blksize" "$window" "$secs" "$cpu" "$ok"
                    line="$line $secs s, CPU $cpu s ($ok) |"
                done
                report+=("$line")
            done
        done
    done
    kill "$hpa_pid" 2>/dev/null || true
    wait "$hpa_pid" 2>/dev/null || true
    if [ -n "$baseline_pid" ]; then stop_crowbard "$baseline_pid"; baseline_pid=""; fi
    server_pid=$crowbard_pid
    stop_server
fi

echo
echo "== rows for docs/benchmarks.md"
printf '%s\n' "${report[@]}"
