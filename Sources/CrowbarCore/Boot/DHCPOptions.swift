/// The options of a DHCP message in the order they appeared (RFC 2132), repeated codes joined (RFC 3396).
public struct DHCPOptions: Sendable, Hashable {
    /// Option codes crowbard reads or writes.
    public enum Code {
        public static let pad: UInt8 = 0
        public static let subnetMask: UInt8 = 1
        public static let router: UInt8 = 3
        public static let domainNameServer: UInt8 = 6
        public static let hostName: UInt8 = 12
        public static let domainName: UInt8 = 15
        public static let requestedAddress: UInt8 = 50
        public static let leaseTime: UInt8 = 51
        public static let overload: UInt8 = 52
        public static let messageType: UInt8 = 53
        public static let serverIdentifier: UInt8 = 54
        public static let parameterRequestList: UInt8 = 55
        public static let message: UInt8 = 56
        public static let maximumMessageSize: UInt8 = 57
        public static let renewalTime: UInt8 = 58
        public static let rebindingTime: UInt8 = 59
        public static let vendorClass: UInt8 = 60
        public static let clientIdentifier: UInt8 = 61
        public static let tftpServerName: UInt8 = 66
        public static let bootfileName: UInt8 = 67
        public static let userClass: UInt8 = 77
        public static let clientArchitecture: UInt8 = 93
        public static let clientNetworkInterface: UInt8 = 94
        public static let clientMachineIdentifier: UInt8 = 97
        public static let iPXEEncapsulated: UInt8 = 175
        public static let end: UInt8 = 255
    }

    public private(set) var entries: [(code: UInt8, value: [UInt8])] = []

    public init() {}

    public static func == (lhs: DHCPOptions, rhs: DHCPOptions) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.code == $1.code && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.code)
            hasher.combine(entry.value)
        }
    }

    /// The value of `code`, if present.
    public subscript(code: UInt8) -> [UInt8]? {
        get { entries.first { $0.code == code }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.code == code }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((code, newValue))
            }
        }
    }

    /// Adds `value` to `code`, joining it to an earlier occurrence (RFC 3396).
    mutating func append(_ code: UInt8, _ value: [UInt8]) {
        if let index = entries.firstIndex(where: { $0.code == code }) {
            entries[index].value += value
        } else {
            entries.append((code, value))
        }
    }

    public var messageType: DHCPMessageType? {
        get { self[Code.messageType].flatMap { $0.count == 1 ? DHCPMessageType(rawValue: $0[0]) : nil } }
        set { self[Code.messageType] = newValue.map { [$0.rawValue] } }
    }

    public func address(_ code: UInt8) -> IPv4Address? { uint32(code).map(IPv4Address.init) }

    public mutating func setAddress(_ code: UInt8, _ address: IPv4Address?) {
        self[code] = address.map { $0.bytes }
    }

    public func uint32(_ code: UInt8) -> UInt32? {
        guard let value = self[code], value.count == 4 else { return nil }
        return value.reduce(0) { $0 << 8 | UInt32($1) }
    }

    public mutating func setUInt32(_ code: UInt8, _ number: UInt32) { self[code] = IPv4Address(number).bytes }

    /// The option read as text (for 12, 56, 60, 66, 67 …), without trailing NULs.
    public func text(_ code: UInt8) -> String? {
        guard let value = self[code] else { return nil }
        return String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
    }

    public mutating func setText(_ code: UInt8, _ text: String?) {
        self[code] = text.map { Array($0.utf8) }
    }
}

/// The kind of a DHCP message (option 53).
public enum DHCPMessageType: UInt8, Sendable, Hashable, CustomStringConvertible {
    case discover = 1, offer, request, decline, ack, nak, release, inform

    public var description: String {
        switch self {
        case .discover: "DISCOVER"
        case .offer: "OFFER"
        case .request: "REQUEST"
        case .decline: "DECLINE"
        case .ack: "ACK"
        case .nak: "NAK"
        case .release: "RELEASE"
        case .inform: "INFORM"
        }
    }
}

extension IPv4Address {
    /// The four octets, most significant first.
    public var bytes: [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }

    /// The unspecified address 0.0.0.0.
    public static let zero = IPv4Address(0)
    /// The limited broadcast address 255.255.255.255.
    public static let broadcast = IPv4Address(.max)
}
