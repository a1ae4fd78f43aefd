import CrowbarControl
import CrowbarCore
import Hummingbird

/// `GET /networks`: the networks in force and the addresses allocated on them.
struct NetworkRoutes {
    let networks: NetworkService

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.get("networks") { _, _ in try await networks.withAllocations() }
    }
}

extension NetworkAllocations: ResponseEncodable {}
