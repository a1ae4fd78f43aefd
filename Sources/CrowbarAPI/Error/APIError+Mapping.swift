import CrowbarCore
import CrowbarStore
import Foundation
import Hummingbird
import NIOCore

extension APIError {
    /// Maps domain errors to answers: missing things are 404, clashes 409, refused input 400/422.
    /// Anything unexpected becomes a 500 that names no internals.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as StoreError where error.code == .notFound:
            return APIError(.notFound, "not_found", error.message)
        case let error as StoreError where error.code == .invalid:
            return APIError(.unprocessableContent, "invalid", error.message)
        case let error as StoreError:
            return APIError(.conflict, "conflict", error.message)
        case let error as IllegalTransition:
            return APIError(.conflict, "illegal_transition", error.description, field: "state")
        case let error as IllegalProposalTransition:
            return APIError(.conflict, "illegal_transition", error.description, field: "status")
        case let error as AddressExhausted:
            return APIError(.conflict, "address_exhausted", error.description)
        case let error as ProposalIssue:
            return APIError(.unprocessableContent, "invalid_attribute", error.description, field: error.field)
        case let error as ProposalValidationError:
            return APIError(
                .unprocessableContent, "validation_failed", error.description, field: error.issues.first?.field,
                issues: error.issues.map { ["field": $0.field, "message": $0.message] })
        case let error as UnknownBarclampError:
            return APIError(.conflict, "unknown_barclamp", "a stored proposal names \(error.description); restore its barclamp file")
        case let error as DefinitionError:
            return APIError(.unprocessableContent, "invalid_definition", error.description, field: error.key.isEmpty ? nil : error.key)
        case let error as NetworkModelError:
            return APIError(.unprocessableContent, "invalid_network", error.description, field: error.field)
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
