import CrowbarCore
import Foundation
import Hummingbird
import ServiceLifecycle

/// Runs: list, show, log (optionally followed as NDJSON until the run ends) and cancel.
struct RunRoutes {
    let admin: Admin
    /// How often a followed log looks for new lines.
    static let followInterval: Duration = .milliseconds(200)

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.get("runs") { request, _ in
            let limit = try request.integerQuery("limit") ?? 50
            guard (1...1000).contains(limit) else {
                throw APIError(.badRequest, "bad_request", "limit must be between 1 and 1000", field: "limit")
            }
            return try await admin.database.runs(limit: limit)
        }
        api.get("runs/:run") { _, context in try await admin.database.run(id: try runID(context)) }
        api.post("runs/:run/cancel") { _, context in
            let id = try runID(context)
            guard let runs = admin.runs else { throw APIError(.conflict, "conflict", "this crowbard has no orchestrator") }
            _ = try await runs.cancel(runID: id)
            return try await admin.database.run(id: id)
        }
        api.get("runs/:run/log") { request, context -> Response in
            let id = try runID(context)
            let after = Int64(try request.integerQuery("after") ?? 0)
            let follow = request.flagQuery("follow", default: false)
            let first = try await admin.database.runLog(id, after: after)
            guard follow else { return try first.response(from: request, context: context) }
            let database = admin.database
            return Response(
                status: .ok, headers: [.contentType: "application/x-ndjson"],
                body: ResponseBody { writer in
                    var lines = first
                    var last = after
                    while true {
                        for line in lines {
                            var data = try JSONEncoder.crowbar.encode(line)
                            data.append(0x0A)
                            try await writer.write(ByteBuffer(bytes: data))
                            last = line.sequence
                        }
                        guard lines.isEmpty else {
                            lines = try await database.runLog(id, after: last)
                            continue
                        }
                        // A follower must not hold crowbard's shutdown until the run ends.
                        if Task.isShuttingDownGracefully || Task.isCancelled { break }
                        // Status first, then lines: nothing written before the run ended is missed.
                        let finished = try await database.run(id: id).status.isFinished
                        lines = try await database.runLog(id, after: last)
                        if lines.isEmpty {
                            if finished { break }
                            try await Task.sleep(for: Self.followInterval)
                        }
                    }
                    try await writer.finish(nil)
                })
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
