import CrowbarCore
import CrowbarStore

/// Runs: list, show, cancel, and their logs, read or followed until the run ends.
public struct RunService: Sendable {
    let context: ControlContext
    /// How often a followed log looks for new lines.
    public static let followInterval: Duration = .milliseconds(200)

    /// The newest runs first.
    public func list(limit: Int = 50) async throws -> [Run] { try await context.database.runs(limit: limit) }

    /// One run with its steps and node results.
    public func run(_ id: Int64) async throws -> Run { try await context.database.run(id: id) }

    /// Asks a queued or running run to stop and answers it as it now is.
    public func cancel(_ id: Int64) async throws -> Run {
        let scheduler = try context.requireScheduler()
        _ = try await scheduler.cancel(runID: id)
        return try await context.database.run(id: id)
    }

    /// Log lines after `sequence`, oldest first (at most 1000).
    public func log(_ id: Int64, after sequence: Int64 = 0) async throws -> [RunLogLine] {
        try await context.database.runLog(id, after: sequence)
    }

    /// Hands `deliver` every log line after `sequence`, in order and as they are written, until the run has ended
    /// and every line is delivered, or `stop` says so (shutdown, a gone client).
    public func follow(
        _ id: Int64, after sequence: Int64 = 0, stop: @Sendable () -> Bool, deliver: ([RunLogLine]) async throws -> Void
    ) async throws {
        let database = context.database
        var last = sequence
        var lines = try await database.runLog(id, after: last)
        while true {
            if let newest = lines.last {
                try await deliver(lines)
                last = newest.sequence
                lines = try await database.runLog(id, after: last)
                continue
            }
            if stop() { return }
            // Status first, then lines: nothing written before the run ended is missed.
            let finished = try await database.run(id: id).status.isFinished
            lines = try await database.runLog(id, after: last)
            if lines.isEmpty {
                if finished { return }
                try await Task.sleep(for: Self.followInterval)
            }
        }
    }
}
