# The disk steps of both installers, sourced by them: the node installer (install, the image from crowbard over HTTP)
# and the admin node's installer (admin-install, the image from the admin ISO). The caller defines `progress PHASE
# MESSAGE` and `fail REASON` (which does not return), and sets $tools, where install.img keeps its own sfdisk, mke2fs
# and zstd (this busybox runs its own applets, an ext2-only mke2fs among them, before anything in PATH).

# partition_disk DISK MIN_BYTES: the disk big enough, then a GPT with a BIOS boot partition (grub's core image) and the
# root partition; sets $root_partition.
partition_disk() {
    [ -b "/dev/$1" ] || fail "disk $1 not found (disks: $(ls /sys/block | tr '\n' ' '))"
    disk_bytes=$(( $(cat "/sys/block/$1/size") * 512 ))
    [ "$disk_bytes" -ge "$2" ] || fail "disk $1 has $((disk_bytes / 1048576)) MiB, the image needs $(($2 / 1048576)) MiB"
    case "$1" in *[0-9]) root_partition=/dev/${1}p2 ;; *) root_partition=/dev/${1}2 ;; esac
    progress partition "GPT on /dev/$1 ($((disk_bytes / 1048576)) MiB)"
    dd if=/dev/zero of="/dev/$1" bs=1M count=4 2>/dev/null || fail "cannot write /dev/$1"
    printf 'label: gpt\nsize=1MiB, type=21686148-6449-6E6F-744E-656564454649, name=bios\ntype=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root\n' \
        | $tools/sfdisk -q --wipe always "/dev/$1" > /tmp/sfdisk.log 2>&1 || fail "sfdisk: $(tail -n 1 /tmp/sfdisk.log)"
    attempt=0
    while [ ! -b "$root_partition" ] && [ "$attempt" -lt 50 ]; do attempt=$((attempt + 1)); sleep 0.2; done
    [ -b "$root_partition" ] || fail "partition $root_partition did not appear"
}

# write_root UUID SHA256 SOURCE…: the root filesystem (ext4 with UUID) on $root_partition, mounted on /mnt, and the
# image (a zstd tarball) that the command SOURCE… writes to its output unpacked into it, streamed once: the checksum is
# computed on the bytes tar unpacks, and a mismatch fails before anything from the image runs. A broken stream (crowbard
# restarting) starts the filesystem over, at most 5 times.
write_root() {
    uuid=$1
    expected=$2
    shift 2
    mkdir -p /mnt
    attempt=1
    until unpack_root "$uuid" "$@"; do
        [ "$attempt" -ge 5 ] && fail "image read or unpack failed $attempt times"
        progress image "read or unpack failed (attempt $attempt); starting over in 10 s"
        attempt=$((attempt + 1))
        sleep 10
    done
    received=$(cut -d' ' -f1 /tmp/image.sum)
    [ "$received" = "$expected" ] || fail "image checksum mismatch: got $received, expected $expected"
    progress image "written and verified ($(df -m /mnt | awk 'NR==2 { print $3 }') MiB)"
}

unpack_root() {
    uuid=$1
    shift
    umount /mnt 2>/dev/null
    MKE2FS_CONFIG=/etc/mke2fs.conf $tools/mke2fs -q -F -t ext4 -U "$uuid" -L root -E nodiscard "$root_partition" > /tmp/mke2fs.log 2>&1 \
        || fail "mke2fs: $(tail -n 1 /tmp/mke2fs.log)"
    mount -t ext4 "$root_partition" /mnt || fail "cannot mount the new root filesystem"
    rm -f /tmp/image.fifo
    mkfifo /tmp/image.fifo
    sha256sum < /tmp/image.fifo > /tmp/image.sum &
    summer=$!
    "$@" | tee /tmp/image.fifo | $tools/zstd -q -dc | tar -xf - -C /mnt
    status=$?
    wait "$summer"
    return $status
}

# configure_root UUID HOSTNAME ADDRESS GATEWAY DNS MAC AUTHORIZED_KEY: the system's own configuration (fstab, name,
# the admin NIC by MAC for systemd-networkd, root's SSH key when given), its machine-id and SSH host key; sets $host_key
# (type and key). The image's binaries run from here on, in a chroot over /mnt with /dev, /proc and /sys bound.
configure_root() {
    progress configure "hostname $2, $3 on $6"
    echo "UUID=$1 / ext4 errors=remount-ro 0 1" > /mnt/etc/fstab
    echo "$2" > /mnt/etc/hostname
    printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$2" > /mnt/etc/hosts
    {
        printf '[Match]\nMACAddress=%s\n\n[Network]\nAddress=%s\n' "$6" "$3"
        [ -n "$4" ] && printf 'Gateway=%s\n' "$4"
        [ -n "$5" ] && printf 'DNS=%s\n' "$5"
    } > /mnt/etc/systemd/network/10-admin.network
    if [ -n "$7" ]; then
        mkdir -p /mnt/root/.ssh
        chmod 0700 /mnt/root/.ssh
        echo "$7" > /mnt/root/.ssh/authorized_keys
        chmod 0600 /mnt/root/.ssh/authorized_keys
    fi
    for fs in dev proc sys; do mount --bind "/$fs" "/mnt/$fs"; done
    chroot /mnt systemd-machine-id-setup > /dev/null 2>&1 || fail "systemd-machine-id-setup failed"
    chroot /mnt ssh-keygen -q -t ed25519 -N '' -C "root@$2" -f /etc/ssh/ssh_host_ed25519_key > /tmp/keygen.log 2>&1 \
        || fail "ssh-keygen: $(tail -n 1 /tmp/keygen.log)"
    host_key=$(cut -d' ' -f1,2 /mnt/etc/ssh/ssh_host_ed25519_key.pub)
}

# install_bootloader DISK: grub for BIOS on DISK (its core image in the BIOS boot partition), remembered by debconf for
# grub-pc's upgrades.
install_bootloader() {
    progress bootloader "grub on /dev/$1"
    chroot /mnt grub-install --target=i386-pc "/dev/$1" > /tmp/grub.log 2>&1 || fail "grub-install: $(tail -n 1 /tmp/grub.log)"
    chroot /mnt update-grub > /tmp/grub.log 2>&1 || fail "update-grub: $(tail -n 1 /tmp/grub.log)"
    echo "grub-pc grub-pc/install_devices multiselect /dev/$1" | chroot /mnt debconf-set-selections
}

# unmount_root: the bound file systems and the new root, written out.
unmount_root() {
    for fs in sys proc dev; do umount "/mnt/$fs"; done
    sync
    umount /mnt || fail "cannot unmount the new root filesystem"
}
