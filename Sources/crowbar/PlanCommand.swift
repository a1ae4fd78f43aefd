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
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Print the event history, oldest first.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only events with an id above this.") var after: Int = 0
    @Option(help: "Only events about this node or barclamp/proposal.") var subject: String?
    @Option(help: "At most this many events (1-1000).") var limit: Int = 100

    func run(client: CrowbarClient) async throws {
        try show(try await client.events(after: Int64(after), subject: subject, limit: limit)) { events in
            TextTable(
                header: ["ID", "AT", "KIND", "SUBJECT", "CHANGE", "MESSAGE"],
                rows: events.map { event in
                    let change = event.toState.map { "\(event.fromState ?? "") → \($0)" } ?? ""
                    return [String(event.id), event.at.formatted(.iso8601), event.kind.rawValue, event.subject, change, event.message]
                }
            ).rendered
        }
    }
}
