import Foundation
import Testing

/// A real terminal: a detached tmux session running one shell command, keys sent with send-keys, the screen read with
/// capture-pane. Killed when released.
final class TmuxSession {
    let name: String

    init(_ name: String, width: Int, height: Int, command: String) throws {
        self.name = name
        try tmux(["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height), "sh", "-c", command])
    }

    deinit { _ = try? tmux(["kill-session", "-t", name]) }

    @discardableResult
    func tmux(_ arguments: [String]) throws -> CommandResult {
        try CommandResult.run("/usr/bin/tmux", arguments, environment: ProcessInfo.processInfo.environment, limit: 10)
    }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", name]).output }

    /// The screen with its attributes and colours as escape sequences (`capture-pane -e`).
    func styledScreen() throws -> String { try tmux(["capture-pane", "-p", "-e", "-t", name]).output }

    func keys(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys) }

    func resize(width: Int, height: Int) throws { try tmux(["resize-window", "-t", name, "-x", String(width), "-y", String(height)]) }

    /// Waits (at most `seconds`) until the screen shows `text`; fails with the screen otherwise.
    func expectScreen(
        _ text: String, _ comment: String, seconds: Int = 15, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try screen().contains(text) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("\(comment): the screen never showed '\(text)':\n\(try screen())", sourceLocation: sourceLocation)
    }
}
