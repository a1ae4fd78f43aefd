import CrowbarCore
import CrowbarStore

/// The append-only history of what happened to nodes, proposals and runs.
public struct EventService: Sendable {
    let database: CrowbarDatabase

    /// Events after `id`, oldest first, optionally about one subject (a node, or `barclamp/proposal`).
    public func list(after id: Int64 = 0, subject: String? = nil, limit: Int = 100) async throws -> [Event] {
        try await database.events(after: id, subject: subject, limit: limit)
    }

    /// The newest event, if any.
    public func latest() async throws -> Event? { try await database.latestEvent() }

    /// Hands `deliver` the events after `id` (optionally about one subject), oldest first, then each new one as it is
    /// recorded, until `stop` says so: what live views (`crowbar tui`, `crowbar events --follow`) watch instead of
    /// polling every list. New events are looked for every ``RunService/followInterval``.
    public func follow(
        after id: Int64 = 0, subject: String? = nil, stop: @Sendable () -> Bool, deliver: ([Event]) async throws -> Void
    ) async throws {
        var last = id
        while !stop() {
            let events = try await database.events(after: last, subject: subject, limit: 1000)
            if let newest = events.last {
                try await deliver(events)
                last = newest.id
            } else {
                try await Task.sleep(for: RunService.followInterval)
            }
        }
    }
}
