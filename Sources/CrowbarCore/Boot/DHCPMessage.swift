/// A BOOTP/DHCP message (RFC 2131 §2): the fixed header and its options.
public struct DHCPMessage: Sendable, Hashable {
    public enum Operation: UInt8, Sendable { case request = 1, reply = 2 }

    /// The BOOTP flag asking the server to broadcast its reply.
    public static let broadcastFlag: UInt16 = 0x8000
    static let magicCookie: [UInt8] = [99, 130, 83, 99]
    static let fixedLength = 236
    /// Replies are padded to this length: the BOOTP minimum some PXE ROMs insist on.
    static let minimumReplyLength = 300

    public var operation: Operation
    public var hardwareType: UInt8 = 1
    public var hardwareLength: UInt8 = 6
    public var hops: UInt8 = 0
    public var transactionID: UInt32
    public var seconds: UInt16 = 0
    public var flags: UInt16 = 0
    public var clientAddress: IPv4Address = .zero
    public var yourAddress: IPv4Address = .zero
    public var serverAddress: IPv4Address = .zero
    public var relayAddress: IPv4Address = .zero
    /// The 16-byte chaddr field; the first `hardwareLength` bytes are the hardware address.
    public var clientHardware: [UInt8]
    public var serverName: [UInt8] = []
    public var bootFile: [UInt8] = []
    public var options = DHCPOptions()

    public init(operation: Operation, transactionID: UInt32, clientHardware: [UInt8]) {
        self.operation = operation
        self.transactionID = transactionID
        self.clientHardware = clientHardware
    }

    /// The client's MAC address, for Ethernet clients.
    public var clientMAC: MACAddress? {
        guard hardwareType == 1, hardwareLength == 6, clientHardware.count >= 6 else { return nil }
        return MACAddress(bytes: Array(clientHardware.prefix(6)))
    }

    /// Reads a message from a UDP payload, or says why it is not one.
    public static func decode(_ bytes: [UInt8]) throws(BootCodecError) -> DHCPMessage {
        guard bytes.count >= fixedLength + magicCookie.count else {
            throw BootCodecError(.truncated, "\(bytes.count) bytes, a DHCP message has at least 240")
        }
        guard let operation = Operation(rawValue: bytes[0]) else {
            throw BootCodecError(.unknownOpcode, "op \(bytes[0])")
        }
        guard bytes[2] <= 16 else { throw BootCodecError(.badField, "hlen \(bytes[2]) exceeds 16") }
        func word(_ offset: Int) -> UInt32 { bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        var message = DHCPMessage(operation: operation, transactionID: word(4), clientHardware: Array(bytes[28..<44]))
        message.hardwareType = bytes[1]
        message.hardwareLength = bytes[2]
        message.hops = bytes[3]
        message.seconds = UInt16(bytes[8]) << 8 | UInt16(bytes[9])
        message.flags = UInt16(bytes[10]) << 8 | UInt16(bytes[11])
        message.clientAddress = IPv4Address(word(12))
        message.yourAddress = IPv4Address(word(16))
        message.serverAddress = IPv4Address(word(20))
        message.relayAddress = IPv4Address(word(24))
        guard Array(bytes[236..<240]) == magicCookie else {
            throw BootCodecError(.badMagicCookie, "bytes 236-239 are not 99.130.83.99")
        }
        try readOptions(bytes[240...], into: &message.options, requireEnd: false)
        let overload = message.options[DHCPOptions.Code.overload]
        if let overload {
            guard overload.count == 1, (1...3).contains(overload[0]) else {
                throw BootCodecError(.badOption, "option 52 (overload) must be 1, 2 or 3")
            }
            if overload[0] & 1 != 0 { try readOptions(bytes[108..<236], into: &message.options, requireEnd: true) }
            if overload[0] & 2 != 0 { try readOptions(bytes[44..<108], into: &message.options, requireEnd: true) }
        }
        if overload.map({ $0[0] & 2 == 0 }) ?? true { message.serverName = trimmed(bytes[44..<108]) }
        if overload.map({ $0[0] & 1 == 0 }) ?? true { message.bootFile = trimmed(bytes[108..<236]) }
        return message
    }

    /// The wire form: header, magic cookie, options, end, padding to 300 bytes.
    public func encode() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.minimumReplyLength + 64)
        func word(_ value: UInt32) { bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
        func field(_ value: [UInt8], length: Int) { bytes += value.prefix(length) + Array(repeating: 0, count: max(0, length - value.count)) }
        bytes += [operation.rawValue, hardwareType, hardwareLength, hops]
        word(transactionID)
        bytes += [UInt8(seconds >> 8), UInt8(truncatingIfNeeded: seconds), UInt8(flags >> 8), UInt8(truncatingIfNeeded: flags)]
        for address in [clientAddress, yourAddress, serverAddress, relayAddress] { word(address.value) }
        field(clientHardware, length: 16)
        field(serverName, length: 64)
        field(bootFile, length: 128)
        bytes += Self.magicCookie
        for (code, value) in options.entries {
            var rest = value[...]
            repeat {
                let chunk = rest.prefix(255)
                bytes += [code, UInt8(chunk.count)] + chunk
                rest = rest.dropFirst(chunk.count)
            } while !rest.isEmpty
        }
        bytes.append(DHCPOptions.Code.end)
        if bytes.count < Self.minimumReplyLength { bytes += Array(repeating: 0, count: Self.minimumReplyLength - bytes.count) }
        return bytes
    }

    private static func readOptions(
        _ bytes: ArraySlice<UInt8>, into options: inout DHCPOptions, requireEnd: Bool
    ) throws(BootCodecError) {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let code = bytes[index]
            if code == DHCPOptions.Code.end { return }
            if code == DHCPOptions.Code.pad {
                index += 1
                continue
            }
            guard index + 1 < bytes.endIndex else { throw BootCodecError(.badOption, "option \(code) has no length") }
            let length = Int(bytes[index + 1])
            let start = index + 2
            guard start + length <= bytes.endIndex else {
                throw BootCodecError(.badOption, "option \(code) claims \(length) bytes, \(bytes.endIndex - start) remain")
            }
            options.append(code, Array(bytes[start..<start + length]))
            index = start + length
        }
        if requireEnd { throw BootCodecError(.badOption, "overloaded field has no end option") }
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> [UInt8] { Array(bytes.prefix { $0 != 0 }) }
}
