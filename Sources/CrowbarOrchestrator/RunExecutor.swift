import CrowbarCore
import CrowbarSSH
import CrowbarStore
import Foundation

/// Runs one run's steps in order, recording each node's result before the step ends and each step
/// before the next begins. Steps already succeeded, and nodes already succeeded in an unfinished step,
/// are skipped: that is how a run resumes after a crash.
struct RunExecutor: Sendable {
    let database: CrowbarDatabase
    let catalog: BarclampCatalog
    let recipes: RecipeBook
    let connections: ConnectionCache
    let maxParallelNodes: Int

    enum Outcome: Sendable {
        case finished(Run)
        /// Stopped by shutdown: left `running`, to be resumed.
        case interrupted
    }

    func execute(_ run: Run, cancelRequested: @Sendable () -> Bool) async throws -> Outcome {
        try await database.markRunStarted(run.id)
        let log = RunLogSink()
        async let drained: Void = log.drain(into: database, run: run.id)
        defer { log.finish() }
        let outcome: StepsOutcome
        do {
            outcome = try await executeSteps(run, log: log, cancelRequested: cancelRequested)
        } catch {
            await connections.closeAll()
            throw error
        }
        log.finish()
        await drained
        await connections.closeAll()
        switch outcome {
        case .interrupted:
            return .interrupted
        case .finished(let status, let failure):
            return .finished(try await database.finishRun(run.id, status: status, failure: failure, decide: RunOutcome.effects))
        }
    }

    private enum StepsOutcome {
        case finished(RunStatus, RunFailure?)
        case interrupted
    }

    private func executeSteps(_ run: Run, log: RunLogSink, cancelRequested: @Sendable () -> Bool) async throws -> StepsOutcome {
        let total = run.steps.count
        let mode = run.checkMode ? " (check mode: nothing is changed)" : ""
        log.write(step: nil, "run \(run.id): \(total) steps\(mode)")
        for step in run.steps where step.status != .succeeded {
            let plan = step.plan
            if cancelRequested() {
                try await database.markStep(run.id, step: plan.index, status: .cancelled)
                log.write(step: plan.index, "cancelled before step \(plan.index)")
                return .finished(.cancelled, nil)
            }
            if Task.isCancelled { return .interrupted }
            let done = Set(step.results.filter(\.succeeded).map(\.node))
            let remaining = plan.nodes.filter { !done.contains($0) }
            log.write(step: plan.index, "step \(plan.index)/\(total): \(plan.recipe) (\(plan.barclamp)/\(plan.proposal)) on \(remaining.joined(separator: ", "))"
                + (done.isEmpty ? "" : "; already done on \(done.sorted().joined(separator: ", "))"))
            try await database.markStep(run.id, step: plan.index, status: .running)
            let results: [NodeApplyResult]
            do {
                results = try await applyStep(plan, nodes: remaining, run: run, log: log)
            } catch {
                try await database.markStep(run.id, step: plan.index, status: .failed)
                log.write(step: plan.index, "step \(plan.index) failed: \(error)")
                return .finished(.failed, RunFailure(step: plan.index, node: nil, resource: nil, message: "\(error)"))
            }
            if Task.isCancelled && !cancelRequested() { return .interrupted }
            if let failed = results.first(where: { !$0.succeeded }) {
                let cancelled = cancelRequested()
                try await database.markStep(run.id, step: plan.index, status: cancelled ? .cancelled : .failed)
                let resource = failed.resources.first { $0.status == .failed }
                let failure = RunFailure(
                    step: plan.index, node: failed.node, resource: resource?.resource,
                    message: failed.error ?? "failed", output: resource?.output ?? "")
                log.write(step: plan.index, "step \(plan.index) \(cancelled ? "cancelled" : "failed"): \(failure)")
                return .finished(cancelled ? .cancelled : .failed, cancelled ? nil : failure)
            }
            try await database.markStep(run.id, step: plan.index, status: .succeeded)
            let changed = results.reduce(0) { $0 + $1.changedCount }
            log.write(step: plan.index, "step \(plan.index) succeeded: \(changed) \(run.checkMode ? "would change" : "changed")")
        }
        return .finished(.succeeded, nil)
    }

    /// Applies one step to its nodes, at most `maxParallelNodes` at a time, recording each result as it ends.
    private func applyStep(_ plan: PlanStep, nodes: [String], run: Run, log: RunLogSink) async throws -> [NodeApplyResult] {
        let (recipe, templates) = try recipes.load(plan.recipe)
        let inputs = try await StepInputs.load(step: plan, run: run, database: database, catalog: catalog)
        var compiled: [(Node, CompiledRecipe)] = []
        for name in nodes {
            guard let node = inputs.nodes[name] else { throw StoreError(.notFound, "node \(name) no longer exists") }
            let marker = "crowbar-" + String(UInt64.random(in: 1...UInt64.max), radix: 36)
            compiled.append((node, try RecipeCompiler.compile(
                recipe, templates: templates, context: inputs.context(step: plan, node: node), checkMode: run.checkMode,
                marker: marker)))
        }
        let applier = NodeApplier(connections: connections, log: log)
        let database = self.database
        return try await withThrowingTaskGroup(of: NodeApplyResult.self) { group in
            var pending = compiled[...]
            var results: [NodeApplyResult] = []
            func startNext() {
                guard let (node, script) = pending.popFirst() else { return }
                group.addTask {
                    let result = await applier.apply(
                        script, timeoutSeconds: recipe.timeoutSeconds, to: node, step: plan.index, scrubber: inputs.scrubber)
                    try await database.recordNodeResult(run.id, step: plan.index, result: result)
                    return result
                }
            }
            for _ in 0..<max(1, maxParallelNodes) { startNext() }
            while let result = try await group.next() {
                results.append(result)
                let counts = Dictionary(grouping: result.resources, by: \.status).mapValues(\.count)
                log.write(
                    step: plan.index, node: result.node,
                    "\(result.succeeded ? "done" : "FAILED"): \(counts[.ok] ?? 0) ok, \(counts[.changed] ?? 0) changed, \(counts[.failed] ?? 0) failed"
                        + (result.error.map { " (\($0))" } ?? ""))
                startNext()
            }
            return results
        }
    }
}
