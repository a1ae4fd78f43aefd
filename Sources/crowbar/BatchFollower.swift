import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

/// Submits a batch file and follows crowbard as it applies it: each proposal's run log as it runs, in run order
/// (`crowbar batch apply`, and the cloud of `crowbar deploy-day`). crowbard does the work; this only prints.
struct BatchFollower {
    let client: CrowbarClient
    /// Where progress and the followed run logs are written.
    var output: FileHandle = .standardOutput
    /// How long a batch may go without starting its next run before the follower gives up.
    static let stallLimit: Duration = .seconds(600)

    /// Submits `file` and follows it to its end; `applied` hears of every run as it ends. Throws the run's exit code
    /// after a run that did not succeed (8 or 9), or 8 when the batch failed before a run.
    func apply(file: String, force: Bool, applied: (AppliedProposal) async throws -> Void) async throws {
        var batch = try await client.submitBatch(BatchSubmission(file: file, content: try Self.read(file), force: force))
        let toApply = batch.entries.filter { $0.outcome != .unchanged }
        say("batch \(batch.id): \(toApply.count) of \(batch.entries.count) proposals to apply")
        for position in toApply.map(\.position) {
            batch = try await waitForRun(of: position, in: batch)
            guard let entry = batch.entries.first(where: { $0.position == position }), let runID = entry.run else { break }
            say("applying \(entry.barclamp)/\(entry.proposal): run \(runID)")
            let run = try await RunReport.printUntilFinished(runID, client: client, json: false, output: output)
            let seconds = run.finishedAt.map { $0.timeIntervalSince(entry.startedAt ?? run.createdAt) } ?? 0
            try await applied(AppliedProposal(barclamp: entry.barclamp, proposal: entry.proposal, seconds: seconds, run: run))
            try RunReport.requireSuccess(run)
        }
        batch = try await waitForEnd(of: batch)
        guard batch.status == .succeeded else {
            say("batch \(batch.id) failed: \(batch.failure ?? "no reason recorded")")
            throw ExitCode(RunReport.failedExitCode)
        }
        say("batch applied: \(toApply.count) proposals applied, \(batch.entries.count - toApply.count) unchanged")
    }

    /// The batch once the entry at `position` has a run, or once the batch has ended without one.
    private func waitForRun(of position: Int, in batch: Batch) async throws -> Batch {
        var batch = batch
        var deadline = ContinuousClock.now + Self.stallLimit
        while batch.entries.first(where: { $0.position == position })?.run == nil, !batch.status.isFinished {
            // A queued batch waits for the ones before it: only a running batch that queues no run is stalled.
            if batch.status == .queued { deadline = ContinuousClock.now + Self.stallLimit }
            guard ContinuousClock.now < deadline else { throw BatchStalled(batch: batch.id) }
            try await Task.sleep(for: .milliseconds(200))
            batch = try await client.batch(batch.id)
        }
        return batch
    }

    /// The batch once it has ended (its last run has, so this is a matter of moments).
    private func waitForEnd(of batch: Batch) async throws -> Batch {
        var batch = batch
        for _ in 0..<150 where !batch.status.isFinished {
            try await Task.sleep(for: .milliseconds(200))
            batch = try await client.batch(batch.id)
        }
        return batch
    }

    private func say(_ text: String) {
        output.write(Data(("batch: " + text + "\n").utf8))
    }

    /// A running batch that queued no run for ``stallLimit``.
    struct BatchStalled: Error, CustomStringConvertible {
        var batch: Int64
        var description: String { "batch \(batch) is running but queued no run for 10 minutes (crowbard's log says why)" }
    }

    /// Reads and parses a batch file before anything starts: a malformed one throws its file:line: key: message
    /// here (crowbard checks it again, with the nodes and barclamps it knows).
    static func check(_ file: String) throws {
        _ = try BatchFileParser.parse(try read(file), file: file)
    }

    static func read(_ file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        return String(decoding: data, as: UTF8.self)
    }
}

/// One line of a batch report (`--report`): a proposal's run, how it ended, its wall time and changes.
struct BatchReportLine: Encodable, Sendable {
    var barclamp: String, proposal: String, run: Int64, status: String, seconds: Double, changed: Int
    /// Where the run's time went: each step's wall time and each node's apply, from crowbard's timestamps.
    var steps: [StepTiming]

    struct StepTiming: Encodable, Sendable {
        var recipe: String, seconds: Double?, nodes: [String: Double]
    }

    init(_ applied: AppliedProposal) {
        barclamp = applied.barclamp
        proposal = applied.proposal
        run = applied.run.id
        status = applied.run.status.rawValue
        seconds = Self.rounded(applied.seconds)
        changed = applied.run.changedCount
        steps = applied.run.steps.map { step in
            StepTiming(
                recipe: step.plan.recipe,
                seconds: step.startedAt.flatMap { started in step.finishedAt.map { Self.rounded($0.timeIntervalSince(started), places: 3) } },
                nodes: Dictionary(uniqueKeysWithValues: step.results.map { ($0.node, Self.rounded($0.finishedAt.timeIntervalSince($0.startedAt), places: 3)) }))
        }
    }

    private static func rounded(_ seconds: Double, places: Double = 1) -> Double {
        let scale = pow(10, places)
        return (seconds * scale).rounded() / scale
    }

    /// Appends the line to `file`, creating it if needed.
    func append(to file: String) throws {
        var data = try JSONEncoder.crowbar.encode(self)
        data.append(UInt8(ascii: "\n"))
        if let handle = FileHandle(forWritingAtPath: file) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: data)
        } else {
            try data.write(to: URL(fileURLWithPath: file))
        }
    }
}
