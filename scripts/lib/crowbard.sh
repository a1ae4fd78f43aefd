# Sourced by the scripts that start crowbard: one way to start it and know it is ready.
# start_crowbard BIN DATA_DIR [crowbard options…]: starts BIN/crowbard on a free loopback port with its log in
# DATA_DIR.log, waits (at most 20 s) for its --ready-file, exports CROWBAR_URL and CROWBAR_DATA_DIR and sets
# CROWBARD_PID. On failure it prints the log and exits.
start_crowbard() {
    local bin=$1 data=$2
    shift 2
    mkdir -p "$data"
    rm -f "$data/ready"
    "$bin/crowbard" --data-dir "$data" --listen 127.0.0.1:0 --ready-file "$data/ready" "$@" >"$data.log" 2>&1 &
    CROWBARD_PID=$!
    for _ in $(seq 1 200); do
        [ -s "$data/ready" ] && break
        kill -0 "$CROWBARD_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -s "$data/ready" ]; then
        echo "crowbard did not start:" >&2
        cat "$data.log" >&2
        exit 1
    fi
    CROWBAR_URL=$(cat "$data/ready")
    export CROWBAR_URL CROWBAR_DATA_DIR="$data"
}

# stop_crowbard PID: SIGTERM, then SIGKILL after 10 s.
stop_crowbard() {
    kill -TERM "$1" 2>/dev/null || return 0
    for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
}
