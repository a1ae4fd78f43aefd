/// The admin network: a bridge in the lab's namespace, a veth to the host (crowbard's side) and one veth per
/// node namespace; and the data network: a second bridge with a second veth per node and no addresses. Creating is idempotent; removing deletes the namespaces, which deletes their links too.
struct LabNetwork {
    let layout: LabLayout

    func create() async throws {
        let ns = layout.namespace
        if !(await namespaceExists(ns)) {
            try await Command.run("ip", ["netns", "add", ns])
        }
        for bridge in [layout.bridge, layout.dataBridge] {
            if !(await Command.succeeds("ip", ["-n", ns, "link", "show", bridge])) {
                try await Command.run("ip", ["-n", ns, "link", "add", bridge, "type", "bridge"])
            }
            try await Command.run("ip", ["-n", ns, "link", "set", bridge, "up"])
        }
        if !(await Command.succeeds("ip", ["link", "show", layout.hostInterface])) {
            try await Command.run("ip", ["link", "add", layout.hostInterface, "type", "veth", "peer", "name", "uplink", "netns", ns])
            try await Command.run("ip", ["addr", "add", "\(layout.adminAddress)/\(layout.prefixLength)", "dev", layout.hostInterface])
            try await Command.run("ip", ["-n", ns, "link", "set", "uplink", "master", layout.bridge, "up"])
        }
        try await Command.run("ip", ["link", "set", layout.hostInterface, "up"])
    }

    /// Gives node `number` its namespace, a veth on the admin bridge with its boot address (`eth0`) and one on the
    /// data bridge without an address (`eth1`, the neutron barclamp's `provider_interface` in the lab cloud).
    func attach(_ number: Int) async throws {
        let ns = layout.nodeNamespace(number)
        if await namespaceExists(ns) { try await Command.run("ip", ["netns", "delete", ns]) }
        try await Command.run("ip", ["netns", "add", ns])
        try await Command.run("ip", [
            "-n", ns, "link", "add", "eth0", "address", layout.nodeMAC(number), "type", "veth", "peer", "name",
            layout.nodePort(number), "netns", layout.namespace,
        ])
        try await Command.run("ip", ["-n", ns, "addr", "add", "\(layout.nodeAddress(number))/\(layout.prefixLength)", "dev", "eth0"])
        try await Command.run("ip", ["-n", ns, "link", "set", "eth0", "up"])
        try await Command.run("ip", ["-n", ns, "link", "set", "lo", "up"])
        try await Command.run("ip", ["-n", ns, "route", "add", "default", "via", layout.adminAddress])
        try await Command.run("ip", ["-n", layout.namespace, "link", "set", layout.nodePort(number), "master", layout.bridge, "up"])
        try await Command.run("ip", [
            "-n", ns, "link", "add", "eth1", "type", "veth", "peer", "name", layout.nodeDataPort(number), "netns", layout.namespace,
        ])
        try await Command.run("ip", ["-n", ns, "link", "set", "eth1", "up"])
        try await Command.run("ip", ["-n", layout.namespace, "link", "set", layout.nodeDataPort(number), "master", layout.dataBridge, "up"])
    }

    func detach(_ number: Int) async {
        _ = await Command.succeeds("ip", ["netns", "delete", layout.nodeNamespace(number)])
    }

    func remove() async {
        _ = await Command.succeeds("ip", ["link", "delete", layout.hostInterface])
        _ = await Command.succeeds("ip", ["netns", "delete", layout.namespace])
    }

    func namespaceExists(_ name: String) async -> Bool {
        ((try? await Command.run("ip", ["netns", "list"])) ?? "").split(separator: "\n").contains { $0.split(separator: " ").first == Substring(name) }
    }
}
