import CrowbarControl
import CrowbarCore
import Foundation
import Hummingbird
import ServiceLifecycle

/// Runs: list, show, log (optionally followed as NDJSON until the run ends) and cancel.
struct RunRoutes {
    let runs: RunService

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.get("runs") { request, _ in try await runs.list(limit: try request.limitQuery(default: 50)) }
        api.get("runs/:run") { _, context in try await runs.run(try runID(context)) }
        api.post("runs/:run/cancel") { _, context in try await runs.cancel(try runID(context)) }
        api.get("runs/:run/log") { request, context -> Response in
            let id = try runID(context)
            let after = Int64(try request.integerQuery("after") ?? 0)
            guard try request.flagQuery("follow", default: false) else {
                return try await runs.log(id, after: after).response(from: request, context: context)
            }
            _ = try await runs.run(id)  // a 404 before the stream starts
            // A follower must not hold crowbard's shutdown until the run ends.
            return Response.ndjson { deliver in
                try await runs.follow(id, after: after, stop: { Task.isShuttingDownGracefully || Task.isCancelled }, deliver: deliver)
            }
        }
    }

    private func runID(_ context: CrowbarRequestContext) throws -> Int64 {
        let text = try context.parameters.path("run")
        guard let id = Int64(text) else { throw APIError(.badRequest, "bad_request", "run id must be an integer", field: "run") }
        return id
    }
}

extension Run: ResponseEncodable {}
extension RunLogLine: ResponseEncodable {}
extension CommitResult: ResponseEncodable {}
