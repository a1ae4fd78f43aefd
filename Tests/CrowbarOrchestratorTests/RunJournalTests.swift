import CrowbarCore
import CrowbarStore
import Foundation
import Testing

@testable import CrowbarOrchestrator

/// The run's group commit over a real SQLite file: what is queued together is stored in one transaction, in order;
/// a node's result is stored when `record` returns; a cancelled run's queue is still stored; after the writer has
/// stopped, a result still reaches the store.
@Suite final class RunJournalTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-journal-\(UUID().uuidString)")

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// A store with one queued run of the `steps` fixture on `nodes`.
    func storeWithRun(nodes: [String]) async throws -> (CrowbarDatabase, Run) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let database = try CrowbarDatabase.open(path: folder.appendingPathComponent("crowbar.sqlite").path)
        let run = try await OrchestratorTests().queueRun(database, nodes: nodes)
        return (database, run)
    }

    static func result(_ node: String) -> NodeApplyResult {
        NodeApplyResult(node: node, succeeded: true, resources: [ResourceResult(index: 1, resource: "x", status: .ok, output: "")], startedAt: Date(), finishedAt: Date())
    }

    @Test func linesQueuedTogetherAreOneTransactionInOrderAndEachResultIsStoredWhenRecordReturns() async throws {
        let nodes = (1...40).map { "n\($0)" }
        let (database, run) = try await storeWithRun(nodes: nodes)
        let journal = RunJournal(database: database, run: run.id)
        for index in 1...200 { journal.write(step: 1, node: "n1", "line \(index)") }
        let writer = journal.startWriter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in nodes {
                group.addTask {
                    try await journal.record(Self.result(node), step: 1)
                    let stored = try await database.run(id: run.id).steps[0].results.map(\.node)
                    #expect(stored.contains(node), "\(node)'s result is in the store once record returns")
                }
            }
            try await group.waitForAll()
        }
        journal.finish()
        await writer.value
        let lines = try await database.runLog(run.id, limit: 1_000)
        #expect(lines.map(\.text) == (1...200).map { "line \($0)" })
        // Written before the writer started, the 200 lines were one batch: one commit, one timestamp.
        #expect(Set(lines.map(\.at)).count == 1)
        #expect(try await database.run(id: run.id).steps[0].results.map(\.node).sorted() == nodes.sorted())
    }

    @Test func whatACancelledRunQueuedIsStillStored() async throws {
        let (database, run) = try await storeWithRun(nodes: ["n1"])
        let journal = RunJournal(database: database, run: run.id)
        // The run's task is cancelled (a shutdown) while its writer runs and lines keep coming.
        let runTask = Task {
            let writer = journal.startWriter()
            withUnsafeCurrentTask { $0?.cancel() }
            for index in 1...50 { journal.write(step: 1, node: "n1", "line \(index)") }
            journal.finish()
            await writer.value
        }
        await runTask.value
        #expect(try await database.runLog(run.id).map(\.text) == (1...50).map { "line \($0)" })
    }

    @Test func afterTheWriterHasStoppedAResultStillReachesTheStore() async throws {
        let (database, run) = try await storeWithRun(nodes: ["n1"])
        let journal = RunJournal(database: database, run: run.id)
        let writer = journal.startWriter()
        journal.finish()
        await writer.value
        try await journal.record(Self.result("n1"), step: 2)
        #expect(try await database.run(id: run.id).steps[1].results.map(\.node) == ["n1"])
    }
}
