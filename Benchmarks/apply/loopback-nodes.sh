#!/usr/bin/env bash
# Rack-sized stand-ins for Benchmarks/apply/run.sh: N systemd-nspawn containers booting the lab's Debian 12 base root
# (systemd and sshd, the same as `crowbar lab up` nodes) under an overlay each, so a node costs its changed files only.
# They share the host's network: node i's sshd listens on its own loopback address (all of 127/8 is local), which
# takes the lab's /24 admin network and its veth per node out of the way of a few hundred nodes.
#   loopback-nodes.sh up N DIR PUBKEY   starts n1…nN, waits for their sshd and booted systemd (600 s in all), prints
#                                         `name address mac fingerprint` per node
#   loopback-nodes.sh down DIR          stops them (SIGTERM, then SIGKILL after 30 s), unmounts, removes DIR
# Needs root and the lab's cached base (/var/lib/crowbar-lab/base-*: `crowbar lab up` builds it).
set -euo pipefail

address() { echo "127.77.$(($1 / 250)).$(($1 % 250 + 1))"; }
mac() { printf '52:54:00:78:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }

up() {
    local count=$1 dir=$2 key base i node root
    key=$(cat "$3")
    base=$(ls -td /var/lib/crowbar-lab/base-bookworm-*/ 2>/dev/null | grep -v '\.building/$' | head -1 || true)
    [ -n "$base" ] && [ -f "$base/etc/os-release" ] || { echo "no lab base root: run 'crowbar lab up --nodes 1' once" >&2; exit 1; }
    # A listener on port 22 of every address would take the nodes' loopback addresses: the tools would reach it instead.
    if ss -Hltn 'sport = :22' | awk '{ print $4 }' | grep -Eq '^(0\.0\.0\.0|\*|\[::\]):22$'; then
        echo "an sshd listens on port 22 of every address here; stop it first (the nodes need 127.77.x.y:22)" >&2; exit 1
    fi
    mkdir -p "$dir" /run/systemd/nspawn
    # Every container's systemd takes inotify instances from root's share (128 by default: about 30 nodes);
    # raised for the run, restored by `down`.
    sysctl -n fs.inotify.max_user_instances > "$dir/inotify-instances"
    [ "$(cat "$dir/inotify-instances")" -ge $((count * 8 + 128)) ] || sysctl -q fs.inotify.max_user_instances=$((count * 8 + 128))
    for i in $(seq 1 "$count"); do
        node=$dir/n$i root=$dir/n$i/root
        mkdir -p "$node/upper" "$node/work" "$root"
        mount -t overlay overlay -o "lowerdir=$base,upperdir=$node/upper,workdir=$node/work" "$root"
        ssh-keygen -q -t ed25519 -N '' -C "n$i" -f "$root/etc/ssh/ssh_host_ed25519_key"
        printf 'ListenAddress %s\nHostKey /etc/ssh/ssh_host_ed25519_key\n' "$(address "$i")" > "$root/etc/ssh/sshd_config.d/loopback.conf"
        echo "n$i" > "$root/etc/hostname"
        install -d -m 700 "$root/root/.ssh"
        echo "$key" > "$root/root/.ssh/authorized_keys"
        # As the lab's nodes: root's user manager lingers, no getty on the pipe console.
        mkdir -p "$root/var/lib/systemd/linger" && touch "$root/var/lib/systemd/linger/root"
        rm -f "$root/etc/systemd/system/getty.target.wants/getty@tty1.service"
        SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 setsid systemd-nspawn -D "$root" --machine "n$i" --register=no --keep-unit \
            --boot --console=pipe >"$node/console.log" 2>&1 < /dev/null &
        echo $! > "$node/pid"
    done
    local deadline=$((SECONDS + 600)) pending
    for i in $(seq 1 "$count"); do
        until timeout 2 bash -c "exec 3<>/dev/tcp/$(address "$i")/22" 2>/dev/null; do
            kill -0 "$(cat "$dir/n$i/pid")" 2>/dev/null || { echo "n$i stopped while booting:" >&2; tail -20 "$dir/n$i/console.log" >&2; exit 1; }
            pending=$((count - i + 1))
            [ $SECONDS -lt $deadline ] || { echo "$pending nodes' sshd did not answer within 600 s; n$i:" >&2; tail -20 "$dir/n$i/console.log" >&2; exit 1; }
            sleep 0.5
        done
    done
    # sshd answers before the rest of the boot is done; the tools are timed on quiet nodes.
    local init state
    for i in $(seq 1 "$count"); do
        init=$(pgrep -P "$(cat "$dir/n$i/pid")" || true)
        [ -n "$init" ] || { echo "n$i's container exited:" >&2; tail -20 "$dir/n$i/console.log" >&2; exit 1; }
        state=$(timeout $((deadline - SECONDS > 1 ? deadline - SECONDS : 1)) nsenter -t "$init" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            sh -c 'systemctl is-system-running --wait; systemctl is-active ssh' | tr '\n' ' ' || true)
        [[ $state == "running active " || $state == "degraded active " ]] || {
            echo "n$i after 600 s: systemd and its sshd are '$state':" >&2; tail -20 "$dir/n$i/console.log" >&2; exit 1
        }
    done
    for i in $(seq 1 "$count"); do
        echo "n$i $(address "$i") $(mac "$i") $(ssh-keygen -l -E sha256 -f "$dir/n$i/root/etc/ssh/ssh_host_ed25519_key.pub" | cut -d' ' -f2)"
    done
}

down() {
    local dir=$1 node pid alive process pids=()
    [ -d "$dir" ] || return 0
    [ ! -f "$dir/inotify-instances" ] || sysctl -q fs.inotify.max_user_instances="$(cat "$dir/inotify-instances")"
    for node in "$dir"/n*/; do
        pid=$(cat "$node/pid" 2>/dev/null || true)
        # Only the nspawn this script started (the PID may have been reused since).
        [ -n "$pid" ] && grep -qF "${node}root" "/proc/$pid/cmdline" 2>/dev/null || continue
        kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    done
    for _ in $(seq 1 150); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1 && break; done
        [ $alive = 1 ] || break
        sleep 0.2
    done
    # What is still there after 30 s, or was left by an nspawn that died: every process whose root is a node's root
    # (the container's init and all under it), then its nspawn.
    for process in /proc/[0-9]*; do
        case $(readlink "$process/root" 2>/dev/null) in "$dir"/n*/root) kill -KILL "${process#/proc/}" 2>/dev/null || true ;; esac
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.5
    for node in "$dir"/n*/; do
        if mountpoint -q "${node}root"; then umount "${node}root" || umount -l "${node}root" || true; fi
    done
    rm -rf "$dir"
}

case "${1:-}" in
    up) up "$2" "$3" "$4" ;;
    down) down "$2" ;;
    *) echo "usage: $0 up N DIR PUBKEY | down DIR" >&2; exit 2 ;;
esac
