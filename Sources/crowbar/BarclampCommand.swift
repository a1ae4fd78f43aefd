import ArgumentParser
import CrowbarClient
import CrowbarCore

struct BarclampCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "barclamp", abstract: "List and show barclamps.", subcommands: [List.self, Show.self])

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List barclamps in run order.")
        @OptionGroup var connection: ConnectionOptions

        func run(client: CrowbarClient) async throws {
            try show(try await client.barclamps()) { barclamps in
                TextTable(
                    header: ["ORDER", "NAME", "ROLES", "REQUIRES"],
                    rows: barclamps.map {
                        [String($0.order), $0.name, $0.roles.map(\.name).joined(separator: ","), $0.requires.joined(separator: ",")]
                    }
                ).rendered
            }
        }
    }

    struct Show: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show a barclamp's roles and attribute schema.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Barclamp name.") var name: String

        func run(client: CrowbarClient) async throws {
            try show(try await client.barclamp(named: name)) { barclamp in
                let roles = TextTable(
                    header: ["ROLE", "PRIORITY", "MIN", "MAX", "CONFLICTS"],
                    rows: barclamp.roles.map {
                        [$0.name, String($0.priority), String($0.min), $0.max.map(String.init) ?? "-", $0.conflicts.joined(separator: ",")]
                    })
                let attributes = TextTable(
                    header: ["ATTRIBUTE", "TYPE", "DEFAULT", "DESCRIPTION"],
                    rows: SchemaRows.rows(barclamp.attributes, prefix: ""))
                return "\(barclamp.display) (\(barclamp.name)), order \(barclamp.order): \(barclamp.description)\n\n"
                    + roles.rendered + "\n\n" + attributes.rendered
            }
        }
    }
}

/// Flattens a schema into one row per leaf attribute for `barclamp show`.
enum SchemaRows {
    static func rows(_ attributes: [String: AttributeSchema], prefix: String) -> [[String]] {
        attributes.keys.sorted().flatMap { name -> [[String]] in
            let schema = attributes[name]!
            let path = prefix + name
            if case .object(let properties) = schema.kind, schema.defaultValue == nil {
                return rows(properties, prefix: path + ".")
            }
            let shownDefault = schema.secret ? "(generated secret)" : schema.defaultValue.map { String($0.displayText.prefix(40)) } ?? "-"
            return [[path, schema.kind.name, shownDefault, String(schema.description.prefix(60))]]
        }
    }
}
