import CrowbarCore
import Foundation
import NIOHTTP1

/// Why a CLI request failed, with the process exit code that reports it.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status, or `nil` when crowbard could not be reached.
    public var status: Int?
    public var body: APIErrorBody

    public init(status: Int?, body: APIErrorBody) {
        self.status = status
        self.body = body
    }

    /// crowbard answered `status` with `body`: its JSON error, or a plain one naming the status.
    init(status: HTTPResponseStatus, body data: Data) {
        self.status = Int(status.code)
        self.body = (try? JSONDecoder().decode(APIErrorBody.self, from: data))
            ?? APIErrorBody(error: "http_\(status.code)", detail: "crowbard answered \(status)")
    }

    /// crowbard could not be reached at `url`.
    static func unreachable(_ url: String, _ error: any Error) -> ClientError {
        ClientError(status: nil, body: APIErrorBody(error: "unreachable", detail: "cannot reach crowbard at \(url): \(error)"))
    }

    public var description: String {
        var text = body.detail
        if let field = body.field, !text.contains(field) { text += " (field: \(field))" }
        return text
    }

    /// The exit code of invalid input, from crowbard (400, 422) or found by the CLI itself (a malformed batch file).
    public static let invalidInputExitCode: Int32 = 7

    /// Exit codes of a BMC's failures, by their code: 10 no BMC, 11 unreachable, 12 credentials refused, 13 timeout,
    /// 14 any other BMC error.
    public static let bmcExitCodes: [String: Int32] = [
        PowerFailure.Kind.noBMC.rawValue: 10, PowerFailure.Kind.unreachable.rawValue: 11, PowerFailure.Kind.authRefused.rawValue: 12,
        PowerFailure.Kind.timeout.rawValue: 13, PowerFailure.Kind.failed.rawValue: 14,
    ]

    /// Exit codes: 3 unreachable, 4 unauthorized, 5 not found, 6 conflict (or changed since read), 7 invalid input, 10–14
    /// a BMC's failure
    /// (``bmcExitCodes``), 1 otherwise.
    public var exitCode: Int32 {
        if let code = Self.bmcExitCodes[body.error] { return code }
        return switch status {
        case nil: 3
        case 401?, 403?: 4
        case 404?: 5
        case 409?, 412?: 6
        case 400?, 422?: Self.invalidInputExitCode
        default: 1
        }
    }
}
