import CrowbarCore
import Foundation
import NIOCore

extension CrowbarClient {
    /// `GET /runs`: the newest first.
    public func runs(limit: Int = 50) async throws -> [Run] { try await send(.GET, Endpoint("runs", query: [("limit", String(limit))])) }

    /// `GET /runs/{id}`.
    public func run(_ id: Int64) async throws -> Run { try await send(.GET, Endpoint("runs", String(id))) }

    /// `POST /runs/{id}/cancel`: answers the run as it is after the request.
    public func cancelRun(_ id: Int64) async throws -> Run { try await send(.POST, Endpoint("runs", String(id), "cancel")) }

    /// `GET /runs/{id}/log`: lines after `sequence` (at most 1000).
    public func runLog(_ id: Int64, after sequence: Int64 = 0) async throws -> [RunLogLine] {
        try await send(.GET, Endpoint("runs", String(id), "log", query: [("after", String(sequence))]))
    }

    /// `GET /runs/{id}/log?follow=true`: hands `onLine` every line as crowbard writes it, until the run ends (or
    /// `limit` passes), then answers the run as it ended. A log that ends before its run (crowbard shutting down)
    /// is crowbard going away, not the run's end.
    public func followRun(_ id: Int64, limit: TimeAmount = .hours(12), onLine: (RunLogLine) async throws -> Void) async throws -> Run {
        try await streamLines(Endpoint("runs", String(id), "log", query: [("follow", "true")]), limit: limit) { data in
            try await onLine(try JSONDecoder.crowbar.decode(RunLogLine.self, from: data))
        }
        let ended = try await run(id)
        guard ended.status.isFinished else {
            throw ClientError(
                status: nil, body: APIErrorBody(error: "unreachable", detail: "crowbard at \(baseURL) stopped following run \(id) before it ended"))
        }
        return ended
    }
}
