import CrowbarCore
import CrowbarStore
import Foundation
import Testing

@testable import CrowbarOrchestrator

/// The run's group commit over a real SQLite file: what is queued together is stored in one transaction, in order;
/// a node's result is stored when `record` returns; after the writer has stopped, writes still reach the store.
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
        async let drained: Void = journal.drain()
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
        await drained
        let lines = try await database.runLog(run.id, limit: 1_000)
        #expect(lines.map(\.text) == (1...200).map { "line \($0)" })
        // Written before the writer started, the 200 lines were one batch: one commit, one timestamp.
        #expect(Set(lines.map(\.at)).count == 1)
        #expect(try await database.run(id: run.id).steps[0].results.map(\.node).sorted() == nodes.sorted())
    }

    @Test func afterTheWriterHasStoppedWritesStillReachTheStore() async throws {
        let (database, run) = try await storeWithRun(nodes: ["n1"])
        let journal = RunJournal(database: database, run: run.id)
        journal.finish()
        await journal.drain()
        try await journal.record(Self.result("n1"), step: 2)
        #expect(try await database.run(id: run.id).steps[1].results.map(\.node) == ["n1"])
        journal.write(step: 2, node: "n1", "late line")
        var late: [RunLogLine] = []
        for _ in 0..<100 where late.isEmpty {
            late = try await database.runLog(run.id).filter { $0.text == "late line" }
            if late.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(late.count == 1, "a line written after the writer stopped is stored on its own (within 2 s)")
    }
}
