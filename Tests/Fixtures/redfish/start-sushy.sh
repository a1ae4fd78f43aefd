#!/usr/bin/env bash
# SUSHY_PASSWORD=… start-sushy.sh STATE_DIR PORT USER: sushy-emulator (sushy-tools 2.2.0, fake driver) as a Redfish peer on
# https://127.0.0.1:PORT, HTTP basic auth USER/$SUSHY_PASSWORD (not an argument: `ps` shows those), a self-signed certificate made here. Prints the SHA-256
# fingerprint of the certificate; exits 0 once /redfish/v1/ answers (bounded: 30 s). Everything lives in STATE_DIR.
# The fake driver applies a power change 1–11 s late (random); the config below makes that 0 s (it has no option for
# it: the config file is Python run inside the emulator, which replaces the module's `random`).
set -euo pipefail
[ $# -eq 3 ] && [ -n "${SUSHY_PASSWORD:-}" ] || { echo "usage: SUSHY_PASSWORD=… $0 STATE_DIR PORT USER" >&2; exit 2; }
state=$1 port=$2 user=$3
here=$(cd "$(dirname "$0")" && pwd)
venv=$(bash "$here/../../../scripts/lib/sushy-venv.sh")
mkdir -p "$state" && chmod 700 "$state"
state=$(cd "$state" && pwd)
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$state/key.pem" -out "$state/cert.pem" >/dev/null 2>&1
umask 077
USER_NAME=$user STATE=$state PORT=$port "$venv/bin/python" - <<'PY'
import os, bcrypt
e = os.environ
with open(os.path.join(e["STATE"], "htpasswd"), "w") as f:
    f.write(e["USER_NAME"] + ":" + bcrypt.hashpw(e["SUSHY_PASSWORD"].encode(), bcrypt.gensalt(rounds=4)).decode() + "\n")
state = e["STATE"]
with open(os.path.join(state, "emulator.conf"), "w") as f:
    f.write("\n".join([
        "SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'",
        f"SUSHY_EMULATOR_LISTEN_PORT = {int(e['PORT'])}",
        f"SUSHY_EMULATOR_SSL_CERT = {os.path.join(state, 'cert.pem')!r}",
        f"SUSHY_EMULATOR_SSL_KEY = {os.path.join(state, 'key.pem')!r}",
        f"SUSHY_EMULATOR_AUTH_FILE = {os.path.join(state, 'htpasswd')!r}",
        "SUSHY_EMULATOR_FAKE_DRIVER = True",
        f"SUSHY_EMULATOR_STATE_DIR = {state!r}",
        "import types as _types",
        "import sushy_tools.emulator.resources.systems.fakedriver as _fakedriver",
        "_fakedriver.random = _types.SimpleNamespace(randint=lambda a, b: 0)",
    ]) + "\n")
PY
umask 022
setsid "$venv/bin/sushy-emulator" --config "$state/emulator.conf" --fake </dev/null >>"$state/log" 2>&1 &
pid=$!
echo "$pid" > "$state/pid"
for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || { echo "sushy-emulator exited:" >&2; tail -n 20 "$state/log" >&2; exit 1; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$state/cert.pem" "https://127.0.0.1:$port/redfish/v1/" || true)" = 200 ] && {
        openssl x509 -in "$state/cert.pem" -noout -fingerprint -sha256 | sed 's/^[^=]*=//'
        exit 0
    }
    sleep 0.1
done
echo "sushy-emulator did not answer within 30 s:" >&2; tail -n 20 "$state/log" >&2
kill "$pid"; exit 1
