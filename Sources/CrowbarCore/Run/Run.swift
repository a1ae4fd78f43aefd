import Foundation

/// Where a run is.
public enum RunStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case queued, running, succeeded, failed, cancelled

    public var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// Where one step of a run is.
public enum StepStatus: String, Sendable, Hashable, Codable {
    case pending, running, succeeded, failed, cancelled
}

/// The apply of a plan: its steps run in order, the nodes of a step in parallel. Every step and node
/// result is recorded before the next begins, so a restarted crowbard resumes where the run stopped.
public struct Run: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    /// The committed proposal this run applies, if it applies one.
    public var barclamp: String?
    public var proposal: String?
    public var revision: Int?
    /// Report what would change, change nothing.
    public var checkMode: Bool
    /// The node whose state transition this run applies: it becomes `ready` (from `readying`) when the run
    /// succeeds and `problem` when it fails.
    public var transitionNode: String?
    public var status: RunStatus
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// When an operator asked to cancel it; an unfinished run with this set is ending (after a restart too).
    public var cancelRequestedAt: Date?
    public var failure: RunFailure?
    public var steps: [RunStep]

    public init(
        id: Int64, barclamp: String?, proposal: String?, revision: Int?, checkMode: Bool, transitionNode: String? = nil,
        status: RunStatus, createdAt: Date, startedAt: Date? = nil, finishedAt: Date? = nil, cancelRequestedAt: Date? = nil,
        failure: RunFailure? = nil, steps: [RunStep]
    ) {
        self.id = id
        self.barclamp = barclamp
        self.proposal = proposal
        self.revision = revision
        self.checkMode = checkMode
        self.transitionNode = transitionNode
        self.status = status
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.cancelRequestedAt = cancelRequestedAt
        self.failure = failure
        self.steps = steps
    }

    /// Resources changed (or that would change, in check mode) over all steps.
    public var changedCount: Int { steps.reduce(0) { $0 + $1.changedCount } }
}

/// One plan step as it ran.
public struct RunStep: Sendable, Hashable, Codable {
    public var plan: PlanStep
    public var status: StepStatus
    public var startedAt: Date?
    public var finishedAt: Date?
    /// One result per node that finished this step.
    public var results: [NodeApplyResult]

    public init(plan: PlanStep, status: StepStatus, startedAt: Date? = nil, finishedAt: Date? = nil, results: [NodeApplyResult] = []) {
        self.plan = plan
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.results = results
    }

    public var changedCount: Int { results.reduce(0) { $0 + $1.changedCount } }
}

/// How one node's apply of one step ended.
public struct NodeApplyResult: Sendable, Hashable, Codable {
    public var node: String
    public var succeeded: Bool
    public var resources: [ResourceResult]
    /// Why the node failed when no resource did (unreachable, host key changed, timeout, …).
    public var error: String?
    public var startedAt: Date
    public var finishedAt: Date

    public init(node: String, succeeded: Bool, resources: [ResourceResult], error: String? = nil, startedAt: Date, finishedAt: Date) {
        self.node = node
        self.succeeded = succeeded
        self.resources = resources
        self.error = error
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    public var changedCount: Int { resources.filter { $0.status == .changed }.count }
}

/// The first failure of a run: which step, node and resource, and what it printed.
public struct RunFailure: Sendable, Hashable, Codable, CustomStringConvertible {
    public var step: Int
    public var node: String?
    public var resource: String?
    public var message: String
    public var output: String

    public init(step: Int, node: String?, resource: String?, message: String, output: String = "") {
        self.step = step
        self.node = node
        self.resource = resource
        self.message = message
        self.output = output
    }

    public var description: String {
        var text = "step \(step)"
        if let node { text += " on \(node)" }
        if let resource { text += ", \(resource)" }
        return text + ": \(message)"
    }
}

/// One line of a run's log.
public struct RunLogLine: Sendable, Hashable, Codable {
    /// Increasing over all runs; ask for lines after the last one seen.
    public var sequence: Int64
    public var at: Date
    public var step: Int?
    public var node: String?
    public var text: String

    public init(sequence: Int64, at: Date, step: Int?, node: String?, text: String) {
        self.sequence = sequence
        self.at = at
        self.step = step
        self.node = node
        self.text = text
    }
}

/// What committing a proposal returns: the new revision and the run that applies it, if any.
public struct CommitResult: Sendable, Hashable, Codable {
    public var revision: ProposalRevision
    public var run: Run?

    public init(revision: ProposalRevision, run: Run?) {
        self.revision = revision
        self.run = run
    }
}
