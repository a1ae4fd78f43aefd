import CrowbarCore
import Foundation
import GRDB
import Synchronization

/// A proposal that has been committed, with the content of the revision a reader asked for.
public struct CommittedProposal: Sendable, Hashable {
    public var barclamp: String
    public var name: String
    public var status: ProposalStatus
    /// The revision read: the proposal's last committed one unless the reader pinned another.
    public var revision: Int
    public var content: ProposalContent
}

extension CrowbarDatabase {
    /// Every committed proposal (revision > 0) with its last committed revision's content, by barclamp then name, in one
    /// read; `pinned` reads that proposal at the given revision instead (the revision a run applies). What every step
    /// of a run compiles against: contents decoded once are reused while their stored JSON is unchanged.
    public func committedProposals(pinning pinned: (barclamp: String, name: String, revision: Int)? = nil) async throws -> [CommittedProposal] {
        let rows = try await writer.read { db in
            try CommittedRow.fetchAll(db, sql: """
                SELECT p.barclamp, p.name, p.status, r.revision, r.content
                FROM proposals p JOIN proposalRevisions r ON r.barclamp = p.barclamp AND r.proposal = p.name
                WHERE p.revision > 0
                  AND r.revision = CASE WHEN p.barclamp = ? AND p.name = ? THEN ? ELSE p.revision END
                ORDER BY p.barclamp, p.name
                """, arguments: [pinned?.barclamp, pinned?.name, pinned?.revision])
        }
        if let pinned, !rows.contains(where: { $0.barclamp == pinned.barclamp && $0.name == pinned.name }) {
            throw CrowbarError(.notFound, "proposal \(pinned.barclamp)/\(pinned.name) has no revision \(pinned.revision)")
        }
        return try rows.map { row in
            CommittedProposal(
                barclamp: row.barclamp, name: row.name, status: row.status, revision: row.revision,
                content: try revisionContents.content(of: row.content))
        }
    }
}

/// A row of ``CrowbarDatabase/committedProposals(pinning:)``'s query, the content left as its stored JSON.
private struct CommittedRow: Decodable, FetchableRecord {
    var barclamp: String
    var name: String
    var status: ProposalStatus
    var revision: Int
    var content: Data
}

/// Revision contents decoded from their stored JSON, by that JSON: a run's every step reads the same revisions, and
/// decoding them (not reading them) was most of a no-op step's time in crowbard. Keyed by the bytes themselves, so a
/// proposal deleted and made again under its old name and revision number cannot be served stale. Bounded: emptied
/// when it holds `limit` contents.
final class RevisionContentCache: Sendable {
    private let decoded = Mutex<[Data: ProposalContent]>([:])
    private let limit: Int

    init(limit: Int = 512) { self.limit = limit }

    /// The content stored as `json`, decoded as GRDB decodes the revisions' `content` column.
    func content(of json: Data) throws -> ProposalContent {
        if let content = decoded.withLock({ $0[json] }) { return content }
        let content = try ProposalRevisionRecord.databaseJSONDecoder(for: "content").decode(ProposalContent.self, from: json)
        decoded.withLock { cache in
            if cache.count >= limit { cache.removeAll() }
            cache[json] = content
        }
        return content
    }
}
