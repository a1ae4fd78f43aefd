import CrowbarCore

/// Why a CLI request failed, with the process exit code that reports it.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status, or `nil` when crowbard could not be reached.
    public var status: Int?
    public var body: APIErrorBody

    public init(status: Int?, body: APIErrorBody) {
        self.status = status
        self.body = body
    }

    public var description: String {
        var text = body.detail
        if let field = body.field, !text.contains(field) { text += " (field: \(field))" }
        return text
    }

    /// The exit code of invalid input, from crowbard (400, 422) or found by the CLI itself (a malformed batch file).
    public static let invalidInputExitCode: Int32 = 7

    /// Exit codes: 3 unreachable, 4 unauthorized, 5 not found, 6 conflict, 7 invalid input, 1 otherwise.
    public var exitCode: Int32 {
        switch status {
        case nil: 3
        case 401?, 403?: 4
        case 404?: 5
        case 409?: 6
        case 400?, 422?: Self.invalidInputExitCode
        default: 1
        }
    }
}
