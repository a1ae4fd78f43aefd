import CrowbarCore
import CrowbarStore
import Hummingbird

/// `GET /networks`: the networks in force and the addresses allocated on them.
struct NetworkRoutes {
    let admin: Admin

    struct NetworkView: ResponseEncodable {
        var network: NetworkDefinition
        var allocations: [AddressAllocation]
    }

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.get("networks") { _, _ in
            let allocations = Dictionary(grouping: try await admin.database.addressAllocations(), by: \.network)
            return try await admin.networks().map { NetworkView(network: $0, allocations: allocations[$0.name] ?? []) }
        }
    }
}
