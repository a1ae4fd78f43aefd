import CrowbarCore
import Foundation
import GRDB

/// A row of `batches`.
struct BatchRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "batches"
    var id: Int64?
    var file: String
    var force: Bool
    var status: BatchStatus
    var createdAt: Date
    var finishedAt: Date?
    var failure: String?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    func batch(entries: [BatchEntry]) -> Batch {
        Batch(id: id ?? 0, file: file, force: force, status: status, createdAt: createdAt, finishedAt: finishedAt, failure: failure, entries: entries)
    }
}

/// A row of `batchEntries`: one proposal of a batch and what became of it.
struct BatchEntryRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "batchEntries"
    var batchId: Int64
    var position: Int
    var barclamp: String
    var proposal: String
    var revision: Int
    var outcome: BatchEntryOutcome
    var runId: Int64?
    var startedAt: Date?
    var finishedAt: Date?

    var entry: BatchEntry {
        BatchEntry(
            position: position, barclamp: barclamp, proposal: proposal, revision: revision, outcome: outcome, run: runId, startedAt: startedAt,
            finishedAt: finishedAt)
    }
}
