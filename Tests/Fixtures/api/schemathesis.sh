#!/usr/bin/env bash
# Checks a running crowbard against docs/openapi.yaml with schemathesis (examples, coverage, fuzzing and stateful
# phases): no 5xx, every status code, content type, header and body as the spec says, schema-violating requests
# refused. crowbard and schemathesis run in a network namespace of their own holding only loopback, so nothing the
# generated requests make crowbard do (SSH to a node, a BMC call) leaves it. The token goes in a 0600 config file, not
# on a command line. Needs root (ip netns).
#   schemathesis.sh CROWBARD REPOSITORY [EXAMPLES]   — exit status: schemathesis's, 1 when an operation went untested.
# scripts/test runs it after the test suites, alone: it loads the machine, and timing tests run in the suites.
set -euo pipefail
crowbard=$(realpath "$1") root=$(cd "$2" && pwd) examples=${3:-10}
venv=$(bash "$root/scripts/lib/schemathesis-venv.sh")
namespace=crowbar-api-$$
work=$(mktemp -d)
cleanup() {
    [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
    ip netns del "$namespace" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$namespace"
ip -n "$namespace" link set lo up
ip netns exec "$namespace" "$crowbard" --data-dir "$work/data" --listen 127.0.0.1:3000 --ready-file "$work/ready" \
    --barclamps "$root/barclamps" --recipes "$root/recipes" > "$work/crowbard.log" 2>&1 &
daemon=$!
for _ in $(seq 200); do [ -s "$work/ready" ] && break; sleep 0.1; done
[ -s "$work/ready" ] || { echo "crowbard did not start:"; cat "$work/crowbard.log"; exit 1; }
(umask 077; printf '[headers]\nAuthorization = "Bearer %s"\n' "$(cat "$work/data/api-token")" > "$work/schemathesis.toml")
cd "$work"
# Left out: positive_data_acceptance (a schema-valid request may still be refused for what it means: 404, 409, 412,
# 422 — the spec says which) and unsupported_method (the router answers 404, not 405, for a method a path lacks);
# /api/v1/events, whose follow=true stream never ends (tested by the event tests).
status=0
ip netns exec "$namespace" "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" --no-color run "$root/docs/openapi.yaml" \
    --url "$(cat "$work/ready")" --checks all --exclude-checks positive_data_acceptance,unsupported_method \
    --exclude-path /api/v1/events --max-examples "$examples" --workers 1 --seed "${SCHEMATHESIS_SEED:-20261130}" --request-timeout 10 \
    --suppress-health-check all > "$work/report" 2>&1 || status=$?
cat "$work/report"
# Every selected operation was tested (none left out by an error before its first request).
selected=$(sed -n 's/^ *Selected: \([0-9]*\)\/.*/\1/p' "$work/report") tested=$(sed -n 's/^ *Tested: \([0-9]*\).*/\1/p' "$work/report")
if [ -z "$selected" ] || [ "$selected" != "$tested" ] || [ "$selected" -lt 40 ]; then
    echo "schemathesis tested ${tested:-?} of ${selected:-?} operations"
    status=1
fi
exit $status
