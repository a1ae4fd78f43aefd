/// One step of an apply: one role of one proposal, run on its nodes in parallel.
public struct PlanStep: Sendable, Hashable, Codable {
    /// Position in the plan, from 1.
    public var index: Int
    public var barclamp: String
    public var proposal: String
    public var role: String
    public var priority: Int
    /// The recipe the nodes get, as `barclamp/role`.
    public var recipe: String
    /// Nodes that run this step in parallel, sorted by name.
    public var nodes: [String]

    public init(index: Int, barclamp: String, proposal: String, role: String, priority: Int, recipe: String, nodes: [String]) {
        self.index = index
        self.barclamp = barclamp
        self.proposal = proposal
        self.role = role
        self.priority = priority
        self.recipe = recipe
        self.nodes = nodes
    }
}

/// The ordered steps that committing a set of proposals implies.
public struct Plan: Sendable, Hashable, Codable {
    public var steps: [PlanStep]

    public init(steps: [PlanStep]) { self.steps = steps }

    /// The number of node applies across all steps.
    public var nodeApplyCount: Int { steps.reduce(0) { $0 + $1.nodes.count } }
}

/// The deployment of one proposal, as the planner needs it.
public struct PlannedProposal: Sendable, Hashable {
    public var barclamp: String
    public var name: String
    public var deployment: [String: [String]]

    public init(barclamp: String, name: String, deployment: [String: [String]]) {
        self.barclamp = barclamp
        self.name = name
        self.deployment = deployment
    }
}

/// A proposal that names a barclamp the catalog does not have.
public struct UnknownBarclampError: Error, Sendable, Hashable, CustomStringConvertible {
    public var barclamp: String
    public var description: String { "unknown barclamp '\(barclamp)'" }
}

/// Orders proposals into a plan: barclamps in catalog run order (dependencies first, then
/// `order`, then name), proposals of one barclamp by name, roles by priority then name, and
/// the nodes of a role together as one parallel step. Roles without nodes are left out.
public enum Planner {
    public static func plan(_ proposals: [PlannedProposal], catalog: BarclampCatalog) throws(UnknownBarclampError) -> Plan {
        for proposal in proposals where catalog[proposal.barclamp] == nil {
            throw UnknownBarclampError(barclamp: proposal.barclamp)
        }
        let byBarclamp = Dictionary(grouping: proposals, by: \.barclamp)
        var steps: [PlanStep] = []
        for barclamp in catalog.runOrder {
            for proposal in (byBarclamp[barclamp.name] ?? []).sorted(by: { $0.name < $1.name }) {
                let roles = barclamp.roles.sorted { ($0.priority, $0.name) < ($1.priority, $1.name) }
                for role in roles {
                    let nodes = proposal.deployment[role.name] ?? []
                    guard !nodes.isEmpty else { continue }
                    steps.append(PlanStep(
                        index: steps.count + 1, barclamp: barclamp.name, proposal: proposal.name, role: role.name,
                        priority: role.priority, recipe: role.recipe, nodes: nodes.sorted()))
                }
            }
        }
        return Plan(steps: steps)
    }
}
