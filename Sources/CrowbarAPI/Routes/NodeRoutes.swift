import CrowbarControl
import CrowbarCore
import Foundation
import HTTPTypes
import Hummingbird

/// Node records: list, show, delete, discovery registration, allocation (with an OS install), reinstall, installs and
/// state moves.
struct NodeRoutes {
    let nodes: NodeService
    let install: InstallService

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.get("nodes") { request, context -> Response in
            let query = try nodeQuery(request)
            let page = try await nodes.list(query)
            var response = try page.nodes.response(from: request, context: context)
            if let next = page.next { response.headers[.link] = "<\(nextPage(of: request, after: next))>; rel=\"next\"" }
            return response
        }
        api.get("nodes/:node") { _, context in try await nodes.node(named: context.parameters.path("node")) }
        api.delete("nodes/:node") { _, context -> HTTPResponse.Status in
            try await nodes.delete(context.parameters.path("node"))
            return .noContent
        }
        api.post("nodes/discover") { request, context -> EditedResponse<Node> in
            let report = try await request.decodeBody(DiscoveryReport.self, context: context)
            let (node, created) = try await nodes.register(report)
            return EditedResponse(status: created ? .created : .ok, response: node)
        }
        api.post("nodes/:node/allocate") { request, context in
            let body = try await request.decodeOptionalBody(AllocateRequest.self, context: context, empty: AllocateRequest())
            return try await install.allocate(context.parameters.path("node"), request: body, actor: request.actor)
        }
        api.post("nodes/:node/reinstall") { request, context in
            try await install.reinstall(context.parameters.path("node"), actor: request.actor)
        }
        api.get("nodes/:node/install") { _, context in try await install.status(of: context.parameters.path("node")) }
        api.post("nodes/:node/transition") { request, context in
            let body = try await request.decodeBody(NodeTransitionRequest.self, context: context)
            return try await nodes.transition(
                context.parameters.path("node"), to: body.state, reason: body.reason ?? "requested through the API")
        }
    }

    /// `GET /nodes?state=S&role=R&after=NAME&limit=N`: every parameter optional, a page at most ``NodeQuery/maxLimit``
    /// long (one answer's work and size stay bounded however many nodes there are); a state that is none is a 400.
    private func nodeQuery(_ request: Request) throws -> NodeQuery {
        let text = { (name: String) in request.uri.queryParameters[Substring(name)].map(String.init) }
        var query = NodeQuery(role: text("role"), after: text("after"), limit: try request.limitQuery(default: NodeQuery.maxLimit))
        if let state = text("state") {
            guard let known = NodeState(rawValue: state) else {
                let states = NodeState.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError(.badRequest, "bad_request", "state must be one of \(states)", field: "state")
            }
            query.state = known
        }
        return query
    }

    /// The request's own path and query with `after` set to `next`: the `Link` to the following page (RFC 8288).
    private func nextPage(of request: Request, after next: String) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let encode = { (text: Substring) in text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? String(text) }
        var items: [String] = []
        for (key, value) in request.uri.queryParameters where key != "after" { items.append("\(encode(key))=\(encode(value))") }
        items.append("after=\(encode(Substring(next)))")
        return request.uri.path + "?" + items.joined(separator: "&")
    }
}

extension HTTPField.Name {
    /// RFC 8288's `Link`, which swift-http-types does not name.
    static let link = Self("Link")!
}
extension InstallStatus: ResponseEncodable {}
