/// A TFTP packet (RFC 1350, with option acknowledgement from RFC 2347).
public enum TFTPPacket: Sendable, Hashable {
    case readRequest(file: String, mode: String, options: [TFTPOption])
    case writeRequest(file: String, mode: String, options: [TFTPOption])
    case data(block: UInt16, payload: [UInt8])
    case acknowledgement(block: UInt16)
    case error(TFTPErrorCode, message: String)
    case optionAcknowledgement([TFTPOption])

    /// Reads a packet from a UDP payload, or says why it is not one.
    public static func decode(_ bytes: [UInt8]) throws(BootCodecError) -> TFTPPacket {
        guard bytes.count >= 2 else { throw BootCodecError(.truncated, "\(bytes.count) bytes, a TFTP packet has at least 4") }
        let opcode = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        func number(at offset: Int) throws(BootCodecError) -> UInt16 {
            guard bytes.count >= offset + 2 else { throw BootCodecError(.truncated, "opcode \(opcode) needs 4 bytes") }
            return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        }
        switch opcode {
        case 1, 2:
            let strings = try Self.strings(bytes[2...])
            guard strings.count >= 2, strings.count % 2 == 0 else {
                throw BootCodecError(.badField, "a request needs a file name, a mode and option pairs")
            }
            guard !strings[0].isEmpty else { throw BootCodecError(.badField, "empty file name") }
            let options = stride(from: 2, to: strings.count, by: 2).map { TFTPOption(name: strings[$0], value: strings[$0 + 1]) }
            return opcode == 1
                ? .readRequest(file: strings[0], mode: strings[1].lowercased(), options: options)
                : .writeRequest(file: strings[0], mode: strings[1].lowercased(), options: options)
        case 3: return .data(block: try number(at: 2), payload: Array(bytes[4...]))
        case 4:
            guard bytes.count == 4 else { throw BootCodecError(.badField, "an ACK has 4 bytes, got \(bytes.count)") }
            return .acknowledgement(block: try number(at: 2))
        case 5:
            let code = try number(at: 2)
            let message = try Self.strings(bytes[4...]).first ?? ""
            return .error(TFTPErrorCode(rawValue: code) ?? .notDefined, message: message)
        case 6:
            let strings = try Self.strings(bytes[2...])
            guard strings.count % 2 == 0 else { throw BootCodecError(.badField, "OACK options come in pairs") }
            return .optionAcknowledgement(stride(from: 0, to: strings.count, by: 2).map { TFTPOption(name: strings[$0], value: strings[$0 + 1]) })
        default:
            throw BootCodecError(.unknownOpcode, "opcode \(opcode)")
        }
    }

    public func encode() -> [UInt8] {
        func number(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(truncatingIfNeeded: value)] }
        func text(_ value: String) -> [UInt8] { Array(value.utf8) + [0] }
        func pairs(_ options: [TFTPOption]) -> [UInt8] { options.flatMap { text($0.name) + text($0.value) } }
        switch self {
        case .readRequest(let file, let mode, let options): return number(1) + text(file) + text(mode) + pairs(options)
        case .writeRequest(let file, let mode, let options): return number(2) + text(file) + text(mode) + pairs(options)
        case .data(let block, let payload): return number(3) + number(block) + payload
        case .acknowledgement(let block): return number(4) + number(block)
        case .error(let code, let message): return number(5) + number(code.rawValue) + text(message)
        case .optionAcknowledgement(let options): return number(6) + pairs(options)
        }
    }

    /// NUL-terminated strings; the last one must be terminated too.
    private static func strings(_ bytes: ArraySlice<UInt8>) throws(BootCodecError) -> [String] {
        guard bytes.isEmpty || bytes.last == 0 else { throw BootCodecError(.badField, "a string is not NUL-terminated") }
        return bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    }
}

/// One requested or acknowledged option (`blksize`, `tsize`, `timeout`, `windowsize`).
public struct TFTPOption: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// TFTP error codes (RFC 1350, 8 from RFC 2347).
public enum TFTPErrorCode: UInt16, Sendable, Hashable {
    case notDefined = 0, fileNotFound, accessViolation, diskFull, illegalOperation, unknownTransferID, fileExists, noSuchUser
    case optionsRefused
}
