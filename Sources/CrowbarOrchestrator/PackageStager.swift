import CrowbarCore
import CrowbarStore
import Foundation
import Logging
import Synchronization

/// Installs ahead, with services held, the packages a batch's later proposals will install on the nodes its current
/// proposal leaves idle (``PackageStagingRequest``): one apt transaction per node, beside the steps running elsewhere.
/// A step on a node first waits for that node's staging (dpkg and apt's lists take one user at a time), and no staging
/// starts on a node while a step applies there. Its transport is its own (its own SSH threads; a staging's connection
/// is closed when it ends), so steps on other nodes never queue behind stagings. Staging is only a head start: one
/// that is refused (no `policy-rc.d` yet), fails or is cancelled is logged and forgotten, and the steps install what
/// is missing as before.
final class PackageStager: Sendable {
    private let database: CrowbarDatabase
    private let catalog: BarclampCatalog
    private let recipes: RecipeBook
    private let transport: any NodeTransport
    private let admin: RecipeAdmin
    /// The file whose presence says package installs start no service (the provisioner's `policy-rc.d`).
    private let servicesHeldBy: String
    private let logger: Logger

    private struct State {
        /// The batch the fields below belong to.
        var batch: Int64?
        /// The leading packages of each upcoming step's recipe, by "plan step@revision" and node.
        var packages: [String: [String: [String]]] = [:]
        /// What this batch staged, or found installed, per node.
        var staged: [String: Set<String>] = [:]
        /// Stagings under way, by node.
        var running: [String: Task<Void, Never>] = [:]
        /// Steps applying now, by node.
        var applying: [String: Int] = [:]
        /// The last request's planning; the next one waits for it, so requests are planned in order.
        var planning: Task<Void, Never>?
        var stopped = false
    }

    private let state = Mutex(State())

    init(
        database: CrowbarDatabase, catalog: BarclampCatalog, recipes: RecipeBook, transport: any NodeTransport, admin: RecipeAdmin,
        servicesHeldBy: String = "/usr/sbin/policy-rc.d", logger: Logger
    ) {
        self.database = database
        self.catalog = catalog
        self.recipes = recipes
        self.transport = transport
        self.admin = admin
        self.servicesHeldBy = servicesHeldBy
        self.logger = logger
    }

    /// Works out, off the caller's path, which idle nodes miss which packages, and starts their stagings.
    func stage(_ request: PackageStagingRequest) {
        state.withLock { state in
            guard !state.stopped else { return }
            if state.batch != request.batch {
                state.batch = request.batch
                state.packages = [:]
                state.staged = [:]
            }
            let previous = state.planning
            state.planning = Task {
                await previous?.value
                await self.plan(request)
            }
        }
    }

    /// A step starts applying on `node`: no staging starts there until ``endApply(_:)``. Returns the staging under way
    /// there, if any, for the step to wait for (``waitFor(_:)``).
    func beginApply(_ node: String) -> Task<Void, Never>? {
        state.withLock { state in
            state.applying[node, default: 0] += 1
            return state.running[node]
        }
    }

    /// The step that ``beginApply(_:)`` announced has ended on `node`.
    func endApply(_ node: String) {
        state.withLock { state in
            state.applying[node, default: 1] -= 1
            if state.applying[node] == 0 { state.applying[node] = nil }
        }
    }

    /// Waits for a staging; cancelling the waiter (its run is cancelled or crowbard stops) cancels the staging.
    func waitFor(_ staging: Task<Void, Never>) async {
        await withTaskCancellationHandler { await staging.value } onCancel: { staging.cancel() }
    }

    /// Cancels every planning and staging (crowbard stops) and starts no more; a cancelled install is finished by the
    /// next step that installs packages there (`dpkg --configure -a`).
    func stop() {
        state.withLock { state in
            state.stopped = true
            state.planning?.cancel()
            state.running.values.forEach { $0.cancel() }
        }
    }

    private func plan(_ request: PackageStagingRequest) async {
        guard !Task.isCancelled else { return }
        let idle = Set(request.upcoming.flatMap { $0.steps.flatMap(\.nodes) }).subtracting(request.busy)
        guard !idle.isEmpty else { return }
        let wanted = await packages(of: request.upcoming, on: idle)
        guard !wanted.isEmpty, let nodes = try? await database.nodes() else { return }
        for node in nodes {
            guard let names = wanted[node.name] else { continue }
            state.withLock { state in
                let missing = names.filter { !(state.staged[node.name]?.contains($0) ?? false) }
                guard !state.stopped, state.batch == request.batch, !missing.isEmpty, state.running[node.name] == nil,
                    state.applying[node.name] == nil
                else { return }
                state.running[node.name] = Task { await self.stage(missing, on: node, batch: request.batch) }
            }
        }
    }

    /// The leading packages (``RecipeCompiler/leadingPackages(_:context:)``) of the upcoming steps, by idle node, in plan
    /// order without repeats; each step's are worked out once per batch. A step whose recipe cannot be compiled yet
    /// stages nothing (its run will say why, if it still cannot).
    private func packages(of upcoming: [UpcomingRun], on idle: Set<String>) async -> [String: [String]] {
        var wanted: [String: [String]] = [:]
        for run in upcoming {
            for step in run.steps where !idle.isDisjoint(with: step.nodes) {
                let key = "\(step.barclamp)/\(step.proposal)/\(step.index)@\(run.revision)"
                var byNode = state.withLock { $0.packages[key] } ?? [:]
                let unknown = step.nodes.filter { idle.contains($0) && byNode[$0] == nil }
                if !unknown.isEmpty {
                    do {
                        let (recipe, _) = try recipes.load(step.recipe)
                        let inputs = try await StepInputs.load(step: step, revision: run.revision, database: database, catalog: catalog)
                        let scope = inputs.scope(step: step, admin: admin)
                        for name in unknown {
                            let node = inputs.nodes[name].map(RecipeNode.init) ?? RecipeNode(name: name, address: "")
                            byNode[name] = try RecipeCompiler.leadingPackages(recipe, context: RecipeContext(scope: scope, node: node))
                        }
                    } catch {
                        logger.debug("no packages staged for a step", metadata: ["step": "\(step.recipe)", "error": "\(error)"])
                        for name in unknown { byNode[name] = [] }
                    }
                    state.withLock { [byNode] in $0.packages[key] = byNode }
                }
                for name in step.nodes where idle.contains(name) {
                    for package in byNode[name] ?? [] where !(wanted[name]?.contains(package) ?? false) {
                        wanted[name, default: []].append(package)
                    }
                }
            }
        }
        return wanted
    }

    /// Runs the staging recipe (``PackageStaging/recipe(packages:servicesHeldBy:)``) on one node.
    private func stage(_ packages: [String], on node: Node, batch: Int64) async {
        let started = ContinuousClock.now
        var metadata: Logger.Metadata = ["node": "\(node.name)", "packages": "\(packages.count)"]
        do {
            let marker = "crowbar-" + String(UInt64.random(in: 1...UInt64.max), radix: 36)
            let recipe = PackageStaging.recipe(packages: packages, servicesHeldBy: servicesHeldBy)
            let compiled = try RecipeCompiler.compile(
                recipe, templates: [:],
                context: RecipeContext(barclamp: "crowbar", proposal: "staging", attributes: .map([:]), node: RecipeNode(node)),
                checkMode: false, marker: marker)
            let parser = SharedRecipeOutput(RecipeOutput(labels: compiled.resources, marker: marker))
            let exit = try await transport.execute(
                CompiledRecipe.command, stdin: Array(compiled.script.utf8), timeout: .seconds(recipe.timeoutSeconds), on: node
            ) { output in
                if output.stream == .stdout { _ = parser.state.withLock { $0.consume(output.bytes) } }
            }
            let result = parser.state.withLock { output in
                _ = output.finish()
                return output
            }
            metadata["seconds"] = "\(String(format: "%.1f", (ContinuousClock.now - started).inSeconds))"
            if result.completed && exit.succeeded {
                state.withLock { if $0.batch == batch { $0.staged[node.name, default: []].formUnion(packages) } }
                metadata["installed"] = "\(result.results.contains { $0.status == .changed })"
                logger.info("packages staged", metadata: metadata)
            } else {
                let failed = result.results.first { $0.status == .failed }
                metadata["reason"] = "\(failed.map { "\($0.resource): \($0.output.suffix(400))" } ?? "exit \(exit.status)")"
                logger.notice("packages not staged; the steps install them", metadata: metadata)
            }
        } catch {
            metadata["error"] = "\(error)"
            logger.notice("packages not staged; the steps install them", metadata: metadata)
        }
        await transport.drop(node.name)
        state.withLock { $0.running[node.name] = nil }
    }
}
