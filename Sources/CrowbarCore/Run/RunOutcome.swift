/// A change to a proposal or node that a run's start or end implies, applied by the store in the same transaction.
public enum RunEffect: Sendable, Hashable {
    case proposalStatus(barclamp: String, proposal: String, to: ProposalStatus, reason: String)
    case nodeState(node: String, to: NodeState, reason: String)
}

/// What a run is about, and the state of its subjects when it ends: the input of ``RunOutcome/effects(of:ending:failure:)``.
public struct RunSubjects: Sendable {
    public var runID: Int64
    public var barclamp: String?
    public var proposal: String?
    public var revision: Int?
    public var checkMode: Bool
    public var transitionNode: String?
    /// The proposal's status and last committed revision now, when the run applies a proposal that still exists.
    public var proposalNow: (status: ProposalStatus, revision: Int)?
    /// The transition node's state now, when it still exists.
    public var nodeNow: NodeState?

    public init(
        runID: Int64, barclamp: String?, proposal: String?, revision: Int?, checkMode: Bool, transitionNode: String?,
        proposalNow: (status: ProposalStatus, revision: Int)?, nodeNow: NodeState?
    ) {
        self.runID = runID
        self.barclamp = barclamp
        self.proposal = proposal
        self.revision = revision
        self.checkMode = checkMode
        self.transitionNode = transitionNode
        self.proposalNow = proposalNow
        self.nodeNow = nodeNow
    }
}

/// The consequences of runs, decided in one place: the store applies them, the orchestrator reports them.
public enum RunOutcome {
    /// What queuing a run implies: a proposal's apply (not a check) of its last committed revision makes the proposal
    /// `applying`. A run of an older revision (a newer commit landed between the commit and the queuing) leaves the
    /// status alone: the run's end could not take the proposal out of `applying` again.
    public static func effectsOfQueuing(_ run: RunSubjects) -> [RunEffect] {
        guard let barclamp = run.barclamp, let proposal = run.proposal, !run.checkMode, let now = run.proposalNow,
            run.revision == nil || run.revision == now.revision,
            ProposalLifecycle.allowedTargets(from: now.status).contains(.applying)
        else { return [] }
        return [.proposalStatus(barclamp: barclamp, proposal: proposal, to: .applying, reason: "applying revision \(run.revision ?? now.revision)")]
    }

    /// What a run ending as `status` implies.
    /// - A proposal's apply leaves it `applied` or `failed` (cancelled counts as failed) — only if the proposal is
    ///   still `applying` the revision this run applied: a newer commit or a deactivation made meanwhile wins.
    /// - A transition run takes its node from `readying` to `ready` on success, and to `problem` (where the node
    ///   lifecycle allows it) when it did not succeed, with the failure as the reason.
    public static func effects(of run: RunSubjects, ending status: RunStatus, failure: RunFailure?) -> [RunEffect] {
        var effects: [RunEffect] = []
        let ended = "run \(run.runID) \(status.rawValue)"
        if let barclamp = run.barclamp, let proposal = run.proposal, !run.checkMode,
            let now = run.proposalNow, now.status == .applying, run.revision == nil || run.revision == now.revision
        {
            effects.append(.proposalStatus(
                barclamp: barclamp, proposal: proposal, to: status == .succeeded ? .applied : .failed, reason: ended))
        }
        if let node = run.transitionNode, let current = run.nodeNow {
            if status == .succeeded, current == .readying {
                effects.append(.nodeState(node: node, to: .ready, reason: "run \(run.runID) applied its readying barclamps"))
            } else if status != .succeeded, NodeLifecycle.allowedTargets(from: current).contains(.problem) {
                effects.append(.nodeState(node: node, to: .problem, reason: ended + (failure.map { ": \($0)" } ?? "")))
            }
        }
        return effects
    }
}
