#!/usr/bin/env bash
# Builds the Debian package: crowbard and crowbar in /usr/bin with the Swift runtime libraries they load in
# /usr/lib/crowbar (their RUNPATH points there, so the package needs no toolchain), the barclamps and recipes in
# /usr/share/crowbar, the service unit (crowbard.service) and its account, the settings file /etc/crowbar/crowbard.yml
# (a conffile), bash and zsh completions, the docs.
#   iso/build-package.sh OUT_DIR [--debug]   → OUT_DIR/crowbar_<version>_amd64.deb (--debug: the debug build the
#                                              tests use, packaged as it is)
# Why not --static-swift-stdlib: objects compiled for it cannot be linked dynamically afterwards, so a static package
# build would need a build tree of its own (a whole second build in CI); bundling the runtime packages any build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${1:?usage: build-package.sh OUT_DIR [--debug]}
configuration=release
[ "${2:-}" = --debug ] && configuration=debug
# shellcheck source=../scripts/lib/swift.sh
source "$root/scripts/lib/swift.sh"
swift=$(find_swift)
build=("$swift" build --package-path "$root" -c "$configuration")
"${build[@]}" --product crowbard
"${build[@]}" --product crowbar
bin=$("${build[@]}" --show-bin-path)
version=$("$bin/crowbard" --version)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -D -m 0755 "$bin/crowbard" "$stage/usr/bin/crowbard"
install -D -m 0755 "$bin/crowbar" "$stage/usr/bin/crowbar"
# Stripped in either build: the debug build's symbols are most of its size, and the tests copy the package around.
strip --strip-unneeded "$stage/usr/bin/crowbard" "$stage/usr/bin/crowbar"
# The Swift runtime libraries the binaries load (Swift's own: Core, Concurrency, Foundation with its ICU data, Dispatch),
# found by ldd in the toolchain, copied under their sonames; the binaries look for them there first.
runtime=$(ldd "$bin/crowbard" "$bin/crowbar" | awk '/=> \// { print $3 }' | grep -F /lib/swift/ | sort -u)
[ -n "$runtime" ] || { echo "no Swift runtime libraries found in ldd's answer" >&2; exit 1; }
install -d "$stage/usr/lib/crowbar"
for library in $runtime; do install -m 0644 "$(readlink -f "$library")" "$stage/usr/lib/crowbar/$(basename "$library")"; done
patchelf --set-rpath /usr/lib/crowbar "$stage/usr/bin/crowbard" "$stage/usr/bin/crowbar"
mkdir -p "$stage/usr/share/crowbar" "$stage/usr/share/doc/crowbar"
cp -r "$root/barclamps" "$root/recipes" "$stage/usr/share/crowbar/"
cp "$root/README.md" "$root"/docs/*.md "$stage/usr/share/doc/crowbar/"
install -D -m 0644 "$here/package/crowbard.service" "$stage/usr/lib/systemd/system/crowbard.service"
install -D -m 0644 "$here/package/crowbar.sysusers" "$stage/usr/lib/sysusers.d/crowbar.conf"
install -D -m 0644 "$here/package/crowbard.yml" "$stage/etc/crowbar/crowbard.yml"
for program in crowbar crowbard; do
    install -d "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions"
    "$bin/$program" --generate-completion-script bash > "$stage/usr/share/bash-completion/completions/$program"
    "$bin/$program" --generate-completion-script zsh > "$stage/usr/share/zsh/vendor-completions/_$program"
done

# Depends: the Debian packages of the other shared libraries the binaries and the runtime load, then the programs
# crowbard runs (ssh-keygen for its key, ipmitool for IPMI BMCs).
libraries=$(ldd "$stage/usr/bin/crowbard" "$stage/usr/bin/crowbar" "$stage"/usr/lib/crowbar/*.so* | awk '/=> \// { print $3 }' \
    | grep -v "^$stage/" | sort -u)
if grep -q swift <<<"$libraries"; then echo "a library still comes from the toolchain:"$'\n'"$libraries" >&2; exit 1; fi
packages=$(for library in $libraries; do
    dpkg -S "$library" 2>/dev/null || dpkg -S "$(readlink -f "$library")" 2>/dev/null || dpkg -S "/usr$library"
done | cut -d: -f1 | sort -u | tr '\n' ' ')
unlisted=$(for package in $packages; do grep -qxF "$package" "$here/package/depends" || echo "$package"; done)
[ -z "$unlisted" ] || { echo "the binaries load libraries of packages iso/package/depends does not list (the admin ISO's repository would lack them): $unlisted" >&2; exit 1; }
depends=$(for package in $packages; do
    printf '%s (>= %s), ' "$package" "$(dpkg-query -W -f='${Version}' "$package" | sed 's/-[^-]*$//')"
done)
mkdir -p "$stage/DEBIAN"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: crowbar
Version: $version
Architecture: amd64
Maintainer: Crowbar <crowbar@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: ${depends}systemd, openssh-client
Recommends: ipmitool
Suggests: systemd-container, debootstrap, qemu-system-x86, ipxe-qemu, openipmi, iproute2, mmdebstrap, apt-utils
Section: admin
Priority: optional
Homepage: https://github.com/crowbar
Description: bare-metal deployment orchestrator: discovery, OS install and OpenStack over SSH
 crowbard is the admin node's daemon: DHCP, TFTP and HTTP boot for discovery and OS install, BMC power, and a
 REST API over barclamps and proposals that it applies to nodes over SSH in order. crowbar is its command line
 and terminal UI.
CONTROL
echo /etc/crowbar/crowbard.yml > "$stage/DEBIAN/conffiles"
install -m 0755 "$here/package/postinst" "$here/package/prerm" "$here/package/postrm" "$stage/DEBIAN/"
mkdir -p "$out"
deb="$out/crowbar_${version}_amd64.deb"
# xz for a release; a test package of the (large) debug build is left uncompressed: xz would take minutes.
compression=xz
[ "$configuration" = debug ] && compression=none
# The same inputs give the same bytes (the admin ISO is cached by the package's checksum): every file's time is clamped
# to the last commit's.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -c safe.directory="$root" -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)} \
    dpkg-deb --root-owner-group -Z"$compression" --build "$stage" "$deb" >/dev/null
echo "$deb ($(du -h "$deb" | cut -f1))"
