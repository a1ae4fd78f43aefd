import CrowbarCore

extension CrowbarClient {
    /// `POST /tokens` (admin): a named token with a role; the answer holds the token, shown this once.
    public func createToken(name: String, role: APIRole) async throws -> CreatedAPIToken {
        try await send(.POST, Endpoint("tokens"), body: APITokenCreation(name: name, role: role))
    }

    /// `GET /tokens` (admin): every named token, revoked ones included; never the tokens themselves.
    public func tokens() async throws -> [APITokenInfo] { try await send(.GET, Endpoint("tokens")) }

    /// `DELETE /tokens/{name}` (admin): the token is refused from now on.
    public func revokeToken(named name: String) async throws -> APITokenInfo { try await send(.DELETE, Endpoint("tokens", name)) }
}
