import Foundation

/// What an API token may do; each role can do everything the ones below it can.
public enum APIRole: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Reads everything except secrets.
    case reader
    /// Also changes things (nodes, proposals, runs, batches, BMCs and power) and reads secrets.
    case `operator`
    /// Also creates, lists and revokes API tokens.
    case admin

    public static func < (left: APIRole, right: APIRole) -> Bool {
        allCases.firstIndex(of: left)! < allCases.firstIndex(of: right)!
    }

    /// The least role a request needs: API tokens are the admin's; secrets (`secrets=true`) and every change (any
    /// method but GET and HEAD) need an operator; any other read a reader.
    public static func required(method: String, path: String, secrets: Bool) -> APIRole {
        if path == "/api/v1/tokens" || path.hasPrefix("/api/v1/tokens/") { return .admin }
        if secrets || !["GET", "HEAD"].contains(method.uppercased()) { return .operator }
        return .reader
    }
}

/// A named API token as crowbard keeps it: its role and life, never the token (only its hash is stored).
public struct APITokenInfo: Sendable, Hashable, Codable {
    public var name: String
    public var role: APIRole
    public var createdAt: Date
    /// Set once the token is revoked: it is refused from then on.
    public var revokedAt: Date?

    public init(name: String, role: APIRole, createdAt: Date, revokedAt: Date? = nil) {
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// `POST /api/v1/tokens`: a new token's name and role.
public struct APITokenCreation: Sendable, Hashable, Codable {
    public var name: String
    public var role: APIRole

    public init(name: String, role: APIRole) {
        self.name = name
        self.role = role
    }
}

/// A token just created: the only answer that holds the token itself.
public struct CreatedAPIToken: Sendable, Hashable, Codable {
    public var info: APITokenInfo
    public var token: String

    public init(info: APITokenInfo, token: String) {
        self.info = info
        self.token = token
    }
}
