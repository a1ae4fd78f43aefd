import CrowbarCore
import CrowbarStore
import Foundation
import Metrics

/// Performs one run's ``RunProgress`` actions: each step's nodes in parallel (bounded), every node's result recorded
/// as it ends, each step's status before the next step begins. A run resumed from the store skips what succeeded.
struct RunExecutor: Sendable {
    let database: CrowbarDatabase
    let catalog: BarclampCatalog
    let recipes: RecipeBook
    let transport: any NodeTransport
    let maxParallelNodes: Int
    /// What recipes are told about the admin node.
    var admin = RecipeAdmin()
    /// Installs a batch's later packages ahead on its nodes; a step on a node asks it when it may start.
    var stager: PackageStager?
    /// Hears every action before it is performed; what it throws stops the run where it is, as a crash would (tests).
    var willPerform: @Sendable (RunProgress.Action) async throws -> Void = { _ in }

    enum Outcome: Sendable {
        case finished(Run)
        /// Stopped by shutdown: left `running`, to be resumed.
        case interrupted
    }

    func execute(_ run: Run, cancelRequested: @Sendable () -> Bool) async throws -> Outcome {
        try await database.markRunStarted(run.id)
        let log = RunJournal(database: database, run: run.id)
        let writer = log.startWriter()
        let outcome: Outcome
        do {
            outcome = try await perform(run, log: log, cancelRequested: cancelRequested)
        } catch {
            log.finish()
            await writer.value
            await transport.runEnded()
            throw error
        }
        log.finish()
        await writer.value
        await transport.runEnded()
        return outcome
    }

    private func perform(_ run: Run, log: RunJournal, cancelRequested: @Sendable () -> Bool) async throws -> Outcome {
        let total = run.steps.count
        log.write(step: nil, "run \(run.id): \(total) steps\(run.checkMode ? " (check mode: nothing is changed)" : "")")
        var progress = RunProgress(run)
        var actions = progress.start(cancelRequested: cancelRequested())[...]
        while let action = actions.popFirst() {
            if Task.isCancelled && !cancelRequested() { return .interrupted }
            try await willPerform(action)
            switch action {
            case .record(let step, let status):
                try await database.markStep(run.id, step: step, status: status)
                log.write(step: step, "step \(step) \(status.rawValue)")
            case .finish(let status, let failure):
                if let failure { log.write(step: failure.step, "run failed: \(failure)") }
                return .finished(try await database.finishRun(run.id, status: status, failure: failure, decide: RunOutcome.effects))
            case .apply(let step, let nodes, let done):
                log.write(step: step.index, "step \(step.index)/\(total): \(step.recipe) (\(step.barclamp)/\(step.proposal)) on \(nodes.joined(separator: ", "))"
                    + (done.isEmpty ? "" : "; already done on \(done.joined(separator: ", "))"))
                try await database.markStep(run.id, step: step.index, status: .running)
                do {
                    let results = try await apply(step, to: nodes, run: run, log: log)
                    if Task.isCancelled && !cancelRequested() { return .interrupted }
                    let changed = results.reduce(0) { $0 + $1.changedCount }
                    log.write(step: step.index, "step \(step.index): \(changed) \(run.checkMode ? "would change" : "changed")")
                    actions += progress.stepEnded(results, cancelRequested: cancelRequested())
                } catch where !(error is CancellationError) {
                    actions += progress.stepFailedToStart("\(error)")
                }
            }
        }
        preconditionFailure("RunProgress ended without finishing the run")
    }

    /// Applies one step to its nodes, at most `maxParallelNodes` at a time, recording each result as it ends.
    private func apply(_ step: PlanStep, to nodes: [String], run: Run, log: RunJournal) async throws -> [NodeApplyResult] {
        let (recipe, templates) = try recipes.load(step.recipe)
        let inputs = try await StepInputs.load(step: step, run: run, database: database, catalog: catalog)
        let scope = inputs.scope(step: step, admin: admin)
        var compiled: [(Node, CompiledRecipe)] = []
        for name in nodes {
            guard let node = inputs.nodes[name] else { throw CrowbarError(.notFound, "node \(name) no longer exists") }
            let marker = "crowbar-" + String(UInt64.random(in: 1...UInt64.max), radix: 36)
            compiled.append((node, try RecipeCompiler.compile(
                recipe, templates: templates, context: RecipeContext(scope: scope, node: RecipeNode(node)), checkMode: run.checkMode,
                marker: marker)))
        }
        let applier = NodeApplier(transport: transport, log: log)
        let stager = self.stager
        return try await withThrowingTaskGroup(of: NodeApplyResult.self) { group in
            var pending = compiled[...]
            var results: [NodeApplyResult] = []
            func startNext() {
                // Once the run is cancelled (shutdown, an operator's cancel), no node is started.
                guard !Task.isCancelled, let (node, script) = pending.popFirst() else { return }
                group.addTask {
                    // Past its packages, the node's last step of the run lets the node's next packages be staged beside
                    // the rest of it (a later step there would wait for that staging: it could need dpkg).
                    let lastOnNode = !run.steps.contains { $0.plan.index > step.index && $0.plan.nodes.contains(node.name) }
                    let ticket = stager?.beginApply(node.name, packages: script.packages, mayUseDpkg: script.mayUseDpkg, lastOnNode: lastOnNode)
                    defer { if let ticket { stager?.endApply(ticket) } }
                    if let stager, let ticket, let waited = await stager.admit(ticket, waiting: {
                        log.write(step: step.index, node: node.name, "waiting for the packages being staged on \(node.name)")
                    }) {
                        log.write(step: step.index, node: node.name, "waited \(String(format: "%.1f", waited.inSeconds)) s")
                    }
                    let started = ContinuousClock.now
                    let packagesInstalled: (@Sendable () -> Void)? = switch (stager, ticket) {
                    case (let stager?, let ticket?) where script.lastPackage > 0 && lastOnNode: { stager.packagesInstalled(ticket) }
                    default: nil
                    }
                    let result = await applier.apply(
                        script, timeoutSeconds: recipe.timeoutSeconds, to: node, step: step.index, scrubber: inputs.scrubber,
                        packagesInstalled: packagesInstalled)
                    Timer(label: "crowbar_node_apply_duration_seconds", dimensions: [("barclamp", step.barclamp)], preferredDisplayUnit: .seconds)
                        .record(duration: ContinuousClock.now - started)
                    // A node stopped by the cancel has no result to keep: resumed, it applies the step again.
                    try Task.checkCancellation()
                    try await log.record(result, step: step.index)
                    return result
                }
            }
            for _ in 0..<max(1, maxParallelNodes) { startNext() }
            while let result = try await group.next() {
                results.append(result)
                let counts = Dictionary(grouping: result.resources, by: \.status).mapValues(\.count)
                log.write(
                    step: step.index, node: result.node,
                    "\(result.succeeded ? "done" : "FAILED"): \(counts[.ok] ?? 0) ok, \(counts[.changed] ?? 0) changed, \(counts[.failed] ?? 0) failed"
                        + (result.error.map { " (\($0))" } ?? ""))
                startNext()
            }
            // Cancelled between nodes: the step did not run on all of them, so it has no outcome to record.
            if !pending.isEmpty { throw CancellationError() }
            return results
        }
    }
}
