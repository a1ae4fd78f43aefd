import CrowbarCore
import CrowbarStore

extension ProposalService {
    /// Every proposal, optionally of one barclamp, by barclamp then name.
    public func list(barclamp name: String? = nil, showSecrets: Bool = false) async throws -> [Proposal] {
        if let name { _ = try context.barclamps.barclamp(named: name) }
        return try await context.database.proposals(barclamp: name).map { presented($0, showSecrets) }
    }

    /// One proposal with its working copy.
    public func proposal(barclamp name: String, proposal: String, showSecrets: Bool = false) async throws -> Proposal {
        _ = try context.barclamps.barclamp(named: name)
        return presented(try await context.database.proposal(barclamp: name, name: proposal), showSecrets)
    }

    /// Every committed revision, oldest first.
    public func revisions(barclamp name: String, proposal: String, showSecrets: Bool = false) async throws -> [ProposalRevision] {
        _ = try context.barclamps.barclamp(named: name)
        return try await context.database.revisions(barclamp: name, name: proposal).map { presented($0, showSecrets) }
    }

    /// One committed revision.
    public func revision(barclamp name: String, proposal: String, number: Int, showSecrets: Bool = false) async throws -> ProposalRevision {
        _ = try context.barclamps.barclamp(named: name)
        return presented(try await context.database.revision(barclamp: name, name: proposal, number: number), showSecrets)
    }

    /// Changes between two revisions; `from` defaults to the last committed one (or nothing), `to` to the working
    /// copy; revision 0 is the empty proposal. Secrets are masked in the changes.
    public func diff(barclamp name: String, proposal: String, from: Int? = nil, to: Int? = nil) async throws -> [ProposalChange] {
        let barclamp = try context.barclamps.barclamp(named: name)
        let database = context.database
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

    /// The plan that committing one proposal's working copy would run.
    public func plan(barclamp name: String, proposal: String) async throws -> Plan {
        _ = try context.barclamps.barclamp(named: name)
        let current = try await context.database.proposal(barclamp: name, name: proposal)
        return try Planner.plan(
            [PlannedProposal(barclamp: name, name: proposal, deployment: current.content.deployment)], catalog: context.catalog)
    }

    /// The plan of every active proposal's last committed revision.
    public func planOfActive() async throws -> Plan {
        var planned: [PlannedProposal] = []
        for proposal in try await context.database.proposals() where proposal.status.isActive {
            let revision = try await context.database.revision(barclamp: proposal.barclamp, name: proposal.name, number: proposal.revision)
            planned.append(PlannedProposal(barclamp: proposal.barclamp, name: proposal.name, deployment: revision.content.deployment))
        }
        return try Planner.plan(planned, catalog: context.catalog)
    }

    /// A proposal as shown to a client: secrets masked unless `showSecrets` (every string, when its barclamp is gone).
    func presented(_ proposal: Proposal, _ showSecrets: Bool) -> Proposal {
        guard !showSecrets else { return proposal }
        var shown = proposal
        shown.content.attributes = SecretPaths.redact(proposal.content.attributes, for: context.catalog[proposal.barclamp])
        return shown
    }

    /// A revision as shown to a client: secrets masked unless `showSecrets` (every string, when its barclamp is gone).
    func presented(_ revision: ProposalRevision, _ showSecrets: Bool) -> ProposalRevision {
        guard !showSecrets else { return revision }
        var shown = revision
        shown.content.attributes = SecretPaths.redact(revision.content.attributes, for: context.catalog[revision.barclamp])
        return shown
    }
}
