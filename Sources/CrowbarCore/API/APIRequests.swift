/// `POST /api/v1/proposals/{barclamp}`: a new proposal's name.
public struct ProposalCreation: Codable, Sendable, Hashable {
    public var name: String
    public init(name: String) { self.name = name }
}

/// `PATCH /api/v1/proposals/{barclamp}/{name}`: attribute edits applied in order, all or nothing.
public struct ProposalEdits: Codable, Sendable, Hashable {
    public var edits: [AttributeEdit]
    public init(edits: [AttributeEdit]) { self.edits = edits }
}

/// `PUT /api/v1/proposals/{barclamp}/{name}/deployment/{role}`: exactly the nodes the role gets.
public struct RoleAssignment: Codable, Sendable, Hashable {
    public var nodes: [String]
    public init(nodes: [String]) { self.nodes = nodes }
}

/// `POST /api/v1/nodes/{name}/transition`: the state to move to and why.
public struct NodeTransitionRequest: Codable, Sendable, Hashable {
    public var state: NodeState
    public var reason: String?
    public init(state: NodeState, reason: String? = nil) {
        self.state = state
        self.reason = reason
    }
}

/// The body of `GET /api/v1/health`: `ok` when every component is healthy, else `degraded` (with status 503).
public struct HealthStatus: Codable, Sendable, Hashable {
    public var status: String
    public var components: [ComponentHealth]

    public init(components: [ComponentHealth]) {
        self.status = components.allSatisfy(\.healthy) ? "ok" : "degraded"
        self.components = components
    }
}
