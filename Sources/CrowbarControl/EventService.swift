import CrowbarCore
import CrowbarStore

/// The append-only history of what happened to nodes, proposals and runs.
public struct EventService: Sendable {
    let database: CrowbarDatabase

    /// Events after `id`, oldest first, optionally about one subject (a node, or `barclamp/proposal`).
    public func list(after id: Int64 = 0, subject: String? = nil, limit: Int = 100) async throws -> [Event] {
        try await database.events(after: id, subject: subject, limit: limit)
    }
}
