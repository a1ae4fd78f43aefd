import CrowbarCore
import CrowbarTUI
import Foundation
import Testing

/// Keeps docs/tui.md true: each screen it shows is rendered here from the same data and compared, character for
/// character. `CROWBAR_UPDATE_DOCS=1 swift test --filter DocumentedScreens` rewrites the captures after a change.
@Suite struct DocumentedScreensTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/tui.md")

    /// The screens of docs/tui.md, by name: a small rack in the middle of a deploy day, 80×24.
    static func screens() -> [(name: String, text: String)] {
        let roles = [
            "d52-54-00-77-00-01": ["database-server", "keystone-server", "nova-controller"],
            "d52-54-00-77-00-02": ["nova-compute-qemu", "ceph-osd"],
        ]
        var ui = model([node(1, .ready), node(2, .applying), node(3, .installing), node(4, .discovered), node(5, .problem)], roles: roles)
        ui.receive(.runs([run(12, .running)]))
        var captures: [(String, String)] = [("nodes", ui.render(width: 80, height: 24).text)]
        _ = ui.handle(.down)
        _ = ui.handle(.character("o"))
        captures.append(("confirm", ui.render(width: 80, height: 24).text))
        _ = ui.handle(.escape)
        for key: Key in [.character("/"), .character("c"), .character("o"), .character("m"), .character("p")] { _ = ui.handle(key) }
        captures.append(("filter", ui.render(width: 80, height: 24).text))
        _ = ui.handle(.escape)
        _ = ui.handle(.escape)
        ui.receive(.disconnected("crowbard unreachable"))
        captures.append(("disconnected", ui.render(width: 80, height: 24).text))
        _ = ui.handle(.character("?"))
        captures.append(("keys", ui.render(width: 80, height: 24).text))
        _ = ui.handle(.escape)
        ui.receive(.connected)
        return captures + proposalAndRunScreens(&ui) + [("batch", batchScreen())]
    }

    /// The proposals list, keystone's form with a refused value, its plan, the runs list and a failed run.
    static func proposalAndRunScreens(_ ui: inout TUIModel) -> [(name: String, text: String)] {
        ui.receive(.barclamps([keystone]))
        ui.receive(.proposals([keystoneProposal(pending: true), proposal("database", status: .failed)]))
        _ = ui.handle(.character("2"))
        var captures = [("proposals", ui.render(width: 80, height: 24).text)]
        _ = ui.handle(.enter)
        for key: Key in [.down, .down, .down, .down, .enter, .backspace, .backspace, .backspace, .backspace] { _ = ui.handle(key) }
        for character in "50o0" { _ = ui.handle(.character(character)) }
        _ = ui.handle(.enter)
        captures.append(("form", ui.render(width: 80, height: 24).text))
        _ = ui.handle(.escape)
        let step = PlanStep(
            index: 1, barclamp: "keystone", proposal: "default", role: "keystone-server", priority: 10, recipe: "keystone/server",
            nodes: ["d52-54-00-77-00-01"])
        ui.receive(.plan(ref, Plan(steps: [step])))
        captures.append(("plan", ui.render(width: 80, height: 24).text))
        let failure = RunFailure(
            step: 2, node: "d52-54-00-77-00-03", resource: "package nova-compute", message: "exit 100",
            output: "E: Package 'nova-compute' has no installation candidate")
        let steps: [(String, [String], StepStatus, [NodeApplyResult])] = [
            ("nova-controller", ["d52-54-00-77-00-01"], .succeeded, [result("d52-54-00-77-00-01", changed: 12)]),
            ("nova-compute", ["d52-54-00-77-00-02", "d52-54-00-77-00-03"], .failed,
             [result("d52-54-00-77-00-02", changed: 5), result("d52-54-00-77-00-03", failed: true)]),
        ]
        ui.receive(.runs([run(11, .succeeded), run(12, .failed, steps: steps, failure: failure)]))
        _ = ui.handle(.character("3"))
        captures.append(("runs", ui.render(width: 80, height: 24, now: Date(timeIntervalSince1970: 1_083)).text))
        ui.receive(.runLog(12, [
            RunLogLine(sequence: 1, at: Date(timeIntervalSince1970: 1_004), step: 1, node: "d52-54-00-77-00-01", text: "changed: package nova-api"),
            RunLogLine(sequence: 2, at: Date(timeIntervalSince1970: 1_031), step: 1, node: "d52-54-00-77-00-01", text: "changed: service nova-api"),
            RunLogLine(sequence: 3, at: Date(timeIntervalSince1970: 1_052), step: 2, node: "d52-54-00-77-00-02", text: "changed: package nova-compute"),
            RunLogLine(sequence: 4, at: Date(timeIntervalSince1970: 1_060), step: 2, node: "d52-54-00-77-00-03", text: "failed: package nova-compute"),
        ]))
        _ = ui.handle(.enter)
        captures.append(("run", ui.render(width: 80, height: 24).text))
        return captures
    }

    /// `crowbar tui --batch cloud.yml` before `a`.
    static func batchScreen() -> String {
        var ui = TUIModel(url: "http://127.0.0.1:3000", batchFile: "cloud.yml")
        ui.receive(.connected)
        ui.receive(.batchPreview(BatchPreview(file: "cloud.yml", entries: [
            .init(position: 1, barclamp: "database", proposal: "default", action: .unchanged, changes: []),
            .init(position: 2, barclamp: "keystone", proposal: "default", action: .change, changes: [
                ProposalChange(path: "attributes.debug", kind: .changed, old: "false", new: "true"),
                ProposalChange(path: "deployment.keystone-server", kind: .changed, old: "d52-54-00-77-00-01", new: "d52-54-00-77-00-02"),
            ]),
            .init(position: 3, barclamp: "nova", proposal: "default", action: .create, changes: [
                ProposalChange(path: "deployment.nova-controller", kind: .changed, old: "", new: "d52-54-00-77-00-02"),
            ]),
        ])))
        _ = ui.handle(.down)
        return ui.render(width: 80, height: 24).text
    }

    @Test func everyScreenInTheDocumentIsWhatTheUIDraws() throws {
        var text = try String(contentsOf: Self.document, encoding: .utf8)
        for (name, screen) in Self.screens() {
            let opening = "<!-- screen: \(name) -->\n```text\n"
            let start = try #require(text.range(of: opening), "docs/tui.md has no screen '\(name)'")
            let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
            let documented = String(text[start.upperBound..<end.lowerBound].dropLast())  // the newline before ```
            if ProcessInfo.processInfo.environment["CROWBAR_UPDATE_DOCS"] == "1" {
                text.replaceSubrange(start.upperBound..<end.lowerBound, with: screen + "\n")
            } else {
                #expect(documented == screen, "docs/tui.md's '\(name)' screen is stale: CROWBAR_UPDATE_DOCS=1 rewrites it")
            }
        }
        if ProcessInfo.processInfo.environment["CROWBAR_UPDATE_DOCS"] == "1" {
            try text.write(to: Self.document, atomically: true, encoding: .utf8)
        }
    }
}
