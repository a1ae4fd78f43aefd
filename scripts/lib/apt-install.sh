#!/usr/bin/env bash
# Installs the Debian packages given that are not installed yet (without their recommends), saying which; does
# nothing when all are there. Used by scripts/install-deps.sh and by the scripts that need a few more of their own.
#   apt-install.sh PACKAGE…
set -euo pipefail
missing=()
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -gt 0 ] || exit 0
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
