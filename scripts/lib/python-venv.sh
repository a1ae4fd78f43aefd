#!/usr/bin/env bash
# Makes (once) a Python venv holding one tool from PyPI, at a pinned version, and prints the venv's path. Idempotent
# and serialised with flock. Used for the test peers that Debian does not package: sushy-tools (the Redfish emulator)
# and schemathesis (the API checker).
#   python-venv.sh VENV PACKAGE VERSION [IMPORT...]   — IMPORT: modules that must import for the venv to count as ready
set -euo pipefail
venv=$1 package=$2 version=$3
shift 3
imports=("$@")
ready() {
    "$venv/bin/python" -c "import sys, importlib.metadata as m; sys.exit(m.version('$package') != '$version')" 2>/dev/null \
        && for module in "${imports[@]}"; do "$venv/bin/python" -c "import $module" 2>/dev/null || return 1; done
}
mkdir -p "$(dirname "$venv")"
(
    flock -w 600 9 || { echo "python-venv: timed out waiting for $venv.lock" >&2; exit 1; }
    if ! ready; then
        echo "python-venv: installing $package $version into $venv" >&2
        [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check --no-input "$package==$version" >&2
        ready || { echo "python-venv: $package did not install" >&2; exit 1; }
    fi
) 9>"$venv.lock"
echo "$venv"
