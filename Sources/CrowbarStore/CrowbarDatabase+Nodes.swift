import CrowbarCore
import Foundation
import GRDB

extension CrowbarDatabase {
    /// Every node, sorted by name.
    public func nodes() async throws -> [Node] { try await nodes(NodeQuery()).nodes }

    /// The nodes `query` selects, sorted by name: one page of them when it has a limit.
    public func nodes(_ query: NodeQuery) async throws -> NodePage {
        try await writer.read { db in
            var request = NodeRecord.order(Column("name"))
            if let state = query.state { request = request.filter(Column("state") == state.rawValue) }
            if let after = query.after { request = request.filter(Column("name") > after) }
            if let role = query.role {
                request = request.filter(
                    sql: "name IN (SELECT assigned.value FROM proposals, json_each(proposals.content, '$.deployment.' || json_quote(?)) AS assigned)",
                    arguments: [role])
            }
            if let limit = query.limit { request = request.limit(limit + 1) }
            var records = try request.fetchAll(db)
            var next: String?
            if let limit = query.limit, records.count > limit {
                records.removeLast(records.count - limit)
                next = records.last?.name
            }
            // Up to a page, only the listed nodes' MACs; beyond it one scan of them all costs less than a long IN list.
            let listed = records.map(\.name)
            let macRequest = listed.count <= NodeQuery.maxLimit ? NodeMACRecord.filter(listed.contains(Column("nodeName"))) : NodeMACRecord.all()
            let macs = Dictionary(grouping: try macRequest.order(Column("position")).fetchAll(db), by: \.nodeName)
            let nodes = records.map { record in record.node(macs: macs[record.name]?.map(\.mac) ?? []) }
            return NodePage(nodes: nodes, next: next)
        }
    }

    /// The node called `name`, or a `notFound` error.
    public func node(named name: String) async throws -> Node {
        try await writer.read { db in try Self.fetchNode(name, in: db) }
    }

    /// Where a discovery report came from, which decides what it may change.
    public enum ReportSource: Sendable {
        /// The token-protected API: any node, new MACs attached, name and host key taken.
        case api
        /// The open boot service on the admin network: new nodes, or updates of nodes still in discovery; no new
        /// MACs attached to a known node, no name, no host key, and the address is the boot MAC's DHCP lease
        /// whatever the report says.
        case bootNetwork
    }

    /// Registers what the discovery agent reported. A report whose MACs match a known node
    /// updates that node's inventory; otherwise a new node is created in `discovered`.
    /// Returns the node and whether it was created.
    public func register(_ report: DiscoveryReport, from source: ReportSource = .api, now: Date = Date()) async throws -> (node: Node, created: Bool) {
        let trusted = source == .api
        let hostKey = trusted ? report.sshHostKey : nil
        try report.checkSize()
        var macs: [MACAddress] = []
        var seen: Set<MACAddress> = []
        for text in report.macs {
            guard let mac = MACAddress(text) else { throw CrowbarError(.invalid, "'\(text)' is not a MAC address") }
            if seen.insert(mac).inserted { macs.append(mac) }
        }
        guard let bootMAC = macs.first else { throw CrowbarError(.invalid, "a discovery report needs at least one MAC address") }
        let macTexts = macs.map(\.description)
        return try await write { db in
            let address = trusted ? report.address : try DHCPLeaseRecord.fetchOne(db, key: macTexts[0])?.lease?.address.description
            let owners = try NodeMACRecord.filter(macTexts.contains(Column("mac"))).fetchAll(db)
            let ownerNames = Set(owners.map(\.nodeName))
            if ownerNames.count > 1 {
                throw CrowbarError(.conflict, "the reported MACs belong to different nodes: \(ownerNames.sorted().joined(separator: ", "))")
            }
            if let existing = ownerNames.first {
                var record = try NodeRecord.fetchOne(db, key: existing)!
                if !trusted, ![.discovering, .discovered].contains(record.state) {
                    throw CrowbarError(.conflict, "node \(existing) is \(record.state.rawValue): the boot network only reports nodes in discovery")
                }
                record.inventory = report.inventory
                record.bootAddress = address ?? record.bootAddress
                record.sshHostKey = hostKey ?? record.sshHostKey
                record.updatedAt = now
                try record.update(db)
                let known = try NodeMACRecord.filter(Column("nodeName") == existing).fetchCount(db)
                for (offset, mac) in macTexts.enumerated() where trusted && !owners.contains(where: { $0.mac == mac }) {
                    try NodeMACRecord(mac: mac, nodeName: existing, position: known + offset).insert(db)
                }
                try Self.appendEvent(.nodeRegistered, subject: existing, message: "inventory updated", at: now, in: db)
                return (try Self.fetchNode(existing, in: db), false)
            }
            let name = (trusted ? report.name : nil) ?? Node.defaultName(bootMAC: bootMAC)
            guard Identifier.isValid(name) else { throw CrowbarError(.invalid, "'\(name)' is not a node name: \(Identifier.rule)") }
            if try NodeRecord.exists(db, key: name) {
                throw CrowbarError(.conflict, "a node named \(name) already exists with other MACs")
            }
            try NodeRecord(
                name: name, state: .discovered, inventory: report.inventory, bootAddress: address,
                sshHostKey: hostKey, createdAt: now, updatedAt: now
            ).insert(db)
            for (position, mac) in macTexts.enumerated() {
                try NodeMACRecord(mac: mac, nodeName: name, position: position).insert(db)
            }
            try Self.appendEvent(.nodeRegistered, subject: name, to: NodeState.discovered.rawValue, message: "discovered with MAC \(macTexts[0])", at: now, in: db)
            return (try Self.fetchNode(name, in: db), true)
        }
    }

    /// Moves a node to `state` if the lifecycle table allows it, recording an event.
    @discardableResult
    public func transition(node name: String, to state: NodeState, reason: String, now: Date = Date()) async throws -> Node {
        try await transition(node: name, through: [(state, reason)], now: now).node
    }

    /// Moves a node through `moves` in order (each allowed by the lifecycle table, each an event) and queues `run`
    /// when given, all in one transaction: a crash leaves the node where it was, or moved with its run queued.
    public func transition(
        node name: String, through moves: [(state: NodeState, reason: String)],
        queue run: (request: RunRequest, decide: RunQueuingDecision)? = nil, now: Date = Date()
    ) async throws -> (node: Node, run: Run?) {
        try await write { db in
            for move in moves { try Self.transition(name, to: move.state, reason: move.reason, now: now, in: db) }
            let queued = try run.map { try Self.insertRun($0.request, decide: $0.decide, now: now, in: db) }
            CrashPoint.reach("transition.in-transaction")
            return (try Self.fetchNode(name, in: db), queued)
        }
    }

    /// Deletes a node: records its move to `deleted`, then removes it with its MACs and addresses.
    public func deleteNode(named name: String, now: Date = Date()) async throws {
        try await write { db in
            try Self.transition(name, to: .deleted, reason: "deleted by operator", now: now, in: db)
            _ = try NodeRecord.deleteOne(db, key: name)
        }
    }

    /// Moves a `discovered` node to `allocated` and gives it an admin address from the
    /// network's `host` range, in one transaction.
    public func allocate(node name: String, adminNetwork: NetworkDefinition, now: Date = Date()) async throws -> Node {
        try await write { db in
            try Self.transition(name, to: .allocated, reason: "allocated by operator", now: now, in: db)
            _ = try Self.allocateAddress(node: name, network: adminNetwork, rangeName: "host", now: now, in: db)
            return try Self.fetchNode(name, in: db)
        }
    }

    static func transition(_ name: String, to state: NodeState, reason: String, now: Date, in db: Database) throws {
        guard var record = try NodeRecord.fetchOne(db, key: name) else { throw CrowbarError(.notFound, "no node named \(name)") }
        let from = record.state
        try NodeLifecycle.validate(node: name, from: from, to: state)
        record.state = state
        record.updatedAt = now
        try record.update(db)
        try appendEvent(.nodeTransition, subject: name, from: from.rawValue, to: state.rawValue, message: reason, at: now, in: db)
    }

    static func fetchNode(_ name: String, in db: Database) throws -> Node {
        guard let record = try NodeRecord.fetchOne(db, key: name) else { throw CrowbarError(.notFound, "no node named \(name)") }
        let macs = try NodeMACRecord.filter(Column("nodeName") == name).order(Column("position")).fetchAll(db).map(\.mac)
        return record.node(macs: macs)
    }
}
