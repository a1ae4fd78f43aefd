import CrowbarCore
import Foundation
import Hummingbird

/// Node records: list, show, delete, discovery registration, allocation and state moves.
struct NodeRoutes {
    let admin: Admin

    struct TransitionRequest: Decodable {
        var state: NodeState
        var reason: String?
    }

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.get("nodes") { _, _ in try await admin.database.nodes() }
        api.get("nodes/:node") { _, context in try await admin.database.node(named: context.parameters.path("node")) }
        api.delete("nodes/:node") { _, context -> HTTPResponse.Status in
            try await admin.database.deleteNode(named: context.parameters.path("node"))
            return .noContent
        }
        api.post("nodes/discover") { request, context -> EditedResponse<Node> in
            let report = try await request.decodeBody(DiscoveryReport.self, context: context)
            let (node, created) = try await admin.database.register(report)
            return EditedResponse(status: created ? .created : .ok, response: node)
        }
        api.post("nodes/:node/allocate") { _, context in try await admin.allocate(node: context.parameters.path("node")) }
        api.post("nodes/:node/transition") { request, context in
            let body = try await request.decodeBody(TransitionRequest.self, context: context)
            return try await admin.transition(
                node: context.parameters.path("node"), to: body.state, reason: body.reason ?? "requested through the API")
        }
    }
}
