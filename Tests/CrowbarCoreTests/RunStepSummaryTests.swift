import Foundation
import Testing

@testable import CrowbarCore

@Suite struct RunStepSummaryTests {
    /// A step whose nodes n1…nCOUNT changed two resources each; the nodes in `failed` failed.
    func step(nodes count: Int, failed: Set<Int> = []) -> RunStep {
        let names = (1...count).map { "n\($0)" }
        let plan = PlanStep(index: 1, barclamp: "b", proposal: "p", role: "r", priority: 1, recipe: "b/r", nodes: names)
        let changed = ["/a", "/b"].enumerated().map { ResourceResult(index: $0.offset, resource: "file \($0.element)", status: .changed, output: "") }
        let results = (1...count).map {
            NodeApplyResult(node: "n\($0)", succeeded: !failed.contains($0), resources: changed, startedAt: Date(), finishedAt: Date())
        }
        return RunStep(plan: plan, status: failed.isEmpty ? .succeeded : .failed, results: results)
    }

    @Test func aFewNodesAreEachListed() {
        #expect(step(nodes: 2, failed: [2]).nodeSummary() == "n1 ok 2 changed, n2 FAILED 2 changed")
        #expect(step(nodes: 8).nodeSummary().components(separatedBy: ", ").count == 8)
    }

    @Test func aRackIsCountedAndOnlyItsFailedNodesNamed() {
        #expect(step(nodes: 9).nodeSummary() == "9 nodes, 9 ok, 18 changed")
        #expect(step(nodes: 256).nodeSummary() == "256 nodes, 256 ok, 512 changed")
        #expect(step(nodes: 256, failed: [7, 200]).nodeSummary() == "256 nodes, 254 ok, 512 changed, 2 FAILED: n7, n200")
        #expect(
            step(nodes: 256, failed: Set(1...10)).nodeSummary()
                == "256 nodes, 246 ok, 512 changed, 10 FAILED: n1, n2, n3, n4, n5, n6, n7, n8 and 2 more")
    }
}
