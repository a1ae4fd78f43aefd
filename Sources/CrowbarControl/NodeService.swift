import CrowbarCore
import CrowbarStore

/// Nodes: registration, allocation, state moves (with the barclamps a state applies, in
/// `NodeService+Transitions.swift`) and deletion.
public struct NodeService: Sendable {
    let context: ControlContext
    let proposals: ProposalService
    let networks: NetworkService

    /// The nodes `query` selects, by name, a page at a time when it has a limit. An unknown role or a limit outside
    /// 1…``NodeQuery/maxLimit`` is refused.
    public func list(_ query: NodeQuery) async throws -> NodePage {
        if let limit = query.limit, !(1...NodeQuery.maxLimit).contains(limit) {
            throw CrowbarError(.invalid, "limit must be between 1 and \(NodeQuery.maxLimit)", context: ["field": "limit"])
        }
        if let role = query.role, !context.catalog.runOrder.contains(where: { $0.role(named: role) != nil }) {
            throw CrowbarError(.invalid, "no barclamp has a role named '\(role)' (crowbar barclamp list shows them)", context: ["field": "role"])
        }
        return try await context.database.nodes(query)
    }

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
