import Foundation

extension DeployDayReport {
    /// A discovered machine installed through crowbard: failed unless its install finished and its node reached
    /// `ready` (installed OS booted, SSH answering with the pinned key). The note times each phase from the install's
    /// start, as the installer and crowbard logged them.
    public static func installCase(machine: String, node: Node, install: InstallStatus?, seconds: Double) -> TestCase {
        var failure: TestFailure?
        if let install, install.attempt.status == .failed {
            failure = TestFailure(message: "\(node.name): install failed: \(install.attempt.failure ?? "no reason")", details: logText(install))
        } else if node.state != .ready {
            failure = TestFailure(message: "\(node.name) is \(node.state.rawValue), not ready", details: install.map(logText) ?? "")
        }
        return TestCase(
            className: "deploy-day.install", name: "install \(machine)", seconds: seconds, failure: failure,
            note: install.map { "\(node.name) onto \($0.attempt.disk): \(phaseTimes($0))" } ?? node.name)
    }

    /// An installed machine taken through `readying` once the cloud stands: its base barclamps (the cloud's proposals
    /// whose barclamps list that transition) applied over SSH with its pinned key. Failed unless it ended `ready`.
    public static func readyingCase(machine: String, node: Node, seconds: Double) -> TestCase {
        TestCase(
            className: "deploy-day.readying", name: "readying \(machine)", seconds: seconds,
            failure: node.state == .ready ? nil : TestFailure(message: "\(node.name) is \(node.state.rawValue) after readying"),
            note: node.name)
    }

    /// `phase +seconds` for the first log line of each phase, from the install's start (`boot +0 s, plan +31 s, …`).
    static func phaseTimes(_ install: InstallStatus) -> String {
        var seen: [String] = []
        var times: [String] = []
        for line in install.log where !seen.contains(line.phase) {
            seen.append(line.phase)
            times.append("\(line.phase) +\(Int(line.at.timeIntervalSince(install.attempt.createdAt).rounded())) s")
        }
        return times.joined(separator: ", ")
    }

    static func logText(_ install: InstallStatus) -> String {
        install.log.map { "\($0.phase): \($0.text)" }.joined(separator: "\n")
    }
}
