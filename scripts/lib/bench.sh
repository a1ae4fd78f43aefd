# Sourced by the benchmark scripts (after scripts/lib/swift.sh): the build they measure and their clock.
# build_crowbar: builds crowbard and crowbar (release, or CROWBAR_BENCH_CONFIGURATION) and sets `bin` to their folder.
build_crowbar() {
    local swift configuration=${CROWBAR_BENCH_CONFIGURATION:-release}
    swift=$(find_swift)
    "$swift" build -c "$configuration" --product crowbard >/dev/null
    "$swift" build -c "$configuration" --product crowbar >/dev/null
    bin=$("$swift" build -c "$configuration" --show-bin-path)
}
now() { date +%s.%N; }
# elapsed START END: seconds between two `now`s, two decimals.
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

# veth_namespace NAMESPACE VETH HOST_CIDR NAMESPACE_CIDR: a network namespace whose eth0 is the peer of VETH on the
# host, both ends up with their addresses (the caller deletes VETH and NAMESPACE on exit).
veth_namespace() {
    ip netns add "$1"
    ip link add "$2" type veth peer name eth0 netns "$1"
    ip addr add "$3" dev "$2"
    ip link set "$2" up
    ip -n "$1" addr add "$4" dev eth0
    ip -n "$1" link set eth0 up
}

# set_admin_network SUBNET NETMASK ROUTER BROADCAST RANGES_JSON: in the crowbard at $CROWBAR_URL (data in
# $CROWBAR_DATA_DIR, CLI in $bin), commits the network proposal that gives the admin network this shape, with what
# it needs first (a committed provisioner, whose server role needs a node: one named admin, registered by hand).
set_admin_network() {
    curl -sSf -H "Authorization: Bearer $(cat "$CROWBAR_DATA_DIR/api-token")" -H 'Content-Type: application/json' \
        -d '{"macs":["02:00:00:00:00:01"],"name":"admin","inventory":{"disks":[]}}' "$CROWBAR_URL/api/v1/nodes/discover" >/dev/null
    "$bin/crowbar" proposal create provisioner default >/dev/null
    "$bin/crowbar" proposal assign provisioner default provisioner-server admin >/dev/null
    "$bin/crowbar" proposal commit --no-apply provisioner default >/dev/null
    "$bin/crowbar" proposal create network default >/dev/null
    "$bin/crowbar" proposal set network default "networks.admin.subnet=$1" "networks.admin.netmask=$2" \
        "networks.admin.router=$3" "networks.admin.broadcast=$4" "networks.admin.ranges=$5" >/dev/null
    "$bin/crowbar" proposal commit --no-apply network default >/dev/null
}
