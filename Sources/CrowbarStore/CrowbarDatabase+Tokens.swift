import CrowbarCore
import Foundation
import GRDB

/// A row of `apiTokens`: a named token's role and life, and the hash of the token (never the token).
struct APITokenRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "apiTokens"
    var name: String
    var role: APIRole
    var tokenHash: String
    var createdAt: Date
    var revokedAt: Date?

    var info: APITokenInfo { APITokenInfo(name: name, role: role, createdAt: createdAt, revokedAt: revokedAt) }
}

extension CrowbarDatabase {
    /// Stores a new named token by its hash; a name is never used twice, revoked or not.
    public func createAPIToken(name: String, role: APIRole, tokenHash: String, now: Date = Date()) async throws -> APITokenInfo {
        try await write { db in
            guard try !APITokenRecord.exists(db, key: name) else {
                throw CrowbarError(.conflict, "an API token named \(name) exists (names are not reused, even revoked)")
            }
            let record = APITokenRecord(name: name, role: role, tokenHash: tokenHash, createdAt: now, revokedAt: nil)
            try record.insert(db)
            return record.info
        }
    }

    /// Every named token, revoked ones included, by name.
    public func apiTokens() async throws -> [APITokenInfo] {
        try await writer.read { db in try APITokenRecord.order(Column("name")).fetchAll(db).map(\.info) }
    }

    /// The token with this hash, unless it is revoked.
    public func activeAPIToken(hash: String) async throws -> APITokenInfo? {
        try await writer.read { db in
            try APITokenRecord.filter(Column("tokenHash") == hash && Column("revokedAt") == nil).fetchOne(db)?.info
        }
    }

    /// Revokes a token: it is refused from now on (its name stays, for the history).
    public func revokeAPIToken(named name: String, now: Date = Date()) async throws -> APITokenInfo {
        try await write { db in
            guard var record = try APITokenRecord.fetchOne(db, key: name) else {
                throw CrowbarError(.notFound, "no API token named \(name)")
            }
            if record.revokedAt == nil {
                record.revokedAt = now
                try record.update(db)
            }
            return record.info
        }
    }
}
