#!/usr/bin/env bash
# The admin ISO's test, in a network namespace of its own with a bridge for the admin network (192.168.124.0/24, no
# crowbard of this host on it): a QEMU machine (TCG, empty 8 GiB disk, the ISO as its CD, disk first then CD) installs
# itself from the ISO and reboots from its disk; root's SSH key comes from the test's answer file and the host key is
# pinned from the installer's console line (never on first use); crowbard must run there as a service with its boot
# services; then a second QEMU machine PXE-boots from that admin node and must be `discovered` there. Last, the same
# file boots to its installer under UEFI (OVMF) and as a USB stick. Times and the ISO's size → OUT/timings.txt. Needs
# root.
#   iso/test-admin-iso.sh [OUT_DIR]   (default /var/lib/crowbar-lab/admin-iso)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/var/lib/crowbar-lab/admin-iso}
[ "$(id -u)" = 0 ] || { echo "test-admin-iso.sh needs root (network namespace, taps)" >&2; exit 1; }
bash "$here/../scripts/install-deps.sh" >/dev/null
bash "$here/../scripts/lib/apt-install.sh" ovmf >/dev/null
mkdir -p "$out" && chmod 0700 "$out"
ns=crowbar-iso-test
work=$(mktemp -d /tmp/crowbar-admin-iso-test.XXXXXX)
# The machines' PID files live with the ISO, not in $work: a run killed before its cleanup leaves them for the next.
machines=$out/machines
mkdir -p "$machines"
# stop_machines: every QEMU this test started (each writes its PID file), TERM then KILL.
stop_machines() {
    local file
    for file in "$machines"/*.pid; do [ -s "$file" ] && { kill "$(cat "$file")" 2>/dev/null || true; }; done
    sleep 1
    for file in "$machines"/*.pid; do [ -s "$file" ] && { kill -9 "$(cat "$file")" 2>/dev/null || true; }; rm -f "$file"; done
    return 0
}
cleanup() {
    stop_machines
    ip netns delete "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
stop_machines
seconds() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$(seconds) - $1:.1f}')"; }
timings=$out/timings.txt
: > "$timings"
note() { echo "$*" | tee -a "$timings"; }
# wait_until SECONDS MACHINE WHAT COMMAND…: runs COMMAND every 5 s until it succeeds; after SECONDS the test fails with
# WHAT, the end of MACHINE's console and, if the admin node answers, crowbard's state there.
wait_until() {
    local deadline=$(( $(date +%s) + $1 )) seconds=$1 machine=$2 what=$3
    shift 3
    until "$@"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "FAILED: $what, not within $seconds s; the end of $machine's console:" >&2
            tail -n 40 "$work/$machine.log" >&2 || true
            ssh_admin 'systemctl status crowbard --no-pager; crowbar node list; journalctl -u crowbard -n 40' >&2 2>/dev/null || true
            exit 1
        fi
        sleep 5
    done
}
# console_shows MACHINE PATTERN: PATTERN is on MACHINE's console; an installer's failure there fails the test at once.
console_shows() {
    grep -aq "$2" "$work/$1.log" 2>/dev/null && return 0
    grep -aq "crowbar-admin-install: FAILED" "$work/$1.log" 2>/dev/null \
        && { echo "FAILED: the installer failed:" >&2; tail -n 20 "$work/$1.log" >&2; exit 1; }
    return 1
}
# ssh_admin COMMAND: COMMAND as root on the installed admin node, its host key pinned from the installer's console.
ssh_admin() {
    inside ssh -i "$out/root-key" -o UserKnownHostsFile="$work/known_hosts" -o StrictHostKeyChecking=yes -o BatchMode=yes \
        -o ConnectTimeout=10 root@192.168.124.10 "$@"
}

# The answer file: the defaults, and root's key for this test (kept with the ISO so a second run reuses both).
[ -s "$out/root-key" ] && [ -s "$out/root-key.pub" ] || { rm -f "$out/root-key" "$out/root-key.pub"; ssh-keygen -q -t ed25519 -N '' -C admin-iso-test -f "$out/root-key"; }
printf 'AUTHORIZED_KEY=%s\nHOSTNAME=admin\n' "$(cut -d' ' -f1,2 "$out/root-key.pub")" > "$out/answer"
started=$(seconds)
bash "$here/build-admin-iso.sh" "$out" "$out/answer"
note "ISO build (parts cached by the deploy-day's scripts): $(elapsed "$started") s"
iso=$out/$(ls -t "$out" | grep -m1 '^admin-.*\.iso$')
note "ISO size: $(stat -c %s "$iso") bytes ($(du -h "$iso" | cut -f1))"

ip netns delete "$ns" 2>/dev/null || true
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add br0 type bridge
ip -n "$ns" addr add 192.168.124.1/24 dev br0
ip -n "$ns" link set br0 up
for tap in admin pxe; do
    ip -n "$ns" tuntap add "$tap" mode tap
    ip -n "$ns" link set "$tap" master br0 up
done
inside() { ip netns exec "$ns" "$@"; }
# qemu NAME ARGUMENTS…: a machine in the namespace, its console in $work/NAME.log, its PID in $machines/NAME.pid.
qemu() {
    local name=$1
    shift
    inside qemu-system-x86_64 -accel tcg -display none -monitor none -daemonize -pidfile "$machines/$name.pid" \
        -serial "file:$work/$name.log" "$@"
}

# 1. The admin node installs itself from the ISO, then boots its disk.
truncate -s 8G "$work/admin.img"
started=$(seconds)
qemu admin -m 2048 -smp 2 -drive "file=$work/admin.img,if=virtio,format=raw" -cdrom "$iso" \
    -boot order=cd -netdev tap,id=n0,ifname=admin,script=no,downscript=no -device virtio-net-pci,netdev=n0,mac=52:54:00:77:0a:01
wait_until 1800 admin "the installer's 'installed'" console_shows admin "crowbar-admin-install: installed"
note "ISO boot to installed (TCG): $(elapsed "$started") s"
host_key=$(sed -n 's/.*crowbar-admin-install: host key \(ssh-ed25519 [A-Za-z0-9+/=]*\).*/\1/p' "$work/admin.log" | tr -d '\r' | tail -n 1)
[ -n "$host_key" ] || { echo "FAILED: no host key on the installer's console" >&2; exit 1; }
echo "192.168.124.10 $host_key" > "$work/known_hosts"
crowbard_answers() { ssh_admin 'systemctl is-active -q crowbard && crowbar barclamp list >/dev/null' 2>/dev/null; }
installed=$(seconds)
wait_until 900 admin "crowbard answering on the installed admin node" crowbard_answers
note "installed to crowbard answering (first boot, TCG): $(elapsed "$installed") s"
ssh_admin 'test "$(stat -c %U "/proc/$(systemctl show -p MainPID --value crowbard)")" = crowbar' \
    || { echo "FAILED: crowbard does not run as crowbar" >&2; exit 1; }
ssh_admin 'grep -qx "boot-interface: admin0" /etc/crowbar/crowbard.yml && ip -4 addr show admin0 | grep -q 192.168.124.10/24 \
    && test "$(cat /sys/class/net/admin0/address)" = 52:54:00:77:0a:01' \
    || { echo "FAILED: the admin NIC is not admin0 (52:54:00:77:0a:01) with 192.168.124.10/24" >&2; ssh_admin 'ip addr; cat /etc/crowbar/crowbard.yml' >&2; exit 1; }
inside curl -sf -o /dev/null http://192.168.124.10:8091/debian/Release.gpg \
    || { echo "FAILED: the admin node does not serve its signed repository" >&2; exit 1; }
echo "admin node: crowbard runs as crowbar, serves admin0 at 192.168.124.10, signs its repository"

# 2. A machine PXE-boots from the new admin node and is discovered there.
started=$(seconds)
qemu pxe -m 512 -smp 1 -boot n \
    -netdev tap,id=n0,ifname=pxe,script=no,downscript=no -device virtio-net-pci,netdev=n0,mac=52:54:00:77:0a:02
discovered() { ssh_admin 'crowbar node list' 2>/dev/null | grep d52-54-00-77-0a-02 | grep -q discovered; }
wait_until 600 pxe "the PXE machine discovered on the admin node" discovered
note "PXE power-on to discovered on the ISO's admin node: $(elapsed "$started") s"
ssh_admin 'crowbar node list' | grep d52-54-00-77-0a-02
stop_machines

# 3. The same ISO under UEFI firmware reaches its installer (which finds the ISO; no disk is given, so it stops there).
started=$(seconds)
qemu uefi -m 1024 -smp 1 -bios /usr/share/ovmf/OVMF.fd -cdrom "$iso" -boot d -nic none
wait_until 600 uefi "the installer under UEFI" console_shows uefi "crowbar-admin-install: admin ISO on"
note "UEFI boot to the installer (TCG): $(elapsed "$started") s"
stop_machines

# 4. The same file written to a USB stick (xHCI, BIOS) boots, and the installer finds it there.
started=$(seconds)
qemu stick -m 1024 -smp 1 -nic none -device qemu-xhci,id=xhci -drive "if=none,id=stick,format=raw,readonly=on,file=$iso" \
    -device usb-storage,bus=xhci.0,drive=stick,bootindex=0
wait_until 600 stick "the installer finding the ISO on a USB stick" console_shows stick "crowbar-admin-install: admin ISO on /dev/sd"
note "USB stick boot to the installer (TCG): $(elapsed "$started") s"
echo "admin ISO test: OK"
