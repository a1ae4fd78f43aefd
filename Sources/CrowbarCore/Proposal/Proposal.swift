import Foundation

/// Where a proposal is in its life. `draft` until the first commit; the status of later
/// edits is that of the last committed revision, and ``Proposal/hasPendingChanges`` says
/// whether the working copy differs from it.
public enum ProposalStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case draft
    case committed
    case applying
    case applied
    case failed
    case deactivated

    /// Whether the proposal's last revision is in force (counts for `requires` and the plan).
    public var isActive: Bool { self == .committed || self == .applying || self == .applied || self == .failed }
}

/// What a proposal says: attribute values and which nodes get which role.
public struct ProposalContent: Sendable, Hashable, Codable {
    /// The attribute tree, always a map at the top.
    public var attributes: AttributeValue
    /// Role name → node names, each list sorted and without duplicates.
    public var deployment: [String: [String]]

    public init(attributes: AttributeValue, deployment: [String: [String]]) {
        self.attributes = attributes
        self.deployment = deployment
    }
}

/// An instance of a barclamp, with its working copy and the number of its last committed revision.
public struct Proposal: Sendable, Hashable, Codable {
    public var barclamp: String
    public var name: String
    public var status: ProposalStatus
    /// The working copy that `set` and `assign` edit and `commit` freezes into a revision.
    public var content: ProposalContent
    /// The last committed revision, 0 before the first commit.
    public var revision: Int
    public var hasPendingChanges: Bool
    public var createdAt: Date
    public var updatedAt: Date
    /// Counts the working copy's changes and commits: the API's `ETag`, which an edit or commit may name in `If-Match`
    /// so that it is refused (412) when someone else changed the proposal since it was read.
    public var version: Int

    public init(
        barclamp: String, name: String, status: ProposalStatus, content: ProposalContent, revision: Int,
        hasPendingChanges: Bool, createdAt: Date, updatedAt: Date, version: Int = 1
    ) {
        self.barclamp = barclamp
        self.name = name
        self.status = status
        self.content = content
        self.revision = revision
        self.hasPendingChanges = hasPendingChanges
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    /// Refuses a change made from an older read: `expected` (from `If-Match`) is not the current ``version``.
    public func require(version expected: Int?) throws(CrowbarError) {
        guard let expected, expected != version else { return }
        throw CrowbarError(
            .preconditionFailed,
            "proposal \(barclamp)/\(name) changed since it was read (version \(expected), now \(version)): read it again and redo the change")
    }
}

/// One committed, immutable revision of a proposal.
public struct ProposalRevision: Sendable, Hashable, Codable {
    public var barclamp: String
    public var proposal: String
    public var revision: Int
    public var content: ProposalContent
    public var committedAt: Date

    public init(barclamp: String, proposal: String, revision: Int, content: ProposalContent, committedAt: Date) {
        self.barclamp = barclamp
        self.proposal = proposal
        self.revision = revision
        self.content = content
        self.committedAt = committedAt
    }
}
