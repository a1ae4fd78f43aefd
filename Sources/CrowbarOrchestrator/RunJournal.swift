import CrowbarCore
import CrowbarStore
import Foundation
import Synchronization

/// One line for a run's log, before it is stored.
struct PendingLogLine: Sendable {
    var step: Int?
    var node: String?
    var text: String
}

/// Group commit for a run: log lines and nodes' results from many nodes queue here, and one writer stores everything
/// queued in one transaction, in order of arrival — a step on 10,000 nodes costs a few commits rather than 20,000.
/// A node's result is waited for until it is stored (a resumed run trusts it); log lines are not (a storage error
/// drops them, never the run). Once the writer has stopped, each write goes to the store on its own.
final class RunJournal: Sendable {
    private struct Queue {
        var lines: [PendingLogLine] = []
        var results: [(step: Int, result: NodeApplyResult, stored: CheckedContinuation<Void, any Error>)] = []
        var closed = false
    }

    private let database: CrowbarDatabase
    private let run: Int64
    private let queue = Mutex(Queue())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(database: CrowbarDatabase, run: Int64) {
        self.database = database
        self.run = run
        (wakeups, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func write(_ lines: [PendingLogLine]) {
        guard !lines.isEmpty else { return }
        let queued = queue.withLock { queue in
            if !queue.closed { queue.lines += lines }
            return !queue.closed
        }
        if queued {
            wake.yield()
        } else {
            let (database, run) = (database, run)
            Task { try? await database.storeRunProgress(run, lines: lines.map { ($0.step, $0.node, $0.text) }) }
        }
    }

    func write(step: Int?, node: String? = nil, _ text: String) {
        write([PendingLogLine(step: step, node: node, text: text)])
    }

    /// Returns once `result` is stored for `step`.
    func record(_ result: NodeApplyResult, step: Int) async throws {
        try await withCheckedThrowingContinuation { (stored: CheckedContinuation<Void, any Error>) in
            let queued = queue.withLock { queue in
                if !queue.closed { queue.results.append((step, result, stored)) }
                return !queue.closed
            }
            if queued {
                wake.yield()
            } else {
                let (database, run) = (database, run)
                Task {
                    do {
                        try await database.storeRunProgress(run, lines: [], results: [(step, result)])
                        stored.resume()
                    } catch {
                        stored.resume(throwing: error)
                    }
                }
            }
        }
    }

    /// Ends the writer once what is queued is stored.
    func finish() { wake.finish() }

    /// Stores what is queued, batch after batch, until `finish()` (or cancellation), then what is left.
    func drain() async {
        for await _ in wakeups { await storeQueued(closing: false) }
        await storeQueued(closing: true)
    }

    private func storeQueued(closing: Bool) async {
        let batch = queue.withLock { queue in
            defer {
                queue.lines.removeAll(keepingCapacity: true)
                queue.results.removeAll(keepingCapacity: true)
                queue.closed = queue.closed || closing
            }
            return (queue.lines, queue.results)
        }
        do {
            try await database.storeRunProgress(
                run, lines: batch.0.map { ($0.step, $0.node, $0.text) }, results: batch.1.map { ($0.step, $0.result) })
            for result in batch.1 { result.stored.resume() }
        } catch {
            for result in batch.1 { result.stored.resume(throwing: error) }
        }
    }
}
