import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

/// The `--if-match` option of the commands that change a proposal.
private let ifMatchHelp = ArgumentHelp(
    "Only if the proposal is still at this version (proposal show prints it); else nothing changes (exit 6).", valueName: "version")

struct ProposalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposal", abstract: "Create, edit, plan, diff, commit and delete proposals.",
        subcommands: [
            List.self, Create.self, Show.self, Set.self, Assign.self, Plan.self, Diff.self, Commit.self, Check.self, Revisions.self,
            Deactivate.self, Delete.self,
        ])

    /// The barclamp and proposal a subcommand works on.
    struct Target: ParsableArguments {
        @Argument(help: "Barclamp name.") var barclamp: String
        @Argument(help: "Proposal name.") var name: String = "default"
    }

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List proposals, optionally of one barclamp.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Barclamp name.") var barclamp: String?

        func run(client: CrowbarClient) async throws {
            try show(try await client.proposals(barclamp: barclamp)) { proposals in
                TextTable(
                    header: ["BARCLAMP", "NAME", "STATUS", "REVISION", "PENDING"],
                    rows: proposals.map {
                        [$0.barclamp, $0.name, $0.status.rawValue, String($0.revision), $0.hasPendingChanges ? "yes" : "no"]
                    }
                ).rendered
            }
        }
    }

    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Create a proposal from the barclamp's defaults.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var target: Target

        func run(client: CrowbarClient) async throws {
            try show(try await client.createProposal(barclamp: target.barclamp, name: target.name)) {
                "created proposal \($0.barclamp)/\($0.name) (draft)"
            }
        }
    }

    struct Show: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show a proposal's attributes and deployment.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var target: Target
        @Flag(help: "Show generated secrets instead of masking them.") var secrets = false

        func run(client: CrowbarClient) async throws {
            try show(try await client.proposal(barclamp: target.barclamp, name: target.name, secrets: secrets)) { Self.describe($0) }
        }

        static func describe(_ proposal: Proposal) -> String {
            let pending = proposal.hasPendingChanges ? ", uncommitted changes" : ""
            let header = "\(proposal.barclamp)/\(proposal.name): \(proposal.status.rawValue), revision \(proposal.revision)\(pending)"
                + " (version \(proposal.version))"
            let attributes = TextTable(header: ["ATTRIBUTE", "VALUE"], rows: leaves(proposal.content.attributes, prefix: ""))
            let deployment = TextTable(
                header: ["ROLE", "NODES"],
                rows: proposal.content.deployment.keys.sorted().map { [$0, proposal.content.deployment[$0]!.joined(separator: ", ")] })
            return header + "\n\n" + attributes.rendered + "\n\n" + deployment.rendered
        }

        private static func leaves(_ value: AttributeValue, prefix: String) -> [[String]] {
            guard case .map(let entries) = value, !entries.isEmpty || prefix.isEmpty else { return [[prefix, value.displayText]] }
            return entries.keys.sorted().flatMap { key in
                leaves(entries[key]!, prefix: prefix.isEmpty ? key : "\(prefix).\(key)")
            }
        }
    }

    struct Set: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set attributes, type-checked against the barclamp's schema.",
            discussion: """
                Each assignment is PATH=VALUE; the value is read by the attribute's type (JSON for lists, maps and objects).
                Example: crowbar proposal set database default bind_address=10.0.0.5 port=3307
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Barclamp name.") var barclamp: String
        @Argument(help: "Proposal name.") var name: String
        @Argument(help: "PATH=VALUE assignments.") var assignments: [String]
        @Option(help: ifMatchHelp) var ifMatch: Int?

        func validate() throws {
            if assignments.isEmpty { throw ValidationError("give at least one PATH=VALUE") }
            for assignment in assignments where !assignment.contains("=") {
                throw ValidationError("'\(assignment)' is not PATH=VALUE")
            }
        }

        func run(client: CrowbarClient) async throws {
            let edits = assignments.map { assignment -> AttributeEdit in
                let parts = assignment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return AttributeEdit(path: String(parts[0]), text: String(parts[1]))
            }
            try show(try await client.edit(barclamp: barclamp, name: name, edits: edits, ifVersion: ifMatch)) { "updated \($0.barclamp)/\($0.name): \(edits.map(\.path).joined(separator: ", "))" }
        }
    }

    struct Assign: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assign exactly these nodes to a role (no nodes clears it).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Barclamp name.") var barclamp: String
        @Argument(help: "Proposal name.") var name: String
        @Argument(help: "Role name.") var role: String
        @Argument(help: "Node names.") var nodes: [String] = []
        @Option(help: ifMatchHelp) var ifMatch: Int?

        func run(client: CrowbarClient) async throws {
            try show(try await client.assign(barclamp: barclamp, name: name, role: role, nodes: nodes, ifVersion: ifMatch)) {
                "\($0.barclamp)/\($0.name) \(role): \(($0.content.deployment[role] ?? []).joined(separator: ", "))"
            }
        }
    }

    struct Plan: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Print the steps committing this proposal would run.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var target: Target

        func run(client: CrowbarClient) async throws {
            try show(try await client.plan(barclamp: target.barclamp, name: target.name)) { $0.table() }
        }
    }

    struct Diff: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show changes between revisions (default: last commit → working copy).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var target: Target
        @Option(help: "Old revision (0 = empty).") var from: Int?
        @Option(help: "New revision (default: the working copy).") var to: Int?

        func run(client: CrowbarClient) async throws {
            try show(try await client.diff(barclamp: target.barclamp, name: target.name, from: from, to: to)) { changes in
                changes.isEmpty ? "no changes" : changes.map(\.description).joined(separator: "\n")
            }
        }
    }

    struct Commit: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Validate and commit the working copy as a new revision.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var target: Target

        @Flag(help: "Record the revision without applying it to the nodes.") var noApply = false
        @Flag(help: "Print the apply's log as it runs and exit with its outcome.") var follow = false
        @Option(help: ifMatchHelp) var ifMatch: Int?

        func run(client: CrowbarClient) async throws {
            let result = try await client.commit(barclamp: target.barclamp, name: target.name, apply: !noApply, ifVersion: ifMatch)
            if connection.json && !follow {
                try show(result) { _ in "" }
            } else if !connection.json {
                let revision = result.revision
                let line = "committed \(revision.barclamp)/\(revision.proposal) as revision \(revision.revision)"
                    + (result.run.map { "; run \($0.id) applies it" } ?? "")
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
            if follow, let run = result.run {
                try await RunReport.follow(run.id, client: client, json: connection.json)
            }
        }
    }

    struct Check: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report what re-applying the committed revision would change on the nodes, changing nothing.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var target: Target

        func run(client: CrowbarClient) async throws {
            let run = try await client.check(barclamp: target.barclamp, name: target.name)
            if !connection.json { FileHandle.standardOutput.write(Data("check run \(run.id) queued\n".utf8)) }
            try await RunReport.follow(run.id, client: client, json: connection.json)
        }
    }

    struct Revisions: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List a proposal's committed revisions.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var target: Target

        func run(client: CrowbarClient) async throws {
            try show(try await client.revisions(barclamp: target.barclamp, name: target.name)) { revisions in
                TextTable(
                    header: ["REVISION", "COMMITTED", "NODES"],
                    rows: revisions.map {
                        [String($0.revision), $0.committedAt.formatted(.iso8601), String($0.content.deployment.values.reduce(0) { $0 + $1.count })]
                    }
                ).rendered
            }
        }
    }

    struct Deactivate: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Deactivate a committed proposal.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var target: Target

        func run(client: CrowbarClient) async throws {
            try show(try await client.deactivate(barclamp: target.barclamp, name: target.name)) {
                "deactivated \($0.barclamp)/\($0.name)"
            }
        }
    }

    struct Delete: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a proposal that is not active.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var target: Target

        func run(client: CrowbarClient) async throws {
            try await client.deleteProposal(barclamp: target.barclamp, name: target.name)
            if !connection.json { print("deleted \(target.barclamp)/\(target.name)") }
        }
    }
}
