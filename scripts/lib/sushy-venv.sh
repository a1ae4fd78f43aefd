#!/usr/bin/env bash
# Makes (once) the Python venv holding sushy-tools, the Redfish emulator the Redfish driver is tested against, from
# PyPI. Prints the venv's path. Idempotent and serialised with flock.  CROWBAR_SUSHY_VENV overrides the place.
set -euo pipefail
venv=${CROWBAR_SUSHY_VENV:-/var/cache/crowbar/sushy-venv}
version=2.2.0
ready() {
    [ -x "$venv/bin/sushy-emulator" ] && "$venv/bin/python" -c \
        "import sys, importlib.metadata as m, bcrypt; sys.exit(m.version('sushy-tools') != '$version')" 2>/dev/null
}
mkdir -p "$(dirname "$venv")"
(
    flock -w 600 9 || { echo "sushy-venv: timed out waiting for $venv.lock" >&2; exit 1; }
    if ! ready; then
        echo "sushy-venv: installing sushy-tools $version into $venv" >&2
        [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check --no-input "sushy-tools==$version" >&2
        ready || { echo "sushy-venv: sushy-tools did not install" >&2; exit 1; }
    fi
) 9>"$venv.lock"
echo "$venv"
