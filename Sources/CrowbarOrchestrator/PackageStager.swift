import CrowbarCore
import CrowbarStore
import Foundation
import Logging
import Synchronization

/// Installs ahead, with services held, the packages a batch's later proposals will install on its nodes
/// (``PackageStagingRequest``), beside the steps running elsewhere. A node the current proposal leaves idle is staged at
/// once, every later proposal's packages in one apt transaction. A node the current proposal applies to is staged once
/// its last step of the run has installed its own packages (its last `package:` resource, ``CompiledRecipe/lastPackage``),
/// and only with the next proposal's packages there: they install beside the rest of that step (its migrations,
/// configuration and service starts), and the next proposal's step finds them installed and stages the one after, a
/// pipeline. A step on a node first waits for that node's staging (dpkg and apt's lists take one user at a time), and
/// no staging starts on a node while a step there may still install. Its transport is its own (its own SSH threads; a
/// staging's connection is closed when it ends), so steps on other nodes never queue behind stagings. Staging is only a
/// head start: one that is refused (no `policy-rc.d` yet), fails or is cancelled is logged and forgotten, and the steps
/// install what is missing as before.
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
        /// The nodes the batch applies to now (the last request's): staged only once their step's packages are in.
        var busy: Set<String> = []
        /// The number of the last request: a planning finished after a newer request came is dropped.
        var request = 0
        /// The packages the last request's planning found missing, by node, for the nodes it could not stage yet.
        var pending: [String: [String]] = [:]
        /// Stagings under way, by node.
        var running: [String: Task<Void, Never>] = [:]
        /// Steps applying now, by node and ticket: whether the step has installed its packages.
        var applying: [String: [Int: Bool]] = [:]
        var tickets = 0
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

    /// Works out, off the caller's path, which nodes miss which packages, and starts the stagings it can.
    func stage(_ request: PackageStagingRequest) {
        state.withLock { state in
            guard !state.stopped else { return }
            if state.batch != request.batch {
                state.batch = request.batch
                state.packages = [:]
                state.staged = [:]
            }
            state.busy = request.busy
            state.pending = [:]
            state.request += 1
            let previous = state.planning, number = state.request
            state.planning = Task {
                await previous?.value
                await self.plan(request, number: number)
            }
        }
    }

    /// A step starts applying on `node`: no staging starts there until the step has installed its packages
    /// (``packagesInstalled(_:)``). Returns the step's ticket and the staging under way
    /// there, if any, for the step to wait for (``waitFor(_:)``).
    func beginApply(_ node: String) -> (ticket: Ticket, staging: Task<Void, Never>?) {
        state.withLock { state in
            state.tickets += 1
            state.applying[node, default: [:]][state.tickets] = false
            return (Ticket(node: node, number: state.tickets), state.running[node])
        }
    }

    /// The step holding `ticket` has installed its packages: the rest of it leaves dpkg alone, so the node's pending
    /// packages are staged now if no other step there may still install.
    func packagesInstalled(_ ticket: Ticket) {
        state.withLock { state in
            guard state.applying[ticket.node]?[ticket.number] != nil else { return }
            state.applying[ticket.node]?[ticket.number] = true
            startPending(on: ticket.node, &state)
        }
    }

    /// The step holding `ticket` has ended.
    func endApply(_ ticket: Ticket) {
        state.withLock { state in
            state.applying[ticket.node]?[ticket.number] = nil
            if state.applying[ticket.node]?.isEmpty == true { state.applying[ticket.node] = nil }
        }
    }

    /// One step applying on one node, as the stager counts it.
    struct Ticket: Sendable {
        let node: String
        let number: Int
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

    private func plan(_ request: PackageStagingRequest, number: Int) async {
        guard !Task.isCancelled else { return }
        let nodes = Set(request.upcoming.flatMap { $0.steps.flatMap(\.nodes) })
        guard !nodes.isEmpty else { return }
        let wanted = await packages(of: request.upcoming, on: nodes)
        state.withLock { state in
            guard !state.stopped, state.batch == request.batch, state.request == number else { return }
            for (node, proposals) in wanted {
                let staged = state.staged[node] ?? []
                state.pending[node] = request.busy.contains(node)
                    ? proposals.first { !Set($0).isSubset(of: staged) } ?? [] : proposals.flatMap { $0 }
                startPending(on: node, &state)
            }
        }
    }

    /// Starts staging `node`'s pending packages not staged yet, if nothing there may install now: no staging under
    /// way, and every step applying there has installed its packages (with none applying, the node must be idle).
    private func startPending(on node: String, _ state: inout State) {
        let missing = (state.pending[node] ?? []).filter { !(state.staged[node]?.contains($0) ?? false) }
        guard !state.stopped, let batch = state.batch, !missing.isEmpty, state.running[node] == nil else { return }
        if let steps = state.applying[node] {
            guard steps.values.allSatisfy({ $0 }) else { return }
        } else {
            guard !state.busy.contains(node) else { return }
        }
        state.pending[node] = nil
        state.running[node] = Task { await self.stage(missing, on: node, batch: batch) }
    }

    /// The leading packages (``RecipeCompiler/leadingPackages(_:context:)``) of the upcoming steps, by node and then by
    /// upcoming proposal, in plan order, each package once, proposals with none left out; each step's are worked out
    /// once per batch. A step whose recipe cannot be compiled yet stages nothing (its run will say why, if it still cannot).
    private func packages(of upcoming: [UpcomingRun], on nodes: Set<String>) async -> [String: [[String]]] {
        var wanted: [String: [[String]]] = [:]
        var seen: [String: Set<String>] = [:]
        for run in upcoming {
            var proposal: [String: [String]] = [:]
            for step in run.steps where !nodes.isDisjoint(with: step.nodes) {
                let byNode = await leadingPackages(of: step, revision: run.revision, on: nodes)
                for name in step.nodes where nodes.contains(name) {
                    for package in byNode[name] ?? [] where seen[name, default: []].insert(package).inserted {
                        proposal[name, default: []].append(package)
                    }
                }
            }
            for (name, packages) in proposal { wanted[name, default: []].append(packages) }
        }
        return wanted
    }

    /// One upcoming step's leading packages on those of `nodes` it applies to, by node; worked out once per batch.
    private func leadingPackages(of step: PlanStep, revision: Int, on nodes: Set<String>) async -> [String: [String]] {
        let key = "\(step.barclamp)/\(step.proposal)/\(step.index)@\(revision)"
        var byNode = state.withLock { $0.packages[key] } ?? [:]
        let unknown = step.nodes.filter { nodes.contains($0) && byNode[$0] == nil }
        guard !unknown.isEmpty else { return byNode }
        do {
            let (recipe, _) = try recipes.load(step.recipe)
            let inputs = try await StepInputs.load(step: step, revision: revision, database: database, catalog: catalog)
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
        return byNode
    }

    /// Runs the staging recipe (``PackageStaging/recipe(packages:servicesHeldBy:)``) on one node.
    private func stage(_ packages: [String], on name: String, batch: Int64) async {
        let started = ContinuousClock.now
        var metadata: Logger.Metadata = ["node": "\(name)", "packages": "\(packages.count)"]
        do {
            let node = try await database.node(named: name)
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
                state.withLock { if $0.batch == batch { $0.staged[name, default: []].formUnion(packages) } }
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
        await transport.drop(name)
        state.withLock { state in
            state.running[name] = nil
            startPending(on: name, &state)  // what a newer request asked meanwhile
        }
    }
}
