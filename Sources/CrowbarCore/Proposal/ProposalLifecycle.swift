/// A proposal status change that the lifecycle table does not allow.
public struct IllegalProposalTransition: Error, Sendable, Hashable, CustomStringConvertible {
    public var proposal: String
    public var from: ProposalStatus
    public var to: ProposalStatus

    public var description: String {
        switch (from, to) {
        case (.draft, _): return "proposal \(proposal) has never been committed"
        case (.applying, .deactivated): return "proposal \(proposal) is applying; cancel its run before deactivating it"
        default:
            let allowed = ProposalLifecycle.allowedTargets(from: from).map(\.rawValue).sorted().joined(separator: ", ")
            return "proposal \(proposal) cannot go from \(from.rawValue) to \(to.rawValue) (allowed: \(allowed.isEmpty ? "none" : allowed))"
        }
    }
}

/// The one table of legal proposal status changes, beside ``NodeLifecycle``.
///
/// A commit may happen in any status (it starts a new revision); an apply starts from a committed revision; only an
/// apply in progress ends `applied` or `failed`; a proposal is deactivated once committed and not applying.
public enum ProposalLifecycle {
    /// Every legal change, by source status.
    public static let table: [ProposalStatus: Set<ProposalStatus>] = [
        .draft: [.committed],
        .committed: [.committed, .applying, .deactivated],
        .applying: [.committed, .applied, .failed],
        .applied: [.committed, .applying, .deactivated],
        .failed: [.committed, .applying, .deactivated],
        .deactivated: [.committed],
    ]

    /// The statuses `status` may change to.
    public static func allowedTargets(from status: ProposalStatus) -> Set<ProposalStatus> {
        table[status] ?? []
    }

    /// Checks a change of `proposal` (`barclamp/name`), throwing a typed error when it is illegal.
    public static func validate(proposal: String, from: ProposalStatus, to: ProposalStatus) throws(IllegalProposalTransition) {
        guard allowedTargets(from: from).contains(to) else {
            throw IllegalProposalTransition(proposal: proposal, from: from, to: to)
        }
    }
}
