import CrowbarCore
import CrowbarStore
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Runs queued runs one after another, as a service of crowbard. At start it first resumes the runs a
/// previous crowbard left queued or running. On graceful shutdown the current run is interrupted, stays
/// `running` in the store and resumes at the next start; an operator's cancel ends it as `cancelled` (at the next start
/// when crowbard went down first).
/// Each run is a child task of this service's `run()`, beside a watcher that cancels it when asked.
public final class Orchestrator: Service, RunScheduler, Sendable {
    private let executor: RunExecutor
    private let database: CrowbarDatabase
    private let logger: Logger
    private let queue: AsyncStream<Int64>
    private let continuation: AsyncStream<Int64>.Continuation
    /// Runs an operator asked to cancel.
    private let cancelled = Mutex<Set<Int64>>([])
    /// The run executing now and how to interrupt it (shutdown or an operator's cancel).
    private let current = Mutex<(run: Int64, interrupt: AsyncStream<Void>.Continuation)?>(nil)
    /// Set once at shutdown: no further run starts, the current one is interrupted.
    private let stopping = Mutex(false)

    /// - Parameters:
    ///   - transport: how recipes reach the nodes (``ConnectionCache`` over SSH in crowbard).
    ///   - maxParallelNodes: how many nodes of one step are applied at once.
    ///   - admin: what recipes are told about the admin node.
    ///   - stagingTransport: how package staging (``PackageStager``) reaches the nodes: connections and SSH threads of
    ///     its own, so no step queues behind a staging for a connection or a thread; nil stages nothing.
    ///   - stagingPriority: the priority at which an idle node's staging runs until a step there waits for it; nil: the
    ///     steps' priority.
    public convenience init(
        database: CrowbarDatabase, catalog: BarclampCatalog, recipes: RecipeBook, transport: any NodeTransport,
        maxParallelNodes: Int = 32, admin: RecipeAdmin = RecipeAdmin(), stagingTransport: (any NodeTransport)? = nil,
        stagingPriority: StagingPriority? = StagingPriority(), logger: Logger
    ) {
        self.init(
            executor: RunExecutor(
                database: database, catalog: catalog, recipes: recipes, transport: transport, maxParallelNodes: maxParallelNodes,
                admin: admin,
                stager: stagingTransport.map {
                    PackageStager(
                        database: database, catalog: catalog, recipes: recipes, transport: $0, admin: admin,
                        behindSteps: stagingPriority.map { (transport, $0) }, logger: logger)
                }),
            logger: logger)
    }

    init(executor: RunExecutor, logger: Logger) {
        self.executor = executor
        self.database = executor.database
        self.logger = logger
        (queue, continuation) = AsyncStream.makeStream(of: Int64.self)
    }

    /// Queues a run created in the store.
    public func schedule(runID: Int64) {
        continuation.yield(runID)
    }

    /// Hands the request to the package stager, when this orchestrator has one.
    public func stagePackages(_ request: PackageStagingRequest) {
        executor.stager?.stage(request)
    }

    /// Asks a queued or running run to stop: a queued run ends at once, a running one after its nodes
    /// stop (their commands are cancelled). The request is stored first, so a crowbard that goes down before the
    /// run has stopped ends it at its next start instead of resuming it. Returns false when the run had already finished.
    public func cancel(runID: Int64) async throws -> Bool {
        guard !(try await database.run(id: runID).status.isFinished) else { return false }
        cancelled.withLock { _ = $0.insert(runID) }
        _ = try await database.requestCancel(runID, decide: RunOutcome.effects)
        CrashPoint.reach("cancel.requested")
        current.withLock { if $0?.run == runID { $0?.interrupt.yield() } }
        return true
    }

    public func run() async throws {
        try await withTaskCancellationOrGracefulShutdownHandler {
            for run in try await database.unfinishedRuns() where !stopping.withLock({ $0 }) {
                logger.info("resuming run", metadata: ["run": "\(run.id)", "status": "\(run.status.rawValue)"])
                await execute(run.id)
            }
            for await id in queue where !stopping.withLock({ $0 }) {
                await execute(id)
            }
        } onCancelOrGracefulShutdown: {
            self.stopping.withLock { $0 = true }
            self.continuation.finish()
            self.current.withLock { _ = $0?.interrupt.yield() }
            self.executor.stager?.stop()
        }
    }

    /// Executes one run as a child task, beside a watcher that cancels it when shutdown or an operator asks.
    private func execute(_ id: Int64) async {
        guard !Task.isCancelled, !stopping.withLock({ $0 }) else { return }
        let (interrupts, interrupt) = AsyncStream.makeStream(of: Void.self)
        current.withLock { $0 = (id, interrupt) }
        if stopping.withLock({ $0 }) { interrupt.yield() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.perform(id) }
            group.addTask {
                var iterator = interrupts.makeAsyncIterator()
                _ = await iterator.next()
            }
            // Whichever ends first: the run (then the watcher is no longer needed) or the watcher (then the run stops).
            await group.next()
            group.cancelAll()
        }
        current.withLock { $0 = nil }
        interrupt.finish()
        if cancelled.withLock({ $0.contains(id) }) {
            // This task may be cancelled and the store refuses cancelled callers: record from a fresh task.
            await Task { _ = try? await database.cancelRun(id, decide: RunOutcome.effects) }.value
            logger.info("run cancelled", metadata: ["run": "\(id)"])
        }
    }

    private func perform(_ id: Int64) async {
        let cancelRequested: @Sendable () -> Bool = { self.cancelled.withLock { $0.contains(id) } }
        do {
            let run = try await database.run(id: id)
            guard !run.status.isFinished else { return }
            if run.cancelRequestedAt != nil {
                // Cancelled before a restart: it ends (in execute) instead of resuming.
                cancelled.withLock { _ = $0.insert(id) }
                return
            }
            let outcome = try await executor.execute(run, cancelRequested: cancelRequested)
            if case .finished(let finished) = outcome {
                logger.info("run finished", metadata: ["run": "\(id)", "status": "\(finished.status.rawValue)"])
                Counter(label: "crowbar_runs_finished_total", dimensions: [("status", finished.status.rawValue)]).increment()
                if let started = finished.startedAt, let ended = finished.finishedAt {
                    Timer(label: "crowbar_run_duration_seconds", dimensions: [("status", finished.status.rawValue)], preferredDisplayUnit: .seconds)
                        .record(duration: .seconds(ended.timeIntervalSince(started)))
                }
            } else if !cancelRequested() {
                logger.info("run interrupted; it resumes at the next start", metadata: ["run": "\(id)"])
            }
        } catch where !Task.isCancelled {
            logger.error("run could not continue", metadata: ["run": "\(id)", "error": "\(error)"])
            _ = try? await database.finishRun(
                id, status: .failed, failure: RunFailure(step: 0, node: nil, resource: nil, message: "\(error)"), decide: RunOutcome.effects)
        } catch {
            // Interrupted while writing; an operator's cancel is recorded by execute, shutdown resumes later.
        }
    }
}
