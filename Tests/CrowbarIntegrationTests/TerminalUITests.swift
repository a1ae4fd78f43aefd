import CrowbarClient
import CrowbarCore
import Foundation
import Testing

/// `crowbar tui` in a real terminal (tmux) against a real crowbard: keys with send-keys, the screen with capture-pane.
@Suite(.serialized) final class TerminalUITests {
    let binaries: Binaries
    let dataDir: URL
    let session = "crowbar-tui-\(getpid())"

    init() throws {
        binaries = try Binaries()
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-tui-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
    }

    deinit {
        _ = try? tmux(["kill-session", "-t", session])
        try? FileManager.default.removeItem(at: dataDir)
    }

    @discardableResult
    func tmux(_ arguments: [String]) throws -> CommandResult {
        try CommandResult.run("/usr/bin/tmux", arguments, environment: ProcessInfo.processInfo.environment, limit: 10)
    }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", session]).output }

    /// Waits (at most 15 s) until the screen shows `text`; fails with the screen otherwise.
    func expectScreen(_ text: String, _ comment: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if try screen().contains(text) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("\(comment): the screen never showed '\(text)':\n\(try screen())", sourceLocation: sourceLocation)
    }

    func keys(_ keys: String...) throws { try tmux(["send-keys", "-t", session] + keys) }

    @Test func theOperatorWatchesNodesArriveActsOnThemAndTheTerminalSurvives() async throws {
        var daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        let listen = try #require(URL(string: daemon.url)?.port.map { "127.0.0.1:\($0)" })  // where it comes back
        let token = try String(contentsOf: dataDir.appendingPathComponent("api-token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let client = CrowbarClient(baseURL: daemon.url, token: token)
        let before = dataDir.appendingPathComponent("stty-before").path, after = dataDir.appendingPathComponent("stty-after").path
        let script = "stty -g > \(before); CROWBAR_URL=\(daemon.url) CROWBAR_DATA_DIR=\(dataDir.path) \(binaries.crowbar.path) tui;"
            + " echo EXIT=$?; stty -g > \(after); sleep 120"
        try tmux(["new-session", "-d", "-s", session, "-x", "80", "-y", "24", "sh", "-c", script])

        try await expectScreen("No nodes yet", "an empty admin node")
        try await expectScreen(" connected · no run · 0 nodes · ? keys  q quit", "the status bar")
        for index in 1...3 {
            _ = try await client.register(DiscoveryReport(macs: ["52:54:00:ee:01:0\(index)"], inventory: Inventory(cpuCount: 4, memoryMB: 8192)))
        }
        try await expectScreen("d52-54-00-ee-01-03   discovered  -               52:54:00:ee:01:03 4c/8G", "nodes appear as they are discovered")
        try await expectScreen("── discovered (3)", "grouped by state")

        try keys("/", "0", "2", "Enter")
        try await expectScreen("filter: 02  (Esc clears)", "the filter")
        #expect(try !screen().contains("d52-54-00-ee-01-01"))
        try keys("a")
        try await expectScreen("Allocate d52-54-00-ee-01-02 (admin address, then install)? [y/N]", "an action asks first")
        try keys("y")
        try await expectScreen("d52-54-00-ee-01-02   allocated   192.168.124.", "the allocation shows live")
        try keys("Escape")
        try await expectScreen("── allocated (1)", "the filter cleared")

        try tmux(["resize-window", "-t", session, "-x", "120", "-y", "30"])
        try await expectScreen("HARDWARE         ROLES", "a wider terminal gets the roles column")

        #expect(daemon.stop() == 0)
        try await expectScreen("DISCONNECTED (crowbard unreachable), retrying", "crowbard went away")
        daemon = try Daemon(binaries: binaries, dataDir: dataDir, listen: listen)
        try await expectScreen(" connected · no run · 3 nodes: 2 discovered 1 allocated", "it reconnects by itself")

        try keys("?")
        try await expectScreen("crowbar · keys", "the key help")
        try keys("x", "q")
        try await expectScreen("EXIT=0", "q quits")
        #expect(try String(contentsOfFile: before, encoding: .utf8) == String(contentsOfFile: after, encoding: .utf8),
                "the terminal is back in its original mode")
        daemon.stop()
    }
}
