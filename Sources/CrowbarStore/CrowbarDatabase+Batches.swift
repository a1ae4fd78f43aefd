import CrowbarCore
import Foundation
import GRDB

extension CrowbarDatabase {
    /// Stores a batch with its entries in run order: `queued` when some entry is pending, else `succeeded` at once.
    public func createBatch(
        file: String, force: Bool, entries: [(barclamp: String, proposal: String, revision: Int, outcome: BatchEntryOutcome)],
        now: Date = Date()
    ) async throws -> Batch {
        try await write { db in
            let pending = entries.contains { $0.outcome == .pending }
            var record = BatchRecord(
                id: nil, file: file, force: force, status: pending ? .queued : .succeeded, createdAt: now, finishedAt: pending ? nil : now)
            try record.insert(db)
            let id = record.id!
            for (position, entry) in entries.enumerated() {
                try BatchEntryRecord(
                    batchId: id, position: position + 1, barclamp: entry.barclamp, proposal: entry.proposal, revision: entry.revision,
                    outcome: entry.outcome
                ).insert(db)
            }
            let toApply = entries.filter { $0.outcome == .pending }.count
            try Self.appendEvent(
                .batchSubmitted, subject: "batch \(id)", message: "\(file): \(toApply) of \(entries.count) proposals to apply", at: now, in: db)
            return try Self.fetchBatch(id, in: db)
        }
    }

    public func batch(id: Int64) async throws -> Batch {
        try await writer.read { db in try Self.fetchBatch(id, in: db) }
    }

    /// The newest batches first.
    public func batches(limit: Int = 50) async throws -> [Batch] {
        try await writer.read { db in
            try BatchRecord.order(Column("id").desc).limit(limit).fetchAll(db).map { try Self.fetchBatch($0.id!, in: db) }
        }
    }

    /// Batches that were queued or running when crowbard stopped, oldest first: the ones to resume.
    public func unfinishedBatches() async throws -> [Batch] {
        try await writer.read { db in
            try BatchRecord.filter([BatchStatus.queued.rawValue, BatchStatus.running.rawValue].contains(Column("status")))
                .order(Column("id")).fetchAll(db).map { try Self.fetchBatch($0.id!, in: db) }
        }
    }

    /// Records what a run's end did to a batch entry (``BatchProgress``), and the batch's end when it ended.
    @discardableResult
    public func recordBatchStep(_ id: Int64, position: Int, _ step: BatchProgress.Step, now: Date = Date()) async throws -> Batch {
        try await write { db in
            try db.execute(
                sql: "UPDATE batchEntries SET outcome = ?, finishedAt = ? WHERE batchId = ? AND position = ?",
                arguments: [step.entry.rawValue, now, id, position])
            if let status = step.batch {
                try db.execute(
                    sql: "UPDATE batches SET status = ?, finishedAt = ?, failure = ? WHERE id = ?",
                    arguments: [status.rawValue, now, step.failure, id])
                try Self.appendEvent(
                    .batchFinished, subject: "batch \(id)", message: "batch \(id) \(status.rawValue)" + (step.failure.map { ": \($0)" } ?? ""),
                    at: now, in: db)
            }
            return try Self.fetchBatch(id, in: db)
        }
    }

    /// Links a newly queued run to its batch entry, inside the run's transaction: a crash can never leave a run that
    /// its batch does not know (and would queue again).
    static func linkRun(_ run: Int64, toBatch batch: Int64, position: Int, now: Date, in db: Database) throws {
        try db.execute(
            sql: "UPDATE batchEntries SET outcome = ?, runId = ?, startedAt = ? WHERE batchId = ? AND position = ?",
            arguments: [BatchEntryOutcome.applying.rawValue, run, now, batch, position])
        try db.execute(sql: "UPDATE batches SET status = ? WHERE id = ?", arguments: [BatchStatus.running.rawValue, batch])
    }

    static func fetchBatch(_ id: Int64, in db: Database) throws -> Batch {
        guard let record = try BatchRecord.fetchOne(db, key: id) else { throw CrowbarError(.notFound, "no batch \(id)") }
        let entries = try BatchEntryRecord.filter(Column("batchId") == id).order(Column("position")).fetchAll(db).map(\.entry)
        return record.batch(entries: entries)
    }
}
