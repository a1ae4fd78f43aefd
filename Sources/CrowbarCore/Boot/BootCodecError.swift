/// A packet that cannot be read as DHCP or TFTP. Servers drop such packets and count them by `code`.
public struct BootCodecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why the packet was refused; new codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        public static let truncated = Code(name: "truncated")
        public static let badMagicCookie = Code(name: "bad-magic-cookie")
        public static let badOption = Code(name: "bad-option")
        public static let badField = Code(name: "bad-field")
        public static let unknownOpcode = Code(name: "unknown-opcode")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
