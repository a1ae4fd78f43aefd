import CrowbarCore
import CrowbarStore
import Foundation

/// What `/metrics` reports that lives in the store: nodes by state, runs by status, DHCP leases per range.
public struct MetricsService: Sendable {
    let database: CrowbarDatabase
    let networks: NetworkService
    /// Leases and the boot services' counters, as `GET /boot` reports them.
    let boot: BootService

    /// One `dhcp` range of a network in force and how many of its addresses are leased now.
    public struct RangeUse: Sendable, Hashable {
        public var network: String
        public var size: Int
        public var inUse: Int
    }

    /// The counts now. Every node state and run status is listed, zero when none is in it, so a gauge drops to 0.
    public func snapshot(now: Date = Date()) async throws -> (nodes: [String: Int], runs: [String: Int], ranges: [RangeUse], boot: [String: Int]) {
        let counts = try await database.counts()
        var nodes = Dictionary(uniqueKeysWithValues: NodeState.allCases.map { ($0.rawValue, 0) })
        nodes.merge(counts.nodes) { $1 }
        var runs = Dictionary(uniqueKeysWithValues: RunStatus.allCases.map { ($0.rawValue, 0) })
        runs.merge(counts.runs) { $1 }
        let boot = try await boot.status()
        let leases = boot.leases.filter { $0.expiresAt > now }
        let ranges = try await networks.inForce().compactMap { network -> RangeUse? in
            guard let range = network.range(named: "dhcp") else { return nil }
            return RangeUse(network: network.name, size: range.size, inUse: leases.filter { range.contains($0.address) }.count)
        }
        return (nodes, runs, ranges, boot.counters)
    }
}
