import CrowbarCore
import Foundation
import GRDB

extension CrowbarDatabase {
    /// Events with an id above `afterID`, oldest first, at most `limit`; optionally for one subject.
    public func events(after afterID: Int64 = 0, subject: String? = nil, limit: Int = 100) async throws -> [Event] {
        try await writer.read { db in
            var request = EventRecord.filter(Column("id") > afterID)
            if let subject { request = request.filter(Column("subject") == subject) }
            return try request.order(Column("id")).limit(limit).fetchAll(db).map(\.event)
        }
    }

    /// The newest event, if any: where a live view that has just loaded everything starts following.
    public func latestEvent() async throws -> Event? {
        try await writer.read { db in try EventRecord.order(Column("id").desc).fetchOne(db)?.event }
    }

    /// Appends an event row inside the caller's transaction.
    static func appendEvent(
        _ kind: Event.Kind, subject: String, from: String? = nil, to: String? = nil, message: String, at: Date, in db: Database
    ) throws {
        var record = EventRecord(
            id: nil, at: at, kind: kind.rawValue, subject: subject, fromState: from, toState: to, message: message, actor: Audit.actor)
        try record.insert(db)
    }
}

extension EventRecord {
    var event: Event {
        Event(
            id: id ?? 0, at: at, kind: Event.Kind(rawValue: kind), subject: subject, fromState: fromState, toState: toState, message: message,
            actor: actor)
    }
}
