import CrowbarCore
import Foundation
import GRDB
import Testing

@testable import CrowbarStore

/// Store tests on a real SQLite file in a fresh folder; "restart" reopens the same file.
@Suite final class StoreTests {
    let folder: URL
    var path: String { folder.appendingPathComponent("crowbar.sqlite").path }

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func report(_ mac: String, memory: Int = 2048) -> DiscoveryReport {
        DiscoveryReport(macs: [mac], inventory: Inventory(cpuModel: "QEMU", cpuCount: 2, memoryMB: memory, disks: [.init(name: "vda", sizeBytes: 10_000_000_000)]))
    }

    let admin = NetworkDefinition(
        name: "admin", subnet: IPv4Address("192.168.124.0")!, netmask: IPv4Address("255.255.255.0")!, conduit: "intf0",
        ranges: [AddressRange(name: "host", start: IPv4Address("192.168.124.81")!, end: IPv4Address("192.168.124.83")!)])

    @Test func usesWALAndForeignKeys() async throws {
        let database = try CrowbarDatabase.open(path: path)
        let (mode, keys) = try await database.writer.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(mode == "wal")
        #expect(keys == 1)
        // Commits are synced before they return (2 = FULL), on the connection that writes.
        let synchronous = try await database.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(synchronous == 2)
    }

    @Test func nodesAndEventsSurviveARestart() async throws {
        do {
            let database = try CrowbarDatabase.open(path: path)
            let (node, created) = try await database.register(report("52:54:00:00:00:01"))
            #expect(created)
            #expect(node.name == "d52-54-00-00-00-01")
            #expect(node.state == .discovered)
            try await database.transition(node: node.name, to: .allocated, reason: "test")
        }
        let reopened = try CrowbarDatabase.open(path: path)
        let nodes = try await reopened.nodes()
        #expect(nodes.map(\.name) == ["d52-54-00-00-00-01"])
        #expect(nodes[0].state == .allocated)
        #expect(nodes[0].inventory.disks.first?.sizeBytes == 10_000_000_000)
        let events = try await reopened.events(subject: "d52-54-00-00-00-01")
        #expect(events.map(\.kind) == [.nodeRegistered, .nodeTransition])
        #expect(events.last?.fromState == "discovered")
        #expect(events.last?.toState == "allocated")
    }

    @Test func rediscoveryUpdatesTheSameNode() async throws {
        let database = try CrowbarDatabase.open(path: path)
        _ = try await database.register(report("52:54:00:00:00:02"))
        let (again, created) = try await database.register(
            DiscoveryReport(macs: ["52-54-00-00-00-02", "52:54:00:00:00:99"], inventory: Inventory(memoryMB: 4096)))
        #expect(!created)
        #expect(again.inventory.memoryMB == 4096)
        #expect(again.macs.map(\.description) == ["52:54:00:00:00:02", "52:54:00:00:00:99"])
        #expect(try await database.nodes().count == 1)
    }

    @Test func illegalTransitionIsRefusedAndLeavesNoEvent() async throws {
        let database = try CrowbarDatabase.open(path: path)
        let (node, _) = try await database.register(report("52:54:00:00:00:03"))
        await #expect(throws: IllegalTransition.self) { try await database.transition(node: node.name, to: .ready, reason: "skip") }
        #expect(try await database.node(named: node.name).state == .discovered)
        #expect(try await database.events(subject: node.name).count == 1)
    }

    @Test func bootNetworkReportsCannotTouchNodesPastDiscovery() async throws {
        let database = try CrowbarDatabase.open(path: path)
        var spoof = report("52:54:00:00:05:01")
        spoof.name = "chosen"
        spoof.sshHostKey = HostKeyPin(type: "ssh-ed25519", fingerprint: "SHA256:attacker")
        let (node, created) = try await database.register(spoof, from: .bootNetwork)
        #expect(created && node.name == "d52-54-00-00-05-01" && node.sshHostKey == nil)
        // Rediscovery while discovered may update the inventory, but not attach another MAC.
        let grown = DiscoveryReport(macs: ["52:54:00:00:05:01", "52:54:00:00:05:02"], inventory: Inventory(memoryMB: 1))
        #expect(try await database.register(grown, from: .bootNetwork).node.macs.map(\.description) == ["52:54:00:00:05:01"])
        _ = try await database.allocate(node: node.name, adminNetwork: admin)
        await #expect(throws: CrowbarError.self) { try await database.register(self.report("52:54:00:00:05:01"), from: .bootNetwork) }
        #expect(try await database.node(named: node.name).inventory.memoryMB == 1, "an allocated node's record is untouched")
    }

    @Test func addressesAreDeterministicDurableAndExhaustible() async throws {
        var names: [String] = []
        do {
            let database = try CrowbarDatabase.open(path: path)
            for index in 1...4 { names.append(try await database.register(report("52:54:00:00:01:0\(index)")).node.name) }
            let first = try await database.allocateAddress(node: names[0], network: admin, rangeName: "host")
            let second = try await database.allocateAddress(node: names[1], network: admin, rangeName: "host")
            #expect(first.description == "192.168.124.81")
            #expect(second.description == "192.168.124.82")
            #expect(try await database.allocateAddress(node: names[0], network: admin, rangeName: "host") == first)
        }
        let database = try CrowbarDatabase.open(path: path)
        #expect(try await database.node(named: names[0]).adminAddress?.description == "192.168.124.81")
        #expect(try await database.allocateAddress(node: names[2], network: admin, rangeName: "host").description == "192.168.124.83")
        await #expect(throws: AddressExhausted.self) { try await database.allocateAddress(node: names[3], network: admin, rangeName: "host") }
        try await database.deleteNode(named: names[1])
        #expect(try await database.allocateAddress(node: names[3], network: admin, rangeName: "host").description == "192.168.124.82")
    }

    @Test func concurrentAllocationsNeverShareAnAddress() async throws {
        let database = try CrowbarDatabase.open(path: path)
        let wide = NetworkDefinition(
            name: "admin", subnet: IPv4Address("10.1.0.0")!, netmask: IPv4Address("255.255.0.0")!, conduit: "intf0",
            ranges: [AddressRange(name: "host", start: IPv4Address("10.1.0.1")!, end: IPv4Address("10.1.3.254")!)])
        var names: [String] = []
        for index in 0..<40 { names.append(try await database.register(report(String(format: "52:54:00:00:02:%02x", index))).node.name) }
        let addresses = try await withThrowingTaskGroup(of: IPv4Address.self) { group in
            for name in names { group.addTask { try await database.allocateAddress(node: name, network: wide, rangeName: "host") } }
            return try await group.reduce(into: [IPv4Address]()) { $0.append($1) }
        }
        #expect(Set(addresses).count == 40)
        #expect(addresses.max()!.description == "10.1.0.40")
    }

    @Test func proposalsAndRevisionsSurviveARestart() async throws {
        let first = ProposalContent(attributes: .map(["port": .integer(1)]), deployment: ["server": []])
        do {
            let database = try CrowbarDatabase.open(path: path)
            _ = try await database.createProposal(barclamp: "demo", name: "default", content: first)
            await #expect(throws: CrowbarError.self) { try await database.createProposal(barclamp: "demo", name: "default", content: first) }
            let revision = try await database.commitProposal(barclamp: "demo", name: "default") { _ in }.revision
            #expect(revision.revision == 1)
            let edited = try await database.updateProposal(barclamp: "demo", name: "default") { content in
                var changed = content
                changed.attributes = .map(["port": .integer(2)])
                return changed
            }
            #expect(edited.hasPendingChanges)
            #expect(edited.status == .committed)
            _ = try await database.commitProposal(barclamp: "demo", name: "default") { _ in }
        }
        let database = try CrowbarDatabase.open(path: path)
        let revisions = try await database.revisions(barclamp: "demo", name: "default")
        #expect(revisions.map(\.revision) == [1, 2])
        #expect(revisions[0].content == first)
        #expect(revisions[1].content.attributes == .map(["port": .integer(2)]))
        let proposal = try await database.proposal(barclamp: "demo", name: "default")
        #expect(proposal.revision == 2)
        #expect(!proposal.hasPendingChanges)
    }

    @Test func refusedCommitWritesNothing() async throws {
        let database = try CrowbarDatabase.open(path: path)
        _ = try await database.createProposal(barclamp: "demo", name: "p", content: ProposalContent(attributes: .map([:]), deployment: [:]))
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await database.commitProposal(barclamp: "demo", name: "p") { _ in throw Refused() } }
        #expect(try await database.revisions(barclamp: "demo", name: "p").isEmpty)
        #expect(try await database.proposal(barclamp: "demo", name: "p").status == .draft)
    }

    /// A commit and the run that applies it are one transaction: a run that cannot be queued takes the revision with it.
    @Test func aCommitAndItsRunAreWrittenTogetherOrNotAtAll() async throws {
        let database = try CrowbarDatabase.open(path: path)
        _ = try await database.createProposal(barclamp: "demo", name: "p", content: ProposalContent(attributes: .map([:]), deployment: [:]))
        struct Unplannable: Error {}
        let failing = CommitRun(request: { _ in throw Unplannable() }, decide: RunOutcome.effectsOfQueuing)
        await #expect(throws: Unplannable.self) { try await database.commitProposal(barclamp: "demo", name: "p", validate: { _ in }, queue: failing) }
        #expect(try await database.revisions(barclamp: "demo", name: "p").isEmpty)
        #expect(try await database.runs().isEmpty)
        let queue = CommitRun(
            request: { RunRequest(plan: Plan(steps: []), barclamp: $0.barclamp, proposal: $0.proposal, revision: $0.revision) },
            decide: RunOutcome.effectsOfQueuing)
        let committed = try await CrowbarDatabase.open(path: path).commitProposal(barclamp: "demo", name: "p", validate: { _ in }, queue: queue)
        #expect(committed.run?.revision == committed.revision.revision)
        #expect(try await database.proposal(barclamp: "demo", name: "p").status == .applying, "queuing's effect applied in the same write")
    }

    /// A node's move and the run it queues are one transaction; so are successive moves.
    @Test func aNodeMovesWithItsRunOrNotAtAll() async throws {
        let database = try CrowbarDatabase.open(path: path)
        let node = try await database.register(report("52:54:00:00:09:01")).node.name
        let request = RunRequest(plan: Plan(steps: []), transitionNode: node)
        await #expect(throws: IllegalTransition.self) {
            try await database.transition(node: node, through: [(.installing, "not allocated")], queue: (request, RunOutcome.effectsOfQueuing))
        }
        #expect(try await database.runs().isEmpty)
        let moved = try await database.transition(
            node: node, through: [(.allocated, "test"), (.installing, "test")], queue: (request, RunOutcome.effectsOfQueuing))
        #expect(moved.node.state == .installing)
        #expect(moved.run?.transitionNode == node)
    }

    @Test func activeProposalMustBeDeactivatedBeforeDelete() async throws {
        let database = try CrowbarDatabase.open(path: path)
        _ = try await database.createProposal(barclamp: "demo", name: "p", content: ProposalContent(attributes: .map([:]), deployment: [:]))
        _ = try await database.commitProposal(barclamp: "demo", name: "p") { _ in }
        await #expect(throws: CrowbarError.self) { try await database.deleteProposal(barclamp: "demo", name: "p") }
        try await database.setProposalStatus(barclamp: "demo", name: "p", to: .deactivated, reason: "test")
        try await database.deleteProposal(barclamp: "demo", name: "p")
        let orphans = try await database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM proposalRevisions") }
        #expect(orphans == 0)
        await #expect(throws: CrowbarError.self) { try await database.proposal(barclamp: "demo", name: "p") }
    }

    @Test func committedProposalsReadEachLastRevisionOrThePinnedOneAndNeverAStaleDecode() async throws {
        let database = try CrowbarDatabase.open(path: path)
        @Sendable func content(_ value: String) -> ProposalContent { ProposalContent(attributes: .map(["v": .string(value)]), deployment: ["r": [value]]) }
        func read(_ pinned: (barclamp: String, name: String, revision: Int)? = nil) async throws -> [String] {
            try await database.committedProposals(pinning: pinned).map { "\($0.barclamp)/\($0.name)@\($0.revision) \($0.status.rawValue) \($0.content.deployment["r"]?.first ?? "")" }
        }
        _ = try await database.createProposal(barclamp: "demo", name: "draft", content: content("never"))
        _ = try await database.createProposal(barclamp: "demo", name: "p", content: content("one"))
        _ = try await database.commitProposal(barclamp: "demo", name: "p") { _ in }
        _ = try await database.updateProposal(barclamp: "demo", name: "p") { _ in content("two") }
        _ = try await database.commitProposal(barclamp: "demo", name: "p") { _ in }
        _ = try await database.updateProposal(barclamp: "demo", name: "p") { _ in content("working copy") }
        #expect(try await read() == ["demo/p@2 committed two"])
        #expect(try await read((barclamp: "demo", name: "p", revision: 1)) == ["demo/p@1 committed one"])
        await #expect(throws: CrowbarError.self) { try await read((barclamp: "demo", name: "p", revision: 3)) }
        // Deleted and made again, revision 1 is another content: the cache is keyed by the stored JSON, not the name.
        try await database.setProposalStatus(barclamp: "demo", name: "p", to: .deactivated, reason: "test")
        try await database.deleteProposal(barclamp: "demo", name: "p")
        _ = try await database.createProposal(barclamp: "demo", name: "p", content: content("again"))
        _ = try await database.commitProposal(barclamp: "demo", name: "p") { _ in }
        #expect(try await read((barclamp: "demo", name: "p", revision: 1)) == ["demo/p@1 committed again"])
    }
}
