import CrowbarCore
import CrowbarStore
import Foundation
import Metrics
import Synchronization

/// One line for a run's log, before it is stored.
struct PendingLogLine: Sendable {
    var step: Int?
    var node: String?
    var text: String
}

/// Group commit for a run: log lines and nodes' results from many nodes queue here, and one writer stores what is
/// queued in one transaction, in order of arrival, while the next batch gathers — so the commits follow the store's
/// pace, not the node count. A node's result is waited for until it is stored (a resumed run trusts it); log lines
/// are not (a storage error drops them, never the run). The writer is its own task: cancelling the run does not stop
/// it, so what was queued is stored; after ``finish()``, lines are dropped and results stored on their own.
final class RunJournal: Sendable {
    private typealias QueuedResult = (step: Int, result: NodeApplyResult, stored: CheckedContinuation<Bool, any Error>)

    private struct Queue {
        var lines: [PendingLogLine] = []
        var results: [QueuedResult] = []
        var closed = false
    }

    private let database: CrowbarDatabase
    private let run: Int64
    private let queue = Mutex(Queue())
    private let commits = Counter(label: "crowbar_run_journal_commits_total")
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(database: CrowbarDatabase, run: Int64) {
        self.database = database
        self.run = run
        (wakeups, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func write(_ lines: [PendingLogLine]) {
        guard !lines.isEmpty else { return }
        queue.withLock { queue in
            if !queue.closed { queue.lines += lines }
        }
        wake.yield()
    }

    func write(step: Int?, node: String? = nil, _ text: String) {
        write([PendingLogLine(step: step, node: node, text: text)])
    }

    /// Returns once `result` is stored for `step`.
    func record(_ result: NodeApplyResult, step: Int) async throws {
        let storedByWriter = try await withCheckedThrowingContinuation { (stored: CheckedContinuation<Bool, any Error>) in
            let queued = queue.withLock { queue in
                if !queue.closed { queue.results.append((step, result, stored)) }
                return !queue.closed
            }
            if queued { wake.yield() } else { stored.resume(returning: false) }
        }
        if !storedByWriter { try await database.storeRunProgress(run, lines: [], results: [(step, result)]) }
    }

    /// Starts the writer: it stores what is queued, batch after batch, until ``finish()``, then what is left.
    func startWriter() -> Task<Void, Never> {
        Task {
            for await _ in wakeups { await storeQueued(closing: false) }
            await storeQueued(closing: true)
        }
    }

    /// Ends the writer once what is queued is stored (await the task ``startWriter()`` answered).
    func finish() { wake.finish() }

    private func storeQueued(closing: Bool) async {
        let (lines, results) = queue.withLock { queue in
            defer {
                queue.lines.removeAll(keepingCapacity: true)
                queue.results.removeAll(keepingCapacity: true)
                queue.closed = queue.closed || closing
            }
            return (queue.lines.map { ($0.step, $0.node, $0.text) }, queue.results)
        }
        let stored = results.map { ($0.step, $0.result) }
        do {
            do {
                try await database.storeRunProgress(run, lines: lines, results: stored)
            } catch where !lines.isEmpty && !stored.isEmpty {
                // The lines may be what the store refused; the results must not be lost with them.
                try await database.storeRunProgress(run, lines: [], results: stored)
            }
            if !lines.isEmpty || !stored.isEmpty { commits.increment() }
            for result in results { result.stored.resume(returning: true) }
        } catch {
            for result in results { result.stored.resume(throwing: error) }
        }
    }
}
