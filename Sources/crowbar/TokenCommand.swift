import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

/// `crowbar token create|list|revoke`: named API tokens with roles (an admin token, such as the token file's, is needed).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke named API tokens with roles (reader, operator, admin).",
        discussion: """
            A reader reads everything but secrets; an operator also changes things (nodes, proposals, runs, batches, power)
            and reads secrets; an admin also manages tokens. Events record the name of the token that caused them.
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; it is printed once (keep it in a file only you can read, for --token-file).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The token's name (who or what uses it).") var name: String
        @Option(help: "reader, operator or admin.") var role: APIRole = .operator

        func run(client: CrowbarClient) async throws {
            try show(try await client.createToken(name: name, role: role)) { created in
                "token \(created.info.name) (\(created.info.role.rawValue)): \(created.token)\nshown once: crowbard keeps only its hash"
            }
        }
    }

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List named tokens (never the tokens themselves).")
        @OptionGroup var connection: ConnectionOptions

        func run(client: CrowbarClient) async throws {
            try show(try await client.tokens()) { tokens in
                TextTable(
                    header: ["NAME", "ROLE", "CREATED", "REVOKED"],
                    rows: tokens.map { [$0.name, $0.role.rawValue, $0.createdAt.formatted(.iso8601), $0.revokedAt?.formatted(.iso8601) ?? "-"] }
                ).rendered
            }
        }
    }

    struct Revoke: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: crowbard refuses it from now on.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The token's name.") var name: String

        func run(client: CrowbarClient) async throws {
            try show(try await client.revokeToken(named: name)) { "revoked token \($0.name)" }
        }
    }
}

extension APIRole: ExpressibleByArgument {}
