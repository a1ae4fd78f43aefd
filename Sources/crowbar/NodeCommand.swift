import ArgumentParser
import CrowbarClient
import CrowbarCore

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "List, show, allocate and delete nodes.",
        subcommands: [List.self, Show.self, Allocate.self, Transition.self, Delete.self])

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List every node with its state and inventory summary.")
        @OptionGroup var connection: ConnectionOptions

        func run(client: CrowbarClient) async throws {
            try show(try await client.request(.GET, "nodes"), as: [Node].self) { nodes in
                TextTable(
                    header: ["NAME", "STATE", "ADDRESS", "MACS", "CPUS", "MEMORY"],
                    rows: nodes.map { node in
                        [
                            node.name, node.state.rawValue, node.adminAddress ?? "-", node.macs.joined(separator: ","),
                            node.inventory.cpuCount.map(String.init) ?? "-", node.inventory.memoryMB.map { "\($0) MB" } ?? "-",
                        ]
                    }
                ).rendered
            }
        }
    }

    struct Show: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show one node with its full inventory.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node name.") var name: String

        func run(client: CrowbarClient) async throws {
            try show(try await client.request(.GET, "nodes/\(name)"), as: Node.self) { Self.describe($0) }
        }

        static func describe(_ node: Node) -> String {
            let inventory = node.inventory
            var rows = [
                ["name", node.name], ["state", node.state.rawValue], ["address", node.adminAddress ?? "-"],
                ["macs", node.macs.joined(separator: ", ")], ["cpu", "\(inventory.cpuCount ?? 0) × \(inventory.cpuModel ?? "?")"],
                ["memory", inventory.memoryMB.map { "\($0) MB" } ?? "-"],
                ["system", [inventory.vendor, inventory.product, inventory.serial].compactMap { $0 }.joined(separator: " ")],
                ["bmc", inventory.bmcAddress ?? "-"],
            ]
            rows += inventory.disks.map { ["disk \($0.name)", "\($0.sizeBytes / 1_000_000_000) GB"] }
            return TextTable(header: ["FIELD", "VALUE"], rows: rows).rendered
        }
    }

    struct Allocate: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Allocate a discovered node and give it an admin address.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node name.") var name: String

        func run(client: CrowbarClient) async throws {
            try show(try await client.request(.POST, "nodes/\(name)/allocate"), as: Node.self) {
                "allocated \($0.name) at \($0.adminAddress ?? "-")"
            }
        }
    }

    struct Transition: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a node to another state (entering readying applies the barclamps that list it).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node name.") var name: String
        @Argument(help: "Target state, e.g. readying.") var state: String
        @Option(help: "Why, for the event history.") var reason: String?

        struct Body: Encodable, Sendable {
            var state: String
            var reason: String?
        }

        func run(client: CrowbarClient) async throws {
            let body = Body(state: state, reason: reason)
            try show(try await client.request(.POST, "nodes/\(name)/transition", body: body), as: Node.self) {
                "\($0.name) is \($0.state.rawValue)"
            }
        }
    }

    struct Delete: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a node and release its addresses.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node name.") var name: String

        func run(client: CrowbarClient) async throws {
            _ = try await client.request(.DELETE, "nodes/\(name)")
            if !connection.json { print("deleted \(name)") }
        }
    }
}
