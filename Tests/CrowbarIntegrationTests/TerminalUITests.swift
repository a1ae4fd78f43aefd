import CrowbarClient
import CrowbarCore
import Foundation
import Testing

/// `crowbar tui` in a real terminal (tmux) against a real crowbard: keys with send-keys, the screen with capture-pane.
@Suite(.serialized) final class TerminalUITests {
    let binaries: Binaries
    let dataDir: URL

    init() throws {
        binaries = try Binaries()
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-tui-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: dataDir) }

    @Test func theOperatorWatchesNodesArriveActsOnThemAndTheTerminalSurvives() async throws {
        var daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        let listen = try #require(URL(string: daemon.url)?.port.map { "127.0.0.1:\($0)" })  // where it comes back
        let token = try String(contentsOf: dataDir.appendingPathComponent("api-token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let client = CrowbarClient(baseURL: daemon.url, token: token)
        let before = dataDir.appendingPathComponent("stty-before").path, after = dataDir.appendingPathComponent("stty-after").path
        let script = "stty -g > \(before); CROWBAR_URL=\(daemon.url) CROWBAR_DATA_DIR=\(dataDir.path) \(binaries.crowbar.path) tui;"
            + " echo EXIT=$?; stty -g > \(after); sleep 120"
        let terminal = try TmuxSession("crowbar-tui-\(getpid())", width: 80, height: 24, command: script)

        // The first screen waits for a debug build's start, which takes long while CI runs the other suites beside it.
        try await terminal.expectScreen("No nodes yet", "an empty admin node", seconds: 60)
        try await terminal.expectScreen(" connected · no run · 0 nodes · ? keys  q quit", "the status bar")
        for index in 1...3 {
            _ = try await client.register(DiscoveryReport(macs: ["52:54:00:ee:01:0\(index)"], inventory: Inventory(cpuCount: 4, memoryMB: 8192)))
        }
        try await terminal.expectScreen("d52-54-00-ee-01-03   discovered  -               52:54:00:ee:01:03 4c/8G", "nodes appear as they are discovered")
        try await terminal.expectScreen("── discovered (3)", "grouped by state")

        try terminal.keys("/", "0", "2", "Enter")
        try await terminal.expectScreen("filter: 02  (Esc clears)", "the filter")
        #expect(try !terminal.screen().contains("d52-54-00-ee-01-01"))
        try terminal.keys("a")
        try await terminal.expectScreen("Allocate d52-54-00-ee-01-02 (admin address, then install)? [y/N]", "an action asks first")
        try terminal.keys("y")
        try await terminal.expectScreen("d52-54-00-ee-01-02   allocated   192.168.124.", "the allocation shows live")
        try terminal.keys("Escape")
        try await terminal.expectScreen("── allocated (1)", "the filter cleared")

        try terminal.resize(width: 120, height: 30)
        try await terminal.expectScreen("HARDWARE         ROLES", "a wider terminal gets the roles column")

        #expect(daemon.stop() == 0)
        try await terminal.expectScreen("DISCONNECTED (crowbard unreachable), retrying", "crowbard went away")
        daemon = try Daemon(binaries: binaries, dataDir: dataDir, listen: listen)
        try await terminal.expectScreen(" connected · no run · 3 nodes: 2 discovered 1 allocated", "it reconnects by itself")

        try terminal.keys("?")
        try await terminal.expectScreen("crowbar · keys", "the key help")
        try terminal.keys("x", "q")
        try await terminal.expectScreen("EXIT=0", "q quits")
        #expect(try String(contentsOfFile: before, encoding: .utf8) == String(contentsOfFile: after, encoding: .utf8),
                "the terminal is back in its original mode")
        daemon.stop()
    }

    /// Colour where the terminal has it; with NO_COLOR only attributes (reverse video, bold, underline, dim).
    @Test func colourDegradesToMonochromeWithNoColor() async throws {
        let daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        defer { daemon.stop() }
        let tui = "CROWBAR_URL=\(daemon.url) CROWBAR_DATA_DIR=\(dataDir.path) \(binaries.crowbar.path) tui"
        // (swift test runs tests with NO_COLOR=1: the coloured UI unsets it.)
        // SGR codes that set a colour: 30–37 foreground, 40–47 background, 38/48 extended (not 39/49, the defaults).
        let colour = /\x1b\[(?:[0-9]+;)*(?:3[0-8]|4[0-8])(?:;[0-9]+)*m/
        let coloured = try TmuxSession("crowbar-tui-colour-\(getpid())", width: 80, height: 24, command: "unset NO_COLOR; TERM=xterm-256color \(tui)")
        try await coloured.expectScreen(" connected · no run", "the coloured UI", seconds: 60)
        let colourful = try coloured.styledScreen()
        #expect(colourful.contains(colour), "a coloured title and status bar:\n\(colourful.debugDescription)")
        let plain = try TmuxSession("crowbar-tui-mono-\(getpid())", width: 80, height: 24, command: "NO_COLOR=1 TERM=xterm-256color \(tui)")
        try await plain.expectScreen(" connected · no run", "the monochrome UI", seconds: 60)
        let styled = try plain.styledScreen()
        #expect(!styled.contains(colour), "no colour under NO_COLOR:\n\(styled.debugDescription)")
        #expect(styled.contains("\u{1b}[7m"), "reverse video marks the bars instead")
    }

    /// Another operator's edit shows in an open form at once (a `proposal.edited` event), and the form's own edits
    /// carry the version it shows.
    @Test func anEditElsewhereShowsInTheOpenForm() async throws {
        let daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        defer { daemon.stop() }
        let token = try String(contentsOf: dataDir.appendingPathComponent("api-token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let client = CrowbarClient(baseURL: daemon.url, token: token)
        _ = try await client.createProposal(barclamp: "provisioner", name: "default")
        let tui = "CROWBAR_URL=\(daemon.url) CROWBAR_DATA_DIR=\(dataDir.path) \(binaries.crowbar.path) tui"
        let terminal = try TmuxSession("crowbar-tui-edit-\(getpid())", width: 100, height: 30, command: tui)
        try await terminal.expectScreen(" connected ·", "connected")
        try terminal.keys("2", "Enter")
        try await terminal.expectScreen("provisioner/default · draft, revision 0", "the form")
        let row = "dhcp_lease_time".padding(toLength: 31, withPad: " ", startingAt: 0)
        try await terminal.expectScreen(row + "60", "the default")
        _ = try await client.edit(barclamp: "provisioner", name: "default", edits: [AttributeEdit(path: "dhcp_lease_time", text: "120")])
        try await terminal.expectScreen(row + "120", "another operator's edit, live")
        try terminal.keys("q")
    }
}
