@testable import CrowbarCore
import Testing

@Suite struct PlannerTests {
    @Test func fourteenBarclampPlanFollowsRunOrderThenPriority() throws {
        let catalog = try Fixtures.shippedCatalog()
        let proposals = catalog.runOrder.reversed().map { barclamp in
            PlannedProposal(
                barclamp: barclamp.name, name: "default",
                deployment: Dictionary(uniqueKeysWithValues: barclamp.roles.map { ($0.name, ["n2", "n1"]) }))
        }
        let plan = try Planner.plan(proposals, catalog: catalog)
        let barclampOrder = plan.steps.map(\.barclamp).reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
        #expect(barclampOrder == catalog.names)
        #expect(plan.steps.map(\.index) == Array(1...plan.steps.count))
        #expect(plan.steps.allSatisfy { $0.nodes == ["n1", "n2"] })
        let nova = plan.steps.filter { $0.barclamp == "nova" }
        #expect(nova.map(\.role) == ["nova-controller", "nova-compute-kvm", "nova-compute-qemu"].sorted { lhs, rhs in
            let roles = catalog["nova"]!.roles
            let l = roles.first { $0.name == lhs }!, r = roles.first { $0.name == rhs }!
            return (l.priority, l.name) < (r.priority, r.name)
        })
        for (barclamp, step) in zip(catalog.runOrder, catalog.runOrder.dropFirst()) {
            #expect(!barclamp.requires.contains(step.name), "\(barclamp.name) runs before its requirement \(step.name)")
        }
        #expect(try Planner.plan(proposals.shuffled(), catalog: catalog) == plan)
    }

    @Test func requirementsWinOverOrder() throws {
        let catalog = try BarclampCatalog([
            Fixtures.barclamp("early", order: 1, requires: ["late"]), Fixtures.barclamp("late", order: 99),
        ])
        #expect(catalog.names == ["late", "early"])
    }

    @Test func rolesWithoutNodesAreLeftOut() throws {
        let catalog = try Fixtures.shippedCatalog()
        let plan = try Planner.plan(
            [PlannedProposal(barclamp: "nova", name: "default", deployment: ["nova-controller": ["c1"], "nova-compute-kvm": []])],
            catalog: catalog)
        #expect(plan.steps.map(\.role) == ["nova-controller"])
        #expect(plan.table().contains("nova-controller"))
    }

    @Test func unknownBarclampIsAnError() throws {
        let catalog = try Fixtures.shippedCatalog()
        #expect(throws: UnknownBarclampError(barclamp: "swift")) {
            try Planner.plan([PlannedProposal(barclamp: "swift", name: "default", deployment: [:])], catalog: catalog)
        }
    }

    @Test func tableShortensLongNodeLists() throws {
        let plan = Plan(steps: [
            PlanStep(index: 1, barclamp: "nova", proposal: "default", role: "nova-compute-qemu", priority: 1, recipe: "nova/x",
                     nodes: (1...100).map { "n\($0)" }),
        ])
        #expect(plan.table(maxNodesShown: 2).contains("n1, n2, … (100 nodes)"))
    }
}

@Suite("Transition roles")
struct TransitionRoleTests {
    @Test func aTransitionJoinsTheLastUnboundedRoleByPriority() throws {
        let catalog = try Fixtures.shippedCatalog()
        #expect(catalog["ntp"]?.transitionRole?.name == "ntp-client")
        #expect(catalog["dns"]?.transitionRole?.name == "dns-client")
        #expect(catalog["provisioner"]?.transitionRole?.name == "provisioner-base")
        let bounded = Fixtures.barclamp("solo", roles: [Role(name: "solo-server", priority: 10, min: 1, max: 1, recipe: "solo/server")])
        #expect(bounded.transitionRole == nil)
    }
}
