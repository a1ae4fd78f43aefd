import CrowbarCore
import CrowbarStore

/// The network model in force and the addresses given out on it.
public struct NetworkService: Sendable {
    let context: ControlContext

    /// The networks in force: those of the active network proposal, else the barclamp's defaults.
    public func inForce() async throws -> [NetworkDefinition] {
        let database = context.database
        if let active = try await database.proposals(barclamp: "network").first(where: { $0.status.isActive }) {
            let revision = try await database.revision(barclamp: "network", name: active.name, number: active.revision)
            return try NetworkModel.networks(from: revision.content.attributes)
        }
        guard let network = context.catalog["network"], let defaults = network.schema.effectiveDefault else {
            throw CrowbarError(.notFound, "no network barclamp is loaded")
        }
        return try NetworkModel.networks(from: defaults)
    }

    /// The networks in force, each with the addresses allocated on it.
    public func withAllocations() async throws -> [NetworkAllocations] {
        let allocations = Dictionary(grouping: try await context.database.addressAllocations(), by: \.network)
        return try await inForce().map { NetworkAllocations(network: $0, allocations: allocations[$0.name] ?? []) }
    }

    /// The admin network, which node addresses come from.
    func adminNetwork() async throws -> NetworkDefinition {
        guard let admin = try await inForce().first(where: { $0.name == "admin" }) else {
            throw CrowbarError(.notFound, "the network model has no admin network")
        }
        return admin
    }
}
