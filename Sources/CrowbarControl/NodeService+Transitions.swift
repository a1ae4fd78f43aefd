import CrowbarCore
import CrowbarStore

extension NodeService {
    /// Moves a node to `state`. With an orchestrator, the barclamps that list `state` in `transitions` and have an
    /// active proposal are then applied to the node (after adding it to each barclamp's transition role and
    /// committing, when it has no role yet); the run's end takes it on (``RunOutcome``). Entering `readying` with
    /// nothing to apply makes the node `ready` at once.
    public func transition(_ node: String, to state: NodeState, reason: String) async throws -> Node {
        let database = context.database
        let moved = try await database.transition(node: node, to: state, reason: reason)
        guard let scheduler = context.scheduler else { return moved }
        do {
            return try await applyTransition(of: moved, to: state, scheduler: scheduler)
        } catch {
            // The node must not sit in its new state with nothing coming: say why it could not be applied.
            if NodeLifecycle.allowedTargets(from: state).contains(.problem) {
                _ = try? await database.transition(node: node, to: .problem, reason: "\(state.rawValue) could not be applied: \(error)")
            }
            throw error
        }
    }

    private func applyTransition(of moved: Node, to state: NodeState, scheduler: any RunScheduler) async throws -> Node {
        let database = context.database
        let node = moved.name
        var planned: [PlannedProposal] = []
        for barclamp in context.catalog.runOrder where barclamp.transitions.contains(state) {
            let active = try await database.proposals(barclamp: barclamp.name).filter(\.status.isActive)
            guard let proposal = active.first(where: { $0.name == "default" }) ?? active.first else { continue }
            var deployment = try await database.revision(barclamp: barclamp.name, name: proposal.name, number: proposal.revision)
                .content.deployment
            if !deployment.values.contains(where: { $0.contains(node) }), let role = barclamp.transitionRole {
                _ = try await proposals.assign(
                    barclamp: barclamp.name, proposal: proposal.name, role: role.name, nodes: (deployment[role.name] ?? []) + [node])
                deployment = try await proposals.commitRevision(barclamp: barclamp.name, proposal: proposal.name).content.deployment
            }
            planned.append(PlannedProposal(
                barclamp: barclamp.name, name: proposal.name,
                deployment: deployment.filter { $0.value.contains(node) }.mapValues { _ in [node] }))
        }
        let plan = try Planner.plan(planned, catalog: context.catalog)
        guard !plan.steps.isEmpty else {
            return state == .readying
                ? try await database.transition(node: node, to: .ready, reason: "no barclamp applies at readying") : moved
        }
        _ = try await context.queueRun(
            plan, barclamp: nil, proposal: nil, revision: nil, checkMode: false, transitionNode: node, scheduler: scheduler)
        return moved
    }
}
