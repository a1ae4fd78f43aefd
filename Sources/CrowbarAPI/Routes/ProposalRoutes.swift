import CrowbarCore
import Hummingbird

/// Proposals: create, show, edit, assign, commit, revisions, diff, plan, deactivate, delete.
struct ProposalRoutes {
    let admin: Admin

    struct CreateRequest: Decodable { var name: String }
    struct EditRequest: Decodable { var edits: [AttributeEdit] }
    struct AssignRequest: Decodable { var nodes: [String] }

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        let base = "proposals/:barclamp/:name"
        api.get("proposals") { request, _ in
            try await admin.database.proposals().map { admin.presented($0, showSecrets: request.wantsSecrets) }
        }
        api.get("proposals/:barclamp") { request, context in
            let barclamp = try admin.barclamp(named: context.parameters.path("barclamp"))
            return try await admin.database.proposals(barclamp: barclamp.name).map { admin.presented($0, showSecrets: request.wantsSecrets) }
        }
        api.post("proposals/:barclamp") { request, context -> EditedResponse<Proposal> in
            let body = try await request.decodeBody(CreateRequest.self, context: context)
            let proposal = try await admin.createProposal(barclamp: context.parameters.path("barclamp"), proposal: body.name)
            return EditedResponse(status: .created, response: admin.presented(proposal, showSecrets: request.wantsSecrets))
        }
        api.get(RouterPath(base)) { request, context in
            let (barclamp, name) = try names(context)
            return admin.presented(try await admin.database.proposal(barclamp: barclamp, name: name), showSecrets: request.wantsSecrets)
        }
        api.patch(RouterPath(base)) { request, context in
            let (barclamp, name) = try names(context)
            let body = try await request.decodeBody(EditRequest.self, context: context)
            let proposal = try await admin.edit(barclamp: barclamp, proposal: name, edits: body.edits)
            return admin.presented(proposal, showSecrets: request.wantsSecrets)
        }
        api.put(RouterPath(base + "/deployment/:role")) { request, context in
            let (barclamp, name) = try names(context)
            let body = try await request.decodeBody(AssignRequest.self, context: context)
            let proposal = try await admin.assign(
                barclamp: barclamp, proposal: name, role: context.parameters.path("role"), nodes: body.nodes)
            return admin.presented(proposal, showSecrets: request.wantsSecrets)
        }
        api.post(RouterPath(base + "/commit")) { request, context in
            let (barclamp, name) = try names(context)
            let apply = request.flagQuery("apply", default: true)
            var result = try await admin.commit(barclamp: barclamp, proposal: name, apply: apply)
            result.revision = admin.presented(result.revision, showSecrets: request.wantsSecrets)
            return result
        }
        api.post(RouterPath(base + "/check")) { _, context -> EditedResponse<Run> in
            let (barclamp, name) = try names(context)
            return EditedResponse(status: .accepted, response: try await admin.check(barclamp: barclamp, proposal: name))
        }
        api.post(RouterPath(base + "/deactivate")) { request, context in
            let (barclamp, name) = try names(context)
            let proposal = try await admin.database.setProposalStatus(
                barclamp: barclamp, name: name, to: .deactivated, reason: "deactivated by operator")
            return admin.presented(proposal, showSecrets: request.wantsSecrets)
        }
        api.delete(RouterPath(base)) { _, context -> HTTPResponse.Status in
            let (barclamp, name) = try names(context)
            try await admin.database.deleteProposal(barclamp: barclamp, name: name)
            return .noContent
        }
        api.get(RouterPath(base + "/revisions")) { request, context in
            let (barclamp, name) = try names(context)
            return try await admin.database.revisions(barclamp: barclamp, name: name).map {
                admin.presented($0, showSecrets: request.wantsSecrets)
            }
        }
        api.get(RouterPath(base + "/revisions/:revision")) { request, context in
            let (barclamp, name) = try names(context)
            guard let number = Int(try context.parameters.path("revision")) else {
                throw APIError(.badRequest, "bad_request", "revision must be an integer", field: "revision")
            }
            let revision = try await admin.database.revision(barclamp: barclamp, name: name, number: number)
            return admin.presented(revision, showSecrets: request.wantsSecrets)
        }
        api.get(RouterPath(base + "/diff")) { request, context in
            let (barclamp, name) = try names(context)
            return try await admin.diff(
                barclamp: barclamp, proposal: name, from: request.integerQuery("from"), to: request.integerQuery("to"))
        }
        api.get(RouterPath(base + "/plan")) { _, context in
            let (barclamp, name) = try names(context)
            return try await admin.plan(barclamp: barclamp, proposal: name)
        }
        api.get("plan") { _, _ in try await admin.plan() }
    }

    private func names(_ context: CrowbarRequestContext) throws -> (String, String) {
        let barclamp = try admin.barclamp(named: context.parameters.path("barclamp")).name
        return (barclamp, try context.parameters.path("name"))
    }
}

extension ProposalChange: ResponseEncodable {}
