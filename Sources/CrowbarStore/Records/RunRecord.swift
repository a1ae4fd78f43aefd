import CrowbarCore
import Foundation
import GRDB

/// A row of `runs`.
struct RunRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "runs"
    var id: Int64?
    var barclamp: String?
    var proposal: String?
    var revision: Int?
    var checkMode: Bool
    var transitionNode: String?
    var status: RunStatus
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    var failure: RunFailure?

    /// When an operator asked to cancel the run: kept so that a restarted crowbard ends it instead of resuming it.
    var cancelRequestedAt: Date?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// What the run's events are about: its proposal and transition node, or the run itself.
    var subject: String {
        let subject = [barclamp, proposal].compactMap { $0 }.joined(separator: "/") + (transitionNode ?? "")
        return subject.isEmpty ? "run \(id ?? 0)" : subject
    }

    func run(steps: [RunStep]) -> Run {
        Run(
            id: id ?? 0, barclamp: barclamp, proposal: proposal, revision: revision, checkMode: checkMode, transitionNode: transitionNode, status: status,
            createdAt: createdAt, startedAt: startedAt, finishedAt: finishedAt, cancelRequestedAt: cancelRequestedAt, failure: failure,
            steps: steps)
    }
}

/// A row of `runSteps`: the plan step as JSON and how far it got.
struct RunStepRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "runSteps"
    var runId: Int64
    var position: Int
    var plan: PlanStep
    var status: StepStatus
    var startedAt: Date?
    var finishedAt: Date?
}

/// A row of `runNodeResults`: one node's finished apply of one step.
struct RunNodeResultRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "runNodeResults"
    var runId: Int64
    var position: Int
    var node: String
    var result: NodeApplyResult
}

/// A row of `runLog`.
struct RunLogRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "runLog"
    var sequence: Int64?
    var runId: Int64
    var at: Date
    var step: Int?
    var node: String?
    var text: String

    mutating func didInsert(_ inserted: InsertionSuccess) { sequence = inserted.rowID }

    var line: RunLogLine { RunLogLine(sequence: sequence ?? 0, at: at, step: step, node: node, text: text) }
}
