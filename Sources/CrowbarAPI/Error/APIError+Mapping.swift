import CrowbarCore
import Foundation
import Hummingbird
import NIOCore

extension APIError {
    /// Maps errors to answers: the model's errors by their code in the one shape (``CrowbarError``), the HTTP layer's
    /// own (a body that does not decode, one too large) by type. Anything unexpected becomes a 500 that names no
    /// internals.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as any CrowbarErrorConvertible:
            let shaped = error.crowbarError
            return APIError(
                status(of: shaped.code), shaped.code.name, shaped.message, field: shaped.context["field"],
                issues: shaped.issues.isEmpty ? nil : shaped.issues)
        case let error as DecodingError:
            return APIError(.badRequest, "bad_request", "the request body is not valid: \(describe(error))", field: fieldPath(of: error))
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, "too_large", "the request body is larger than the API accepts")
        case let error as HTTPError:
            return APIError(error.status, error.status.code == 404 ? "not_found" : "bad_request", error.body ?? error.status.reasonPhrase)
        default:
            return APIError(.internalServerError, "internal_error", "the server failed to handle the request")
        }
    }

    /// The one table of codes to HTTP statuses: missing is 404, clashes 409, refused input 422; a BMC that did not
    /// answer in time is 504 and one that failed otherwise 502 (crowbard is the gateway to it); no BMC is a clash.
    static func status(of code: CrowbarError.Code) -> HTTPResponse.Status {
        switch code.name {
        case CrowbarError.Code.notFound.name: .notFound
        case CrowbarError.Code.forbidden.name: .forbidden
        case CrowbarError.Code.preconditionFailed.name: .preconditionFailed
        case PowerFailure.Kind.timeout.rawValue: .gatewayTimeout
        case PowerFailure.Kind.unreachable.rawValue, PowerFailure.Kind.authRefused.rawValue, PowerFailure.Kind.failed.rawValue: .badGateway
        default:
            [CrowbarError.Code.invalid, .invalidAttribute, .validationFailed, .invalidDefinition, .invalidNetwork].contains(code)
                ? .unprocessableContent : .conflict
        }
    }

    private static func fieldPath(of error: DecodingError) -> String? {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: return nil
        }
        return path.isEmpty ? nil : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "missing key '\(key.stringValue)'"
        case .typeMismatch(let type, _): "expected \(type)"
        case .valueNotFound(let type, _): "missing \(type) value"
        case .dataCorrupted(let context): context.debugDescription
        @unknown default: "malformed"
        }
    }
}
