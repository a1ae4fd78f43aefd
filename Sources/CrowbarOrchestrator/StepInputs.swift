import CrowbarCore
import CrowbarStore

/// Everything a step's recipes are compiled against, read from the store once per step.
struct StepInputs: Sendable {
    var attributes: AttributeValue
    var roles: [String: [RecipeNode]]
    var barclamps: [String: AttributeValue]
    var nodes: [String: Node]
    var scrubber: SecretScrubber

    /// Reads the step's proposal at the revision the run applies (or its last committed one), the other
    /// active proposals' attributes and role assignments, and the nodes. Where a barclamp has several active
    /// proposals, the step's own proposal wins, then the one named "default", then the first.
    static func load(step: PlanStep, run: Run, database: CrowbarDatabase, catalog: BarclampCatalog) async throws -> StepInputs {
        let applied = run.barclamp == step.barclamp && run.proposal == step.proposal ? run.revision : nil
        return try await load(step: step, revision: applied, database: database, catalog: catalog)
    }

    /// As above, with the step's proposal at `revision` (nil: its last committed one).
    static func load(step: PlanStep, revision: Int?, database: CrowbarDatabase, catalog: BarclampCatalog) async throws -> StepInputs {
        let nodes = Dictionary(uniqueKeysWithValues: try await database.nodes().map { ($0.name, $0) })
        var barclamps: [String: AttributeValue] = [:]
        var secrets: [String] = []
        var attributes: AttributeValue = .map([:])
        var deployments: [String: [String: [String]]] = [:]
        var chosenRank: [String: Int] = [:]
        let pinned = revision.map { (barclamp: step.barclamp, name: step.proposal, revision: $0) }
        for proposal in try await database.committedProposals(pinning: pinned) {
            let isStepProposal = proposal.barclamp == step.barclamp && proposal.name == step.proposal
            guard isStepProposal || proposal.status.isActive else { continue }
            let content = proposal.content
            if let barclamp = catalog[proposal.barclamp] {
                secrets += SecretPaths.values(in: content.attributes, for: barclamp)
            }
            if isStepProposal { attributes = content.attributes }
            let rank = isStepProposal ? 0 : proposal.name == "default" ? 1 : 2
            if rank < chosenRank[proposal.barclamp, default: 3] {
                chosenRank[proposal.barclamp] = rank
                barclamps[proposal.barclamp] = content.attributes
                deployments[proposal.barclamp] = content.deployment
            }
        }
        var roles: [String: [RecipeNode]] = [:]
        for deployment in deployments.values {
            for (role, names) in deployment {
                roles[role] = names.sorted().map { name in nodes[name].map(RecipeNode.init) ?? RecipeNode(name: name, address: "") }
            }
        }
        return StepInputs(
            attributes: attributes, roles: roles, barclamps: barclamps, nodes: nodes, scrubber: SecretScrubber(secrets))
    }

    /// What every node of the step shares in its recipe's context; built once per step.
    func scope(step: PlanStep, admin: RecipeAdmin) -> RecipeScope {
        RecipeScope(barclamp: step.barclamp, proposal: step.proposal, attributes: attributes, roles: roles, barclamps: barclamps, admin: admin)
    }
}

extension RecipeNode {
    /// A node as its recipes see it: its name and the address crowbard reaches it by.
    init(_ node: Node) { self.init(name: node.name, address: node.sshAddress?.description ?? "") }
}
