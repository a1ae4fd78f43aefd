import CrowbarControl
import CrowbarCore
import Hummingbird

/// Named API tokens (admin tokens only): create (201, the token in the answer, once), list, revoke.
struct TokenRoutes {
    let tokens: TokenService

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.post("tokens") { request, context -> EditedResponse<CreatedAPIToken> in
            let creation = try await request.decodeBody(APITokenCreation.self, context: context)
            return EditedResponse(status: .created, response: try await tokens.create(creation))
        }
        api.get("tokens") { _, _ in try await tokens.list() }
        api.delete("tokens/:name") { _, context in try await tokens.revoke(try context.parameters.path("name")) }
    }
}

extension APITokenInfo: ResponseEncodable {}
extension CreatedAPIToken: ResponseEncodable {}
