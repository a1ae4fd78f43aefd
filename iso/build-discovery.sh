#!/usr/bin/env bash
# Builds the discovery image: a Debian kernel and a busybox initramfs holding the NIC and IPMI drivers, udhcpc,
# ipmitool (with its shared libraries and the dynamic loader) and the agent (iso/discovery/init), plus iPXE's
# network boot programs for PXE ROMs that are not iPXE. All come from Debian packages (downloaded, not
# installed). The kernel is the generic one (linux-image-amd64's): the cloud kernel has no IPMI drivers (and no
# e1000). The result is cached by a hash of the package versions and the agent's files: a second run with
# nothing changed does nothing.
#   iso/build-discovery.sh OUT_DIR  → OUT_DIR/discovery/{vmlinuz,initrd.img,SOURCE}, OUT_DIR/{undionly.kpxe,ipxe.efi}
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
ipmitool_packages=$(for package in ipmitool libfreeipmi17 libreadline8 libtinfo6 libssl3 libgcrypt20 libgpg-error0 libc6; do
    echo "$package=$(apt-cache policy "$package" | sed -n 's/^ *Candidate: //p')"; done)
key=$( { echo "$kernel_package $kernel_version busybox-static $busybox_version ipxe $ipxe_version" $ipmitool_packages; cat "$0" "$here"/discovery/*; } | sha256sum | cut -c1-16)
if [ -f "$target/SOURCE" ] && grep -q "^key $key$" "$target/SOURCE" && [ -s "$target/vmlinuz" ] && [ -s "$target/initrd.img" ] \
    && [ -s "$out/undionly.kpxe" ]; then
    echo "discovery image up to date ($key)"
    exit 0
fi

work=$(mktemp -d /tmp/crowbar-discovery.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
mkdir -m 0777 "$work/debs"
(cd "$work/debs" && apt-get download -q "$kernel_package=$kernel_version" "busybox-static=$busybox_version" "ipxe=$ipxe_version" \
    $ipmitool_packages >/dev/null)
dpkg-deb -x "$work"/debs/linux-image-*.deb "$work/kernel"
dpkg-deb -x "$work"/debs/busybox-static_*.deb "$work/busybox"
dpkg-deb -x "$work"/debs/ipxe_*.deb "$work/ipxe"
for package in $ipmitool_packages; do dpkg-deb -x "$work"/debs/"${package%%=*}"_*.deb "$work/ipmitool"; done
modules=$(echo "$work"/kernel/lib/modules/*)

root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,modules,usr/share/udhcpc}
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
while read -r module; do
    file=$(find "$modules" -name "$module.ko" -o -name "$module.ko.xz" | head -n 1)
    [ -n "$file" ] || continue   # built into the kernel
    case "$file" in *.xz) xz -dc "$file" > "$root/modules/$module.ko" ;; *) cp "$file" "$root/modules/" ;; esac
done < "$here/discovery/modules-order"
cp "$here/discovery/modules-order" "$root/etc/modules-order"
install -m 0755 "$here/discovery/udhcpc.script" "$root/etc/udhcpc.script"
# ipmitool: the binary, the libraries the downloaded loader resolves for it (all from the downloaded packages)
# and the loader; the IANA enterprise numbers (mc info's "Manufacturer Name") as number and name lines only.
ipmi=$work/ipmitool
mkdir -p "$root"/lib/x86_64-linux-gnu "$root"/lib64 "$root"/usr/share/misc
libraries=$("$ipmi/lib64/ld-linux-x86-64.so.2" --library-path "$ipmi/lib/x86_64-linux-gnu:$ipmi/usr/lib/x86_64-linux-gnu" \
    --list "$ipmi/usr/bin/ipmitool" | sed -n 's/^[[:space:]]*[^/[:space:]][^ ]* => \(.*\) (0x.*/\1/p')
for library in $libraries; do
    case "$library" in "$ipmi"/*) cp -L "$library" "$root/lib/x86_64-linux-gnu/" ;;
        *) echo "ipmitool needs $library, from none of: $ipmitool_packages" >&2; exit 1 ;; esac
done
cp -L "$ipmi/lib64/ld-linux-x86-64.so.2" "$root/lib64/"
cp "$ipmi/usr/bin/ipmitool" "$root/bin/"
awk '/^[0-9]+$/ { print; getline; print }' "$ipmi/usr/share/misc/enterprise-numbers.txt" > "$root/usr/share/misc/enterprise-numbers.txt"
install -m 0755 "$here/discovery/init" "$root/init"

mkdir -p "$target"
cp "$work/ipxe/usr/lib/ipxe/undionly.kpxe" "$work/ipxe/boot/ipxe.efi" "$out/"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$target/initrd.img.new"
cp "$work"/kernel/boot/vmlinuz-* "$target/vmlinuz.new"
mv "$target/initrd.img.new" "$target/initrd.img"
mv "$target/vmlinuz.new" "$target/vmlinuz"
printf 'key %s\nkernel %s %s\nbusybox-static %s\nipxe %s\nipmitool %s\nmodules %s\n' "$key" "$kernel_package" "$kernel_version" "$busybox_version" \
    "$ipxe_version" "$(echo $ipmitool_packages)" "$(ls "$root/modules" | tr '\n' ' ')" > "$target/SOURCE"
echo "discovery image built ($key): $(du -h "$target/vmlinuz" | cut -f1) kernel, $(du -h "$target/initrd.img" | cut -f1) initramfs"
