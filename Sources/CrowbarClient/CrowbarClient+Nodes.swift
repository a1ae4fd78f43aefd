import CrowbarCore
import Foundation
import NIOCore

extension CrowbarClient {
    /// Every node `filter` selects (its state and role; every node without them), by name: `GET /nodes` page after
    /// page, `pageSize` nodes each.
    public func nodes(where filter: NodeQuery = NodeQuery(), pageSize: Int = NodeQuery.maxLimit) async throws -> [Node] {
        var query = filter
        query.limit = pageSize
        var nodes: [Node] = []
        while true {
            let page = try await self.nodes(query)
            // Names only grow from page to page, so this ends; a server that went back would loop forever. (A page
            // may be empty: the nodes after the last one seen were deleted meanwhile.)
            if let after = query.after, let first = page.nodes.first, first.name <= after {
                throw ClientError(status: nil, body: APIErrorBody(error: "bad_answer", detail: "GET /nodes answered a page that does not follow \(after)"))
            }
            nodes += page.nodes
            guard let next = page.next else { return nodes }
            query.after = next
        }
    }

    /// `GET /nodes?state=&role=&after=&limit=`: one page of the nodes `query` selects, by name (at most 1,000 without a
    /// limit); its `next` (from the answer's `Link: <…>; rel="next"`) is the following page's `after`.
    public func nodes(_ query: NodeQuery) async throws -> NodePage {
        let endpoint = Endpoint(
            "nodes", query: [("state", query.state?.rawValue), ("role", query.role), ("after", query.after), ("limit", query.limit.map(String.init))])
        let (body, headers) = try await exchange(.GET, endpoint)
        let nodes = try JSONDecoder.crowbar.decode([Node].self, from: body)
        let hasNext = headers[canonicalForm: "Link"].contains { $0.hasSuffix(#"rel="next""#) }
        return NodePage(nodes: nodes, next: hasNext ? nodes.last?.name : nil)
    }

    /// `GET /nodes/{name}`.
    public func node(named name: String) async throws -> Node { try await send(.GET, Endpoint("nodes", name)) }

    /// `POST /nodes/discover`: registers (or updates) a node from a discovery report.
    public func register(_ report: DiscoveryReport) async throws -> Node {
        try await send(.POST, Endpoint("nodes", "discover"), body: report)
    }

    /// `POST /nodes/{name}/allocate`: `allocated`, with an admin address; with `os`, then `installing` that image onto
    /// `disk` (or the first disk large enough).
    public func allocate(node name: String, os: String? = nil, disk: String? = nil) async throws -> Node {
        try await send(.POST, Endpoint("nodes", name, "allocate"), body: AllocateRequest(os: os, disk: disk))
    }

    /// `POST /nodes/{name}/reinstall`: installs the node again with its last install's image and disk.
    public func reinstall(node name: String) async throws -> Node { try await send(.POST, Endpoint("nodes", name, "reinstall")) }

    /// `GET /nodes/{name}/install`: the node's latest install with its log.
    public func install(of name: String) async throws -> InstallStatus { try await send(.GET, Endpoint("nodes", name, "install")) }

    /// `POST /nodes/{name}/transition`.
    public func transition(node name: String, to state: NodeState, reason: String? = nil) async throws -> Node {
        try await send(.POST, Endpoint("nodes", name, "transition"), body: NodeTransitionRequest(state: state, reason: reason))
    }

    /// `DELETE /nodes/{name}`.
    public func deleteNode(named name: String) async throws { _ = try await send(.DELETE, Endpoint("nodes", name)) }
}

extension CrowbarClient {
    /// `GET /health` (no token needed).
    public func health() async throws -> HealthStatus { try await send(.GET, Endpoint("health")) }

    /// `GET /barclamps`: every barclamp in run order.
    public func barclamps() async throws -> [Barclamp] { try await send(.GET, Endpoint("barclamps")) }

    /// `GET /barclamps/{name}`.
    public func barclamp(named name: String) async throws -> Barclamp { try await send(.GET, Endpoint("barclamps", name)) }

    /// `GET /networks`: the networks in force with their allocations.
    public func networks() async throws -> [NetworkAllocations] { try await send(.GET, Endpoint("networks")) }

    /// `GET /events`: history after event `id`, optionally about one subject.
    public func events(after id: Int64 = 0, subject: String? = nil, limit: Int = 100) async throws -> [Event] {
        try await send(.GET, Endpoint("events", query: [("after", String(id)), ("subject", subject), ("limit", String(limit))]))
    }

    /// `GET /events?latest=true`: the newest event's id (0 when there is none): where a view that has just loaded
    /// everything starts following.
    public func latestEventID() async throws -> Int64 {
        let latest: [Event] = try await send(.GET, Endpoint("events", query: [("latest", "true")]))
        return latest.first?.id ?? 0
    }

    /// `GET /events?follow=true`: hands `onEvent` the events after `id` (optionally about one subject), then each new
    /// one as crowbard records it, until `limit` passes or crowbard ends the stream (it is going away: the caller
    /// reconnects after the last id it saw).
    public func followEvents(
        after id: Int64 = 0, subject: String? = nil, limit: TimeAmount = .hours(24), onEvent: (Event) async throws -> Void
    ) async throws {
        try await streamLines(Endpoint("events", query: [("after", String(id)), ("subject", subject), ("follow", "true")]), limit: limit) { data in
            try await onEvent(try JSONDecoder.crowbar.decode(Event.self, from: data))
        }
    }

    /// `GET /boot`: DHCP leases and the boot services' counters.
    public func bootStatus() async throws -> BootStatus { try await send(.GET, Endpoint("boot")) }

    /// `GET /plan`: the plan of every active proposal.
    public func planOfActive() async throws -> Plan { try await send(.GET, Endpoint("plan")) }
}
