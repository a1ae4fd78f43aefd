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
    /// active proposals' attributes, and the nodes.
    static func load(step: PlanStep, run: Run, database: CrowbarDatabase, catalog: BarclampCatalog) async throws -> StepInputs {
        let nodes = Dictionary(uniqueKeysWithValues: try await database.nodes().map { ($0.name, $0) })
        var barclamps: [String: AttributeValue] = [:]
        var secrets: [String] = []
        var attributes: AttributeValue = .map([:])
        var deployment: [String: [String]] = [:]
        for proposal in try await database.proposals() where proposal.revision > 0 {
            let isStepProposal = proposal.barclamp == step.barclamp && proposal.name == step.proposal
            guard isStepProposal || proposal.status.isActive else { continue }
            let number = isStepProposal && run.barclamp == step.barclamp && run.proposal == step.proposal
                ? run.revision ?? proposal.revision : proposal.revision
            let content = try await database.revision(barclamp: proposal.barclamp, name: proposal.name, number: number).content
            if let barclamp = catalog[proposal.barclamp] {
                secrets += SecretPaths.values(in: content.attributes, for: barclamp)
            }
            if isStepProposal {
                attributes = content.attributes
                deployment = content.deployment
            }
            if isStepProposal || barclamps[proposal.barclamp] == nil || proposal.name == "default" {
                barclamps[proposal.barclamp] = content.attributes
            }
        }
        let roles = deployment.mapValues { names in
            names.sorted().map { RecipeNode(name: $0, address: nodes[$0]?.sshAddress ?? "") }
        }
        return StepInputs(
            attributes: attributes, roles: roles, barclamps: barclamps, nodes: nodes, scrubber: SecretScrubber(secrets))
    }

    func context(step: PlanStep, node: Node) -> RecipeContext {
        RecipeContext(
            barclamp: step.barclamp, proposal: step.proposal, attributes: attributes,
            node: RecipeNode(name: node.name, address: node.sshAddress ?? ""), roles: roles, barclamps: barclamps)
    }
}
