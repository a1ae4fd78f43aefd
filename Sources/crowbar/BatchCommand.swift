import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch", abstract: "Apply or export a whole cloud described in one YAML file (Crowbar's batch format).",
        subcommands: [Apply.self, Preview.self, List.self, Show.self, Export.self])

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List recent batches, newest first.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "How many batches.") var limit = 20

        func run(client: CrowbarClient) async throws {
            try show(try await client.batches(limit: limit)) { batches in
                TextTable(
                    header: ["BATCH", "FILE", "STATUS", "APPLIED", "CREATED"],
                    rows: batches.map { batch in
                        let applied = batch.entries.filter { $0.outcome == .applied }.count
                        let toApply = batch.entries.filter { $0.outcome != .unchanged }.count
                        return [String(batch.id), batch.file, batch.status.rawValue, "\(applied)/\(toApply)", batch.createdAt.formatted(.iso8601)]
                    }
                ).rendered
            }
        }
    }

    struct Show: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show a batch: each proposal, what became of it and its run.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The batch's number.") var id: Int64

        func run(client: CrowbarClient) async throws {
            try show(try await client.batch(id)) { batch in
                let header = "batch \(batch.id) (\(batch.file)): \(batch.status.rawValue)" + (batch.failure.map { "\nfailed: \($0)" } ?? "")
                let entries = TextTable(
                    header: ["#", "PROPOSAL", "OUTCOME", "RUN"],
                    rows: batch.entries.map { ["\($0.position)", "\($0.barclamp)/\($0.proposal)", $0.outcome.rawValue, $0.run.map(String.init) ?? "-"] })
                return header + "\n\n" + entries.rendered
            }
        }
    }

    struct Preview: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what applying a batch file would do to each proposal, and its changes; changes nothing.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Batch file.") var file: String
        @Flag(help: "As `apply --force`: unchanged proposals are applied again.") var force = false

        func run(client: CrowbarClient) async throws {
            let submission = BatchSubmission(file: file, content: try BatchFollower.read(file), force: force)
            try show(try await client.previewBatch(submission)) { preview in
                preview.entries.map { entry in
                    (["\(entry.position). \(entry.action.rawValue) \(entry.barclamp)/\(entry.proposal)"] + entry.changes.map { "     \($0)" })
                        .joined(separator: "\n")
                }.joined(separator: "\n")
            }
        }
    }

    struct Apply: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create, edit, commit and apply the file's proposals in run order; unchanged proposals are skipped.",
            discussion: """
                crowbard creates every proposal if missing, sets its listed attributes and assigns its listed roles
                exactly; those that changed (or are not applied yet) are committed in run order, then applied one at a
                time as a batch that survives a restart of crowbard. This command follows each run to its end; the
                first failed run stops the batch (exit code 8).
                A second apply of the same file changes nothing; --force applies every proposal again.
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Batch file.") var file: String
        @Flag(help: "Apply every proposal of the file, changed or not (a re-apply must report 0 changed).") var force = false
        @Option(help: "Write one JSON line per applied proposal (run, status, seconds, changed) to this file.")
        var report: String?

        func run(client: CrowbarClient) async throws {
            try await BatchFollower(client: client).apply(file: file, force: force) { applied in
                if let report { try BatchReportLine(applied).append(to: report) }
            }
        }
    }

    struct Export: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the active proposals as a batch file (nodes by alias = node name, with their boot MAC).",
            discussion: "Secret attributes are left out (applying the file keeps the current ones) unless --secrets.")
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Include secret attributes in clear.") var secrets = false

        func run(client: CrowbarClient) async throws {
            let barclamps = try await client.barclamps()
            let nodes = Dictionary(uniqueKeysWithValues: try await client.nodes().map { ($0.name, $0) })
            let proposals = try await client.proposals()
            var entries: [BatchFile.ProposalEntry] = []
            var used: Set<String> = []
            for barclamp in barclamps {
                for summary in proposals where summary.barclamp == barclamp.name && summary.status.isActive {
                    let revision = try await client.revision(
                        barclamp: summary.barclamp, name: summary.name, number: summary.revision, secrets: secrets)
                    var attributes = revision.content.attributes
                    if !secrets {
                        for secret in SecretPaths.of(barclamp) { attributes = attributes.removing(at: secret) }
                    }
                    guard case .map(let values) = attributes else { continue }
                    used.formUnion(revision.content.deployment.values.joined())
                    entries.append(BatchFile.ProposalEntry(
                        barclamp: summary.barclamp, name: summary.name, attributes: values,
                        elements: revision.content.deployment.mapValues { $0.map { "@@\($0)@@" } },
                        location: SourceLocation(file: "export", line: 1)))
                }
            }
            let aliases = used.sorted().map { name in
                let identity: BatchFile.NodeAlias.Identity = nodes[name]?.macs.first.map { .mac($0) } ?? .name(name)
                return BatchFile.NodeAlias(alias: name, identity: identity, location: SourceLocation(file: "export", line: 1))
            }
            print(try BatchFile(nodes: aliases, proposals: entries).yaml(), terminator: "")
        }
    }
}
