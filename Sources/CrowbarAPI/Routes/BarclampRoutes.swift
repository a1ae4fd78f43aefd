import CrowbarControl
import CrowbarCore
import Hummingbird

/// `GET /barclamps` (in run order) and `GET /barclamps/{name}`.
struct BarclampRoutes {
    let barclamps: BarclampService

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.get("barclamps") { _, _ in barclamps.list() }
        api.get("barclamps/:barclamp") { _, context in try barclamps.barclamp(named: context.parameters.path("barclamp")) }
    }
}
