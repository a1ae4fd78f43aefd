import CrowbarCore
import CrowbarStore

/// What the boot services ask of the admin node: which script a booting MAC gets, what the discovery agent should
/// do next, the agent's registration, and the boot status (leases and counters).
public struct BootService: Sendable {
    let database: CrowbarDatabase
    let install: InstallService
    let counters: (@Sendable () -> [String: Int])?

    /// The iPXE script for a machine booting with `mac`, from the state of the node that owns it; an installing
    /// node's carries its install token when `source` is its DHCP lease (``InstallService``).
    public func script(mac: MACAddress, source: IPv4Address?, endpoints: BootEndpoints) async throws -> String {
        let node = try await database.node(withMAC: mac)
        var installed = false
        if let node { installed = try await node.sshHostKey != nil ? true : database.hasInstalledOS(node: node.name) }
        let target = BootTarget(state: node?.state, hasInstalledOS: installed)
        guard target == .install, let node else { return target.script(mac: mac, endpoints: endpoints) }
        return try await install.bootScript(for: node, mac: mac, source: source, endpoints: endpoints)
    }

    /// What the discovery agent on `mac` should do next.
    public func agentInstruction(mac: MACAddress) async throws -> String {
        BootTarget.agentInstruction(state: try await database.node(withMAC: mac)?.state)
    }

    /// A report from the open boot network, where anything can send packets. Only a machine crowbard's DHCP booted
    /// may report, about itself: the request must come from the address of a current lease, the report must name
    /// that lease's MAC, and that MAC is the only one taken (any sender can list any MAC: listing another machine's
    /// must not reach its node, claim it, or lock it out). The boot address is that lease. The report may only create
    /// a node or update one still in discovery.
    public func discover(_ report: DiscoveryReport, source: IPv4Address?) async throws -> (node: Node, created: Bool) {
        try report.checkSize()
        guard let source, let lease = try await database.currentLease(of: source) else {
            throw CrowbarError(
                .forbidden, "no current DHCP lease for \(source?.description ?? "the sender"): only machines crowbard booted report here")
        }
        guard report.macs.compactMap(MACAddress.init).contains(lease.mac) else {
            throw CrowbarError(.forbidden, "the report does not name \(lease.mac), the MAC leased \(source)")
        }
        return try await database.register(DiscoveryReport(macs: [lease.mac.description], inventory: report.inventory), from: .bootNetwork)
    }

    /// The DHCP leases on record and the boot services' counters.
    public func status() async throws -> BootStatus {
        BootStatus(leases: try await database.dhcpLeases(), counters: counters?() ?? [:])
    }
}
