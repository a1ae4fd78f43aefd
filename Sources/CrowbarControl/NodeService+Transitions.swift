import CrowbarCore
import CrowbarStore

extension NodeService {
    /// Moves a node to `state`. With an orchestrator, the barclamps that list `state` in `transitions` and have an
    /// active proposal are then applied to the node (after adding it to each barclamp's transition role and
    /// committing, when it has no role yet); the run's end takes it on (``RunOutcome``). Entering `readying` with
    /// nothing to apply makes the node `ready` at once. The move and its run (or its move on to `ready`) are one
    /// transaction: a crash never leaves the node in its new state with nothing coming.
    public func transition(_ node: String, to state: NodeState, reason: String) async throws -> Node {
        let database = context.database
        guard let scheduler = context.scheduler else { return try await database.transition(node: node, to: state, reason: reason) }
        // Refused moves are refused before any proposal is touched.
        try NodeLifecycle.validate(node: node, from: try await database.node(named: node).state, to: state)
        let plan: Plan
        do {
            plan = try await transitionPlan(for: node, entering: state)
        } catch {
            // Say why on the node rather than leave it where it was with the request lost.
            if NodeLifecycle.allowedTargets(from: state).contains(.problem) {
                _ = try? await database.transition(
                    node: node, through: [(state, reason), (.problem, "\(state.rawValue) could not be applied: \(error)")])
            }
            throw error
        }
        CrashPoint.reach("transition.before-transaction")
        guard !plan.steps.isEmpty else {
            let onward = state == .readying ? [(NodeState.ready, "no barclamp applies at readying")] : []
            return try await database.transition(node: node, through: [(state, reason)] + onward).node
        }
        let moved = try await database.transition(
            node: node, through: [(state, reason)],
            queue: (RunRequest(plan: plan, transitionNode: node), RunOutcome.effectsOfQueuing))
        CrashPoint.reach("transition.before-schedule")
        if let run = moved.run { scheduler.schedule(runID: run.id) }
        return moved.node
    }

    /// What entering `state` applies to `node`: the active proposal of each barclamp that lists `state`, limited to
    /// the node, which joins the barclamp's transition role first when it has no role there.
    private func transitionPlan(for node: String, entering state: NodeState) async throws -> Plan {
        let database = context.database
        var planned: [PlannedProposal] = []
        for barclamp in context.catalog.runOrder where barclamp.transitions.contains(state) {
            let active = try await database.proposals(barclamp: barclamp.name).filter(\.status.isActive)
            guard let proposal = active.first(where: { $0.name == "default" }) ?? active.first else { continue }
            var deployment = try await database.revision(barclamp: barclamp.name, name: proposal.name, number: proposal.revision)
                .content.deployment
            if !deployment.values.contains(where: { $0.contains(node) }), let role = barclamp.transitionRole {
                deployment = try await proposals.enroll(node, in: role.name, barclamp: barclamp.name, proposal: proposal.name)
            }
            planned.append(PlannedProposal(
                barclamp: barclamp.name, name: proposal.name,
                deployment: deployment.filter { $0.value.contains(node) }.mapValues { _ in [node] }))
        }
        return try Planner.plan(planned, catalog: context.catalog)
    }
}
