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
        ui.receive(.runningRuns(1))
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
        return captures
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
