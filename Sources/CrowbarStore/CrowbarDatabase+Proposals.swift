import CrowbarCore
import Foundation
import GRDB

/// What a proposal is checked against at commit, read in the committing transaction.
public struct CommitSnapshot: Sendable {
    public var proposal: Proposal
    public var knownNodes: Set<String>
    /// Every other active proposal.
    public var activeProposals: [Proposal]
}

/// How a commit queues the run that applies the revision it makes, in the committing transaction.
public struct CommitRun: Sendable {
    /// The run for the new revision.
    public var request: @Sendable (ProposalRevision) throws -> RunRequest
    public var decide: RunQueuingDecision

    public init(request: @escaping @Sendable (ProposalRevision) throws -> RunRequest, decide: @escaping RunQueuingDecision) {
        self.request = request
        self.decide = decide
    }
}

extension CrowbarDatabase {
    /// Stores a new draft proposal; a proposal of that barclamp and name must not exist.
    public func createProposal(barclamp: String, name: String, content: ProposalContent, now: Date = Date()) async throws -> Proposal {
        let proposal = Proposal(
            barclamp: barclamp, name: name, status: .draft, content: content, revision: 0, hasPendingChanges: true,
            createdAt: now, updatedAt: now)
        return try await write { db in
            if try ProposalRecord.exists(db, key: ["barclamp": barclamp, "name": name]) {
                throw CrowbarError(.conflict, "proposal \(barclamp)/\(name) already exists")
            }
            try ProposalRecord(proposal).insert(db)
            try Self.appendEvent(.proposalCreated, subject: "\(barclamp)/\(name)", to: ProposalStatus.draft.rawValue, message: "created", at: now, in: db)
            return proposal
        }
    }

    /// The proposal `barclamp/name`, or a `notFound` error.
    public func proposal(barclamp: String, name: String) async throws -> Proposal {
        try await writer.read { db in try Self.fetchProposal(barclamp, name, in: db).proposal }
    }

    /// Every proposal, optionally of one barclamp, by barclamp then name.
    public func proposals(barclamp: String? = nil) async throws -> [Proposal] {
        try await writer.read { db in
            var request = ProposalRecord.all()
            if let barclamp { request = request.filter(Column("barclamp") == barclamp) }
            return try request.order(Column("barclamp"), Column("name")).fetchAll(db).map(\.proposal)
        }
    }

    /// Applies `edit` to the working copy of a proposal in one transaction, if the proposal is at version `expected`
    /// (when given); the version goes up by one.
    public func updateProposal(
        barclamp: String, name: String, ifVersion expected: Int? = nil, now: Date = Date(),
        edit: @Sendable (ProposalContent) throws -> ProposalContent
    ) async throws -> Proposal {
        try await write { db in
            var record = try Self.fetchProposal(barclamp, name, in: db)
            try record.proposal.require(version: expected)
            record.content = try edit(record.content)
            record.version += 1
            let committed = try ProposalRevisionRecord.fetchOne(
                db, key: ["barclamp": barclamp, "proposal": name, "revision": record.revision])
            record.hasPendingChanges = committed?.content != record.content
            record.updatedAt = now
            try record.update(db)
            try Self.appendEvent(
                .proposalEdited, subject: "\(barclamp)/\(name)", message: "working copy changed (version \(record.version))", at: now, in: db)
            return record.proposal
        }
    }

    /// Freezes the working copy into a new revision after `validate` accepts it, and queues the run that applies it
    /// when `queue` says how, all in one transaction: two commits cannot both pass validation against stale state, and
    /// a crash leaves either no revision or the revision with its run. With `expected`, only if the proposal is still
    /// at that version.
    public func commitProposal(
        barclamp: String, name: String, ifVersion expected: Int? = nil, now: Date = Date(),
        validate: @Sendable (CommitSnapshot) throws -> Void, queue: CommitRun? = nil
    ) async throws -> (revision: ProposalRevision, run: Run?) {
        try await write { db in
            var record = try Self.fetchProposal(barclamp, name, in: db)
            try record.proposal.require(version: expected)
            let knownNodes = Set(try String.fetchAll(db, sql: "SELECT name FROM nodes"))
            let active = try ProposalRecord.fetchAll(db).map(\.proposal).filter {
                $0.status.isActive && !($0.barclamp == barclamp && $0.name == name)
            }
            try validate(CommitSnapshot(proposal: record.proposal, knownNodes: knownNodes, activeProposals: active))
            let revision = ProposalRevisionRecord(
                barclamp: barclamp, proposal: name, revision: record.revision + 1, content: record.content, committedAt: now)
            try revision.insert(db)
            let from = record.status
            try ProposalLifecycle.validate(proposal: "\(barclamp)/\(name)", from: from, to: .committed)
            record.revision = revision.revision
            record.status = .committed
            record.hasPendingChanges = false
            record.version += 1
            record.updatedAt = now
            try record.update(db)
            try Self.appendEvent(
                .proposalCommitted, subject: "\(barclamp)/\(name)", from: from.rawValue, to: ProposalStatus.committed.rawValue,
                message: "revision \(revision.revision)", at: now, in: db)
            let run = try queue.map { queue in
                try Self.insertRun(try queue.request(revision.proposalRevision), decide: queue.decide, now: now, in: db)
            }
            CrashPoint.reach("commit.in-transaction")
            return (revision.proposalRevision, run)
        }
    }

    /// Every committed revision of a proposal, oldest first.
    public func revisions(barclamp: String, name: String) async throws -> [ProposalRevision] {
        try await writer.read { db in
            _ = try Self.fetchProposal(barclamp, name, in: db)
            return try ProposalRevisionRecord.filter(Column("barclamp") == barclamp && Column("proposal") == name)
                .order(Column("revision")).fetchAll(db).map(\.proposalRevision)
        }
    }

    /// One committed revision, or a `notFound` error.
    public func revision(barclamp: String, name: String, number: Int) async throws -> ProposalRevision {
        try await writer.read { db in
            guard let record = try ProposalRevisionRecord.fetchOne(db, key: ["barclamp": barclamp, "proposal": name, "revision": number])
            else { throw CrowbarError(.notFound, "proposal \(barclamp)/\(name) has no revision \(number)") }
            return record.proposalRevision
        }
    }

    /// Sets a proposal's status (deactivate) if ``ProposalLifecycle`` allows it.
    @discardableResult
    public func setProposalStatus(
        barclamp: String, name: String, to status: ProposalStatus, reason: String, now: Date = Date()
    ) async throws -> Proposal {
        try await write { db in
            try Self.setStatus(barclamp, name, to: status, reason: reason, now: now, in: db)
            return try Self.fetchProposal(barclamp, name, in: db).proposal
        }
    }

    /// Deletes a proposal and its revisions; an active proposal must be deactivated first.
    public func deleteProposal(barclamp: String, name: String, now: Date = Date()) async throws {
        try await write { db in
            let record = try Self.fetchProposal(barclamp, name, in: db)
            if record.status.isActive {
                throw CrowbarError(.conflict, "proposal \(barclamp)/\(name) is \(record.status.rawValue); deactivate it before deleting")
            }
            try record.delete(db)
            try Self.appendEvent(.proposalDeleted, subject: "\(barclamp)/\(name)", from: record.status.rawValue, message: "deleted", at: now, in: db)
        }
    }

    static func fetchProposal(_ barclamp: String, _ name: String, in db: Database) throws -> ProposalRecord {
        guard let record = try ProposalRecord.fetchOne(db, key: ["barclamp": barclamp, "name": name]) else {
            throw CrowbarError(.notFound, "no proposal \(barclamp)/\(name)")
        }
        return record
    }
}
