import CrowbarCore
import Hummingbird

/// `GET /events?after=ID&subject=NAME&limit=N`: the history, oldest first, paged by id.
struct EventRoutes {
    let admin: Admin

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.get("events") { request, _ in
            let limit = try request.integerQuery("limit") ?? 100
            guard (1...1000).contains(limit) else {
                throw APIError(.badRequest, "bad_request", "limit must be between 1 and 1000", field: "limit")
            }
            return try await admin.database.events(
                after: Int64(try request.integerQuery("after") ?? 0), subject: request.uri.queryParameters["subject"].map(String.init),
                limit: limit)
        }
    }
}
