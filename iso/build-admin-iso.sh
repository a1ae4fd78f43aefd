#!/usr/bin/env bash
# Builds the admin ISO: a hybrid image (grub-mkrescue: El Torito for BIOS and UEFI, and an MBR/GPT so the same file
# boots from a CD or written to a USB stick) that turns an empty machine into the admin node, offline. Its grub starts
# the discovery kernel with install.img in crowbar.mode=admin-install (iso/discovery/admin-install): the OS image onto
# the first disk, then the crowbar package from the offline repository on the ISO, crowbard serving the admin network
# the answer file names. What it holds is built by the scripts that build it for the lab, from their caches:
#   the discovery image and the OS image (iso/build-discovery.sh, iso/build-os-image.sh) → /crowbar/boot
#   the offline repository (iso/build-repository.sh --recipes recipes)                 → /crowbar/repository
#   the crowbar package, a release build (iso/build-package.sh)                          → /crowbar/crowbar.deb
#   the answer file (KEY=VALUE; iso/admin/answer has the keys and the Crowbar defaults)  → /crowbar/answer
# Cached by content: the key hashes the parts' own keys, the package, the answer file and this script.
#   iso/build-admin-iso.sh OUT_DIR [ANSWER_FILE]   → OUT_DIR/admin-KEY.iso, OUT_DIR/admin.manifest
# CROWBAR_IMAGES (default /var/lib/crowbar-lab, the deploy-day's) is where the parts are built and cached.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
usage="usage: build-admin-iso.sh OUT_DIR [ANSWER_FILE]"
out=${1:?$usage}
answer=${2:-$here/admin/answer}
[ -f "$answer" ] || { echo "no answer file $answer" >&2; exit 2; }
images=${CROWBAR_IMAGES:-/var/lib/crowbar-lab}
# Every answer is checked again by the installer; a typo is cheaper to find here than on the server's console.
if bad=$(grep -Ev '^(#.*|[A-Z_]+=.*|)$' "$answer"); then echo "$answer: not KEY=VALUE: $bad" >&2; exit 2; fi
if bad=$(grep -Eo '^[A-Z_]+' "$answer" | grep -Evx 'ADDRESS|GATEWAY|DNS|HOSTNAME|ADMIN_MAC|DISK|AUTHORIZED_KEY|LISTEN'); then
    echo "$answer: unknown keys: $bad (see iso/admin/answer)" >&2
    exit 2
fi

# grub-mkrescue with grub's BIOS and UEFI images, and what it writes the ISO with.
bash "$root/scripts/lib/apt-install.sh" grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools >/dev/null

bash "$here/build-discovery.sh" "$images/boot"
bash "$here/build-repository.sh" "$images/repository" --recipes "$root/recipes"
bash "$here/build-os-image.sh" "$images/boot" "$images/repository"
mkdir -p "$out/package"
deb=$(bash "$here/build-package.sh" "$out/package" | tail -n 1 | cut -d' ' -f1)
[ -s "$deb" ] || { echo "iso/build-package.sh made no package" >&2; exit 1; }

part_key() { sed -n "s/^key //p" "$1"; }
key=$( { part_key "$images/boot/discovery/SOURCE"; part_key "$images/boot/os/debian-12.manifest"; part_key "$images/repository/SOURCE"
    sha256sum < "$deb"; cat "$answer" "$here/admin/answer" "$0"; } | sha256sum | cut -c1-16)
iso=$out/admin-$key.iso
if [ -f "$out/admin.manifest" ] && grep -q "^key $key$" "$out/admin.manifest" && [ -s "$iso" ]; then
    echo "admin ISO up to date: $iso"
    exit 0
fi

work=$(mktemp -d /tmp/crowbar-admin-iso.XXXXXX)
trap 'rm -rf "$work"' EXIT
tree=$work/tree
mkdir -p "$tree/boot/grub" "$tree/crowbar/boot" "$tree/crowbar/repository"
# Hard links where the caches share the file system (nothing is copied), copies where they do not.
link() { cp -rl "$@" 2>/dev/null || cp -r "$@"; }
link "$images/boot/discovery" "$images/boot/os" "$tree/crowbar/boot/"
for file in undionly.kpxe ipxe.efi; do link "$images/boot/$file" "$tree/crowbar/boot/"; done
link "$images/boot/guest" "$tree/crowbar/boot/"
link "$images/repository/pool" "$images/repository/Packages" "$images/repository/Packages.gz" "$images/repository/Release" \
    "$images/repository/SOURCE" "$tree/crowbar/repository/"
cp "$deb" "$tree/crowbar/crowbar.deb"
# The given answers, then the defaults for the keys it leaves out (the installer takes a key's first line).
cat "$answer" "$here/admin/answer" | grep -v '^#' | sed '/^$/d' > "$tree/crowbar/answer"
built=$(date -u +%FT%TZ)
printf 'key %s\nbuilt %s\npackage %s\n' "$key" "$built" "$(basename "$deb")" > "$tree/crowbar/admin.manifest"
cat > "$tree/boot/grub/grub.cfg" <<'EOF'
# The admin ISO: installs the admin node onto the first disk big enough (iso/discovery/admin-install).
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
set timeout=5
menuentry "Install the Crowbar admin node (erases the disk)" {
    linux /crowbar/boot/discovery/vmlinuz crowbar.mode=admin-install console=tty0 console=ttyS0,115200n8 quiet
    initrd /crowbar/boot/discovery/initrd.img /crowbar/boot/discovery/install.img
}
EOF
grub-mkrescue -o "$work/admin.iso" "$tree" -- -volid CROWBAR_ADMIN > "$work/grub-mkrescue.log" 2>&1 \
    || { cat "$work/grub-mkrescue.log" >&2; exit 1; }
mv "$work/admin.iso" "$iso"
find "$out" -maxdepth 1 -name 'admin-*.iso' ! -name "$(basename "$iso")" -delete
printf 'key %s\nbuilt %s\npackage %s\nbytes %s\nsha256 %s\n' "$key" "$built" "$(basename "$deb")" "$(stat -c %s "$iso")" \
    "$(sha256sum "$iso" | cut -d' ' -f1)" > "$out/admin.manifest"
echo "admin ISO built: $iso ($(du -h "$iso" | cut -f1))"
