import CrowbarCore
import CrowbarStore
import Foundation

/// Proposals: create, edit, assign, commit, check, deactivate, delete. Reading, diffs and plans are in
/// `ProposalService+Reading.swift`. Answers mask secrets unless the caller asks for them. Edits, assignments and
/// commits given `ifVersion` (the API's `If-Match`) are refused when the proposal's version moved on since it was read.
public struct ProposalService: Sendable {
    let context: ControlContext
    let generateSecret: @Sendable () -> String

    private var database: CrowbarDatabase { context.database }

    /// Creates a draft from the barclamp's defaults, with a fresh value for every secret.
    public func create(barclamp name: String, proposal: String, showSecrets: Bool = false) async throws -> Proposal {
        let barclamp = try context.barclamps.barclamp(named: name)
        guard Identifier.isValid(proposal) else { throw ProposalIssue(field: "name", message: Identifier.rule) }
        let content = ProposalEditor.initialContent(for: barclamp, generateSecret: generateSecret)
        return presented(try await database.createProposal(barclamp: name, name: proposal, content: content), showSecrets)
    }

    /// Applies attribute edits in order; all or nothing.
    public func edit(
        barclamp name: String, proposal: String, edits: [AttributeEdit], ifVersion: Int? = nil, showSecrets: Bool = false
    ) async throws -> Proposal {
        let barclamp = try context.barclamps.barclamp(named: name)
        let edited = try await database.updateProposal(barclamp: name, name: proposal, ifVersion: ifVersion) { content in
            try edits.reduce(content) { content, edit in try edit.apply(to: content, barclamp: barclamp) }
        }
        return presented(edited, showSecrets)
    }

    /// Gives `role` exactly `nodes`, each of which must be a known node.
    public func assign(
        barclamp name: String, proposal: String, role: String, nodes: [String], ifVersion: Int? = nil, showSecrets: Bool = false
    ) async throws -> Proposal {
        let barclamp = try context.barclamps.barclamp(named: name)
        let known = Set(try await database.nodes().map(\.name))
        if let unknown = nodes.first(where: { !known.contains($0) }) {
            throw ProposalIssue(field: "deployment.\(role)", message: "no node named '\(unknown)' (crowbar node list shows the known ones)")
        }
        let assigned = try await database.updateProposal(barclamp: name, name: proposal, ifVersion: ifVersion) { content in
            try ProposalEditor.assign(nodes, to: role, in: content, barclamp: barclamp)
        }
        return presented(assigned, showSecrets)
    }

    /// Validates and commits the working copy as a new revision (secrets unmasked: callers present it), queuing the
    /// run that applies it in the same transaction when `queue` says how.
    func commitRevision(
        barclamp name: String, proposal: String, ifVersion: Int? = nil, queue: CommitRun? = nil
    ) async throws -> (revision: ProposalRevision, run: Run?) {
        let barclamp = try context.barclamps.barclamp(named: name)
        let catalog = context.catalog
        return try await database.commitProposal(barclamp: name, name: proposal, ifVersion: ifVersion, validate: { snapshot in
            try Self.validate(
                snapshot.proposal.content, of: barclamp, proposal: proposal,
                context: ValidationContext(catalog: catalog, knownNodes: snapshot.knownNodes, activeProposals: snapshot.activeProposals))
        }, queue: queue)
    }

    /// Adds `node` to `role` unless it has a role in the proposal already, in one read-modify-write of the working copy
    /// (nodes joining at once are all kept), and commits; answers the committed deployment.
    func enroll(_ node: String, in role: String, barclamp name: String, proposal: String) async throws -> [String: [String]] {
        let barclamp = try context.barclamps.barclamp(named: name)
        _ = try await database.updateProposal(barclamp: name, name: proposal) { content in
            guard !content.deployment.values.contains(where: { $0.contains(node) }) else { return content }
            return try ProposalEditor.assign((content.deployment[role] ?? []) + [node], to: role, in: content, barclamp: barclamp)
        }
        return try await commitRevision(barclamp: name, proposal: proposal).revision.content.deployment
    }

    /// What a commit checks: the validator's rules, and for the network barclamp a usable network model.
    static func validate(_ content: ProposalContent, of barclamp: Barclamp, proposal: String, context: ValidationContext) throws {
        try ProposalValidator.validate(content, of: barclamp, proposalName: proposal, context: context)
        if barclamp.name == "network" { _ = try NetworkModel.networks(from: content.attributes) }
    }

    /// Commits the working copy and, when `apply` and crowbard has an orchestrator, queues the run that applies it (in
    /// the committing transaction: a crash never leaves a commit whose run was lost).
    public func commit(
        barclamp name: String, proposal: String, apply: Bool, ifVersion: Int? = nil, showSecrets: Bool = false
    ) async throws -> CommitResult {
        let context = context
        let queue = apply && context.scheduler != nil
            ? CommitRun(request: { try context.runRequest(of: $0, checkMode: false) }, decide: RunOutcome.effectsOfQueuing) : nil
        let committed = try await commitRevision(barclamp: name, proposal: proposal, ifVersion: ifVersion, queue: queue)
        CrashPoint.reach("commit.before-schedule")
        if let run = committed.run { context.scheduler?.schedule(runID: run.id) }
        return CommitResult(revision: presented(committed.revision, showSecrets), run: committed.run)
    }

    /// Queues a check-mode run of the last committed revision: what re-applying it would change on the nodes.
    public func check(barclamp name: String, proposal: String) async throws -> Run {
        _ = try context.barclamps.barclamp(named: name)
        let scheduler = try context.requireScheduler()
        let current = try await database.proposal(barclamp: name, name: proposal)
        guard current.revision > 0 else { throw CrowbarError(.conflict, "proposal \(name)/\(proposal) has never been committed") }
        let revision = try await database.revision(barclamp: name, name: proposal, number: current.revision)
        return try await context.queueRun(try context.runRequest(of: revision, checkMode: true), scheduler: scheduler)
    }

    /// Takes a committed proposal out of force (not while it is applying).
    public func deactivate(barclamp name: String, proposal: String, showSecrets: Bool = false) async throws -> Proposal {
        _ = try context.barclamps.barclamp(named: name)
        let proposal = try await database.setProposalStatus(barclamp: name, name: proposal, to: .deactivated, reason: "deactivated by operator")
        return presented(proposal, showSecrets)
    }

    /// Deletes a proposal that is not active, with its revisions.
    public func delete(barclamp name: String, proposal: String) async throws {
        _ = try context.barclamps.barclamp(named: name)
        try await database.deleteProposal(barclamp: name, name: proposal)
    }
}
