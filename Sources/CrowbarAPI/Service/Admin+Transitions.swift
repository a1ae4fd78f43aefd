import CrowbarCore
import CrowbarStore

extension Admin {
    /// Moves a node to `state`. With an orchestrator, the barclamps that list `state` in `transitions` and have an
    /// active proposal are then applied to the node (after adding it to each barclamp's transition role and
    /// committing, when it has no role yet); the node becomes `ready` (from `readying`) when that run succeeds and
    /// `problem` when it fails. Entering `readying` with nothing to apply makes the node `ready` at once.
    public func transition(node: String, to state: NodeState, reason: String) async throws -> Node {
        let moved = try await database.transition(node: node, to: state, reason: reason)
        guard let runs else { return moved }
        do {
            return try await applyTransition(of: moved, to: state, runs: runs)
        } catch {
            // The node must not sit in its new state with nothing coming: say why it could not be applied.
            if NodeLifecycle.allowedTargets(from: state).contains(.problem) {
                _ = try? await database.transition(node: node, to: .problem, reason: "\(state.rawValue) could not be applied: \(error)")
            }
            throw error
        }
    }

    private func applyTransition(of moved: Node, to state: NodeState, runs: any RunScheduler) async throws -> Node {
        let node = moved.name
        var planned: [PlannedProposal] = []
        for barclamp in catalog.runOrder where barclamp.transitions.contains(state) {
            let active = try await database.proposals(barclamp: barclamp.name).filter(\.status.isActive)
            guard let proposal = active.first(where: { $0.name == "default" }) ?? active.first else { continue }
            var deployment = try await database.revision(barclamp: barclamp.name, name: proposal.name, number: proposal.revision)
                .content.deployment
            if !deployment.values.contains(where: { $0.contains(node) }), let role = barclamp.transitionRole {
                _ = try await assign(
                    barclamp: barclamp.name, proposal: proposal.name, role: role.name, nodes: (deployment[role.name] ?? []) + [node])
                deployment = try await commit(barclamp: barclamp.name, proposal: proposal.name).content.deployment
            }
            planned.append(PlannedProposal(
                barclamp: barclamp.name, name: proposal.name,
                deployment: deployment.filter { $0.value.contains(node) }.mapValues { _ in [node] }))
        }
        let plan = try Planner.plan(planned, catalog: catalog)
        guard !plan.steps.isEmpty else {
            return state == .readying
                ? try await database.transition(node: node, to: .ready, reason: "no barclamp applies at readying") : moved
        }
        let run = try await database.createRun(
            plan: plan, barclamp: nil, proposal: nil, revision: nil, checkMode: false, transitionNode: node)
        runs.schedule(runID: run.id)
        return moved
    }
}
