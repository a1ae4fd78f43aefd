/// Why a BMC did not do what was asked, in the few kinds an operator acts on differently.
public struct PowerFailure: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The node has no BMC settings.
        case noBMC = "bmc_missing"
        /// Nothing answered at the BMC's address.
        case unreachable = "bmc_unreachable"
        /// The BMC answered and refused the credentials (or the certificate did not match its pin).
        case authRefused = "bmc_auth_refused"
        /// The BMC did not finish within the time allowed.
        case timeout = "bmc_timeout"
        /// The BMC answered with an error or something the driver does not understand.
        case failed = "bmc_error"
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension PowerFailure: CrowbarErrorConvertible {
    public var crowbarError: CrowbarError { CrowbarError(.init(kind.rawValue), message, cause: self) }
}
