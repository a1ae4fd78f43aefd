import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

struct PlanCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Print the apply plan of every active proposal, in order.")
    @OptionGroup var connection: ConnectionOptions

    func run(client: CrowbarClient) async throws {
        try show(try await client.planOfActive()) { $0.table() }
    }
}

struct EventsCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Print the event history, oldest first; --follow goes on with each new event.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only events with an id above this.") var after: Int = 0
    @Option(help: "Only events about this node or barclamp/proposal.") var subject: String?
    @Option(help: "At most this many events (1-1000).") var limit: Int = 100
    @Flag(help: "Print each new event as crowbard records it (one line each, JSON lines with --json) until interrupted.")
    var follow = false

    func run(client: CrowbarClient) async throws {
        guard follow else {
            try show(try await client.events(after: Int64(after), subject: subject, limit: limit)) { Self.table($0).rendered }
            return
        }
        try await client.followEvents(after: Int64(after), subject: subject) { event in
            // Written straight to the descriptor: a followed event must not wait in stdout's buffer.
            let text = connection.json
                ? String(decoding: try JSONEncoder.crowbar.encode(event), as: UTF8.self)
                : Self.table([event]).rows[0].joined(separator: "  ").terminalSafe
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
        }
    }

    private static func table(_ events: [Event]) -> TextTable {
        TextTable(
            header: ["ID", "AT", "KIND", "SUBJECT", "CHANGE", "BY", "MESSAGE"],
            rows: events.map { event in
                let change = event.toState.map { "\(event.fromState ?? "") → \($0)" } ?? ""
                return [String(event.id), event.at.formatted(.iso8601), event.kind.rawValue, event.subject, change, event.actor ?? "crowbard", event.message]
            })
    }
}
