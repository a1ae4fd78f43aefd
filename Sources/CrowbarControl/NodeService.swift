import CrowbarCore
import CrowbarStore

/// Nodes: registration, allocation, state moves (with the barclamps a state applies, in
/// `NodeService+Transitions.swift`) and deletion.
public struct NodeService: Sendable {
    let context: ControlContext
    let proposals: ProposalService
    let networks: NetworkService

    /// Every node, by name.
    public func list() async throws -> [Node] { try await context.database.nodes() }

    /// The node called `name`, or a not-found error.
    public func node(named name: String) async throws -> Node { try await context.database.node(named: name) }

    /// Registers a discovery report from the token-protected API: it may name the node, attach MACs and give its
    /// host key. Answers the node and whether it was created.
    public func register(_ report: DiscoveryReport) async throws -> (node: Node, created: Bool) {
        if let address = report.address, IPv4Address(address) == nil {
            throw CrowbarError(.invalid, "'\(address)' is not an IPv4 address", context: ["field": "address"])
        }
        return try await context.database.register(report, from: .api)
    }

    /// Allocates a discovered node: state `allocated` and an address from the admin network's host range.
    public func allocate(_ name: String) async throws -> Node {
        try await context.database.allocate(node: name, adminNetwork: try await networks.adminNetwork())
    }

    /// Deletes a node with its MACs and addresses (its move to `deleted` stays in the history).
    public func delete(_ name: String) async throws {
        try await context.database.deleteNode(named: name)
    }
}
