import CrowbarControl
import CrowbarCore
import Hummingbird

/// Requires `Authorization: Bearer <token>` on every request except the health check, and a role that allows the
/// request (``APIRole/required(method:path:secrets:)``): the token file's token is the admin `root`; named tokens
/// have the role they were created with. The request runs with ``Audit/actor`` set to the token's name (and the
/// person its client names in `X-Crowbar-Actor`), so the events it causes say who did it.
struct TokenAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String
    let tokens: TokenService
    let openPaths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { throw Self.unauthorized }
        let presented = String(header.dropFirst(7))
        let name: String
        let role: APIRole
        if BearerToken.constantTimeEqual(presented, token) {
            (name, role) = ("root", .admin)
        } else if let named = try await tokens.identify(presented) {
            (name, role) = (named.name, named.role)
        } else {
            throw Self.unauthorized
        }
        let needed = APIRole.required(method: request.method.rawValue, path: request.uri.path, secrets: try request.wantsSecrets)
        guard role >= needed else {
            throw APIError(.forbidden, "forbidden", "token \(name) is a \(role.rawValue): this needs an \(needed.rawValue) token")
        }
        let client = request.clientActor
        return try await Audit.$actor.withValue(client.map { "\(name) (\($0))" } ?? name) { try await next(request, context) }
    }

    private static var unauthorized: APIError {
        APIError(.unauthorized, "unauthorized", "a valid 'Authorization: Bearer <token>' header is required")
    }
}
