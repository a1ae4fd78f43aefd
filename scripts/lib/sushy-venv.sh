#!/usr/bin/env bash
# The venv holding sushy-tools, the Redfish emulator the Redfish driver is tested against. Prints its path.
# CROWBAR_SUSHY_VENV overrides the place.
exec bash "$(dirname "$0")/python-venv.sh" "${CROWBAR_SUSHY_VENV:-/var/cache/crowbar/sushy-venv}" sushy-tools 2.2.0 bcrypt
