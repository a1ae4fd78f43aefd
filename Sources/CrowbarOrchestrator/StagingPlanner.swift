import CrowbarCore
import CrowbarStore
import Logging
import Synchronization

/// Works out which packages a batch's upcoming proposals will install on which nodes, for ``PackageStager``: the leading
/// `package:` resources of their recipes (``RecipeCompiler/leadingPackages(_:context:)``), each step's worked out once
/// until ``forget()`` (a new batch).
final class StagingPlanner: Sendable {
    private let database: CrowbarDatabase
    private let catalog: BarclampCatalog
    private let recipes: RecipeBook
    private let admin: RecipeAdmin
    private let logger: Logger
    /// The leading packages of each step's recipe, by "plan step@revision" and node.
    private let known = Mutex<[String: [String: [String]]]>([:])

    init(database: CrowbarDatabase, catalog: BarclampCatalog, recipes: RecipeBook, admin: RecipeAdmin, logger: Logger) {
        self.database = database
        self.catalog = catalog
        self.recipes = recipes
        self.admin = admin
        self.logger = logger
    }

    /// Forgets what was worked out (a new batch: recipes and nodes may have changed since).
    func forget() {
        known.withLock { $0 = [:] }
    }

    /// The upcoming steps' leading packages on `nodes`, by node and then by upcoming proposal, in plan order, each
    /// package once, proposals with none left out. A step whose recipe cannot be compiled yet stages nothing (its run
    /// will say why, if it still cannot).
    func packages(of upcoming: [UpcomingRun], on nodes: Set<String>) async -> [String: [[String]]] {
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

    /// One upcoming step's leading packages on those of `nodes` it applies to, by node.
    private func leadingPackages(of step: PlanStep, revision: Int, on nodes: Set<String>) async -> [String: [String]] {
        let key = "\(step.barclamp)/\(step.proposal)/\(step.index)@\(revision)"
        var byNode = known.withLock { $0[key] } ?? [:]
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
        known.withLock { [byNode] in $0[key] = byNode }
        return byNode
    }
}
