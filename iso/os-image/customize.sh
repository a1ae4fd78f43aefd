#!/usr/bin/env bash
# mmdebstrap's customize hook for the OS image (iso/build-os-image.sh): runs on the host with the image's root as $1.
set -euo pipefail
root=${1:?usage: customize.sh ROOT}
# Born on each node, never shared: host keys (the installer generates one) and the machine-id (first boot).
rm -f "$root"/etc/ssh/ssh_host_*
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
# The admin interface is configured by systemd-networkd (the installer writes a .network matched by MAC).
chroot "$root" systemctl enable systemd-networkd.service >/dev/null 2>&1
chroot "$root" systemctl enable ssh.service >/dev/null 2>&1
# root's systemd user manager lingers, so crowbard's SSH logins do not each start and stop one (pam_systemd waits
# for it: minutes under load).
mkdir -p "$root/var/lib/systemd/linger" && : > "$root/var/lib/systemd/linger/root"
cat > "$root/etc/ssh/sshd_config.d/crowbar.conf" <<'EOF'
# crowbar: one host key (ed25519, made by the installer and pinned by crowbard); keys only.
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
EOF
cat > "$root/etc/default/grub" <<'EOF'
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8"
GRUB_TERMINAL="console serial"
GRUB_SERIAL_COMMAND="serial --speed=115200"
GRUB_DISABLE_OS_PROBER=true
EOF
: > "$root/etc/fstab"
echo localhost > "$root/etc/hostname"
