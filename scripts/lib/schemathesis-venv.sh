#!/usr/bin/env bash
# The venv holding schemathesis, which checks the running API against docs/openapi.yaml. Prints its path.
# CROWBAR_SCHEMATHESIS_VENV overrides the place.
exec bash "$(dirname "$0")/python-venv.sh" "${CROWBAR_SCHEMATHESIS_VENV:-/var/cache/crowbar/schemathesis-venv}" schemathesis 4.32.5
