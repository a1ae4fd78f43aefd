#!/usr/bin/env bash
# The Debian package on a clean Debian 12 that boots systemd (a systemd-nspawn container with no network but its
# own loopback): installed with apt (its dependencies fetched beforehand), crowbard started by the package as the
# crowbar account with its data folder 0700, the API answering the CLI, the logs in the journal; upgraded to a newer
# version (data kept, crowbard restarted); purged (service, binaries, data and settings gone). Needs root.
#   install-test.sh DEB   — exit status 0 when every check passed; each failed check is printed.
set -euo pipefail
deb=$(realpath "$1")
cache=${CROWBAR_CACHE_DIR:-/var/cache/crowbar}
work=$(mktemp -d /var/tmp/crowbar-package-XXXXXX)
machine=crowbar-pkg-$$
failures=0
cleanup() {
    if [ -n "${nspawn:-}" ] && kill -0 "$nspawn" 2>/dev/null; then
        kill -TERM "$nspawn" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$nspawn" 2>/dev/null || true
        wait "$nspawn" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
check() {  # check DESCRIPTION COMMAND…: runs the command, reports it
    local description=$1
    shift
    if "$@" > "$work/check.out" 2>&1; then
        echo "ok: $description"
    else
        echo "FAILED: $description"; sed 's/^/    /' "$work/check.out" | tail -n 30
        failures=$((failures + 1))
    fi
}

# A minimal Debian 12 with systemd, built once and cached (about a minute, from Debian's mirror).
base=$cache/package-test-bookworm.tar
if [ ! -s "$base" ]; then
    mkdir -p "$cache"
    # mmdebstrap writes a tarball when the name ends in .tar.
    mmdebstrap --variant=minbase --include=systemd-sysv,dbus,python3 bookworm "$cache/package-test-bookworm.new.tar" \
        >/dev/null 2>"$work/mmdebstrap.log" || { tail -n 20 "$work/mmdebstrap.log"; exit 1; }
    mv "$cache/package-test-bookworm.new.tar" "$base"
fi
root=$work/root
mkdir -p "$root"
tar -xf "$base" -C "$root"
cp "$deb" "$root/root/crowbar.deb"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# (Under /root: the booted container mounts a tmpfs on /tmp.) The package's dependencies are downloaded now (through the host's network); the booted container has none.
chroot "$root" apt-get update -qq
chroot "$root" apt-get install -qq -y --download-only /root/crowbar.deb > "$work/download.log" 2>&1 || { cat "$work/download.log"; exit 1; }
# A newer version of the same package, for the upgrade.
dpkg-deb -R "$deb" "$work/next"
version=$(sed -n 's/^Version: //p' "$work/next/DEBIAN/control")
sed -i "s/^Version: .*/Version: $version+next/" "$work/next/DEBIAN/control"
dpkg-deb --root-owner-group --build "$work/next" "$root/root/crowbar-next.deb" >/dev/null

SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 systemd-nspawn -D "$root" --machine "$machine" --register=no --keep-unit --boot \
    --private-network --console=pipe > "$work/console.log" 2>&1 &
nspawn=$!
# The container's init: nspawn's child in another PID namespace once it runs systemd. (nspawn's first child is a
# short-lived outer child that forks the init and exits; entering its namespaces fails once it is gone.)
container_init() {
    local child
    for child in $(pgrep -P "$nspawn"); do
        [ "$(readlink "/proc/$child/ns/pid" 2>/dev/null)" != "$(readlink /proc/self/ns/pid)" ] &&
            [ "$(cat "/proc/$child/comm" 2>/dev/null)" = systemd ] && { echo "$child"; return; }
    done
    return 0
}
leader=""
for _ in $(seq 100); do leader=$(container_init); [ -n "$leader" ] && break; sleep 0.1; done
[ -n "$leader" ] || { echo "the container did not start:"; cat "$work/console.log"; exit 1; }
inside() { nsenter -t "$leader" -m -u -i -n -p -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
state=""
for _ in $(seq 60); do
    state=$(inside systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) break ;; esac
    sleep 1
done
echo "container: systemd $state"
case "$state" in running|degraded) ;; *) echo "the container's systemd did not come up:"; tail -n 30 "$work/console.log"; exit 1 ;; esac

check "apt installs the package and its dependencies" inside apt-get install -qq -y /root/crowbar.deb
check "crowbard is enabled and active (Type=notify: started only once ready)" \
    inside sh -c 'systemctl is-enabled crowbard && systemctl is-active crowbard'
check "it runs as the crowbar account" inside sh -c 'test "$(stat -c %U "/proc/$(systemctl show -p MainPID --value crowbard)")" = crowbar'
check "its data folder is crowbar's alone (0700) and holds the token" \
    inside sh -c 'test "$(stat -c %U:%a /var/lib/crowbar)" = crowbar:700 && test "$(stat -c %a /var/lib/crowbar/api-token)" = 600'
check "the CLI reaches the API with the token (barclamps from /usr/share/crowbar)" \
    inside sh -c 'crowbar barclamp list | grep -q keystone'
check "health answers ok" inside python3 -c '
import json, urllib.request
token = open("/var/lib/crowbar/api-token").read().strip()
request = urllib.request.Request("http://127.0.0.1:3000/api/v1/health", headers={"Authorization": "Bearer " + token})
assert json.load(urllib.request.urlopen(request, timeout=10))["status"] == "ok"'
check "/metrics serves Prometheus text with the token" inside python3 -c '
import urllib.request
token = open("/var/lib/crowbar/api-token").read().strip()
request = urllib.request.Request("http://127.0.0.1:3000/metrics", headers={"Authorization": "Bearer " + token})
text = urllib.request.urlopen(request, timeout=10).read().decode()
assert "# TYPE crowbar_nodes gauge" in text, text[:2000]'
check "both binaries tell their version" inside sh -c "crowbard --version | grep -qx '$version' && crowbar --version | grep -qx '$version'"
check "journalctl -u crowbard shows its log, access lines at priority info" inside sh -c \
    'journalctl -u crowbard --no-pager | grep -q "crowbard listening on http://127.0.0.1:3000" && journalctl -u crowbard -p info..info --no-pager | grep -q "GET /api/v1/barclamps 200"'
inside python3 -c '
import urllib.request
try:
    urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:3000/api/v1/nodes", headers={"Authorization": "Bearer wrong"}), timeout=10)
except Exception:
    pass' || true
check "a refused request is logged at priority notice" \
    inside sh -c 'sleep 1; journalctl -u crowbard -p notice..notice --no-pager | grep -q "GET /api/v1/nodes 401"'
check "bash completion is installed" inside test -s /usr/share/bash-completion/completions/crowbar
token_before=$(inside cat /var/lib/crowbar/api-token)
pid_before=$(inside systemctl show -p MainPID --value crowbard)

check "the newer version installs over it" inside apt-get install -qq -y /root/crowbar-next.deb
check "crowbard was restarted by the upgrade" inside sh -c "systemctl is-active crowbard && test \"\$(systemctl show -p MainPID --value crowbard)\" != '$pid_before'"
check "the token survived the upgrade" inside sh -c "test \"\$(cat /var/lib/crowbar/api-token)\" = '$token_before'"
check "the upgraded crowbard answers" inside sh -c 'crowbar barclamp list | grep -q keystone'

check "purge removes the package" inside apt-get purge -qq -y crowbar
check "purge leaves no service, binary, data or settings" \
    inside sh -c '! systemctl is-active -q crowbard && ! test -e /usr/bin/crowbard && ! test -e /var/lib/crowbar && ! test -e /etc/crowbar'
if [ "$failures" -gt 0 ]; then
    echo "$failures package checks failed; crowbard's journal:"
    inside journalctl -u crowbard --no-pager 2>/dev/null | tail -n 40 || true
    exit 1
fi
echo "package install, upgrade and purge: all checks passed"
