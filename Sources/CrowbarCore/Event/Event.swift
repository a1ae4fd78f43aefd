import Foundation

/// Something that happened to a node or proposal, kept as an append-only history.
public struct Event: Sendable, Hashable, Codable {
    /// What kind of thing happened; new kinds may be added.
    public struct Kind: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let nodeRegistered = Kind(rawValue: "node.registered")
        public static let nodeTransition = Kind(rawValue: "node.transition")
        public static let nodeDeleted = Kind(rawValue: "node.deleted")
        public static let addressAllocated = Kind(rawValue: "address.allocated")
        public static let proposalCreated = Kind(rawValue: "proposal.created")
        public static let proposalEdited = Kind(rawValue: "proposal.edited")
        public static let proposalCommitted = Kind(rawValue: "proposal.committed")
        public static let proposalStatus = Kind(rawValue: "proposal.status")
        public static let proposalDeleted = Kind(rawValue: "proposal.deleted")
        public static let nodeHostKeyPinned = Kind(rawValue: "node.host-key-pinned")
        public static let nodeBMC = Kind(rawValue: "node.bmc")
        public static let nodePower = Kind(rawValue: "node.power")
        public static let nodeInstall = Kind(rawValue: "node.install")
        public static let runQueued = Kind(rawValue: "run.queued")
        public static let runFinished = Kind(rawValue: "run.finished")
        public static let batchSubmitted = Kind(rawValue: "batch.submitted")
        public static let batchFinished = Kind(rawValue: "batch.finished")
    }

    public var id: Int64
    public var at: Date
    public var kind: Kind
    /// The node name, or `barclamp/proposal`.
    public var subject: String
    public var fromState: String?
    public var toState: String?
    public var message: String
    /// Who did it (an API token's name, with the person its client named); nil for crowbard's own doing.
    public var actor: String?

    public init(
        id: Int64, at: Date, kind: Kind, subject: String, fromState: String? = nil, toState: String? = nil, message: String,
        actor: String? = nil
    ) {
        self.id = id
        self.at = at
        self.kind = kind
        self.subject = subject
        self.fromState = fromState
        self.toState = toState
        self.message = message
        self.actor = actor
    }
}
