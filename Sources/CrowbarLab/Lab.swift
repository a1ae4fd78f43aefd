import Foundation

/// A lab node as the lab made it: what crowbard must be told to register it.
public struct LabNode: Sendable, Hashable, Codable {
    public var name: String
    public var mac: String
    public var address: String
    /// `ssh-ed25519` and its SHA-256 fingerprint, for pinning at registration.
    public var hostKeyType: String
    public var hostKeyFingerprint: String
    public var pid: Int32?
    public var running: Bool
    public var sshAnswering: Bool
}

/// The virtual lab: the admin network, systemd-nspawn nodes (Debian 12 with systemd and sshd) and PXE-booting QEMU
/// machines on it. `up` is idempotent (running nodes and machines are kept), `down` leaves nothing but the cached
/// base root.
public struct Lab: Sendable {
    public let layout: LabLayout

    public init(layout: LabLayout) { self.layout = layout }

    /// Brings up the network and PXE machines vm1…vm`machines`, each with its BMC; the machines stay off until powered
    /// on through their BMCs (then they PXE-boot, and crowbard's boot services take it from there). Machines whose BMC
    /// runs are kept.
    public func up(machines count: Int, progress: @escaping (String) -> Void) async throws -> [LabMachine] {
        try await LabNetwork(layout: layout).create()
        let machines = LabMachines(layout: layout)
        for number in stride(from: 1, through: count, by: 1) where !machines.status(number).bmcRunning {
            progress("\(layout.machineName(number)) (\(layout.machineMAC(number))): BMC at \(layout.machineBMCAddress(number)), powered off")
            try await machines.start(number)
        }
        return stride(from: 1, through: count, by: 1).map(machines.status)
    }

    /// The BMC password of PXE machine `machine` (vm1…), for registering its BMC with crowbard.
    public func bmcPassword(of machine: LabMachine) throws -> String {
        guard let number = Int(machine.name.dropFirst(2)) else { throw LabError("no lab machine \(machine.name)") }
        return try LabMachines(layout: layout).password(number)
    }

    /// The PXE machines that have a folder in the lab, in order.
    public func machines() -> [LabMachine] {
        let machines = LabMachines(layout: layout)
        return machines.numbers().map(machines.status)
    }

    /// Brings up the network and nodes n1…n`count`, authorising `authorizedKey` for root on each, and waits
    /// (at most `sshTimeout` per node) until every node's sshd answers.
    public func up(nodes count: Int, authorizedKey: String, sshTimeout: Duration = .seconds(90), progress: @escaping (String) -> Void) async throws -> [LabNode] {
        guard count > 0 else { return [] }
        let root = NodeRoot(layout: layout)
        try await root.ensureBase(progress: progress)
        try await LabNetwork(layout: layout).create()
        for number in 1...count where !(await status(number).running) {
            progress("starting \(layout.nodeName(number)) at \(layout.nodeAddress(number))")
            try await start(number, root: root, authorizedKey: authorizedKey)
        }
        var nodes: [LabNode] = []
        for number in 1...count {
            let deadline = ContinuousClock.now + sshTimeout
            let name = layout.nodeName(number)
            while !(await sshAnswering(number)) {
                guard isRunning(number) else { throw LabError("\(name) stopped while booting; see \(layout.nodeDirectory(number))/console.log") }
                guard ContinuousClock.now < deadline else {
                    throw LabError("\(name)'s sshd did not answer within \(sshTimeout); see \(layout.nodeDirectory(number))/console.log")
                }
                try await Task.sleep(for: .milliseconds(500))
            }
            nodes.append(await status(number))
        }
        return nodes
    }

    /// The nodes that have a folder in the lab, in order.
    public func status() async -> [LabNode] {
        var nodes: [LabNode] = []
        for number in nodeNumbers() { nodes.append(await status(number)) }
        return nodes
    }

    /// Adds `address` (in the admin network's prefix) to node `name`'s admin interface: what the OS install does for an
    /// allocated node on real hardware.
    public func addAdminAddress(_ address: String, toNode name: String) async throws {
        guard let number = nodeNumbers().first(where: { layout.nodeName($0) == name }) else { throw LabError("no lab node \(name)") }
        try await Command.run("ip", ["-n", layout.nodeNamespace(number), "addr", "replace", "\(address)/\(layout.prefixLength)", "dev", "eth0"])
    }

    /// Stops every machine and node (SIGTERM, then SIGKILL after 20 s), removes their folders and the network.
    public func down(progress: (String) -> Void) async {
        let machines = LabMachines(layout: layout)
        for number in machines.numbers() {
            progress("powering off \(layout.machineName(number))")
            await machines.stop(number)
        }
        for number in nodeNumbers() {
            progress("stopping \(layout.nodeName(number))")
            if let pid = pid(number) { await Command.stopContainer(pid) }
            await LabNetwork(layout: layout).detach(number)
            try? FileManager.default.removeItem(atPath: layout.nodeDirectory(number))
        }
        await LabNetwork(layout: layout).remove()
    }

    private func start(_ number: Int, root: NodeRoot, authorizedKey: String) async throws {
        let directory = layout.nodeDirectory(number)
        if let stale = pid(number) { await Command.stopContainer(stale) }
        _ = try await root.prepare(number, authorizedKey: authorizedKey)
        try await LabNetwork(layout: layout).attach(number)
        try FileManager.default.createDirectory(atPath: "/run/systemd/nspawn", withIntermediateDirectories: true)
        let pid = try Command.detach(
            "systemd-nspawn",
            [
                "-D", directory + "/root", "--machine", layout.nodeName(number), "--register=no", "--keep-unit", "--boot",
                "--network-namespace-path=/run/netns/\(layout.nodeNamespace(number))", "--console=pipe",
                "--capability=CAP_NET_ADMIN",
            ],
            environment: [
                "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY": "0",
                // /proc/sys/net writable: neutron sets sysctls in its router and DHCP namespaces (the node has its own netns).
                "SYSTEMD_NSPAWN_API_VFS_WRITABLE": "network",
            ], logFile: directory + "/console.log")
        try Command.record(pid, in: directory)
    }

    private func status(_ number: Int) async -> LabNode {
        let root = layout.nodeDirectory(number) + "/root"
        let running = isRunning(number)
        let fingerprint = (try? await Command.run("ssh-keygen", ["-l", "-E", "sha256", "-f", root + "/etc/ssh/ssh_host_ed25519_key.pub"]))?
            .split(separator: " ").dropFirst().first.map(String.init) ?? ""
        let answering = running ? await sshAnswering(number) : false
        return LabNode(
            name: layout.nodeName(number), mac: layout.nodeMAC(number), address: layout.nodeAddress(number),
            hostKeyType: "ssh-ed25519", hostKeyFingerprint: fingerprint, pid: pid(number), running: running, sshAnswering: answering)
    }

    private func isRunning(_ number: Int) -> Bool { Command.isRunning(pid(number)) }

    /// Whether node `number` accepts a TCP connection on port 22 (within 2 s).
    private func sshAnswering(_ number: Int) async -> Bool {
        await Command.succeeds("timeout", ["2", "bash", "-c", "exec 3<>/dev/tcp/\(layout.nodeAddress(number))/22"])
    }

    private func pid(_ number: Int) -> pid_t? { Command.recordedPID(in: layout.nodeDirectory(number)) }

    private func nodeNumbers() -> [Int] { layout.numbers(of: "nodes", prefix: "n") }
}

/// A lab step that could not be done.
public struct LabError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
