import CrowbarCore
import Foundation
import GRDB

/// A run to queue: its plan and what it applies.
public struct RunRequest: Sendable {
    public var plan: Plan
    public var barclamp: String?
    public var proposal: String?
    public var revision: Int?
    public var checkMode: Bool
    /// The node whose state transition the run applies.
    public var transitionNode: String?
    /// The batch entry the run applies, if any.
    public var batchEntry: (batch: Int64, position: Int)?

    public init(
        plan: Plan, barclamp: String? = nil, proposal: String? = nil, revision: Int? = nil, checkMode: Bool = false,
        transitionNode: String? = nil, batchEntry: (batch: Int64, position: Int)? = nil
    ) {
        self.plan = plan
        self.barclamp = barclamp
        self.proposal = proposal
        self.revision = revision
        self.checkMode = checkMode
        self.transitionNode = transitionNode
        self.batchEntry = batchEntry
    }
}

/// What queuing a run does to its subjects (``RunOutcome/effectsOfQueuing(_:)``).
public typealias RunQueuingDecision = @Sendable (RunSubjects) -> [RunEffect]

extension CrowbarDatabase {
    /// Queues a run, applying what `decide` makes of it and the state of its subjects, and linking it to its batch
    /// entry, if any, all in one transaction.
    public func createRun(_ request: RunRequest, decide: RunQueuingDecision, now: Date = Date()) async throws -> Run {
        try await write { db in try Self.insertRun(request, decide: decide, now: now, in: db) }
    }

    /// Queues a run inside the caller's transaction.
    static func insertRun(_ request: RunRequest, decide: RunQueuingDecision, now: Date, in db: Database) throws -> Run {
        var record = RunRecord(
            id: nil, barclamp: request.barclamp, proposal: request.proposal, revision: request.revision, checkMode: request.checkMode,
            transitionNode: request.transitionNode, status: .queued, createdAt: now)
        try record.insert(db)
        let id = record.id!
        for step in request.plan.steps {
            try RunStepRecord(runId: id, position: step.index, plan: step, status: .pending).insert(db)
        }
        try appendEvent(
            .runQueued, subject: record.subject,
            message: "run \(id) queued: \(request.plan.steps.count) steps\(request.checkMode ? " (check mode)" : "")", at: now, in: db)
        try apply(decide(try subjects(of: record, in: db)), now: now, in: db)
        if let entry = request.batchEntry { try linkRun(id, toBatch: entry.batch, position: entry.position, now: now, in: db) }
        return try fetchRun(id, in: db)
    }

    public func run(id: Int64) async throws -> Run {
        try await writer.read { db in try Self.fetchRun(id, in: db) }
    }

    /// A run's status now, then again after every commit that changes it (nil while there is no such run): those
    /// who wait for its end learn it at the commit that ends it.
    public func runStatuses(id: Int64) -> AsyncValueObservation<RunStatus?> {
        ValueObservation.tracking { db in
            try String.fetchOne(db, sql: "SELECT status FROM runs WHERE id = ?", arguments: [id]).flatMap(RunStatus.init(rawValue:))
        }.removeDuplicates().values(in: writer)
    }

    /// The newest runs first, without their steps' node results trimmed.
    public func runs(limit: Int = 50) async throws -> [Run] {
        try await writer.read { db in
            try RunRecord.order(Column("id").desc).limit(limit).fetchAll(db).map { try Self.fetchRun($0.id!, in: db) }
        }
    }

    /// Runs that were queued or running when crowbard stopped, oldest first: the ones to resume.
    public func unfinishedRuns() async throws -> [Run] {
        try await writer.read { db in
            try RunRecord.filter([RunStatus.queued.rawValue, RunStatus.running.rawValue].contains(Column("status")))
                .order(Column("id")).fetchAll(db).map { try Self.fetchRun($0.id!, in: db) }
        }
    }

    public func markRunStarted(_ id: Int64, now: Date = Date()) async throws {
        try await write { db in
            try db.execute(
                // Never back to running once ended: a cancel may land just before the run starts.
                sql: "UPDATE runs SET status = ?, startedAt = COALESCE(startedAt, ?) WHERE id = ? AND status IN (?, ?)",
                arguments: [RunStatus.running.rawValue, now, id, RunStatus.queued.rawValue, RunStatus.running.rawValue])
        }
    }

    public func markStep(_ id: Int64, step: Int, status: StepStatus, now: Date = Date()) async throws {
        try await write { db in
            let column = status == .running ? "startedAt = COALESCE(startedAt, ?)" : "finishedAt = ?"
            try db.execute(
                sql: "UPDATE runSteps SET status = ?, \(column) WHERE runId = ? AND position = ?",
                arguments: [status.rawValue, now, id, step])
        }
    }

    /// What a run's end decides from: the run and the state of its subjects, read in the finishing transaction.
    public typealias RunEffectsDecision = @Sendable (RunSubjects, RunStatus, RunFailure?) -> [RunEffect]

    /// Ends a run and applies what `decide` (``RunOutcome/effects(of:ending:failure:)``) makes of it, in one transaction.
    public func finishRun(
        _ id: Int64, status: RunStatus, failure: RunFailure?, decide: RunEffectsDecision, now: Date = Date()
    ) async throws -> Run {
        try await write { db in try Self.finish(id, status: status, failure: failure, decide: decide, now: now, in: db) }
    }

    /// Ends an unfinished run as `cancelled`, with its running step; a finished run is left as it is.
    @discardableResult
    public func cancelRun(_ id: Int64, decide: RunEffectsDecision, now: Date = Date()) async throws -> Run {
        try await write { db in try Self.cancel(id, decide: decide, now: now, in: db) }
    }

    /// Records an operator's cancel of an unfinished run, kept across restarts (a restarted crowbard ends the run
    /// instead of resuming it); a queued run ends `cancelled` at once. Answers the run as it now is.
    public func requestCancel(_ id: Int64, decide: RunEffectsDecision, now: Date = Date()) async throws -> Run {
        try await write { db in
            let run = try Self.fetchRun(id, in: db)
            guard !run.status.isFinished else { return run }
            try db.execute(sql: "UPDATE runs SET cancelRequestedAt = COALESCE(cancelRequestedAt, ?) WHERE id = ?", arguments: [now, id])
            return run.status == .queued ? try Self.cancel(id, decide: decide, now: now, in: db) : try Self.fetchRun(id, in: db)
        }
    }

    private static func cancel(_ id: Int64, decide: RunEffectsDecision, now: Date, in db: Database) throws -> Run {
        let run = try fetchRun(id, in: db)
        guard !run.status.isFinished else { return run }
        try db.execute(
            sql: "UPDATE runSteps SET status = ?, finishedAt = ? WHERE runId = ? AND status = ?",
            arguments: [StepStatus.cancelled.rawValue, now, id, StepStatus.running.rawValue])
        return try finish(id, status: .cancelled, failure: nil, decide: decide, now: now, in: db)
    }

    private static func finish(
        _ id: Int64, status: RunStatus, failure: RunFailure?, decide: RunEffectsDecision, now: Date, in db: Database
    ) throws -> Run {
        guard var record = try RunRecord.fetchOne(db, key: id) else { throw CrowbarError(.notFound, "no run \(id)") }
        // A run ends once: a second end (a cancel racing the run's own) changes nothing.
        if record.status.isFinished { return try fetchRun(id, in: db) }
        record.status = status
        record.failure = failure
        record.finishedAt = now
        try record.update(db)
        try appendEvent(
            .runFinished, subject: record.subject,
            message: "run \(id) \(status.rawValue)" + (failure.map { ": \($0)" } ?? ""), at: now, in: db)
        try apply(decide(try subjects(of: record, in: db), status, failure), now: now, in: db)
        return try fetchRun(id, in: db)
    }

    /// A run and the state of its proposal and node now, read in the caller's transaction.
    static func subjects(of record: RunRecord, in db: Database) throws -> RunSubjects {
        var proposalNow: (status: ProposalStatus, revision: Int)?
        if let barclamp = record.barclamp, let proposal = record.proposal,
            let current = try ProposalRecord.fetchOne(db, key: ["barclamp": barclamp, "name": proposal])
        {
            proposalNow = (current.status, current.revision)
        }
        return RunSubjects(
            runID: record.id ?? 0, barclamp: record.barclamp, proposal: record.proposal, revision: record.revision,
            checkMode: record.checkMode, transitionNode: record.transitionNode, proposalNow: proposalNow,
            nodeNow: try record.transitionNode.flatMap { try NodeRecord.fetchOne(db, key: $0)?.state })
    }

    /// Applies run effects inside the caller's transaction; each is checked against its lifecycle table.
    static func apply(_ effects: [RunEffect], now: Date, in db: Database) throws {
        for effect in effects {
            switch effect {
            case .proposalStatus(let barclamp, let proposal, let status, let reason):
                try setStatus(barclamp, proposal, to: status, reason: reason, now: now, in: db)
            case .nodeState(let node, let state, let reason):
                try transition(node, to: state, reason: reason, now: now, in: db)
            }
        }
    }

    /// Stores a batch of a run's progress in one transaction: log lines in the order given, then nodes' finished
    /// applies (a result already recorded for the node and step is replaced).
    public func storeRunProgress(
        _ id: Int64, lines: [(step: Int?, node: String?, text: String)], results: [(step: Int, result: NodeApplyResult)] = [],
        now: Date = Date()
    ) async throws {
        guard !lines.isEmpty || !results.isEmpty else { return }
        try await write { db in
            for line in lines {
                var record = RunLogRecord(sequence: nil, runId: id, at: now, step: line.step, node: line.node, text: line.text)
                try record.insert(db)
            }
            for (step, result) in results {
                try RunNodeResultRecord(runId: id, position: step, node: result.node, result: result).upsert(db)
            }
        }
    }

    /// Log lines of a run after `sequence`, oldest first.
    public func runLog(_ id: Int64, after sequence: Int64 = 0, limit: Int = 1000) async throws -> [RunLogLine] {
        try await writer.read { db in
            guard try RunRecord.exists(db, key: id) else { throw CrowbarError(.notFound, "no run \(id)") }
            return try RunLogRecord.filter(Column("runId") == id && Column("sequence") > sequence)
                .order(Column("sequence")).limit(limit).fetchAll(db).map(\.line)
        }
    }

    static func fetchRun(_ id: Int64, in db: Database) throws -> Run {
        guard let record = try RunRecord.fetchOne(db, key: id) else { throw CrowbarError(.notFound, "no run \(id)") }
        let results = Dictionary(grouping: try RunNodeResultRecord.filter(Column("runId") == id).fetchAll(db), by: \.position)
        let steps = try RunStepRecord.filter(Column("runId") == id).order(Column("position")).fetchAll(db).map { step in
            RunStep(
                plan: step.plan, status: step.status, startedAt: step.startedAt, finishedAt: step.finishedAt,
                results: (results[step.position] ?? []).map(\.result).sorted { $0.node < $1.node })
        }
        return record.run(steps: steps)
    }

    /// Sets a proposal's status inside the caller's transaction, if ``ProposalLifecycle`` allows it, with an event.
    static func setStatus(_ barclamp: String, _ name: String, to status: ProposalStatus, reason: String, now: Date, in db: Database) throws {
        var record = try fetchProposal(barclamp, name, in: db)
        let from = record.status
        try ProposalLifecycle.validate(proposal: "\(barclamp)/\(name)", from: from, to: status)
        record.status = status
        record.updatedAt = now
        try record.update(db)
        try appendEvent(.proposalStatus, subject: "\(barclamp)/\(name)", from: from.rawValue, to: status.rawValue, message: reason, at: now, in: db)
    }
}
