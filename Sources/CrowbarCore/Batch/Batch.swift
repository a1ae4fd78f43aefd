import Foundation

/// Where a batch is.
public enum BatchStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case queued, running, succeeded, failed

    public var isFinished: Bool { self == .succeeded || self == .failed }
}

/// What became of one proposal of a batch.
public enum BatchEntryOutcome: String, Sendable, Hashable, Codable {
    /// Committed, waiting for its turn.
    case pending
    /// Its run is queued or running.
    case applying
    case applied
    case failed
    /// Already applied with this content: nothing to do (unless the batch was forced).
    case unchanged
}

/// One proposal of a batch, in run order.
public struct BatchEntry: Sendable, Hashable, Codable {
    public var position: Int
    public var barclamp: String
    public var proposal: String
    /// The revision the batch applies: the one it committed, or the applied one it found unchanged.
    public var revision: Int
    public var outcome: BatchEntryOutcome
    /// The run that applies it, once queued.
    public var run: Int64?
    public var startedAt: Date?
    public var finishedAt: Date?

    public init(
        position: Int, barclamp: String, proposal: String, revision: Int, outcome: BatchEntryOutcome, run: Int64? = nil,
        startedAt: Date? = nil, finishedAt: Date? = nil
    ) {
        self.position = position
        self.barclamp = barclamp
        self.proposal = proposal
        self.revision = revision
        self.outcome = outcome
        self.run = run
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

/// A whole batch file applied as one server-side object: its proposals were created, edited and committed when it
/// was submitted; crowbard then applies the changed ones one at a time, in run order, stopping at the first failure.
/// It survives a restart of crowbard and resumes without re-applying what finished.
public struct Batch: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    /// The file's name as submitted, for messages.
    public var file: String
    public var force: Bool
    public var status: BatchStatus
    public var createdAt: Date
    public var finishedAt: Date?
    /// Why it failed: the proposal whose run failed.
    public var failure: String?
    public var entries: [BatchEntry]

    public init(
        id: Int64, file: String, force: Bool, status: BatchStatus, createdAt: Date, finishedAt: Date? = nil, failure: String? = nil,
        entries: [BatchEntry]
    ) {
        self.id = id
        self.file = file
        self.force = force
        self.status = status
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.failure = failure
        self.entries = entries
    }

    /// The entry to work on next: one being applied, else the first pending; nil when none is left.
    public var current: BatchEntry? {
        entries.first { $0.outcome == .applying } ?? entries.first { $0.outcome == .pending }
    }
}

/// `POST /api/v1/batches`: a batch file's text, its name (for file:line messages) and whether to apply unchanged
/// proposals too.
public struct BatchSubmission: Codable, Sendable, Hashable {
    public var file: String
    public var content: String
    public var force: Bool

    public init(file: String, content: String, force: Bool = false) {
        self.file = file
        self.content = content
        self.force = force
    }
}
