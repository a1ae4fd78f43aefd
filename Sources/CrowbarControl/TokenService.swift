import CrowbarCore
import CrowbarStore
import Foundation

/// Named API tokens with roles (``APIRole``): created (the token is shown once), listed, revoked, and recognised on
/// each request. Only a token's SHA-256 is stored: a copy of the database does not hold usable tokens.
public struct TokenService: Sendable {
    let database: CrowbarDatabase

    /// Creates a token named `name` with `role`; the answer is the only place the token appears.
    public func create(_ creation: APITokenCreation) async throws -> CreatedAPIToken {
        guard Identifier.isValid(creation.name) else {
            throw CrowbarError(.invalid, "'\(creation.name)' is not a token name: \(Identifier.rule)", context: ["field": "name"])
        }
        let token = BearerToken.mint()
        let info = try await database.createAPIToken(name: creation.name, role: creation.role, tokenHash: token.hash)
        return CreatedAPIToken(info: info, token: token.value)
    }

    public func list() async throws -> [APITokenInfo] { try await database.apiTokens() }

    public func revoke(_ name: String) async throws -> APITokenInfo { try await database.revokeAPIToken(named: name) }

    /// The named token `token` is, unless revoked.
    public func identify(_ token: String) async throws -> APITokenInfo? {
        try await database.activeAPIToken(hash: BearerToken.hash(token))
    }
}
