import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

/// `crowbar node install NODE`: a node's latest OS install with its log; `crowbar node reinstall NODE` starts over.
struct NodeInstallCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "install", abstract: "Show a node's latest OS install and its log (--follow: until it ends).")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Node name.") var name: String
    @Flag(help: "Print new log lines as they come until the install ends (the node leaves installing and installed).") var follow = false
    @Option(help: "With --follow: give up after this many minutes.") var timeout = 45

    func run(client: CrowbarClient) async throws {
        guard follow else {
            try show(try await client.install(of: name)) { Self.describe($0) }
            return
        }
        var printed: Int64 = 0
        let deadline = ContinuousClock.now + .seconds(timeout * 60)
        while true {
            let status = try await client.install(of: name)
            for line in status.log where line.sequence > printed {
                print(connection.json ? String(decoding: try JSONEncoder.crowbar.encode(line), as: UTF8.self) : Self.describe(line).terminalSafe)
                printed = line.sequence
            }
            let node = try await client.node(named: name)
            if ![.installing, .installed].contains(node.state) {
                if !connection.json { print("\(name) is \(node.state.rawValue)") }
                if status.attempt.status == .failed || node.state == .problem { throw ExitCode(1) }
                return
            }
            guard ContinuousClock.now < deadline else {
                throw ValidationError("\(name) is still \(node.state.rawValue) after \(timeout) minutes")
            }
            try await Task.sleep(for: .seconds(2))
        }
    }

    static func describe(_ status: InstallStatus) -> String {
        let attempt = status.attempt
        let rows = [
            ["install", "\(attempt.id) (\(attempt.status.rawValue))"], ["os", attempt.os], ["disk", attempt.disk],
            ["phase", attempt.phase ?? "-"], ["started", attempt.createdAt.formatted(.iso8601)],
            ["deadline", attempt.deadline.formatted(.iso8601)], ["finished", attempt.finishedAt?.formatted(.iso8601) ?? "-"],
            ["failure", attempt.failure ?? "-"],
        ]
        return TextTable(header: ["FIELD", "VALUE"], rows: rows).rendered + "\n" + status.log.map(describe).joined(separator: "\n")
    }

    static func describe(_ line: InstallLogLine) -> String {
        "\(line.at.formatted(.iso8601)) \(line.phase): \(line.text)"
    }

    struct Reinstall: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install a node's OS again (the image and disk of its last install); its host key pin is dropped.",
            discussion: "crowbard power-cycles it into the installer through its BMC; without a BMC, reboot it by hand.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node name.") var name: String

        func run(client: CrowbarClient) async throws {
            try show(try await client.reinstall(node: name)) { "\($0.name) is \($0.state.rawValue)" }
        }
    }
}
