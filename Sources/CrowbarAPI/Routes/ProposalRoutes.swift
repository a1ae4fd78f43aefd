import CrowbarControl
import CrowbarCore
import Hummingbird

/// Proposals: create, show, edit, assign, commit, revisions, diff, plan, deactivate, delete.
struct ProposalRoutes {
    let proposals: ProposalService

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        let base = "proposals/:barclamp/:name"
        api.get("proposals") { request, _ in try await proposals.list(showSecrets: try request.wantsSecrets) }
        api.get("proposals/:barclamp") { request, context in
            try await proposals.list(barclamp: context.parameters.path("barclamp"), showSecrets: try request.wantsSecrets)
        }
        api.post("proposals/:barclamp") { request, context -> EditedResponse<Proposal> in
            let body = try await request.decodeBody(ProposalCreation.self, context: context)
            let proposal = try await proposals.create(
                barclamp: context.parameters.path("barclamp"), proposal: body.name, showSecrets: try request.wantsSecrets)
            return EditedResponse(status: .created, response: proposal)
        }
        api.get(RouterPath(base)) { request, context in
            let (barclamp, name) = try names(context)
            return Self.tagged(try await proposals.proposal(barclamp: barclamp, proposal: name, showSecrets: try request.wantsSecrets))
        }
        api.patch(RouterPath(base)) { request, context in
            let (barclamp, name) = try names(context)
            let body = try await request.decodeBody(ProposalEdits.self, context: context)
            return Self.tagged(try await proposals.edit(
                barclamp: barclamp, proposal: name, edits: body.edits, ifVersion: try request.ifMatchVersion(), showSecrets: try request.wantsSecrets))
        }
        api.put(RouterPath(base + "/deployment/:role")) { request, context in
            let (barclamp, name) = try names(context)
            let body = try await request.decodeBody(RoleAssignment.self, context: context)
            return Self.tagged(try await proposals.assign(
                barclamp: barclamp, proposal: name, role: context.parameters.path("role"), nodes: body.nodes,
                ifVersion: try request.ifMatchVersion(), showSecrets: try request.wantsSecrets))
        }
        api.post(RouterPath(base + "/commit")) { request, context in
            let (barclamp, name) = try names(context)
            return try await proposals.commit(
                barclamp: barclamp, proposal: name, apply: try request.flagQuery("apply", default: true), ifVersion: try request.ifMatchVersion(),
                showSecrets: try request.wantsSecrets)
        }
        api.post(RouterPath(base + "/check")) { _, context -> EditedResponse<Run> in
            let (barclamp, name) = try names(context)
            return EditedResponse(status: .accepted, response: try await proposals.check(barclamp: barclamp, proposal: name))
        }
        api.post(RouterPath(base + "/deactivate")) { request, context in
            let (barclamp, name) = try names(context)
            return try await proposals.deactivate(barclamp: barclamp, proposal: name, showSecrets: try request.wantsSecrets)
        }
        api.delete(RouterPath(base)) { _, context -> HTTPResponse.Status in
            let (barclamp, name) = try names(context)
            try await proposals.delete(barclamp: barclamp, proposal: name)
            return .noContent
        }
        api.get(RouterPath(base + "/revisions")) { request, context in
            let (barclamp, name) = try names(context)
            return try await proposals.revisions(barclamp: barclamp, proposal: name, showSecrets: try request.wantsSecrets)
        }
        api.get(RouterPath(base + "/revisions/:revision")) { request, context in
            let (barclamp, name) = try names(context)
            guard let number = Int(try context.parameters.path("revision")) else {
                throw APIError(.badRequest, "bad_request", "revision must be an integer", field: "revision")
            }
            return try await proposals.revision(barclamp: barclamp, proposal: name, number: number, showSecrets: try request.wantsSecrets)
        }
        api.get(RouterPath(base + "/diff")) { request, context in
            let (barclamp, name) = try names(context)
            return try await proposals.diff(
                barclamp: barclamp, proposal: name, from: request.integerQuery("from"), to: request.integerQuery("to"))
        }
        api.get(RouterPath(base + "/plan")) { _, context in
            let (barclamp, name) = try names(context)
            return try await proposals.plan(barclamp: barclamp, proposal: name)
        }
        api.get("plan") { _, _ in try await proposals.planOfActive() }
    }

    /// A proposal with its version as the `ETag`.
    private static func tagged(_ proposal: Proposal) -> EditedResponse<Proposal> {
        EditedResponse(headers: [.eTag: "\"\(proposal.version)\""], response: proposal)
    }

    private func names(_ context: CrowbarRequestContext) throws -> (String, String) {
        (try context.parameters.path("barclamp"), try context.parameters.path("name"))
    }
}

extension ProposalChange: ResponseEncodable {}
