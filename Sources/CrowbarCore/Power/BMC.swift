/// How crowbard talks to a BMC.
public enum BMCDriver: String, Sendable, Hashable, Codable, CaseIterable {
    /// IPMI 2.0 over LAN (RMCP+, `lanplus`), through Debian's `ipmitool`.
    case ipmi
    /// Redfish over HTTPS, the BMC's certificate pinned by its SHA-256 fingerprint.
    case redfish
}

/// Where a node's BMC settings came from.
public enum BMCSource: String, Sendable, Hashable, Codable {
    /// Set by an operator (or the lab) through the API.
    case operator_ = "operator"
    /// Read in-band by the discovery agent.
    case discovery
}

/// A node's baseboard management controller: where it answers, how to talk to it and the credentials crowbard uses.
/// The password is a secret: answers mask it (``masked``) unless the caller asks for secrets.
public struct BMC: Sendable, Hashable, Codable {
    public var driver: BMCDriver
    /// Host name or IPv4 address of the BMC's LAN interface.
    public var address: String
    /// The port, when not the protocol's own (623 for IPMI, 443 for Redfish).
    public var port: Int?
    public var username: String
    public var password: String
    /// Redfish: SHA-256 fingerprint of the BMC's certificate (hex, colons allowed), the only certificate accepted.
    public var certificateFingerprint: String?
    /// Redfish: the ComputerSystem's path (`/redfish/v1/Systems/1`); default: the only member of `/redfish/v1/Systems`.
    public var systemPath: String?
    /// IPMI: the RMCP+ cipher suite (default 3: HMAC-SHA1, AES-CBC-128).
    public var cipherSuite: Int?
    public var source: BMCSource?

    public init(
        driver: BMCDriver, address: String, port: Int? = nil, username: String, password: String, certificateFingerprint: String? = nil,
        systemPath: String? = nil, cipherSuite: Int? = nil, source: BMCSource? = nil
    ) {
        self.driver = driver
        self.address = address
        self.port = port
        self.username = username
        self.password = password
        self.certificateFingerprint = certificateFingerprint
        self.systemPath = systemPath
        self.cipherSuite = cipherSuite
        self.source = source
    }

    /// This BMC with its password replaced by the mask.
    public var masked: BMC {
        var shown = self
        shown.password = SecretPaths.mask
        return shown
    }

    /// `ipmi 192.168.124.162:623 as admin`: for events and logs, without the password.
    public var summary: String {
        "\(driver.rawValue) \(address)\(port.map { ":\($0)" } ?? "") as \(username)"
    }

    /// Refuses settings that cannot work, naming the field at fault.
    public func validate() throws {
        func refuse(_ field: String, _ message: String) -> CrowbarError {
            CrowbarError(.invalid, message, context: ["field": field])
        }
        // An IPv4 address or a DNS name: letters, digits, dots and inner hyphens (no IPv6 literals yet).
        let labels = address.split(separator: ".", omittingEmptySubsequences: false)
        let isHostName = !address.isEmpty && address.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        if IPv4Address(address) == nil && !isHostName { throw refuse("address", "'\(address)' is not an IPv4 address or host name") }
        if let port, !(1...65535).contains(port) { throw refuse("port", "\(port) is not a port") }
        if username.isEmpty { throw refuse("username", "a BMC needs a user name") }
        if !username.unicodeScalars.allSatisfy({ (33..<127).contains($0.value) }) {
            throw refuse("username", "a BMC user name is printable ASCII without spaces")
        }
        if password.isEmpty || password == SecretPaths.mask { throw refuse("password", "a BMC needs its password (not the mask)") }
        if driver == .ipmi, password.utf8.count > 20 { throw refuse("password", "an IPMI password is at most 20 bytes") }
        if driver == .ipmi, username.utf8.count > 16 { throw refuse("username", "an IPMI user name is at most 16 bytes") }
        if driver == .redfish, CertificateFingerprint(certificateFingerprint ?? "") == nil {
            throw refuse("certificateFingerprint", "Redfish needs the SHA-256 fingerprint of the BMC's certificate (64 hex digits)")
        }
        if let systemPath, !systemPath.hasPrefix("/redfish/v1/") { throw refuse("systemPath", "'\(systemPath)' is not below /redfish/v1/") }
        if let cipherSuite, !(0...17).contains(cipherSuite) { throw refuse("cipherSuite", "\(cipherSuite) is not an IPMI cipher suite") }
    }
}

/// A certificate's SHA-256 fingerprint, normalised to 64 lower-case hex digits (colons and a `sha256:` prefix allowed
/// in the text it is made from).
public struct CertificateFingerprint: Sendable, Hashable, CustomStringConvertible {
    public let hex: String

    public init?(_ text: String) {
        var body = Substring(text.lowercased())
        for prefix in ["sha256:", "sha256 fingerprint="] where body.hasPrefix(prefix) { body = body.dropFirst(prefix.count) }
        let digits = body.filter { $0 != ":" }
        guard digits.count == 64, digits.allSatisfy(\.isHexDigit) else { return nil }
        hex = String(digits)
    }

    public init(bytes: some Sequence<UInt8>) {
        hex = bytes.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    public var description: String { hex }
}
