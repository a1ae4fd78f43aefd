/// A run's progress as a state machine: events in (the run starts or resumes, a step's nodes have ended, a step could
/// not start), actions out (apply a step, record a step's status, finish the run). The orchestrator only performs the
/// actions, recording each in the store before the next, so a run resumed from what the store holds takes the same
/// path as one that never stopped; this type decides ordering, skipping finished work, first-failure stop and cancel.
public struct RunProgress: Sendable {
    /// What the orchestrator does next.
    public enum Action: Sendable, Hashable {
        /// Apply `step` to `nodes` (in parallel, bounded), then report with ``RunProgress/stepEnded(_:cancelRequested:)``.
        /// `done` are the step's nodes that succeeded before a restart and are not applied again.
        case apply(step: PlanStep, nodes: [String], done: [String])
        /// Record a step's status.
        case record(step: Int, status: StepStatus)
        /// End the run.
        case finish(RunStatus, RunFailure?)
    }

    private let steps: [RunStep]
    /// The index in `steps` of the step being applied, or of the next one to look at.
    private var position = 0
    /// Set once `finish` was answered: later events are refused.
    public private(set) var isFinished = false

    /// Progress of a run as stored: succeeded steps are skipped, succeeded nodes of the others too.
    public init(_ run: Run) {
        steps = run.steps
    }

    /// The run starts (or resumes): the first step that has not succeeded, or the end.
    public mutating func start(cancelRequested: Bool) -> [Action] {
        position = 0
        return advance(cancelRequested: cancelRequested)
    }

    /// Every node of the current step has ended (`results` are this attempt's; earlier successes are not repeated).
    /// The first failed node, in name order, fails the step and the run; otherwise the next step comes.
    public mutating func stepEnded(_ results: [NodeApplyResult], cancelRequested: Bool) -> [Action] {
        precondition(!isFinished && steps.indices.contains(position), "stepEnded without a step in progress")
        let step = steps[position].plan
        if let failed = results.sorted(by: { $0.node < $1.node }).first(where: { !$0.succeeded }) {
            isFinished = true
            if cancelRequested { return [.record(step: step.index, status: .cancelled), .finish(.cancelled, nil)] }
            let resource = failed.resources.first { $0.status == .failed }
            let failure = RunFailure(
                step: step.index, node: failed.node, resource: resource?.resource, message: failed.error ?? "failed",
                output: resource?.output ?? "")
            return [.record(step: step.index, status: .failed), .finish(.failed, failure)]
        }
        position += 1
        return [.record(step: step.index, status: .succeeded)] + advance(cancelRequested: cancelRequested)
    }

    /// The current step could not be applied at all (its recipe is missing or does not compile, a node is gone).
    public mutating func stepFailedToStart(_ message: String) -> [Action] {
        precondition(!isFinished && steps.indices.contains(position), "stepFailedToStart without a step in progress")
        isFinished = true
        let step = steps[position].plan.index
        return [.record(step: step, status: .failed), .finish(.failed, RunFailure(step: step, node: nil, resource: nil, message: message))]
    }

    private mutating func advance(cancelRequested: Bool) -> [Action] {
        while steps.indices.contains(position), steps[position].status == .succeeded { position += 1 }
        guard steps.indices.contains(position) else {
            isFinished = true
            return [.finish(.succeeded, nil)]
        }
        let step = steps[position]
        if cancelRequested {
            isFinished = true
            return [.record(step: step.plan.index, status: .cancelled), .finish(.cancelled, nil)]
        }
        let done = Set(step.results.filter(\.succeeded).map(\.node))
        return [.apply(step: step.plan, nodes: step.plan.nodes.filter { !done.contains($0) }, done: step.plan.nodes.filter(done.contains))]
    }
}
