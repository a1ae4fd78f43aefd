#!/usr/bin/env bash
# Builds the OS image that `installing` nodes write onto their disk: a Debian 12 root filesystem (minbase, the
# generic kernel with its initramfs, grub-pc, openssh-server, systemd-networkd) made by mmdebstrap from the
# offline repository alone (iso/build-repository.sh --recipes puts its packages there), as a zstd tarball. A
# tarball fits every disk size and partition table, and each node makes its own filesystem (its own UUID).
# The image holds no SSH host key, no machine-id and no apt lists: the installer generates the keys on the node.
# Cached by content: the key hashes the resolved package files and this script, so a second run does nothing.
#   iso/build-os-image.sh OUT_DIR REPOSITORY
#       → OUT_DIR/os/debian-12-KEY.tar.zst and OUT_DIR/os/debian-12.manifest (key, file, sha256, bytes, rawBytes)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage="usage: build-os-image.sh OUT_DIR REPOSITORY"
out=${1:?$usage}
repository=$(cd "${2:?$usage}" && pwd)
target=$out/os
packages=$(grep -v '^#' "$here/os-image/packages" | tr '\n' ',' | sed 's/,$//')
[ -s "$repository/Packages" ] || { echo "$repository is not a repository (no Packages): run iso/build-repository.sh" >&2; exit 1; }

# The key: the repository's files that can end in the image (their names carry name and version) and this script.
key=$( { cut -c1-200 "$repository/Packages" | grep '^Filename:' | sort; cat "$0" "$here"/os-image/*; } | sha256sum | cut -c1-16)
manifest=$target/debian-12.manifest
if [ -f "$manifest" ] && grep -q "^key $key$" "$manifest" && [ -s "$target/debian-12-$key.tar.zst" ]; then
    echo "OS image up to date ($key)"
    exit 0
fi

work=$(mktemp -d /tmp/crowbar-os-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
# Sound, video capture, wireless and staging drivers have no use on a server: about 100 MB less to write.
prune=(sound drivers/media drivers/net/wireless drivers/staging drivers/bluetooth drivers/iio drivers/input/touchscreen)
dpkg_options=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*')
for directory in "${prune[@]}"; do dpkg_options+=(--dpkgopt="path-exclude=/lib/modules/*/kernel/$directory/*"); done
mmdebstrap --quiet --mode=root --variant=minbase --include="$packages" "${dpkg_options[@]}" \
    --aptopt='Acquire::Languages "none"' --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
    --customize-hook="bash $here/os-image/customize.sh \"\$1\"" \
    bookworm "$root" "deb [trusted=yes] file://$repository ./"

raw_bytes=$(du -sb "$root" | cut -f1)
mkdir -p "$target"
image=debian-12-$key.tar.zst
tar --numeric-owner --one-file-system -C "$root" -cf - . | zstd -q -T0 -10 -o "$target/$image.new"
mv "$target/$image.new" "$target/$image"
find "$target" -name 'debian-12-*.tar.zst' ! -name "$image" -delete
kernel=$(ls "$root/boot" | sed -n 's/^vmlinuz-//p' | head -n 1)
printf 'key %s\nfile %s\nsha256 %s\nbytes %s\nrawBytes %s\nkernel %s\nbuilt %s\n' "$key" "$image" \
    "$(sha256sum "$target/$image" | cut -d' ' -f1)" "$(stat -c %s "$target/$image")" "$raw_bytes" "$kernel" \
    "$(date -u +%FT%TZ)" > "$manifest.new"
mv "$manifest.new" "$manifest"
echo "OS image built ($key): $(du -h "$target/$image" | cut -f1) compressed, $((raw_bytes / 1048576)) MiB installed"
