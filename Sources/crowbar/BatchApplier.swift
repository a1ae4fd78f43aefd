import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

/// Brings crowbard to a batch file's state: creates and edits its proposals, commits the changed ones in run order,
/// then applies them one at a time, following each run (`crowbar batch apply`, and the cloud of `crowbar deploy-day`).
struct BatchApplier {
    let client: CrowbarClient
    /// Where progress and the followed run logs are written.
    var output: FileHandle = .standardOutput

    /// Applies `batch`; `applied` hears of every run as it ends. Unchanged, applied proposals are skipped unless
    /// `force`. Throws the run's exit code after the first run that did not succeed, and a `DefinitionError` (file,
    /// line, key) for a barclamp or node alias crowbard does not know.
    func apply(_ batch: BatchFile, force: Bool, applied: (AppliedProposal) async throws -> Void) async throws {
        let barclamps = try await client.barclamps()
        let nodes = try await client.nodes()
        let order = Dictionary(uniqueKeysWithValues: barclamps.enumerated().map { ($1.name, $0) })
        for entry in batch.proposals where order[entry.barclamp] == nil {
            throw DefinitionError(location: entry.location, key: "barclamp", message: "unknown barclamp '\(entry.barclamp)'")
        }
        let entries = batch.proposals.sorted { (order[$0.barclamp]!, $0.name) < (order[$1.barclamp]!, $1.name) }
        let schemas = Dictionary(uniqueKeysWithValues: barclamps.map { ($0.name, $0) })

        // Every alias resolves before anything is written: a file naming an unknown node changes nothing.
        let elements = try entries.map { entry in try batch.resolvedElements(of: entry) { alias in Self.node(alias, in: nodes) } }
        var pending: [BatchFile.ProposalEntry] = []
        for (entry, elements) in zip(entries, elements) {
            let proposal = try await update(entry, schema: schemas[entry.barclamp]!, elements: elements)
            if force || proposal.hasPendingChanges || proposal.status != .applied { pending.append(entry) }
        }
        say("\(pending.count) of \(entries.count) proposals to apply")
        // Commit every record first, in run order, so each proposal's recipes see the others (nova's endpoints
        // in neutron's metadata agent, say) when its run compiles them.
        for entry in pending {
            _ = try await client.commit(barclamp: entry.barclamp, name: entry.name, apply: false)
        }
        for entry in pending {
            let started = ContinuousClock.now
            guard let run = try await client.commit(barclamp: entry.barclamp, name: entry.name).run else { continue }
            say("applying \(entry.barclamp)/\(entry.name): run \(run.id)")
            let finished = try await RunReport.printUntilFinished(run.id, client: client, json: false, output: output)
            try await applied(AppliedProposal(barclamp: entry.barclamp, proposal: entry.name, seconds: (ContinuousClock.now - started).inSeconds, run: finished))
            try RunReport.requireSuccess(finished)
        }
        say("batch applied: \(pending.count) proposals applied, \(entries.count - pending.count) unchanged")
    }

    /// Creates the entry's proposal if missing, sets its attributes and its roles' nodes; answers the proposal as it
    /// now is (every edit answers with it).
    private func update(_ entry: BatchFile.ProposalEntry, schema: Barclamp, elements: [String: [String]]) async throws -> Proposal {
        var proposal: Proposal
        if let existing = try? await client.proposal(barclamp: entry.barclamp, name: entry.name) {
            proposal = existing
        } else {
            proposal = try await client.createProposal(barclamp: entry.barclamp, name: entry.name)
            say("created \(entry.barclamp)/\(entry.name)")
        }
        let edits = entry.attributeEdits(schema: schema).map { AttributeEdit(path: $0.path, value: $0.value) }
        if !edits.isEmpty { proposal = try await client.edit(barclamp: entry.barclamp, name: entry.name, edits: edits) }
        for role in elements.keys.sorted() {
            proposal = try await client.assign(barclamp: entry.barclamp, name: entry.name, role: role, nodes: elements[role]!)
        }
        return proposal
    }

    /// Reads and parses a batch file; a malformed one throws its file:line: key: message.
    static func read(_ file: String) throws -> BatchFile {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        return try BatchFileParser.parse(String(decoding: data, as: UTF8.self), file: file)
    }

    static func node(_ alias: BatchFile.NodeAlias, in nodes: [Node]) -> String? {
        switch alias.identity {
        case .mac(let mac): nodes.first { $0.macs.compactMap(MACAddress.init).contains(mac) }?.name
        case .name(let name): nodes.contains { $0.name == name } ? name : nil
        }
    }

    private func say(_ text: String) {
        output.write(Data(("batch: " + text + "\n").utf8))
    }
}

/// One line of a batch report (`--report`): a proposal's run, how it ended, its wall time and changes.
struct BatchReportLine: Encodable, Sendable {
    var barclamp: String, proposal: String, run: Int64, status: String, seconds: Double, changed: Int

    init(_ applied: AppliedProposal) {
        barclamp = applied.barclamp
        proposal = applied.proposal
        run = applied.run.id
        status = applied.run.status.rawValue
        seconds = (applied.seconds * 10).rounded() / 10
        changed = applied.run.changedCount
    }

    /// Appends the line to `file`, creating it if needed.
    func append(to file: String) throws {
        var data = try JSONEncoder.crowbar.encode(self)
        data.append(UInt8(ascii: "\n"))
        if let handle = FileHandle(forWritingAtPath: file) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: data)
        } else {
            try data.write(to: URL(fileURLWithPath: file))
        }
    }
}
