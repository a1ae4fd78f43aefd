#!/usr/bin/env bash
# Builds the discovery image: a Debian kernel and a busybox initramfs holding the NIC, storage and IPMI drivers
# (iso/discovery/modules, with what they depend on, loaded by the hardware present), udhcpc, ipmitool (with its
# shared libraries and the dynamic loader) and the agent (iso/discovery/init); the installer's initramfs, loaded on
# top of it for `installing` nodes and by the admin ISO (install.img: iso/discovery/install and admin-install with
# sfdisk, mke2fs, zstd and the ext4 and CD modules); the cloud's test guest (the same kernel, busybox, the virtio NIC driver and iso/guest/init); and iPXE's
# network boot programs for PXE ROMs that are not iPXE. All come from Debian packages
# (downloaded, not installed). The kernel is the generic one (linux-image-amd64's): the cloud kernel has no IPMI
# drivers (and no e1000). The result is cached by a hash of the package versions and the agent's files: a second
# run with nothing changed does nothing.
#   iso/build-discovery.sh OUT_DIR
#       → OUT_DIR/discovery/{vmlinuz,initrd.img,install.img,SOURCE}, OUT_DIR/guest/{vmlinuz,initrd.img},
#         OUT_DIR/{undionly.kpxe,ipxe.efi}
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-discovery.sh OUT_DIR}
target=$out/discovery

resolve_kernel() { apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1; }
kernel_package=$(resolve_kernel)
if [ -z "$kernel_package" ]; then apt-get update -q >/dev/null; kernel_package=$(resolve_kernel); fi
[ -n "$kernel_package" ] || { echo "cannot resolve linux-image-amd64 (apt-get update?)" >&2; exit 1; }
kernel_version=$(apt-cache policy "$kernel_package" | sed -n 's/^ *Candidate: //p')
busybox_version=$(apt-cache policy busybox-static | sed -n 's/^ *Candidate: //p')
ipxe_version=$(apt-cache policy ipxe | sed -n 's/^ *Candidate: //p')
# ipmitool and the packages of the libraries it links (checked below: the build fails if one is missing here).
versions() { for package in "$@"; do echo "$package=$(apt-cache policy "$package" | sed -n 's/^ *Candidate: //p')"; done; }
ipmitool_packages=$(versions ipmitool libfreeipmi17 libreadline8 libtinfo6 libssl3 libgcrypt20 libgpg-error0 libc6)
# The installer's tools and the packages of their libraries (sfdisk, mke2fs, zstd).
install_packages=$(versions fdisk libfdisk1 libsmartcols1 libblkid1 libuuid1 e2fsprogs libext2fs2 libcom-err2 zstd libzstd1 zlib1g \
    liblzma5 liblz4-1)
# The test guest's ethtool (it turns its NIC's checksum offload off: see iso/guest/init).
guest_packages=$(versions ethtool libmnl0)
key=$( { echo "$kernel_package $kernel_version busybox-static $busybox_version ipxe $ipxe_version" $ipmitool_packages $install_packages $guest_packages
    cat "$0" "$here"/discovery/* "$here"/guest/*; } | sha256sum | cut -c1-16)
if [ -f "$target/SOURCE" ] && grep -q "^key $key$" "$target/SOURCE" && [ -s "$target/vmlinuz" ] && [ -s "$target/initrd.img" ] \
    && [ -s "$target/install.img" ] && [ -s "$out/guest/initrd.img" ] && [ -s "$out/undionly.kpxe" ]; then
    echo "discovery image up to date ($key)"
    exit 0
fi

work=$(mktemp -d /tmp/crowbar-discovery.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
mkdir -m 0777 "$work/debs"
(cd "$work/debs" && apt-get download -q "$kernel_package=$kernel_version" "busybox-static=$busybox_version" "ipxe=$ipxe_version" \
    $ipmitool_packages $install_packages $guest_packages >/dev/null)
dpkg-deb -x "$work"/debs/linux-image-*.deb "$work/kernel"
dpkg-deb -x "$work"/debs/busybox-static_*.deb "$work/busybox"
dpkg-deb -x "$work"/debs/ipxe_*.deb "$work/ipxe"
for package in $ipmitool_packages $install_packages $guest_packages; do dpkg-deb -x "$work"/debs/"${package%%=*}"_*.deb "$work/packages"; done
kernel_release=$(ls "$work/kernel/lib/modules")
depmod -b "$work/kernel" "$kernel_release"

# Copies the modules listed in $1 (globs under kernel/) and every module they depend on (modules.dep lists the
# whole closure) from the kernel package into the tree $2.
copy_modules() {
    local modules=$work/kernel/lib/modules/$kernel_release pattern path
    grep -v '^#' "$1" | while read -r pattern; do
        for path in "$modules"/kernel/$pattern; do
            [ -f "$path" ] || continue
            grep "^${path#"$modules"/}:" "$modules/modules.dep" | tr -d ':' | tr ' ' '\n'
        done
    done | sort -u | while read -r path; do
        [ -n "$path" ] || continue
        mkdir -p "$2/lib/modules/$kernel_release/$(dirname "$path")"
        cp "$modules/$path" "$2/lib/modules/$kernel_release/$path"
    done
    cp "$modules/modules.order" "$modules/modules.builtin" "$modules/modules.builtin.modinfo" "$2/lib/modules/$kernel_release/"
    depmod -b "$2" "$kernel_release"
}
# Copies binary $1 of the downloaded packages into folder $3 of tree $2 with the libraries the downloaded loader
# resolves for it (all of which must come from the downloaded packages, never from this host).
packages=$work/packages
copy_binary() {
    local library
    mkdir -p "$2/$3" "$2/lib/x86_64-linux-gnu"
    for library in $("$packages/lib64/ld-linux-x86-64.so.2" --library-path "$packages/lib/x86_64-linux-gnu:$packages/usr/lib/x86_64-linux-gnu" \
        --list "$packages/$1" | sed -n 's/^[[:space:]]*[^/[:space:]][^ ]* => \(.*\) (0x.*/\1/p'); do
        case "$library" in "$packages"/*) cp -L "$library" "$2/lib/x86_64-linux-gnu/" ;;
            *) echo "$1 needs $library, from none of the downloaded packages" >&2; exit 1 ;; esac
    done
    cp "$packages/$1" "$2/$3/"
}

root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,lib64,usr/share/udhcpc,usr/share/misc}
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
copy_modules "$here/discovery/modules" "$root"
install -m 0755 "$here/discovery/udhcpc.script" "$root/etc/udhcpc.script"
# ipmitool and the loader; the IANA enterprise numbers (mc info's "Manufacturer Name") as number and name lines only.
copy_binary usr/bin/ipmitool "$root" bin
cp -L "$packages/lib64/ld-linux-x86-64.so.2" "$root/lib64/"
awk '/^[0-9]+$/ { print; getline; print }' "$packages/usr/share/misc/enterprise-numbers.txt" > "$root/usr/share/misc/enterprise-numbers.txt"
install -m 0755 "$here/discovery/init" "$root/init"

# install.img: unpacked over the discovery initramfs (iPXE or the admin ISO's grub loads both), so it holds only what
# the installers add — their tools, the ext4 and CD modules (and a modules.dep for both sets), the node installer, the
# admin node's installer and the disk steps they share.
install_root=$work/install
mkdir -p "$install_root/etc"
cp -a "$root/lib/modules" "$work/all-modules"
copy_modules "$here/discovery/install-modules" "$install_root"
cp -an "$work/all-modules/$kernel_release/." "$install_root/lib/modules/$kernel_release/"
depmod -b "$install_root" "$kernel_release"
# In their own folder: busybox has a mke2fs applet (ext2 only) in /bin, which it runs before anything in PATH, and
# an archive unpacked over the discovery image does not replace its symlinks.
for binary in sbin/sfdisk sbin/mke2fs usr/bin/zstd; do copy_binary "$binary" "$install_root" usr/local/sbin; done
cp "$packages/etc/mke2fs.conf" "$install_root/etc/mke2fs.conf"
# A kernel whose modules moved or got compressed would leave the globs matching nothing: fail here, not on a server.
[ -f "$install_root/lib/modules/$kernel_release/kernel/fs/ext4/ext4.ko" ] || { echo "no ext4.ko for the installer" >&2; exit 1; }
[ -f "$root/lib/modules/$kernel_release/kernel/drivers/net/virtio_net.ko" ] || { echo "no NIC drivers in the discovery image" >&2; exit 1; }
install -m 0755 "$here/discovery/install" "$install_root/install"
install -m 0755 "$here/discovery/admin-install" "$install_root/admin-install"
install -D -m 0644 "$here/discovery/disk.sh" "$install_root/lib/crowbar/disk.sh"
# Only what the discovery image lacks: its modules are already there.
(cd "$install_root/lib/modules/$kernel_release" && for file in $(cd "$work/all-modules/$kernel_release" && find . -name '*.ko'); do
    rm -f "$file"; done)

# The test guest: busybox, ethtool, the virtio NIC driver, the same DHCP hook and its own /init.
guest=$work/guest
mkdir -p "$guest"/{bin,etc,proc,sys,dev,tmp,lib64}
cp -a "$root/bin/." "$guest/bin/"
rm -f "$guest/bin/ipmitool"
copy_binary sbin/ethtool "$guest" bin
cp -L "$packages/lib64/ld-linux-x86-64.so.2" "$guest/lib64/"
copy_modules "$here/guest/modules" "$guest"
[ -f "$guest/lib/modules/$kernel_release/kernel/drivers/net/virtio_net.ko" ] || { echo "no virtio_net.ko for the guest" >&2; exit 1; }
install -m 0755 "$here/discovery/udhcpc.script" "$guest/etc/udhcpc.script"
install -m 0755 "$here/guest/init" "$guest/init"

mkdir -p "$target" "$out/guest"
(cd "$guest" && find . | cpio -o -H newc --quiet | gzip -9) > "$out/guest/initrd.img.new"
cp "$work"/kernel/boot/vmlinuz-* "$out/guest/vmlinuz"
mv "$out/guest/initrd.img.new" "$out/guest/initrd.img"
cp "$work/ipxe/usr/lib/ipxe/undionly.kpxe" "$work/ipxe/boot/ipxe.efi" "$out/"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$target/initrd.img.new"
(cd "$install_root" && find . | cpio -o -H newc --quiet | gzip -9) > "$target/install.img.new"
mv "$target/install.img.new" "$target/install.img"
cp "$work"/kernel/boot/vmlinuz-* "$target/vmlinuz.new"
mv "$target/initrd.img.new" "$target/initrd.img"
mv "$target/vmlinuz.new" "$target/vmlinuz"
count_modules() { find "$1" -name '*.ko' | wc -l; }
printf 'key %s\nkernel %s %s\nbusybox-static %s\nipxe %s\nipmitool %s\ninstaller %s\nmodules %s discovery, %s installer\nsizes %s\n' "$key" \
    "$kernel_package" "$kernel_version" "$busybox_version" "$ipxe_version" "$(echo $ipmitool_packages)" "$(echo $install_packages)" \
    "$(count_modules "$root")" "$(count_modules "$install_root")" \
    "$(cd "$target" && stat -c '%n %s' vmlinuz initrd.img install.img | tr '\n' ' ')" > "$target/SOURCE"
echo "discovery image built ($key): $(du -h "$target/vmlinuz" | cut -f1) kernel, $(du -h "$target/initrd.img" | cut -f1) initramfs," \
    "$(du -h "$target/install.img" | cut -f1) installer, $(du -h "$out/guest/initrd.img" | cut -f1) guest initramfs"
