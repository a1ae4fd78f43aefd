import Foundation
import Testing

@testable import CrowbarCore

@Suite struct RunProgressTests {
    func step(_ index: Int, _ status: StepStatus, done: [String] = []) -> RunStep {
        let plan = PlanStep(index: index, barclamp: "b", proposal: "p", role: "r\(index)", priority: index, recipe: "b/r\(index)", nodes: ["n1", "n2"])
        return RunStep(plan: plan, status: status, results: done.map { result($0, succeeded: true) })
    }

    func result(_ node: String, succeeded: Bool) -> NodeApplyResult {
        NodeApplyResult(node: node, succeeded: succeeded, resources: [], error: succeeded ? nil : "boom", startedAt: Date(), finishedAt: Date())
    }

    func run(_ steps: [RunStep]) -> Run {
        Run(id: 1, barclamp: "b", proposal: "p", revision: 1, checkMode: false, status: .running, createdAt: Date(), steps: steps)
    }

    @Test func aResumedRunSkipsSucceededStepsAndNodes() {
        var progress = RunProgress(run([step(1, .succeeded), step(2, .running, done: ["n1"]), step(3, .pending)]))
        guard case .apply(let plan, let nodes, let done) = progress.start(cancelRequested: false).first else {
            Issue.record("no apply")
            return
        }
        #expect(plan.index == 2)
        #expect(nodes == ["n2"])
        #expect(done == ["n1"])
        let next = progress.stepEnded([result("n2", succeeded: true)], cancelRequested: false)
        #expect(next.first == .record(step: 2, status: .succeeded))
        guard case .apply(let third, let all, _) = next.last else {
            Issue.record("no apply of step 3")
            return
        }
        #expect(third.index == 3 && all == ["n1", "n2"])
        #expect(progress.stepEnded([result("n1", succeeded: true), result("n2", succeeded: true)], cancelRequested: false).last
            == .finish(.succeeded, nil))
        #expect(progress.isFinished)
    }

    @Test func theFirstFailedNodeByNameFailsTheRunAndACancelEndsItCancelled() {
        var failing = RunProgress(run([step(1, .pending), step(2, .pending)]))
        _ = failing.start(cancelRequested: false)
        let failed = failing.stepEnded([result("n2", succeeded: false), result("n1", succeeded: false)], cancelRequested: false)
        #expect(failed == [.record(step: 1, status: .failed), .finish(.failed, RunFailure(step: 1, node: "n1", resource: nil, message: "boom"))])

        var cancelling = RunProgress(run([step(1, .pending), step(2, .pending)]))
        _ = cancelling.start(cancelRequested: false)
        #expect(cancelling.stepEnded([result("n1", succeeded: true), result("n2", succeeded: true)], cancelRequested: true)
            == [.record(step: 1, status: .succeeded), .record(step: 2, status: .cancelled), .finish(.cancelled, nil)])

        var never = RunProgress(run([step(1, .pending)]))
        #expect(never.start(cancelRequested: true) == [.record(step: 1, status: .cancelled), .finish(.cancelled, nil)])
    }

    @Test func aStepThatCannotStartFailsTheRunWithItsReason() {
        var progress = RunProgress(run([step(1, .pending)]))
        _ = progress.start(cancelRequested: false)
        #expect(progress.stepFailedToStart("no recipe b/r1") == [
            .record(step: 1, status: .failed), .finish(.failed, RunFailure(step: 1, node: nil, resource: nil, message: "no recipe b/r1")),
        ])
    }

    @Test func aFinishedRunResumesToItsEnd() {
        var progress = RunProgress(run([step(1, .succeeded)]))
        #expect(progress.start(cancelRequested: false) == [.finish(.succeeded, nil)])
    }
}
