import CrowbarCore
import CrowbarStore
import Foundation

/// Batches: a whole batch file submitted at once. Submitting checks the file (file:line: key errors), resolves node
/// aliases, creates and edits the proposals, commits the changed ones in run order and stores the batch; the
/// ``BatchRunner`` then applies them one at a time.
public struct BatchService: Sendable {
    let context: ControlContext
    let proposals: ProposalService
    let runner: BatchRunner

    /// Every alias resolves and every barclamp exists before anything is written: a file naming an unknown node or
    /// barclamp changes nothing.
    public func submit(_ submission: BatchSubmission) async throws -> Batch {
        _ = try context.requireScheduler()
        let (entries, elements, _) = try await resolve(submission)

        var outcomes: [(barclamp: String, proposal: String, revision: Int, outcome: BatchEntryOutcome)] = []
        for (entry, elements) in zip(entries, elements) {
            let proposal = try await update(entry, elements: elements)
            let apply = submission.force || proposal.hasPendingChanges || proposal.status != .applied
            outcomes.append((entry.barclamp, entry.name, proposal.revision, apply ? .pending : .unchanged))
        }
        // Every changed proposal is committed first, in run order, so each one's recipes see the others (nova's
        // endpoints in neutron's metadata agent, say) when its run compiles them.
        for index in outcomes.indices where outcomes[index].outcome == .pending {
            outcomes[index].revision = try await proposals.commitRevision(
                barclamp: outcomes[index].barclamp, proposal: outcomes[index].proposal).revision.revision
        }
        let stored = try await context.database.createBatch(file: submission.file, force: submission.force, entries: outcomes)
        if !stored.status.isFinished { runner.schedule(batchID: stored.id) }
        return stored
    }

    /// What submitting would do, entry by entry, without writing anything: the same checks, then each proposal's new
    /// content compared with the stored working copy (with a new proposal's defaults when there is none).
    public func preview(_ submission: BatchSubmission) async throws -> BatchPreview {
        let (entries, _, contents) = try await resolve(submission)
        var previewed: [BatchPreview.Entry] = []
        for (index, (entry, content)) in zip(entries, contents).enumerated() {
            let barclamp = try context.barclamps.barclamp(named: entry.barclamp)
            let stored = try? await context.database.proposal(barclamp: entry.barclamp, name: entry.name)
            let before = stored?.content ?? ProposalEditor.initialContent(for: barclamp) { Self.generatedSecret }
            let changes = ProposalDiff.changes(from: before, to: content, barclamp: barclamp)
            previewed.append(BatchPreview.Entry(
                position: index + 1, barclamp: entry.barclamp, proposal: entry.name,
                action: BatchPreview.action(stored: stored, changes: changes, force: submission.force), changes: changes))
        }
        return BatchPreview(file: submission.file, entries: previewed)
    }

    /// Parses the file, puts its entries in run order, resolves their node aliases and checks every entry's new
    /// content: what ``submit(_:)`` and ``preview(_:)`` both start from.
    private func resolve(
        _ submission: BatchSubmission
    ) async throws -> (entries: [BatchFile.ProposalEntry], elements: [[String: [String]]], contents: [ProposalContent]) {
        let batch = try BatchFileParser.parse(submission.content, file: submission.file)
        let order = Dictionary(uniqueKeysWithValues: context.catalog.runOrder.enumerated().map { ($1.name, $0) })
        for entry in batch.proposals where order[entry.barclamp] == nil {
            throw DefinitionError(location: entry.location, key: "barclamp", message: "unknown barclamp '\(entry.barclamp)'")
        }
        let entries = batch.proposals.sorted { (order[$0.barclamp]!, $0.name) < (order[$1.barclamp]!, $1.name) }
        let nodes = try await context.database.nodes()
        let elements = try entries.map { entry in try batch.resolvedElements(of: entry) { alias in Self.node(alias, in: nodes) } }
        let contents = try await check(entries, elements: elements, nodes: Set(nodes.map(\.name)))
        return (entries, elements, contents)
    }

    /// The value secrets of a not-yet-created proposal have while it is checked (it is generated when it is created).
    private static let generatedSecret = "generated-secret"

    /// Builds every entry's content in memory, in run order, and validates it as its commit will (the entries before
    /// it counting as active): a refused attribute, role, node or requirement is refused before anything is written,
    /// naming the entry's place in the file. Answers the contents, in the entries' order.
    private func check(
        _ entries: [BatchFile.ProposalEntry], elements: [[String: [String]]], nodes: Set<String>
    ) async throws -> [ProposalContent] {
        var contents: [ProposalContent] = []
        var active = try await context.database.proposals().filter(\.status.isActive)
        for (entry, elements) in zip(entries, elements) {
            let barclamp = try context.barclamps.barclamp(named: entry.barclamp)
            let same: (Proposal) -> Bool = { $0.barclamp == entry.barclamp && $0.name == entry.name }
            do {
                let stored = try? await context.database.proposal(barclamp: entry.barclamp, name: entry.name)
                var content = stored?.content ?? ProposalEditor.initialContent(for: barclamp) { Self.generatedSecret }
                for edit in entry.attributeEdits(schema: barclamp) {
                    content = try ProposalEditor.set(edit.path, to: edit.value, in: content, barclamp: barclamp)
                }
                for (role, names) in elements { content = try ProposalEditor.assign(names, to: role, in: content, barclamp: barclamp) }
                try ProposalService.validate(
                    content, of: barclamp, proposal: entry.name,
                    context: ValidationContext(catalog: context.catalog, knownNodes: nodes, activeProposals: active.filter { !same($0) }))
                active.removeAll(where: same)
                active.append(Proposal(
                    barclamp: entry.barclamp, name: entry.name, status: .committed, content: content, revision: 1,
                    hasPendingChanges: false, createdAt: Date(), updatedAt: Date()))
                contents.append(content)
            } catch let error as any CrowbarErrorConvertible {
                throw DefinitionError(
                    location: entry.location, key: "proposals", message: "\(entry.barclamp)/\(entry.name): \(error.crowbarError.message)")
            }
        }
        return contents
    }

    /// The newest batches first.
    public func list(limit: Int = 50) async throws -> [Batch] { try await context.database.batches(limit: limit) }

    /// One batch with its entries.
    public func batch(_ id: Int64) async throws -> Batch { try await context.database.batch(id: id) }

    /// Creates the entry's proposal if missing, sets its attributes and its roles' nodes; answers the proposal as it
    /// now is.
    private func update(_ entry: BatchFile.ProposalEntry, elements: [String: [String]]) async throws -> Proposal {
        let barclamp = try context.barclamps.barclamp(named: entry.barclamp)
        var proposal: Proposal
        do {
            proposal = try await context.database.proposal(barclamp: entry.barclamp, name: entry.name)
        } catch let error as CrowbarError where error.code == .notFound {
            proposal = try await proposals.create(barclamp: entry.barclamp, proposal: entry.name)
        }
        let edits = entry.attributeEdits(schema: barclamp).map { AttributeEdit(path: $0.path, value: $0.value) }
        if !edits.isEmpty { proposal = try await proposals.edit(barclamp: entry.barclamp, proposal: entry.name, edits: edits) }
        for role in elements.keys.sorted() {
            proposal = try await proposals.assign(barclamp: entry.barclamp, proposal: entry.name, role: role, nodes: elements[role]!)
        }
        return proposal
    }

    /// The node a batch file's alias names: by boot MAC (any of its MACs) or by name.
    static func node(_ alias: BatchFile.NodeAlias, in nodes: [Node]) -> String? {
        switch alias.identity {
        case .mac(let mac): nodes.first { $0.macs.contains(mac) }?.name
        case .name(let name): nodes.contains { $0.name == name } ? name : nil
        }
    }
}
