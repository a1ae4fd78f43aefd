/// The one shape of an error the admin node reports, whichever layer found it: a code clients branch on (the API's
/// `error` field, the CLI's exit code), a message for the operator, the error underneath when there is one, and
/// named details (`field` for the input at fault). Typed errors of the model keep their own types and say what they
/// are in this shape through ``CrowbarErrorConvertible``.
public struct CrowbarError: Error, Sendable, CustomStringConvertible {
    /// Opaque so that codes can be added without breaking callers' `switch`es.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The caller may not do this (a wrong or used install token, a call from the wrong address).
        public static let forbidden = Code("forbidden")
        /// Something asked for does not exist.
        public static let notFound = Code("not_found")
        /// The request clashes with what is stored (a duplicate, an active proposal, no orchestrator).
        public static let conflict = Code("conflict")
        /// Input that can never be accepted, whatever else is stored.
        public static let invalid = Code("invalid")
        /// A state change the lifecycle tables do not allow.
        public static let illegalTransition = Code("illegal_transition")
        /// An attribute edit or role assignment the barclamp refuses.
        public static let invalidAttribute = Code("invalid_attribute")
        /// A proposal that fails validation at commit.
        public static let validationFailed = Code("validation_failed")
        /// A malformed definition file (batch file, recipe, barclamp), with file, line and key.
        public static let invalidDefinition = Code("invalid_definition")
        /// Network attributes that describe no usable network.
        public static let invalidNetwork = Code("invalid_network")
        /// A range with no address left.
        public static let addressExhausted = Code("address_exhausted")
        /// A change made from an older read of what it changes (`If-Match` names another version).
        public static let preconditionFailed = Code("precondition_failed")
        /// Stored data names a barclamp that is no longer loaded.
        public static let unknownBarclamp = Code("unknown_barclamp")
    }

    public var code: Code
    public var message: String
    /// The error underneath, when this one wraps it.
    public var cause: (any Error & Sendable)?
    /// Named details: `field` (the input at fault), `issues` for several, and whatever helps the operator.
    public var context: [String: String]
    /// Every problem, when there are several (a failed validation), each `field` and `message`.
    public var issues: [[String: String]]

    public init(
        _ code: Code, _ message: String, cause: (any Error & Sendable)? = nil, context: [String: String] = [:],
        issues: [[String: String]] = []
    ) {
        self.code = code
        self.message = message
        self.cause = cause
        self.context = context
        self.issues = issues
    }

    public var description: String { message }
}

/// A typed error that says what it is in the one shape.
public protocol CrowbarErrorConvertible: Error {
    var crowbarError: CrowbarError { get }
}

extension CrowbarError: CrowbarErrorConvertible {
    public var crowbarError: CrowbarError { self }
}
