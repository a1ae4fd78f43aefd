import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch", abstract: "Apply or export a whole cloud described in one YAML file (Crowbar's batch format).",
        subcommands: [Apply.self, Export.self])

    struct Apply: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create, edit, commit and apply the file's proposals in run order; unchanged proposals are skipped.",
            discussion: """
                Every proposal is created if missing, its listed attributes set and its listed roles assigned exactly.
                Those that changed (or are not applied yet) are committed in run order, then applied one at a time,
                each run followed to its end; the first failed run stops the batch (exit code 8).
                A second apply of the same file changes nothing; --force applies every proposal again.
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Batch file.") var file: String
        @Flag(help: "Apply every proposal of the file, changed or not (a re-apply must report 0 changed).") var force = false
        @Option(help: "Write one JSON line per applied proposal (run, status, seconds, changed) to this file.")
        var report: String?

        func run(client: CrowbarClient) async throws {
            let batch = try Self.read(file)
            let barclamps = try await client.request([Barclamp].self, .GET, "barclamps")
            let nodes = try await client.request([Node].self, .GET, "nodes")
            let order = Dictionary(uniqueKeysWithValues: barclamps.enumerated().map { ($1.name, $0) })
            for entry in batch.proposals where order[entry.barclamp] == nil {
                throw Self.refuse(DefinitionError(location: entry.location, key: "barclamp", message: "unknown barclamp '\(entry.barclamp)'"))
            }
            let entries = batch.proposals.sorted { (order[$0.barclamp]!, $0.name) < (order[$1.barclamp]!, $1.name) }
            let schemas = Dictionary(uniqueKeysWithValues: barclamps.map { ($0.name, $0) })

            var pending: [BatchFile.ProposalEntry] = []
            for entry in entries {
                let path = "proposals/\(entry.barclamp)/\(entry.name)"
                // Every edit answers with the proposal as it now is; the last answer says whether it needs applying.
                var proposal: Proposal
                if let existing = try? await client.request(Proposal.self, .GET, path) {
                    proposal = existing
                } else {
                    proposal = try await client.request(Proposal.self, .POST, "proposals/\(entry.barclamp)", body: ["name": entry.name])
                    say("created \(entry.barclamp)/\(entry.name)")
                }
                let edits = entry.attributeEdits(schema: schemas[entry.barclamp]!).map { Edit(path: $0.path, value: $0.value) }
                if !edits.isEmpty { proposal = try await client.request(Proposal.self, .PATCH, path, body: Edits(edits: edits)) }
                let elements: [String: [String]]
                do {
                    elements = try batch.resolvedElements(of: entry) { alias in Self.node(alias, in: nodes) }
                } catch { throw Self.refuse(error) }
                for role in elements.keys.sorted() {
                    proposal = try await client.request(
                        Proposal.self, .PUT, "\(path)/deployment/\(role)", body: ["nodes": elements[role]!])
                }
                if force || proposal.hasPendingChanges || proposal.status != .applied { pending.append(entry) }
            }
            say("\(pending.count) of \(entries.count) proposals to apply")
            // Commit every record first, in run order, so each proposal's recipes see the others (nova's endpoints
            // in neutron's metadata agent, say) when its run compiles them.
            for entry in pending {
                _ = try await client.request(.POST, "proposals/\(entry.barclamp)/\(entry.name)/commit?apply=false")
            }
            for entry in pending {
                try await apply(entry, client: client)
            }
            say("batch applied: \(pending.count) proposals applied, \(entries.count - pending.count) unchanged")
        }

        private func apply(_ entry: BatchFile.ProposalEntry, client: CrowbarClient) async throws {
            let started = Date()
            let data = try await client.request(.POST, "proposals/\(entry.barclamp)/\(entry.name)/commit")
            guard let run = try JSONDecoder.crowbar.decode(CommitResult.self, from: data).run else { return }
            say("applying \(entry.barclamp)/\(entry.name): run \(run.id)")
            var outcome: (any Error)?
            do { try await RunReport.follow(run.id, client: client, json: false) } catch { outcome = error }
            let finished = try await client.request(Run.self, .GET, "runs/\(run.id)")
            let seconds = Date().timeIntervalSince(started)
            if let report {
                let line = ReportLine(
                    barclamp: entry.barclamp, proposal: entry.name, run: run.id, status: finished.status.rawValue,
                    seconds: (seconds * 10).rounded() / 10, changed: finished.changedCount)
                try Self.append(line, to: report)
            }
            if let outcome { throw outcome }
        }

        static func read(_ file: String) throws -> BatchFile {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            do {
                return try BatchFileParser.parse(String(decoding: data, as: UTF8.self), file: file)
            } catch { throw refuse(error) }
        }

        static func node(_ alias: BatchFile.NodeAlias, in nodes: [Node]) -> String? {
            switch alias.identity {
            case .mac(let mac): nodes.first { $0.macs.compactMap(MACAddress.init).contains(mac) }?.name
            case .name(let name): nodes.contains { $0.name == name } ? name : nil
            }
        }

        /// Prints a batch file problem (file:line: key: message) and exits 7, like an invalid API request.
        static func refuse(_ error: DefinitionError) -> ExitCode {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return ExitCode(7)
        }

        static func append(_ line: ReportLine, to file: String) throws {
            var data = try JSONEncoder.crowbar.encode(line)
            data.append(UInt8(ascii: "\n"))
            if let handle = FileHandle(forWritingAtPath: file) {
                defer { try? handle.close() }
                try handle.seekToEnd()
                try handle.write(contentsOf: data)
            } else {
                try data.write(to: URL(fileURLWithPath: file))
            }
        }

        private func say(_ text: String) {
            FileHandle.standardOutput.write(Data(("batch: " + text + "\n").utf8))
        }

        struct Edit: Encodable, Sendable { var path: String; var value: AttributeValue }
        struct Edits: Encodable, Sendable { var edits: [Edit] }
        struct ReportLine: Encodable, Sendable {
            var barclamp: String, proposal: String, run: Int64, status: String, seconds: Double, changed: Int
        }
    }

    struct Export: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the active proposals as a batch file (nodes by alias = node name, with their boot MAC).",
            discussion: "Secret attributes are left out (applying the file keeps the current ones) unless --secrets.")
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Include secret attributes in clear.") var secrets = false

        func run(client: CrowbarClient) async throws {
            let barclamps = try await client.request([Barclamp].self, .GET, "barclamps")
            let nodes = Dictionary(uniqueKeysWithValues: try await client.request([Node].self, .GET, "nodes").map { ($0.name, $0) })
            let proposals = try await client.request([Proposal].self, .GET, "proposals")
            var entries: [BatchFile.ProposalEntry] = []
            var used: Set<String> = []
            for barclamp in barclamps {
                for summary in proposals where summary.barclamp == barclamp.name && summary.status.isActive {
                    let base = "proposals/\(summary.barclamp)/\(summary.name)"
                    let revision = try await client.request(
                        ProposalRevision.self, .GET, "\(base)/revisions/\(summary.revision)" + (secrets ? "?secrets=true" : ""))
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
                let identity: BatchFile.NodeAlias.Identity = nodes[name]?.macs.first.flatMap(MACAddress.init).map { .mac($0) } ?? .name(name)
                return BatchFile.NodeAlias(alias: name, identity: identity, location: SourceLocation(file: "export", line: 1))
            }
            print(try BatchFile(nodes: aliases, proposals: entries).yaml(), terminator: "")
        }
    }
}
