#!/usr/bin/env bash
# Builds the offline Debian repository that nodes install from: every package the recipes install, with its
# whole dependency closure (resolved as if nothing were installed, so any node root is covered), downloaded from
# Debian bookworm (+ updates, security) with a private apt configuration — the host's own sources and dpkg
# state are not used. The result is a flat repository (Packages.gz, Release) that crowbard serves over HTTP on
# the admin network, signing its Release as it serves it (Release.gpg), and nodes use as
# `deb [signed-by=/etc/apt/keyrings/crowbar.asc] http://ADMIN:8091/debian ./` (crowbard's key: see docs/security.md).
# Cached by content: the key is a hash of the resolved package files (name, version, checksum), so a second
# run with the same package list and the same archive state downloads nothing.
#   iso/build-repository.sh OUT_DIR PACKAGE…        → OUT_DIR/{Packages.gz,Release,SOURCE,pool/*.deb}
#   iso/build-repository.sh OUT_DIR --recipes DIR   the packages of every `package:` resource in DIR/*/*.yml
#                                                   (written `- package: name` or `- package: [a, b]`), plus the
#                                                   OS image's set: bookworm's Essential packages and
#                                                   iso/os-image/packages (what iso/build-os-image.sh installs),
#                                                   and the crowbar package's (iso/package/depends: the admin
#                                                   ISO installs crowbar from this repository)
set -euo pipefail
usage="usage: build-repository.sh OUT_DIR (PACKAGE… | --recipes DIR)"
out=${1:?$usage}
shift
# One package set per line: apt resolves each set on its own, so sets that conflict with each other (the qemu
# and kvm flavours of nova-compute) can share one repository.
with_os_image=""
if [ "${1:-}" = --recipes ]; then
    recipes=${2:?$usage}
    with_os_image=yes
    sets=$(for recipe in "$recipes"/*/*.yml; do
        sed -n 's/^ *- package: *//p' "$recipe" | tr -d '[],' | tr '\n' ' '; echo
    done | sed 's/  */ /g; s/^ //; s/ $//' | sed '/^$/d' | sort -u)
else
    sets="$*"
fi
[ -n "$sets" ] || { echo "$usage" >&2; exit 2; }
mirror=${CROWBAR_DEBIAN_MIRROR:-http://deb.debian.org}
state=$out.apt
mkdir -p "$out/pool" "$state/lists/partial" "$state/archives/partial" "$state/etc/preferences.d"
: > "$state/status"
cat > "$state/etc/sources.list" <<EOF
deb $mirror/debian bookworm main
deb $mirror/debian bookworm-updates main
deb $mirror/debian-security bookworm-security main
EOF
apt_options=(
    -o "Dir::Etc::SourceList=$state/etc/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
    -o "Dir::Etc::Preferences=$state/etc/preferences" -o "Dir::Etc::PreferencesParts=$state/etc/preferences.d"
    -o "Dir::State::Lists=$state/lists" -o "Dir::State::status=$state/status"
    -o "Dir::Cache=$state" -o "Dir::Cache::archives=$out/pool" -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
    -o "APT::Architecture=amd64" -o "APT::Architectures::=amd64" -o "APT::Install-Recommends=false"
    -o "APT::Sandbox::User=root" -o "Debug::NoLocking=true"
)
# Debian's archive changes daily; refresh the indexes at most once an hour.
if [ -z "$(find "$state/lists" -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | head -n 1)" ]; then
    apt-get "${apt_options[@]}" -q update >/dev/null
fi
# The OS image's set: what mmdebstrap's minbase variant installs (every Essential package, and apt) plus the image's
# own list, so iso/build-os-image.sh can build the installed system from this repository alone; and the crowbar
# package's own set, so the admin ISO installs crowbar from it alone.
if [ -n "$with_os_image" ]; then
    essential=$(for list in "$state"/lists/*_Packages*; do /usr/lib/apt/apt-helper cat-file "$list"; done \
        | awk '/^Package:/ { p = $2 } /^Essential: yes/ { print p }' | sort -u | tr '\n' ' ')
    [ -n "$essential" ] || { echo "no Essential packages in the package lists" >&2; exit 1; }
    sets=$(printf '%s\n%s\n%s\n' "$sets" "$essential $(grep -v '^#' "$(dirname "$0")/os-image/packages" | tr '\n' ' ')" \
        "$(grep -v '^#' "$(dirname "$0")/package/depends" | tr '\n' ' ')" | sed 's/  */ /g; s/ $//')
fi
# The closure: what apt would download onto an empty system. All sets are resolved together when they can be;
# when apt refuses the union, it is split in halves until each part resolves (a few apt runs, not one per set).
groups=$state/groups
: > "$groups"
resolve() {
    local union
    union=$(tr '\n' ' ' <<<"$1")
    # shellcheck disable=SC2086
    if uris=$(apt-get "${apt_options[@]}" -o "Dir::Cache::archives=$state/archives" --print-uris -qq -y install $union 2>/dev/null); then
        echo "$union" >> "$groups"
        sed -n "s/^'[^']*' \([^ ]*\) [0-9]* \(.*\)$/\1 \2/p" <<<"$uris"
        return 0
    fi
    local count half
    count=$(wc -l <<<"$1")
    if [ "$count" -le 1 ]; then echo "apt cannot resolve: $1" >&2; return 1; fi
    half=$((count / 2))
    resolve "$(head -n "$half" <<<"$1")" && resolve "$(tail -n +"$((half + 1))" <<<"$1")"
}
wanted=$(resolve "$sets" | sort -u)
[ -n "$wanted" ] || { echo "apt resolved no packages for: $sets" >&2; exit 1; }
key=$( { echo "$sets"; echo "$wanted"; cat "$0"; } | sha256sum | cut -c1-16)
if [ -f "$out/SOURCE" ] && grep -q "^key $key$" "$out/SOURCE" && [ -s "$out/Packages.gz" ]; then
    echo "repository up to date ($key, $(wc -l <<<"$wanted") packages)"
    exit 0
fi

# Download what the pool lacks (apt checks the checksums), then drop files no longer in the closure.
while read -r group; do
    # shellcheck disable=SC2086
    apt-get "${apt_options[@]}" -q -y --download-only install $group >/dev/null
done < "$groups"
keep=$(cut -d' ' -f1 <<<"$wanted")
for deb in "$out"/pool/*.deb; do
    grep -qxF "$(basename "$deb")" <<<"$keep" || rm -f "$deb"
done
missing=0
while read -r file; do [ -f "$out/pool/$file" ] || { echo "missing after download: $file" >&2; missing=1; }; done <<<"$keep"
[ "$missing" = 0 ] || exit 1

(cd "$out" && apt-ftparchive packages pool > Packages.new && gzip -9c Packages.new > Packages.gz.new)
mv "$out/Packages.new" "$out/Packages"
mv "$out/Packages.gz.new" "$out/Packages.gz"
(cd "$out" && apt-ftparchive -o APT::FTPArchive::Release::Suite=bookworm -o APT::FTPArchive::Release::Codename=bookworm \
    -o APT::FTPArchive::Release::Origin=crowbar \
    release . > Release.new)
mv "$out/Release.new" "$out/Release"
printf 'key %s\nbuilt %s\npackages %s\nrequested %s\n' "$key" "$(date -u +%FT%TZ)" "$(wc -l <<<"$wanted")" "$(tr '\n' ';' <<<"$sets")" > "$out/SOURCE"
echo "repository built ($key): $(wc -l <<<"$wanted") packages, $(du -sh "$out/pool" | cut -f1)"
