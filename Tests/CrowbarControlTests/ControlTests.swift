import CrowbarControl
import CrowbarCore
import CrowbarStore
import Foundation
import Synchronization
import Testing

/// The application layer over a real (in-memory) SQLite store and the shipped barclamps; the scheduler only records
/// what it was given (the orchestrator's own tests run runs).
@Suite struct ControlTests {
    static let barclamps = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("barclamps").path

    final class RecordingScheduler: RunScheduler {
        let scheduled = Mutex<[Int64]>([])
        func schedule(runID: Int64) { scheduled.withLock { $0.append(runID) } }
        func cancel(runID: Int64) async throws -> Bool { false }
    }

    let database: CrowbarDatabase
    let scheduler = RecordingScheduler()
    let control: Control

    init() throws {
        database = try CrowbarDatabase.inMemory()
        control = Control(
            catalog: try BarclampDirectory.load(Self.barclamps), database: database, scheduler: scheduler, generateSecret: { "s3cret-value" })
    }

    func discover(_ mac: String) async throws -> String {
        try await control.nodes.register(DiscoveryReport(macs: [mac], inventory: Inventory())).node.name
    }

    @Test func assignRefusesAnUnknownNodeAndChangesNothing() async throws {
        _ = try await control.proposals.create(barclamp: "provisioner", proposal: "default")
        let error = await #expect(throws: ProposalIssue.self) {
            try await control.proposals.assign(barclamp: "provisioner", proposal: "default", role: "provisioner-server", nodes: ["d52-54-00-12-34-56"])
        }
        #expect(error?.field == "deployment.provisioner-server")
        #expect(error?.message.contains("no node named 'd52-54-00-12-34-56'") == true)
        #expect(try await control.proposals.proposal(barclamp: "provisioner", proposal: "default").content.deployment["provisioner-server"] == [])
        let known = try await discover("52:54:00:12:34:56")
        let assigned = try await control.proposals.assign(barclamp: "provisioner", proposal: "default", role: "provisioner-server", nodes: [known])
        #expect(assigned.content.deployment["provisioner-server"] == [known])
    }

    @Test func commitQueuesARunAndTheProposalIsApplyingUntilItsEnd() async throws {
        let node = try await discover("52:54:00:00:00:01")
        _ = try await control.proposals.create(barclamp: "provisioner", proposal: "default")
        _ = try await control.proposals.assign(barclamp: "provisioner", proposal: "default", role: "provisioner-server", nodes: [node])
        let result = try await control.proposals.commit(barclamp: "provisioner", proposal: "default", apply: true)
        let run = try #require(result.run)
        #expect(scheduler.scheduled.withLock { $0 } == [run.id])
        #expect(try await control.proposals.proposal(barclamp: "provisioner", proposal: "default").status == .applying)
        let refused = await #expect(throws: IllegalProposalTransition.self) {
            try await control.proposals.deactivate(barclamp: "provisioner", proposal: "default")
        }
        #expect(refused?.from == .applying)
        _ = try await database.finishRun(run.id, status: .succeeded, failure: nil, decide: RunOutcome.effects)
        #expect(try await control.proposals.proposal(barclamp: "provisioner", proposal: "default").status == .applied)
        #expect(try await control.proposals.deactivate(barclamp: "provisioner", proposal: "default").status == .deactivated)
    }

    @Test func anOldRunEndingAfterANewerCommitLeavesTheNewerRevisionCommitted() async throws {
        let node = try await discover("52:54:00:00:00:02")
        _ = try await control.proposals.create(barclamp: "provisioner", proposal: "default")
        _ = try await control.proposals.assign(barclamp: "provisioner", proposal: "default", role: "provisioner-server", nodes: [node])
        let first = try #require(try await control.proposals.commit(barclamp: "provisioner", proposal: "default", apply: true).run)
        _ = try await control.proposals.commit(barclamp: "provisioner", proposal: "default", apply: false)
        _ = try await database.finishRun(first.id, status: .succeeded, failure: nil, decide: RunOutcome.effects)
        let proposal = try await control.proposals.proposal(barclamp: "provisioner", proposal: "default")
        #expect(proposal.status == .committed)
        #expect(proposal.revision == 2)
    }

    @Test func readyingWithNothingToApplyIsReadyAtOnceAndWithABarclampQueuesATransitionRun() async throws {
        let first = try await discover("52:54:00:00:00:03")
        _ = try await control.nodes.allocate(first)
        for state in [NodeState.installing, .installed] { _ = try await control.nodes.transition(first, to: state, reason: "test") }
        #expect(try await control.nodes.transition(first, to: .readying, reason: "test").state == .ready)
        #expect(scheduler.scheduled.withLock { $0 }.isEmpty)

        _ = try await control.proposals.create(barclamp: "provisioner", proposal: "default")
        _ = try await control.proposals.assign(barclamp: "provisioner", proposal: "default", role: "provisioner-server", nodes: [first])
        _ = try await control.proposals.commit(barclamp: "provisioner", proposal: "default", apply: false)
        let second = try await discover("52:54:00:00:00:04")
        _ = try await control.nodes.allocate(second)
        for state in [NodeState.installing, .installed] { _ = try await control.nodes.transition(second, to: state, reason: "test") }
        #expect(try await control.nodes.transition(second, to: .readying, reason: "test").state == .readying)
        let runID = try #require(scheduler.scheduled.withLock { $0 }.last)
        let run = try await control.runs.run(runID)
        #expect(run.transitionNode == second)
        #expect(run.steps.allSatisfy { $0.plan.nodes == [second] })
        // The node joined the provisioner's transition role in a new committed revision.
        let provisioner = try await control.proposals.proposal(barclamp: "provisioner", proposal: "default")
        #expect(provisioner.content.deployment.values.contains { $0.contains(second) })
        _ = try await database.finishRun(runID, status: .failed, failure: nil, decide: RunOutcome.effects)
        #expect(try await control.nodes.node(named: second).state == .problem)
    }

    @Test func nodesEnteringReadyingTogetherAllJoinTheTransitionRoleAndEachGetsItsRun() async throws {
        let server = try await discover("52:54:00:00:01:00")
        _ = try await control.proposals.create(barclamp: "provisioner", proposal: "default")
        _ = try await control.proposals.assign(barclamp: "provisioner", proposal: "default", role: "provisioner-server", nodes: [server])
        _ = try await control.proposals.commit(barclamp: "provisioner", proposal: "default", apply: false)
        var nodes: [String] = []
        for index in 1...8 {
            let node = try await discover(String(format: "52:54:00:00:01:%02x", index))
            _ = try await control.nodes.allocate(node)
            for state in [NodeState.installing, .installed] { _ = try await control.nodes.transition(node, to: state, reason: "test") }
            nodes.append(node)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in nodes {
                group.addTask { _ = try await control.nodes.transition(node, to: .readying, reason: "installed together") }
            }
            try await group.waitForAll()
        }
        // Every node kept its place (no read-modify-write lost one) in the last committed revision, and each has its own run.
        let proposal = try await control.proposals.proposal(barclamp: "provisioner", proposal: "default")
        let committed = try await database.revision(barclamp: "provisioner", name: "default", number: proposal.revision)
        for node in nodes {
            #expect(committed.content.deployment.values.contains { $0.contains(node) }, "\(node) in the committed deployment")
        }
        var runs: [Run] = []
        for id in scheduler.scheduled.withLock({ $0 }) { runs.append(try await control.runs.run(id)) }
        #expect(Set(runs.compactMap(\.transitionNode)) == Set(nodes))
        #expect(runs.allSatisfy { run in run.steps.allSatisfy { $0.plan.nodes == [run.transitionNode ?? ""] } })
        for node in nodes { #expect(try await control.nodes.node(named: node).state == .readying) }
    }

    @Test func secretsAreMaskedUnlessAsked() async throws {
        let created = try await control.proposals.create(barclamp: "database", proposal: "default")
        let masked = String(decoding: try JSONEncoder.crowbar.encode(created), as: UTF8.self)
        #expect(!masked.contains("s3cret-value"))
        let shown = try await control.proposals.proposal(barclamp: "database", proposal: "default", showSecrets: true)
        #expect(String(decoding: try JSONEncoder.crowbar.encode(shown), as: UTF8.self).contains("s3cret-value"))
    }

    /// A proposal whose barclamp file was removed: nothing says which values are secrets, so every string is masked.
    @Test func secretsStayMaskedWhenTheBarclampIsGone() async throws {
        _ = try await control.proposals.create(barclamp: "database", proposal: "default")
        let catalog = try BarclampDirectory.load(Self.barclamps)
        let without = Control(
            catalog: try BarclampCatalog(catalog.runOrder.filter { $0.name != "database" && $0.requires.isEmpty }),
            database: database, scheduler: scheduler)
        let listed = try await without.proposals.list()
        let text = String(decoding: try JSONEncoder.crowbar.encode(listed), as: UTF8.self)
        #expect(listed.map(\.barclamp) == ["database"])
        #expect(!text.contains("s3cret-value"), "\(text)")
        #expect(text.contains(SecretPaths.mask))
        let asked = try await without.proposals.list(showSecrets: true)
        #expect(String(decoding: try JSONEncoder.crowbar.encode(asked), as: UTF8.self).contains("s3cret-value"))
    }
}
