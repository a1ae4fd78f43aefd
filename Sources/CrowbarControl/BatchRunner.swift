import CrowbarCore
import CrowbarStore
import Logging
import ServiceLifecycle

/// Applies submitted batches, one after another, as a service of crowbard: each pending proposal's committed revision
/// is queued as a run linked to its batch entry (in the run's own transaction), the runner waits for the run's end
/// and records what it means (``BatchProgress``), stopping at the first failure. At start it first resumes the batches
/// a previous crowbard left unfinished: a linked run is waited for (the orchestrator resumes it), never queued again.
public final class BatchRunner: Service, Sendable {
    let context: ControlContext
    private let logger: Logger
    private let queue: AsyncStream<Int64>
    private let continuation: AsyncStream<Int64>.Continuation

    init(context: ControlContext, logger: Logger) {
        self.context = context
        self.logger = logger
        (queue, continuation) = AsyncStream.makeStream(of: Int64.self)
    }

    /// Queues a stored batch.
    func schedule(batchID: Int64) { continuation.yield(batchID) }

    /// Resumes unfinished batches, then works through submitted ones, until graceful shutdown (which cancels the wait
    /// for the current run: the batch stays `running` and resumes at the next start). A batch the store fails on is
    /// logged and left for the next start; it never stops crowbard.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            do {
                for batch in try await self.context.database.unfinishedBatches() where !Task.isCancelled {
                    self.logger.info("resuming batch", metadata: ["batch": "\(batch.id)"])
                    await self.driveLogged(batch.id)
                }
            } catch {
                self.logger.error("cannot read the unfinished batches", metadata: ["error": "\(error)"])
            }
            for await id in self.queue where !Task.isCancelled {
                await self.driveLogged(id)
            }
        }
        continuation.finish()
    }

    private func driveLogged(_ id: Int64) async {
        do {
            try await drive(id)
        } catch where !Task.isCancelled {
            logger.error("batch stopped; it resumes at the next start", metadata: ["batch": "\(id)", "error": "\(error)"])
        } catch {
            // Shutdown while writing: the batch resumes at the next start.
        }
    }

    /// Works through one batch until it ends, or until this task is cancelled (it then resumes at the next start).
    func drive(_ id: Int64) async throws {
        var plans: [Int: UpcomingRun] = [:]
        while !Task.isCancelled {
            let batch = try await context.database.batch(id: id)
            guard !batch.status.isFinished, let entry = batch.current else {
                // Nothing more to stage: a failed batch's later proposals will not run.
                context.scheduler?.stagePackages(.ended(batch: id))
                return
            }
            if entry.outcome == .pending {
                do {
                    let run = try await queueRun(of: entry, in: batch)
                    await stagePackages(after: entry, of: batch, busy: Set(run.steps.flatMap(\.plan.nodes)), plans: &plans)
                } catch where !(error is CancellationError) {
                    try await context.database.recordBatchStep(id, position: entry.position, BatchProgress.couldNotStart(entry, error: error))
                }
                continue
            }
            guard let runID = entry.run, let run = try await waitForEnd(of: runID) else { return }
            let step = BatchProgress.runEnded(run.status, entry: entry, of: batch, failure: run.failure)
            try await context.database.recordBatchStep(id, position: entry.position, step)
            if let status = step.batch { logger.info("batch finished", metadata: ["batch": "\(id)", "status": "\(status.rawValue)"]) }
        }
    }

    private func queueRun(of entry: BatchEntry, in batch: Batch) async throws -> Run {
        let scheduler = try context.requireScheduler()
        // The revision the batch committed, and only while it is the proposal's last: a newer commit made meanwhile
        // (by an operator or another batch) is not the batch's to apply, nor to undo.
        let proposal = try await context.database.proposal(barclamp: entry.barclamp, name: entry.proposal)
        guard proposal.revision == entry.revision else {
            throw CrowbarError(
                .conflict, "revision \(proposal.revision) was committed after the batch committed revision \(entry.revision)")
        }
        let revision = try await context.database.revision(barclamp: entry.barclamp, name: entry.proposal, number: entry.revision)
        return try await context.queueRun(
            try context.runRequest(of: revision, checkMode: false, batchEntry: (batch.id, entry.position)), scheduler: scheduler)
    }

    /// Lets the orchestrator stage the packages of the batch's later proposals on its nodes (``PackageStagingRequest``). Their plans are made once per batch, in `plans`; one that cannot be made is left
    /// out (its run will say why).
    private func stagePackages(after entry: BatchEntry, of batch: Batch, busy: Set<String>, plans: inout [Int: UpcomingRun]) async {
        guard let scheduler = context.scheduler else { return }
        var upcoming: [UpcomingRun] = []
        for later in batch.entries where later.position > entry.position && later.outcome == .pending {
            if plans[later.position] == nil,
                let revision = try? await context.database.revision(barclamp: later.barclamp, name: later.proposal, number: later.revision),
                let plan = try? context.plan(of: revision)
            {
                plans[later.position] = UpcomingRun(revision: later.revision, steps: plan.steps)
            }
            if let plan = plans[later.position] { upcoming.append(plan) }
        }
        // Asked even with nothing left to stage: a request says which nodes are busy now, and replaces the last.
        scheduler.stagePackages(PackageStagingRequest(batch: batch.id, busy: busy, upcoming: upcoming))
    }

    /// The run once it has ended, learnt at the commit that ends it (polling every 200 ms cost a 15-proposal no-op
    /// re-apply 1.9 s between its runs, every 50 ms still 0.6 s); nil when this task is cancelled first.
    private func waitForEnd(of runID: Int64) async throws -> Run? {
        do {
            for try await status in context.database.runStatuses(id: runID) {
                guard let status else { throw CrowbarError(.notFound, "no run \(runID)") }
                if status.isFinished { return try await context.database.run(id: runID) }
            }
        } catch is CancellationError {}
        return nil
    }
}
