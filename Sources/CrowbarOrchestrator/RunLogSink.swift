import CrowbarStore
import Foundation

/// One line for a run's log, before it is stored.
struct PendingLogLine: Sendable {
    var step: Int?
    var node: String?
    var text: String
}

/// Collects log lines from many nodes in order of arrival and writes each batch in one transaction,
/// from a single writer, so lines are stored in the order they were produced.
struct RunLogSink: Sendable {
    private let continuation: AsyncStream<[PendingLogLine]>.Continuation
    private let stream: AsyncStream<[PendingLogLine]>

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: [PendingLogLine].self)
    }

    func write(_ lines: [PendingLogLine]) {
        if !lines.isEmpty { continuation.yield(lines) }
    }

    func write(step: Int?, node: String? = nil, _ text: String) {
        write([PendingLogLine(step: step, node: node, text: text)])
    }

    func finish() { continuation.finish() }

    /// Drains the sink into the store until `finish()`; storage errors drop the batch, never the run.
    func drain(into database: CrowbarDatabase, run: Int64) async {
        for await batch in stream {
            try? await database.appendRunLog(run, lines: batch.map { ($0.step, $0.node, $0.text) })
        }
    }
}
