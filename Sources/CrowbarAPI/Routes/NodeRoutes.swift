import CrowbarControl
import CrowbarCore
import Hummingbird

/// Node records: list, show, delete, discovery registration, allocation (with an OS install), reinstall, installs and
/// state moves.
struct NodeRoutes {
    let nodes: NodeService
    let install: InstallService

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.get("nodes") { _, _ in try await nodes.list() }
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
}
extension InstallStatus: ResponseEncodable {}
