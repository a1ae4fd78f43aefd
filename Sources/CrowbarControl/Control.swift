import CrowbarCore
import CrowbarStore
import Foundation
import Logging

/// The admin node's application layer: one service per concern over the store and the orchestrator. The REST
/// routes, the boot service, crowbard and the tests call these; nothing above this layer touches the database, and
/// the rules these services apply live here or in `CrowbarCore` (lifecycle tables, run outcomes), never in the store.
public struct Control: Sendable {
    public let barclamps: BarclampService
    public let proposals: ProposalService
    public let nodes: NodeService
    public let runs: RunService
    public let networks: NetworkService
    public let events: EventService
    public let boot: BootService
    public let batches: BatchService
    public let power: PowerService
    public let install: InstallService
    public let tokens: TokenService
    public let health: HealthService
    public let metrics: MetricsService
    /// Applies submitted batches: a service to run beside the orchestrator.
    public let batchRunner: BatchRunner

    /// - Parameters:
    ///   - scheduler: executes runs; without one, commits are recorded but not applied.
    ///   - bootCounters: what the boot services counted, when this crowbard runs them.
    ///   - powerDrivers: talk to BMCs; without them, power actions fail with `bmc_error`.
    ///   - install: what OS installs need; without it, allocating with an OS is refused.
    ///   - states: where crowbard's long-running parts report, for the health check.
    public init(
        catalog: BarclampCatalog, database: CrowbarDatabase, scheduler: (any RunScheduler)? = nil, powerDrivers: (any PowerDrivers)? = nil,
        install installSettings: InstallSettings? = nil,
        bootCounters: (@Sendable () -> [String: Int])? = nil, generateSecret: @escaping @Sendable () -> String = { Secrets.random() },
        states: ComponentStates = ComponentStates(), logger: Logger = Logger(label: "crowbar.control")
    ) {
        barclamps = BarclampService(catalog: catalog)
        let context = ControlContext(barclamps: barclamps, database: database, scheduler: scheduler)
        networks = NetworkService(context: context)
        proposals = ProposalService(context: context, generateSecret: generateSecret)
        nodes = NodeService(context: context, proposals: proposals, networks: networks)
        runs = RunService(context: context)
        events = EventService(database: database)
        batchRunner = BatchRunner(context: context, logger: logger)
        batches = BatchService(context: context, proposals: proposals, runner: batchRunner)
        power = PowerService(context: context, networks: networks, drivers: powerDrivers)
        install = InstallService(context: context, nodes: nodes, networks: networks, power: power, settings: installSettings, logger: logger)
        boot = BootService(database: database, install: install, counters: bootCounters)
        tokens = TokenService(database: database)
        health = HealthService(database: database, states: states)
        metrics = MetricsService(database: database, networks: networks, boot: boot)
    }
}

/// What every service works with.
struct ControlContext: Sendable {
    let barclamps: BarclampService
    let database: CrowbarDatabase
    let scheduler: (any RunScheduler)?

    var catalog: BarclampCatalog { barclamps.catalog }

    /// The orchestrator, or a conflict: a crowbard without one records commits but applies nothing.
    func requireScheduler() throws -> any RunScheduler {
        guard let scheduler else { throw CrowbarError(.conflict, "this crowbard has no orchestrator") }
        return scheduler
    }

    /// The run that applies (or, in check mode, checks) one committed revision, linked to its batch entry if any.
    func runRequest(of revision: ProposalRevision, checkMode: Bool, batchEntry: (batch: Int64, position: Int)? = nil) throws -> RunRequest {
        RunRequest(
            plan: try plan(of: revision), barclamp: revision.barclamp, proposal: revision.proposal, revision: revision.revision,
            checkMode: checkMode, batchEntry: batchEntry)
    }

    /// The steps that applying one committed revision takes.
    func plan(of revision: ProposalRevision) throws -> Plan {
        try Planner.plan(
            [PlannedProposal(barclamp: revision.barclamp, name: revision.proposal, deployment: revision.content.deployment)],
            catalog: catalog)
    }

    /// Queues a run in the store and hands it to the scheduler.
    func queueRun(_ request: RunRequest, scheduler: any RunScheduler) async throws -> Run {
        let run = try await database.createRun(request, decide: RunOutcome.effectsOfQueuing)
        scheduler.schedule(runID: run.id)
        return run
    }
}
