import CrowbarCore
import CrowbarStore
import Foundation
import Logging
import Synchronization

/// Installs ahead, with services held, the packages a batch's later proposals will install on its nodes
/// (``PackageStagingRequest``), beside the steps running elsewhere. A node the current proposal leaves idle is staged at
/// once, every later proposal's packages in one apt transaction. A node the current proposal applies to starts once its
/// last step of the run has installed its own packages (its last `package:` resource, ``CompiledRecipe/lastPackage``);
/// from then on it installs the later proposals' packages one proposal per transaction, in plan order, beside its steps:
/// a step whose packages are all staged goes ahead while the next proposal's install, while any other step waits for
/// the transaction under way and holds the rest back until it has installed its own (dpkg and apt's lists take one user
/// at a time). Its transport is its own (its own SSH threads; a staging's connection is closed when it ends), so steps
/// on other nodes never queue behind stagings. Staging is only a head start: one that is refused (no `policy-rc.d`
/// yet), fails or is cancelled is logged, the node stages nothing more in that batch, and its steps install what is
/// missing as before. A staging that finds its packages all installed (a re-apply) makes the node's later ones one
/// transaction, so a no-op batch checks each node once or twice rather than once per proposal. A step that leaves apt
/// and dpkg alone (``CompiledRecipe/mayUseDpkg``: dns-client only templates resolv.conf) never waits for a staging. With a
/// ``StagingPriority``, an idle node's staging runs behind the steps until a step on its node waits for it (one begun
/// while its node was busy is lowered once the batch leaves the node idle). What runs on the nodes is the
/// ``StagingRunner``'s.
final class PackageStager: Sendable {
    private let planner: StagingPlanner
    private let runner: StagingRunner

    private struct State {
        /// The batch the fields below belong to.
        var batch: Int64?
        /// What this batch staged, or found installed, per node.
        var staged: [String: Set<String>] = [:]
        /// The nodes the batch applies to now (the last request's): staged only once their step's packages are in.
        var busy: Set<String> = []
        /// The number of the last request: a planning finished after a newer request came is dropped.
        var request = 0
        /// The packages still to stage, by node: one apt transaction per element, in order (the last request's plan).
        var pending: [String: [[String]]] = [:]
        /// Stagings under way, by node.
        var running: [String: Staging] = [:]
        /// Nodes whose stagings go on between their steps (a busy node, once its first staging started).
        var flowing: Set<String> = []
        /// Nodes whose staging failed: they stage nothing more in this batch.
        var failed: Set<String> = []
        /// Nodes whose staging found all its packages installed: the rest of theirs is staged in one transaction.
        var installedAlready: Set<String> = []
        /// Steps applying or about to, by node and ticket.
        var applying: [String: [Int: StepState]] = [:]
        var tickets = 0
        /// The last request's planning; the next one waits for it, so requests are planned in order.
        var planning: Task<Void, Never>?
        var stopped = false
    }

    /// Where a step stands towards dpkg on its node.
    private enum StepState {
        /// Its packages are all installed: it leaves dpkg alone.
        case installed
        /// It may install: no staging starts until it has installed its packages or ended.
        case mayInstall
        /// Waits for stagings that will install all its packages; stagings go on meanwhile.
        case waitingForStaged
        /// Waits for the staging under way to end, then installs itself: no other staging starts meanwhile.
        case waitingForDpkg

        var holdsStagingBack: Bool { self == .mayInstall || self == .waitingForDpkg }
    }

    /// One staging under way.
    private struct Staging {
        var task: Task<Void, Never>
        var packages: [String]
        /// Its name on its node (its recipe's marker).
        var name: String
        var priority: Priority
    }

    /// Where a staging stands towards the steps' CPU priority (``StagingPriority``).
    private enum Priority {
        /// At the steps' priority, begun while its node was busy: lowered once its node is idle.
        case steps
        /// Behind the steps, until a step on its node waits for it.
        case behind
        /// A step waits (or waited) for it: at the steps' priority to its end.
        case raised
    }

    private let state = Mutex(State())

    init(
        database: CrowbarDatabase, catalog: BarclampCatalog, recipes: RecipeBook, transport: any NodeTransport, admin: RecipeAdmin,
        behindSteps: (steps: any NodeTransport, priority: StagingPriority)? = nil, servicesHeldBy: String = "/usr/sbin/policy-rc.d",
        logger: Logger
    ) {
        self.planner = StagingPlanner(database: database, catalog: catalog, recipes: recipes, admin: admin, logger: logger)
        self.runner = StagingRunner(
            database: database, transport: transport, behindSteps: behindSteps, servicesHeldBy: servicesHeldBy, logger: logger)
    }

    /// Works out, off the caller's path, which nodes miss which packages, and starts the stagings it can.
    func stage(_ request: PackageStagingRequest) {
        state.withLock { state in
            guard !state.stopped else { return }
            if request.endsBatch {
                // Stagings under way end on their own; nothing more starts, and nothing counts as staged.
                guard state.batch == request.batch else { return }
                state.planning?.cancel()
                state = State(batch: request.batch, request: state.request + 1, running: state.running, applying: state.applying, tickets: state.tickets)
                return
            }
            if state.batch != request.batch {
                state.batch = request.batch
                planner.forget()
                state.staged = [:]
                state.flowing = []
                state.failed = []
                state.installedAlready = []
            }
            state.busy = request.busy
            lowerIdleStagings(&state)
            state.pending = [:]
            state.request += 1
            let previous = state.planning, number = state.request
            state.planning = Task {
                await previous?.value
                await self.plan(request, number: number)
            }
        }
    }

    /// A step is about to apply on `node`, its recipe installing `packages` there (``CompiledRecipe/mayUseDpkg`` when it
    /// may use apt or dpkg otherwise too); `lastOnNode` when the run has no later step there. Wait with
    /// ``admit(_:waiting:)`` until it may start; end with ``endApply(_:)``.
    func beginApply(_ node: String, packages: [String], mayUseDpkg: Bool, lastOnNode: Bool) -> Ticket {
        state.withLock { state in
            state.tickets += 1
            state.applying[node, default: [:]][state.tickets] = mayUseDpkg ? .mayInstall : .installed
            return Ticket(node: node, number: state.tickets, packages: Set(packages), mayUseDpkg: mayUseDpkg, lastOnNode: lastOnNode)
        }
    }

    /// Nil when the step may start now; otherwise the staging to wait for before asking again. A step that leaves
    /// dpkg alone, or whose packages are all staged, starts beside a staging; one whose packages a staging under way or
    /// pending will install waits for the stagings while they go on; any other step waits for the one under way and
    /// holds the rest back, then may install.
    private func admission(_ ticket: Ticket) -> (staging: Task<Void, Never>, raise: String?)? {
        state.withLock { state in
            let staged = state.staged[ticket.node] ?? []
            if !ticket.mayUseDpkg || (!ticket.packages.isEmpty && ticket.packages.isSubset(of: staged)) {
                state.applying[ticket.node]?[ticket.number] = .installed
                startPending(on: ticket.node, &state)
                return nil
            }
            guard let running = state.running[ticket.node] else {
                state.applying[ticket.node]?[ticket.number] = .mayInstall
                return nil
            }
            // What the staging under way and the next one will install: a step never waits for later ones.
            let coming = staged.union(running.packages).union(state.pending[ticket.node]?.first ?? [])
            let covered = !ticket.packages.isEmpty && ticket.packages.isSubset(of: coming)
            state.applying[ticket.node]?[ticket.number] = covered ? .waitingForStaged : .waitingForDpkg
            state.running[ticket.node]?.priority = .raised
            return (running.task, running.priority == .behind ? running.name : nil)
        }
    }

    /// The step holding `ticket` has installed its packages: the rest of it leaves dpkg alone, so the node's pending
    /// packages are staged now if no other step there may still install.
    func packagesInstalled(_ ticket: Ticket) {
        state.withLock { state in
            guard state.applying[ticket.node]?[ticket.number] != nil else { return }
            state.applying[ticket.node]?[ticket.number] = .installed
            state.flowing.insert(ticket.node)
            startPending(on: ticket.node, &state)
        }
    }

    /// The step holding `ticket` has ended: past the run's last step on a node, the node stages between its steps even
    /// if that step installed nothing.
    func endApply(_ ticket: Ticket) {
        state.withLock { state in
            state.applying[ticket.node]?[ticket.number] = nil
            if state.applying[ticket.node]?.isEmpty == true { state.applying[ticket.node] = nil }
            if ticket.lastOnNode && state.busy.contains(ticket.node) { state.flowing.insert(ticket.node) }
            startPending(on: ticket.node, &state)
        }
    }

    /// One step applying on one node, as the stager counts it.
    struct Ticket: Sendable {
        let node: String
        let number: Int
        let packages: Set<String>
        let mayUseDpkg: Bool
        let lastOnNode: Bool
    }

    /// Waits until the step may start (``admission(_:)``), one staging at a time; `waiting` hears when a wait begins.
    /// A step may wait even if it installs no packages: a command may run apt too (the provisioner's `apt-get update`).
    /// Cancelling the waiter (its run is cancelled or crowbard stops) cancels the staging it waits for.
    /// Answers how long it waited, nil when it did not.
    func admit(_ ticket: Ticket, waiting: () -> Void) async -> Duration? {
        var began: ContinuousClock.Instant?
        for _ in 0..<10_000 {  // each turn waits for one staging to end
            guard let (staging, raise) = admission(ticket), !Task.isCancelled else { break }
            if began == nil {
                began = .now
                waiting()
            }
            if let raise { await runner.raise(raise, on: ticket.node) }
            await withTaskCancellationHandler { await staging.value } onCancel: { staging.cancel() }
        }
        return began.map { ContinuousClock.now - $0 }
    }

    /// Cancels every planning and staging (crowbard stops) and starts no more; a cancelled install is finished by the
    /// next step that installs packages there (`dpkg --configure -a`).
    func stop() {
        state.withLock { state in
            state.stopped = true
            state.planning?.cancel()
            state.running.values.forEach { $0.task.cancel() }
        }
    }

    private func plan(_ request: PackageStagingRequest, number: Int) async {
        guard !Task.isCancelled else { return }
        let nodes = Set(request.upcoming.flatMap { $0.steps.flatMap(\.nodes) })
        guard !nodes.isEmpty else { return }
        let wanted = await planner.packages(of: request.upcoming, on: nodes)
        state.withLock { state in
            guard !state.stopped, state.batch == request.batch, state.request == number else { return }
            for (node, proposals) in wanted where !state.failed.contains(node) {
                let oneByOne = request.busy.contains(node) && !state.installedAlready.contains(node)
                state.pending[node] = oneByOne ? proposals : [proposals.flatMap { $0 }]
                startPending(on: node, &state)
            }
        }
    }

    /// Starts `node`'s next pending staging with packages not staged yet, unless something there holds it back: a
    /// staging under way, a step that may install (or waits to), or, on a node the batch applies to now, its last step
    /// of the run not having installed its packages yet (``packagesInstalled(_:)``) when none started there before.
    private func startPending(on node: String, _ state: inout State) {
        guard !state.stopped, let batch = state.batch, state.running[node] == nil,
            !(state.applying[node]?.values.contains { $0.holdsStagingBack } ?? false),
            !state.busy.contains(node) || state.flowing.contains(node)
        else { return }
        let staged = state.staged[node] ?? []
        while var queue = state.pending[node], !queue.isEmpty {
            let missing = queue.removeFirst().filter { !staged.contains($0) }
            state.pending[node] = queue.isEmpty ? nil : queue
            guard !missing.isEmpty else { continue }
            if state.busy.contains(node) { state.flowing.insert(node) }
            // A node the batch applies to now has a step coming soon; only an idle one's staging runs behind the steps.
            let name = "staging-" + String(UInt64.random(in: 1...UInt64.max), radix: 36)
            let lowered = runner.behindSteps != nil && !state.busy.contains(node)
            state.running[node] = Staging(
                task: Task { await self.stage(missing, on: node, batch: batch, as: name, lowered: lowered) }, packages: missing,
                name: name, priority: lowered ? .behind : .steps)
            return
        }
    }

    /// Lowers, behind the steps, the stagings begun while their node was busy whose node the batch now leaves idle (a
    /// compute node's staging begun in an all-node proposal, while the controller alone runs keystone).
    private func lowerIdleStagings(_ state: inout State) {
        guard runner.behindSteps != nil else { return }
        for (node, staging) in state.running
        where staging.priority == .steps && !state.busy.contains(node) && state.applying[node] == nil {
            state.running[node]?.priority = .behind
            Task { await runner.lower(staging.name, on: node) }
        }
    }

    /// Stages `packages` on `node` (``StagingRunner/stage(_:on:as:lowered:)``) and takes in how it ended.
    private func stage(_ packages: [String], on node: String, batch: Int64, as name: String, lowered: Bool) async {
        let outcome = await runner.stage(packages, on: node, as: name, lowered: lowered)
        state.withLock { state in
            state.running[node] = nil
            if state.batch == batch {
                switch outcome {
                case .installed:
                    state.staged[node, default: []].formUnion(packages)
                case .foundInstalled:
                    state.staged[node, default: []].formUnion(packages)
                    // Everything was installed already (a re-apply): the rest likely is too, so it is checked in one go.
                    state.installedAlready.insert(node)
                    if let queue = state.pending[node] { state.pending[node] = [queue.flatMap { $0 }] }
                case .failed:
                    // The node stages nothing more in this batch: its steps install, none waits for a staging.
                    state.failed.insert(node)
                    state.pending[node] = nil
                }
            }
            startPending(on: node, &state)  // what a newer request asked meanwhile
        }
    }
}
