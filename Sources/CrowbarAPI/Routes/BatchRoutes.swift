import CrowbarControl
import CrowbarCore
import Hummingbird

/// Batches: preview a batch file, submit it (201, applied in the background), list, show.
struct BatchRoutes {
    let batches: BatchService

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.post("batches") { request, context -> EditedResponse<Batch> in
            let submission = try await request.decodeBody(BatchSubmission.self, context: context)
            return EditedResponse(status: .created, response: try await batches.submit(submission))
        }
        api.post("batches/preview") { request, context in
            try await batches.preview(try await request.decodeBody(BatchSubmission.self, context: context))
        }
        api.get("batches") { request, _ in try await batches.list(limit: try request.limitQuery(default: 50)) }
        api.get("batches/:batch") { _, context in
            let text = try context.parameters.path("batch")
            guard let id = Int64(text) else { throw APIError(.badRequest, "bad_request", "batch id must be an integer", field: "batch") }
            return try await batches.batch(id)
        }
    }
}

extension Batch: ResponseEncodable {}
extension BatchPreview: ResponseEncodable {}
