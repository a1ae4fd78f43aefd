/// What applying a batch file would do, proposal by proposal, without doing it (`POST /api/v1/batches/preview`).
public struct BatchPreview: Sendable, Hashable, Codable {
    /// What becomes of one proposal of the file.
    public enum Action: String, Sendable, Hashable, Codable {
        /// The proposal does not exist yet: created, committed and applied.
        case create
        /// Its attributes or roles change (or it has uncommitted edits): committed and applied.
        case change
        /// Content unchanged but not applied (or the batch is forced): applied again.
        case apply
        /// Already applied with this content: skipped.
        case unchanged
    }

    /// One proposal of the file, in run order.
    public struct Entry: Sendable, Hashable, Codable {
        public var position: Int
        public var barclamp: String
        public var proposal: String
        public var action: Action
        /// The changes to the working copy (to the barclamp's defaults for a new proposal); secrets masked.
        public var changes: [ProposalChange]

        public init(position: Int, barclamp: String, proposal: String, action: Action, changes: [ProposalChange]) {
            self.position = position
            self.barclamp = barclamp
            self.proposal = proposal
            self.action = action
            self.changes = changes
        }
    }

    public var file: String
    public var entries: [Entry]

    public init(file: String, entries: [Entry]) {
        self.file = file
        self.entries = entries
    }

    /// The action a batch takes on a proposal, `stored` as it is now (nil when missing), given the file's `changes`.
    public static func action(stored: Proposal?, changes: [ProposalChange], force: Bool) -> Action {
        guard let stored else { return .create }
        if !changes.isEmpty || stored.hasPendingChanges { return .change }
        return force || stored.status != .applied ? .apply : .unchanged
    }
}
