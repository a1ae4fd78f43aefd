import CrowbarCore
import CrowbarTUI
import Foundation
import Testing

@Suite("TUI: the runs screen")
struct RunsScreenTests {
    static let steps: [(String, [String], StepStatus, [NodeApplyResult])] = [
        ("nova-controller", ["d1"], .succeeded, [result("d1", changed: 3)]),
        ("nova-compute", ["d2", "d3", "d4"], .running, [result("d2"), result("d3", failed: true)]),
        ("nova-verify", ["d1"], .pending, []),
    ]

    @Test func theListShowsRecentRunsAndEnterFollowsOne() {
        var ui = model([])
        ui.receive(.runs([run(7, .succeeded), run(8, .running, steps: Self.steps)]))
        _ = ui.handle(.character("3"))
        let list = ui.render(width: 80, height: 24, now: Date(timeIntervalSince1970: 1_125)).text
        #expect(list.contains("RUN   APPLIES                        STATUS     STEPS   CHANGED  TIME"))
        #expect(list.contains("8     nova/default r3                running    1/3     3        2m05s"), "newest first, timed by now")
        #expect(list.contains("7     nova/default r3                succeeded  0/0     0        1m23s"))
        #expect(ui.handle(.enter) == .send(.followRun(8)))
        #expect(ui.runsView.open == 8)
    }

    @Test func anOpenRunShowsEachStepsNodesItsLogAndTheFailureHighlighted() {
        var ui = model([])
        let failure = RunFailure(step: 2, node: "d3", resource: "package nova-compute", message: "exit 100", output: "E: Unable to locate package\nE: broken")
        ui.receive(.runs([run(8, .failed, steps: Self.steps, failure: failure)]))
        ui.receive(.runLog(8, [
            RunLogLine(sequence: 1, at: Date(timeIntervalSince1970: 1_002), step: 1, node: "d1", text: "changed: package nova-api"),
            RunLogLine(sequence: 2, at: Date(timeIntervalSince1970: 1_065), step: 2, node: "d3", text: "failed: package nova-compute"),
        ]))
        ui.receive(.watch(8))
        let screen = ui.render(width: 100, height: 24)
        let lines = screen.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[1] == "run 8 · nova/default r3 · failed · 1m23s · steps: 1 ok, 1 running, 1 pending · 3 changed")
        #expect(lines[2].hasPrefix("  1 nova/nova-controller         succeeded d1 changed"))
        #expect(lines[3].hasPrefix("  2 nova/nova-compute            running   d2 ok, d3 failed, d4 running"))
        #expect(lines[4].hasPrefix("  3 nova/nova-verify             pending   d1 pending"))
        #expect(lines[5].hasPrefix("── log · ↑↓ scroll · Esc runs"), "a finished run cannot be cancelled")
        #expect(lines[6] == "+0:02 d1: changed: package nova-api")
        #expect(lines[7] == "+1:05 d3: failed: package nova-compute")
        #expect(lines[8] == "FAILED step 2 on d3, package nova-compute: exit 100")
        #expect(lines[9] == "  E: Unable to locate package")
        #expect(screen.styles[7][0] == .failed && screen.styles[9][0] == .failed && screen.styles[6][0] == .normal)
        #expect(ui.handle(.character("x")) == nil)
        #expect(ui.confirmation == nil, "no cancel for a finished run")
    }

    @Test func aRunningRunCanBeCancelledAfterConfirmingAndItsLogScrollsBack() {
        var ui = model([])
        ui.receive(.runs([run(9, .running, steps: Self.steps)]))
        ui.receive(.runLog(9, (1...40).map { RunLogLine(sequence: $0, at: Date(timeIntervalSince1970: 1_000), step: 2, node: "d2", text: "line \($0)") }))
        ui.receive(.watch(9))
        var text = ui.render(width: 80, height: 24).text
        #expect(text.contains("x cancel · Esc runs"))
        #expect(text.contains("line 40") && !text.contains("line 20\n"), "the log follows its end")
        for _ in 0..<3 { _ = ui.handle(.pageUp) }
        text = ui.render(width: 80, height: 24).text
        #expect(text.contains("scrolled back"))
        #expect(!text.contains("line 40"))
        _ = ui.handle(.end)
        #expect(ui.render(width: 80, height: 24).text.contains("line 40"))
        #expect(ui.handle(.character("x")) == nil)
        #expect(ui.render(width: 80, height: 24).text.hasSuffix("Cancel run 9 (commands running on its nodes are stopped)? [y/N]"))
        #expect(ui.handle(.character("y")) == .send(.cancelRun(9)))
        _ = ui.handle(.escape)
        #expect(ui.runsView.open == nil)
    }
}
