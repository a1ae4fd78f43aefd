import CrowbarBoot
import CrowbarCore
import CrowbarStore
import Foundation

/// The admin node's operations, combining the pure model with the store. Routes call this;
/// so do tests and benchmarks that need no HTTP.
public struct Admin: Sendable {
    public let catalog: BarclampCatalog
    public let database: CrowbarDatabase
    /// Executes runs; without one, commits are recorded but not applied.
    public let runs: (any RunScheduler)?
    /// What the boot services counted, when this crowbard runs them.
    public let bootCounters: BootCounters?
    private let generateSecret: @Sendable () -> String

    public init(
        catalog: BarclampCatalog, database: CrowbarDatabase, runs: (any RunScheduler)? = nil, bootCounters: BootCounters? = nil,
        generateSecret: @escaping @Sendable () -> String = Admin.randomSecret
    ) {
        self.catalog = catalog
        self.database = database
        self.runs = runs
        self.bootCounters = bootCounters
        self.generateSecret = generateSecret
    }

    /// 24 random letters and digits from the system's secure generator.
    @Sendable public static func randomSecret() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<24).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// The barclamp called `name`, or a 404.
    public func barclamp(named name: String) throws -> Barclamp {
        guard let barclamp = catalog[name] else { throw StoreError(.notFound, "no barclamp named \(name)") }
        return barclamp
    }

    public func createProposal(barclamp name: String, proposal: String) async throws -> Proposal {
        let barclamp = try barclamp(named: name)
        guard Identifier.isValid(proposal) else { throw ProposalEditError(field: "name", message: Identifier.rule) }
        let content = ProposalEditor.initialContent(for: barclamp, generateSecret: generateSecret)
        return try await database.createProposal(barclamp: name, name: proposal, content: content)
    }

    /// Applies attribute edits in order; all or nothing.
    public func edit(barclamp name: String, proposal: String, edits: [AttributeEdit]) async throws -> Proposal {
        let barclamp = try barclamp(named: name)
        return try await database.updateProposal(barclamp: name, name: proposal) { content in
            try edits.reduce(content) { content, edit in try edit.apply(to: content, barclamp: barclamp) }
        }
    }

    public func assign(barclamp name: String, proposal: String, role: String, nodes: [String]) async throws -> Proposal {
        let barclamp = try barclamp(named: name)
        return try await database.updateProposal(barclamp: name, name: proposal) { content in
            try ProposalEditor.assign(nodes, to: role, in: content, barclamp: barclamp)
        }
    }

    /// Validates and commits the working copy as a new revision.
    public func commit(barclamp name: String, proposal: String) async throws -> ProposalRevision {
        let barclamp = try barclamp(named: name)
        let catalog = self.catalog
        return try await database.commitProposal(barclamp: name, name: proposal) { snapshot in
            let context = ValidationContext(catalog: catalog, knownNodes: snapshot.knownNodes, activeProposals: snapshot.activeProposals)
            try ProposalValidator.validate(snapshot.proposal.content, of: barclamp, proposalName: proposal, context: context)
            if barclamp.name == "network" {
                _ = try NetworkModel.networks(from: snapshot.proposal.content.attributes)
            }
        }
    }

    /// Commits the working copy and, when `apply` and a scheduler is present, queues the run that applies it.
    public func commit(barclamp name: String, proposal: String, apply: Bool) async throws -> CommitResult {
        let revision = try await commit(barclamp: name, proposal: proposal)
        guard apply, let runs else { return CommitResult(revision: revision, run: nil) }
        let run = try await queueRun(of: revision, checkMode: false, scheduler: runs)
        return CommitResult(revision: revision, run: run)
    }

    /// Queues a check-mode run of the last committed revision: what re-applying it would change on the nodes.
    public func check(barclamp name: String, proposal: String) async throws -> Run {
        guard let runs else { throw StoreError(.conflict, "this crowbard has no orchestrator") }
        let current = try await database.proposal(barclamp: name, name: proposal)
        guard current.revision > 0 else { throw StoreError(.conflict, "proposal \(name)/\(proposal) has never been committed") }
        let revision = try await database.revision(barclamp: name, name: proposal, number: current.revision)
        return try await queueRun(of: revision, checkMode: true, scheduler: runs)
    }

    private func queueRun(of revision: ProposalRevision, checkMode: Bool, scheduler: any RunScheduler) async throws -> Run {
        let plan = try Planner.plan(
            [PlannedProposal(barclamp: revision.barclamp, name: revision.proposal, deployment: revision.content.deployment)],
            catalog: catalog)
        let run = try await database.createRun(
            plan: plan, barclamp: revision.barclamp, proposal: revision.proposal, revision: revision.revision, checkMode: checkMode)
        scheduler.schedule(runID: run.id)
        return run
    }

    /// The plan of every active proposal's last committed revision.
    public func plan() async throws -> Plan {
        var planned: [PlannedProposal] = []
        for proposal in try await database.proposals() where proposal.status.isActive {
            let revision = try await database.revision(barclamp: proposal.barclamp, name: proposal.name, number: proposal.revision)
            planned.append(PlannedProposal(barclamp: proposal.barclamp, name: proposal.name, deployment: revision.content.deployment))
        }
        return try Planner.plan(planned, catalog: catalog)
    }

    /// The plan that committing one proposal's working copy would run.
    public func plan(barclamp name: String, proposal: String) async throws -> Plan {
        let current = try await database.proposal(barclamp: name, name: proposal)
        return try Planner.plan(
            [PlannedProposal(barclamp: name, name: proposal, deployment: current.content.deployment)], catalog: catalog)
    }

    /// Changes between two revisions; `from` defaults to the last committed one (or nothing),
    /// `to` to the working copy.
    public func diff(barclamp name: String, proposal: String, from: Int?, to: Int?) async throws -> [ProposalChange] {
        let barclamp = try barclamp(named: name)
        let current = try await database.proposal(barclamp: name, name: proposal)
        let empty = ProposalContent(attributes: .map([:]), deployment: [:])
        func content(_ number: Int?, fallback: ProposalContent) async throws -> ProposalContent {
            guard let number else { return fallback }
            if number == 0 { return empty }
            return try await database.revision(barclamp: name, name: proposal, number: number).content
        }
        let committed = current.revision > 0
            ? try await database.revision(barclamp: name, name: proposal, number: current.revision).content : empty
        let old = try await content(from, fallback: committed)
        let new = try await content(to, fallback: current.content)
        return ProposalDiff.changes(from: old, to: new, barclamp: barclamp)
    }

    /// The networks in force: those of the active network proposal, else the barclamp's defaults.
    public func networks() async throws -> [NetworkDefinition] {
        let active = try await database.proposals(barclamp: "network").first { $0.status.isActive }
        if let active {
            let revision = try await database.revision(barclamp: "network", name: active.name, number: active.revision)
            return try NetworkModel.networks(from: revision.content.attributes)
        }
        guard let network = catalog["network"], let defaults = network.schema.effectiveDefault else {
            throw StoreError(.notFound, "no network barclamp is loaded")
        }
        return try NetworkModel.networks(from: defaults)
    }

    /// Allocates a discovered node: state `allocated` and an address from the admin network's host range.
    public func allocate(node name: String) async throws -> Node {
        guard let admin = try await networks().first(where: { $0.name == "admin" }) else {
            throw StoreError(.notFound, "the network model has no admin network")
        }
        return try await database.allocate(node: name, adminNetwork: admin)
    }

    /// A proposal as shown to a client: secrets masked unless `showSecrets`.
    public func presented(_ proposal: Proposal, showSecrets: Bool) -> Proposal {
        guard !showSecrets, let barclamp = catalog[proposal.barclamp] else { return proposal }
        var shown = proposal
        shown.content.attributes = SecretPaths.redact(proposal.content.attributes, for: barclamp)
        return shown
    }

    /// A revision as shown to a client: secrets masked unless `showSecrets`.
    public func presented(_ revision: ProposalRevision, showSecrets: Bool) -> ProposalRevision {
        guard !showSecrets, let barclamp = catalog[revision.barclamp] else { return revision }
        var shown = revision
        shown.content.attributes = SecretPaths.redact(revision.content.attributes, for: barclamp)
        return shown
    }
}
