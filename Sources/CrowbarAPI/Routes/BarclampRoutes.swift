import CrowbarCore
import Hummingbird

/// `GET /barclamps` (in run order) and `GET /barclamps/{name}`.
struct BarclampRoutes {
    let admin: Admin

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.get("barclamps") { _, _ in admin.catalog.runOrder }
        api.get("barclamps/:barclamp") { _, context in try admin.barclamp(named: context.parameters.path("barclamp")) }
    }
}
