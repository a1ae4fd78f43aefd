#!/usr/bin/env bash
# Installs the Debian packages crowbar builds and tests with, skipping those already present.
set -euo pipefail
packages=(libsqlite3-dev libcurl4-openssl-dev libyaml-dev libssh2-1-dev libncurses-dev tmux pkg-config curl python3 openssh-server openssh-client
          debootstrap systemd-container iproute2
          qemu-system-x86 ipxe-qemu cpio tftp-hpa atftp isc-dhcp-client udhcpc kea-admin apt-utils
          openipmi ipmitool openssl python3-venv util-linux mmdebstrap zstd gpg gpgv python3-prometheus-client patchelf kmod)
bash "$(dirname "$0")/lib/apt-install.sh" "${packages[@]}"
# Test peers from PyPI: the Redfish emulator of the power tests and schemathesis for the API. Without PyPI those tests
# are skipped (and say so) rather than the whole run failing.
bash "$(dirname "$0")/lib/sushy-venv.sh" >/dev/null \
    || echo "WARNING: no sushy-tools venv (PyPI unreachable?): the Redfish driver tests will be skipped" >&2
bash "$(dirname "$0")/lib/schemathesis-venv.sh" >/dev/null \
    || echo "WARNING: no schemathesis venv (PyPI unreachable?): the API schema test will be skipped" >&2
command -v swift >/dev/null || { echo "swift 6.x is required on PATH (see README)" >&2; exit 1; }
