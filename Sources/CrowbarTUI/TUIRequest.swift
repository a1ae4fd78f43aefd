import CrowbarCore

/// A proposal by barclamp and name.
public struct ProposalRef: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var barclamp: String
    public var name: String

    public init(barclamp: String, name: String) {
        self.barclamp = barclamp
        self.name = name
    }

    public init(_ proposal: Proposal) { self.init(barclamp: proposal.barclamp, name: proposal.name) }

    public var description: String { "\(barclamp)/\(name)" }

    public static func < (left: ProposalRef, right: ProposalRef) -> Bool { (left.barclamp, left.name) < (right.barclamp, right.name) }
}

/// What the UI asks crowbard for; the terminal loop sends it and posts the answer back as a ``TUIMessage``.
public enum TUIRequest: Sendable, Hashable {
    case node(NodeRequest)
    /// Changes the working copy (checked against the schema before it is sent). `version` is the proposal's as the
    /// form showed it: crowbard refuses the change if someone else changed the proposal since (If-Match).
    case edit(ProposalRef, AttributeEdit, version: Int)
    case assign(ProposalRef, role: String, nodes: [String], version: Int)
    /// Commits the working copy as a new revision; `apply` also queues its run.
    case commit(ProposalRef, apply: Bool, version: Int)
    /// A check-mode run: what applying the last revision would change.
    case check(ProposalRef)
    case plan(ProposalRef)
    case diff(ProposalRef)
    /// Reads the proposal with its secrets in clear.
    case reveal(ProposalRef)
    case cancelRun(Int64)
    /// Starts streaming a run's log and progress.
    case followRun(Int64)
    /// Submits the loaded batch file.
    case applyBatch

    /// The question the operator answers `y` to before a request that changes machines is sent; nil when none is asked.
    public var question: String? {
        switch self {
        case .node(let request): request.question
        case .commit(let proposal, true, _): "Commit \(proposal) and apply it to its nodes?"
        case .commit(let proposal, false, _): "Commit \(proposal) without applying it?"
        case .cancelRun(let run): "Cancel run \(run) (commands running on its nodes are stopped)?"
        case .applyBatch: "Apply the batch (commits and applies the proposals marked to apply)?"
        case .edit, .assign, .check, .plan, .diff, .reveal, .followRun: nil
        }
    }
}
