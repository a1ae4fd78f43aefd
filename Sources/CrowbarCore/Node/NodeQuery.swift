/// Which nodes a listing answers: filters, and one page of them by name.
public struct NodeQuery: Sendable, Hashable {
    /// The most nodes one page may hold.
    public static let maxLimit = 1000

    /// Only nodes in this state.
    public var state: NodeState?
    /// Only nodes a proposal's working copy assigns this role to.
    public var role: String?
    /// Only nodes whose name sorts after this one: the last name of the previous page.
    public var after: String?
    /// At most this many nodes (1…``maxLimit``); nil answers every match.
    public var limit: Int?

    public init(state: NodeState? = nil, role: String? = nil, after: String? = nil, limit: Int? = nil) {
        self.state = state
        self.role = role
        self.after = after
        self.limit = limit
    }
}

/// One page of a node listing, by name.
public struct NodePage: Sendable, Hashable {
    public var nodes: [Node]
    /// The `after` of the next page when more nodes match; nil on the last page.
    public var next: String?

    public init(nodes: [Node], next: String? = nil) {
        self.nodes = nodes
        self.next = next
    }
}
