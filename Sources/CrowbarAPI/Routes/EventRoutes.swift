import CrowbarControl
import CrowbarCore
import Hummingbird

/// `GET /events?after=ID&subject=NAME&limit=N`: the history, oldest first, paged by id; with `follow=true`, an NDJSON
/// stream of it that goes on with each new event until the client goes away; with `latest=true`, the newest event.
struct EventRoutes {
    let events: EventService

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.get("events") { request, context -> Response in
            let after = Int64(try request.integerQuery("after") ?? 0)
            let subject = request.uri.queryParameters["subject"].map(String.init)
            let limit = try request.limitQuery(default: 100)
            if try request.flagQuery("latest", default: false) {
                return try await [events.latest()].compactMap { $0 }.response(from: request, context: context)
            }
            guard try request.flagQuery("follow", default: false) else {
                return try await events.list(after: after, subject: subject, limit: limit)
                    .response(from: request, context: context)
            }
            return Response.ndjson { deliver in
                try await events.follow(after: after, subject: subject, stop: { Task.isShuttingDownGracefully || Task.isCancelled }, deliver: deliver)
            }
        }
    }
}
