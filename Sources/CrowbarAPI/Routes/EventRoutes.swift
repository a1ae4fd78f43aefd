import CrowbarControl
import CrowbarCore
import Hummingbird

/// `GET /events?after=ID&subject=NAME&limit=N`: the history, oldest first, paged by id.
struct EventRoutes {
    let events: EventService

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.get("events") { request, _ in
            try await events.list(
                after: Int64(try request.integerQuery("after") ?? 0), subject: request.uri.queryParameters["subject"].map(String.init),
                limit: try request.limitQuery(default: 100))
        }
    }
}
