/// The wire form of an API error, `{error, detail, field}`, shared by crowbard and the CLI.
public struct APIErrorBody: Codable, Sendable, Hashable {
    /// A short machine-readable code such as `not_found` or `validation_failed`.
    public var error: String
    /// A human explanation.
    public var detail: String
    /// The request field at fault, where there is one.
    public var field: String?
    /// Every issue, for validation failures.
    public var issues: [[String: String]]?

    public init(error: String, detail: String, field: String? = nil, issues: [[String: String]]? = nil) {
        self.error = error
        self.detail = detail
        self.field = field
        self.issues = issues
    }
}
