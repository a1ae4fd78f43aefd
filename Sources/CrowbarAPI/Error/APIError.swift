import CrowbarCore
import Foundation
import Hummingbird

/// An error answered as JSON `{error, detail, field}` with a 4xx or 5xx status.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// A short machine-readable code such as `not_found` or `validation_failed`.
    public var error: String
    /// A human explanation.
    public var detail: String
    /// The request field at fault, where there is one.
    public var field: String?
    /// Further problems, for validation failures with more than one issue.
    public var issues: [[String: String]]?

    public init(_ status: HTTPResponse.Status, _ error: String, _ detail: String, field: String? = nil, issues: [[String: String]]? = nil) {
        self.status = status
        self.error = error
        self.detail = detail
        self.field = field
        self.issues = issues
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = APIErrorBody(error: error, detail: detail, field: field, issues: issues)
        let data = try JSONEncoder.crowbar.encode(body)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
