import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

/// `crowbar run list|show|log|cancel`: the applies crowbard has run or is running.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Show, follow and cancel runs (applies of committed proposals).",
        subcommands: [List.self, Show.self, Log.self, Cancel.self])

    struct RunID: ParsableArguments {
        @Argument(help: "The run's number.")
        var id: Int64
    }

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List recent runs, newest first.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "How many runs.") var limit = 20

        func run(client: CrowbarClient) async throws {
            try show(try await client.runs(limit: limit)) { runs in
                TextTable(
                    header: ["RUN", "PROPOSAL", "REV", "STATUS", "STEPS", "CHANGED", "CREATED"],
                    rows: runs.map { run in
                        [
                            String(run.id), [run.barclamp, run.proposal].compactMap { $0 }.joined(separator: "/"),
                            run.revision.map(String.init) ?? "", run.status.rawValue + (run.checkMode ? " (check)" : ""),
                            "\(run.steps.filter { $0.status == .succeeded }.count)/\(run.steps.count)", String(run.changedCount),
                            run.createdAt.formatted(.iso8601),
                        ]
                    }
                ).rendered
            }
        }
    }

    struct Show: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show a run's steps, node results and failure.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var run: RunID

        func run(client: CrowbarClient) async throws {
            try show(try await client.run(run.id), human: RunReport.describe)
        }
    }

    struct Log: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Print a run's log; --follow waits for new lines until it ends.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var run: RunID
        @Flag(help: "Keep printing until the run ends, then exit with its outcome.") var follow = false

        func run(client: CrowbarClient) async throws {
            if follow {
                try await RunReport.follow(run.id, client: client, json: connection.json)
            } else {
                try show(try await client.runLog(run.id)) {
                    $0.map(RunReport.line).joined(separator: "\n")
                }
            }
        }
    }

    struct Cancel: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a queued or running run.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var run: RunID

        func run(client: CrowbarClient) async throws {
            try show(try await client.cancelRun(run.id)) { "run \($0.id): \($0.status.rawValue)" }
        }
    }
}

/// How runs are printed, and following one to its end.
enum RunReport {
    /// Exit codes of a followed run that did not succeed (see docs/cli.md).
    static let failedExitCode: Int32 = 8
    static let cancelledExitCode: Int32 = 9

    static func line(_ line: RunLogLine) -> String {
        (line.node.map { "[\($0)] " } ?? "") + line.text
    }

    static func describe(_ run: Run) -> String {
        var text = "run \(run.id)"
        if let barclamp = run.barclamp, let proposal = run.proposal {
            text += " of \(barclamp)/\(proposal) revision \(run.revision ?? 0)"
        }
        text += ": \(run.status.rawValue)\(run.checkMode ? " (check mode)" : ""), \(run.changedCount) changed\n"
        for step in run.steps {
            text += "  \(step.plan.index). \(step.plan.recipe) \(step.status.rawValue)"
            text += step.results.isEmpty ? "" : ": " + step.nodeSummary()
            if let (node, slowest) = step.slowestResource(), let seconds = slowest.seconds {
                let label = slowest.resource.count > 60 ? slowest.resource.prefix(59) + "…" : slowest.resource
                text += " (slowest: \(label) on \(node), \(String(format: "%.1f", seconds)) s)"
            }
            text += "\n"
        }
        if let failure = run.failure {
            text += "failed: \(failure)\n"
            if !failure.output.isEmpty { text += failure.output.split(separator: "\n").map { "  | \($0)" }.joined(separator: "\n") + "\n" }
        }
        return String(text.dropLast())
    }

    /// Prints the log as it grows, then the summary; throws the run's exit code unless it succeeded.
    static func follow(_ id: Int64, client: CrowbarClient, json: Bool) async throws {
        try requireSuccess(try await printUntilFinished(id, client: client, json: json))
    }

    /// Prints the log to `output` as it grows, then the summary; answers the run as it ended.
    static func printUntilFinished(_ id: Int64, client: CrowbarClient, json: Bool, output: FileHandle = .standardOutput) async throws -> Run {
        let run = try await client.followRun(id) { line in
            // Written straight to the descriptor: a followed log must not wait in stdout's buffer.
            let text = json ? String(decoding: try JSONEncoder.crowbar.encode(line), as: UTF8.self) : self.line(line).terminalSafe
            output.write(Data((text + "\n").utf8))
        }
        if !json { output.write(Data((describe(run).terminalSafe + "\n").utf8)) }
        return run
    }

    /// Throws the exit code of a run that did not succeed (8 failed, 9 cancelled).
    static func requireSuccess(_ run: Run) throws {
        switch run.status {
        case .succeeded: return
        case .cancelled: throw ExitCode(cancelledExitCode)
        default: throw ExitCode(failedExitCode)
        }
    }
}
