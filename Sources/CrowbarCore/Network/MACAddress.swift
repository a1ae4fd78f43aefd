/// A 48-bit Ethernet address, written lowercase with colons.
public struct MACAddress: Sendable, Hashable, Codable, Comparable, LosslessStringConvertible {
    public let bytes: [UInt8]

    /// Reads `52:54:00:12:34:56`, `52-54-00-12-34-56` or `525400123456`, in any case.
    public init?(_ text: String) {
        let hex = text.filter { $0 != ":" && $0 != "-" }
        guard hex.count == 12, text.count == 12 || text.count == 17 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.bytes = bytes
    }

    /// The address of six raw bytes, as a chaddr field carries it.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 6, "a MAC address has 6 bytes")
        self.bytes = bytes
    }

    public var description: String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: ":")
    }

    /// The address with dashes, as node names and boot URLs spell it: `52-54-00-12-34-56`.
    public var dashed: String { String(description.map { $0 == ":" ? "-" : $0 }) }

    public static func < (lhs: MACAddress, rhs: MACAddress) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = MACAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a MAC address"))
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
