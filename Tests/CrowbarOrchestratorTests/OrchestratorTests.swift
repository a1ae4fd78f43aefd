import CrowbarControl
import CrowbarCore
import CrowbarStore
import Foundation
import Logging
import Synchronization
import Testing

@testable import CrowbarOrchestrator

/// The orchestrator over a real SQLite file and the `steps` barclamp (Tests/Fixtures/orchestrator), its recipes run by
/// this machine's shell (``LocalShellTransport``): ordering, the parallelism bound, first-failure stop, cancel, and
/// resume after a crash at every boundary — as a normal user, in about a second. The lab test is the SSH proof.
@Suite final class OrchestratorTests {
    nonisolated static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/orchestrator")
    let folder: URL
    let catalog: BarclampCatalog
    let recipes = RecipeBook(root: fixtures.appendingPathComponent("recipes").path)

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-orchestrator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        catalog = try BarclampDirectory.load(Self.fixtures.appendingPathComponent("barclamps").path)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// The store as a restarted crowbard would open it.
    func openDatabase() throws -> CrowbarDatabase { try CrowbarDatabase.open(path: folder.appendingPathComponent("crowbar.sqlite").path) }

    final class NoScheduler: RunScheduler {
        func schedule(runID: Int64) {}
        func cancel(runID: Int64) async throws -> Bool { false }
    }

    /// Registers `nodes`, gives every role all of them, sets `attributes` and commits: answers the queued run.
    func queueRun(_ database: CrowbarDatabase, nodes: [String], attributes: [String: String] = [:]) async throws -> Run {
        let control = Control(catalog: catalog, database: database, scheduler: NoScheduler())
        for (index, name) in nodes.enumerated() {
            _ = try await control.nodes.register(
                DiscoveryReport(macs: [String(format: "52:54:00:00:01:%02x", index)], name: name, inventory: Inventory()))
        }
        _ = try await control.proposals.create(barclamp: "steps", proposal: "default")
        for role in ["steps-one", "steps-two", "steps-three"] {
            _ = try await control.proposals.assign(barclamp: "steps", proposal: "default", role: role, nodes: nodes)
        }
        let edits = attributes.map { AttributeEdit(path: $0.key, text: $0.value) }
        if !edits.isEmpty { _ = try await control.proposals.edit(barclamp: "steps", proposal: "default", edits: edits) }
        return try #require(try await control.proposals.commit(barclamp: "steps", proposal: "default", apply: true).run)
    }

    func executor(
        _ database: CrowbarDatabase, _ transport: LocalShellTransport, parallel: Int = 8,
        willPerform: @escaping @Sendable (RunProgress.Action) async throws -> Void = { _ in }
    ) -> RunExecutor {
        RunExecutor(
            database: database, catalog: catalog, recipes: recipes, transport: transport, maxParallelNodes: parallel,
            willPerform: willPerform)
    }

    func applies(_ recipe: String, _ nodes: String...) -> [LocalShellTransport.Apply] {
        nodes.map { LocalShellTransport.Apply(recipe: "steps/\(recipe)", node: $0) }
    }

    @Test func stepsRunInOrderEveryNodeOnceAndTheProposalEndsApplied() async throws {
        let database = try openDatabase()
        let run = try await queueRun(database, nodes: ["n1", "n2", "n3"])
        let transport = LocalShellTransport()
        guard case .finished(let finished) = try await executor(database, transport).execute(run, cancelRequested: { false }) else {
            Issue.record("the run was interrupted")
            return
        }
        #expect(finished.status == .succeeded)
        #expect(finished.steps.map(\.status) == [.succeeded, .succeeded, .succeeded])
        #expect(finished.steps.map { $0.results.map(\.node) } == [["n1", "n2", "n3"], ["n1", "n2", "n3"], ["n1", "n2", "n3"]])
        // Every apply of a step finished before the next step's first apply started.
        let order = transport.started.map(\.recipe)
        #expect(order == ["steps/steps-one"] * 3 + ["steps/steps-two"] * 3 + ["steps/steps-three"] * 3)
        #expect(Set(transport.finished) == Set(applies("steps-one", "n1", "n2", "n3") + applies("steps-two", "n1", "n2", "n3")
            + applies("steps-three", "n1", "n2", "n3")))
        #expect(try await database.proposal(barclamp: "steps", name: "default").status == .applied)
        let log = try await database.runLog(run.id).map(\.text)
        #expect(log.contains("two on n2"))
        #expect(log.contains("step 3/3: steps/steps-three (steps/default) on n1, n2, n3"))
    }

    @Test func noMoreNodesRunAtOnceThanTheBound() async throws {
        let database = try openDatabase()
        let run = try await queueRun(database, nodes: ["n1", "n2", "n3", "n4", "n5"], attributes: ["pause": "0.2"])
        let transport = LocalShellTransport()
        _ = try await executor(database, transport, parallel: 2).execute(run, cancelRequested: { false })
        #expect(transport.mostAtOnce == 2)
        #expect(transport.finished.count == 15)
    }

    @Test func theFirstFailureStopsTheRunNamingNodeResourceAndOutput() async throws {
        let database = try openDatabase()
        let run = try await queueRun(database, nodes: ["n1", "n2", "n3"], attributes: ["fail_on": "n2"])
        let transport = LocalShellTransport()
        guard case .finished(let failed) = try await executor(database, transport).execute(run, cancelRequested: { false }) else {
            Issue.record("the run was interrupted")
            return
        }
        #expect(failed.status == .failed)
        #expect(failed.steps.map(\.status) == [.succeeded, .failed, .pending])
        #expect(failed.failure?.step == 2)
        #expect(failed.failure?.node == "n2")
        #expect(failed.failure?.resource == "command echo failing on purpose on {{node.name}}; exit 3")
        #expect(failed.failure?.output == "failing on purpose on n2\n")
        // The step's other nodes finished; step three never started.
        #expect(failed.steps[1].results.map(\.succeeded) == [true, false, true])
        #expect(!transport.started.contains { $0.recipe == "steps/steps-three" })
        #expect(try await database.proposal(barclamp: "steps", name: "default").status == .failed)
    }

    @Test(.timeLimit(.minutes(1)))
    func anOperatorsCancelStopsAHungStepAndLaterStepsNeverStart() async throws {
        let database = try openDatabase()
        let run = try await queueRun(database, nodes: ["n1", "n2"], attributes: ["hang_on": "n1"])
        let hung = AsyncStream.makeStream(of: Void.self)
        let transport = LocalShellTransport { apply in
            if apply == LocalShellTransport.Apply(recipe: "steps/steps-two", node: "n1") { hung.continuation.yield() }
        }
        let orchestrator = Orchestrator(executor: executor(database, transport), logger: Logger(label: "test"))
        var cancelledAt = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await orchestrator.run() }
            orchestrator.schedule(runID: run.id)
            var waiter = hung.stream.makeAsyncIterator()
            _ = await waiter.next()
            try await Task.sleep(for: .milliseconds(200))  // the hang is under way
            cancelledAt = ContinuousClock.now
            #expect(try await orchestrator.cancel(runID: run.id))
            for _ in 0..<400 where try await !database.run(id: run.id).status.isFinished {
                try await Task.sleep(for: .milliseconds(50))
            }
            group.cancelAll()
        }
        let cancelled = try await database.run(id: run.id)
        #expect(cancelled.status == .cancelled)
        #expect(cancelled.steps.map(\.status) == [.succeeded, .cancelled, .pending])
        #expect(ContinuousClock.now - cancelledAt < .seconds(30), "the 60 s sleep was stopped, not waited for (timed from the cancel: a loaded machine runs step one slower; a CI run took 10.1 s)")
        #expect(!transport.started.contains { $0.recipe == "steps/steps-three" })
        #expect(try await database.proposal(barclamp: "steps", name: "default").status == .failed)
    }

    /// An operator cancelled a running run and crowbard went down before the run stopped: the cancel was stored, so
    /// the restarted orchestrator ends the run `cancelled` and applies nothing more.
    @Test(.timeLimit(.minutes(1)))
    func aCancelStoredBeforeACrashEndsTheRunAtTheNextStartInsteadOfResumingIt() async throws {
        let run = try await queueRun(try openDatabase(), nodes: ["n1", "n2"])
        let before = try openDatabase()
        try await before.markRunStarted(run.id)
        #expect(try await before.requestCancel(run.id, decide: RunOutcome.effects).status == .running, "still running until it stops")
        let restarted = try openDatabase()
        #expect(try await restarted.run(id: run.id).cancelRequestedAt != nil)
        let transport = LocalShellTransport()
        let orchestrator = Orchestrator(executor: executor(restarted, transport), logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await orchestrator.run() }
            for _ in 0..<100 where try await !restarted.run(id: run.id).status.isFinished {
                try await Task.sleep(for: .milliseconds(50))
            }
            group.cancelAll()
        }
        #expect(try await restarted.run(id: run.id).status == .cancelled)
        #expect(transport.started.isEmpty, "nothing applied after the restart")
        #expect(try await restarted.proposal(barclamp: "steps", name: "default").status == .failed)
    }

    struct SimulatedCrash: Error {}

    /// crowbard dies before action `k` of the run (every boundary between two steps, and before the end), then a new
    /// crowbard resumes from the store: the run succeeds, every node ran every step exactly once.
    @Test func aCrashAtEveryStepBoundaryResumesWithoutRedoingFinishedWork() async throws {
        let count = Mutex(0)
        do {
            let database = try openDatabase()
            let run = try await queueRun(database, nodes: ["n1", "n2"])
            _ = try await executor(database, LocalShellTransport()) { _ in count.withLock { $0 += 1 } }
                .execute(run, cancelRequested: { false })
        }
        let actions = count.withLock { $0 }
        #expect(actions == 7, "apply, record × 3 steps, then finish")
        for crashAt in 1...actions {
            try FileManager.default.removeItem(at: folder)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let transport = LocalShellTransport()
            let run = try await queueRun(try openDatabase(), nodes: ["n1", "n2"])
            let performed = Mutex(0)
            await #expect(throws: SimulatedCrash.self) {
                _ = try await self.executor(try self.openDatabase(), transport) { _ in
                    try performed.withLock { count in
                        count += 1
                        if count == crashAt { throw SimulatedCrash() }
                    }
                }.execute(run, cancelRequested: { false })
            }
            let restarted = try openDatabase()
            let stored = try await restarted.run(id: run.id)
            #expect(stored.status == .running, "crash before action \(crashAt): the run is left running")
            guard case .finished(let resumed) = try await executor(restarted, transport).execute(stored, cancelRequested: { false }) else {
                Issue.record("crash before action \(crashAt): the resumed run was interrupted")
                continue
            }
            #expect(resumed.status == .succeeded, "crash before action \(crashAt)")
            let all = applies("steps-one", "n1", "n2") + applies("steps-two", "n1", "n2") + applies("steps-three", "n1", "n2")
            #expect(transport.finished.sorted { $0.description < $1.description } == all.sorted { $0.description < $1.description },
                "crash before action \(crashAt): each step ran once on each node")
            #expect(try await restarted.proposal(barclamp: "steps", name: "default").status == .applied)
        }
    }

    /// crowbard stops in the middle of a step, one node done and the other not started: the resumed run applies the
    /// step only to the node that had not finished it.
    @Test func aStopInsideAStepRedoesOnlyTheUnfinishedNodes() async throws {
        let database = try openDatabase()
        let run = try await queueRun(database, nodes: ["n1", "n2"])
        let runTask = Mutex<Task<RunExecutor.Outcome, any Error>?>(nil)
        let transport = LocalShellTransport { apply in
            if apply == LocalShellTransport.Apply(recipe: "steps/steps-two", node: "n2") { runTask.withLock { $0?.cancel() } }
        }
        let interrupted = executor(database, transport, parallel: 1)
        let task = Task { try await interrupted.execute(run, cancelRequested: { false }) }
        runTask.withLock { $0 = task }
        do {
            if case .finished = try await task.value { Issue.record("the run was not interrupted") }
        } catch is CancellationError {
            // Stopped while writing to the store, as crowbard's shutdown can be: the same interruption.
        }
        let stored = try await openDatabase().run(id: run.id)
        #expect(stored.status == .running)
        #expect(stored.steps[1].results.map(\.node) == ["n1"])
        let resumed = try await executor(try openDatabase(), transport, parallel: 1).execute(stored, cancelRequested: { false })
        guard case .finished(let finished) = resumed else {
            Issue.record("the resumed run was interrupted")
            return
        }
        #expect(finished.status == .succeeded)
        let twos = transport.finished.filter { $0.recipe == "steps/steps-two" }.map(\.node)
        #expect(twos == ["n1", "n2"], "n1 is not applied again")
    }
}

extension Array {
    fileprivate static func * (elements: Array, times: Int) -> Array { Array((0..<times).flatMap { _ in elements }) }
}
