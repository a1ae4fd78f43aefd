/// The options a read transfer runs with, after negotiation (RFC 2347 OACK; 2348 blksize; 2349 timeout, tsize;
/// 7440 windowsize). Unknown or out-of-range options are left out of the OACK, which the client then does without.
public struct TFTPTransferOptions: Sendable, Hashable {
    public var blockSize = 512
    public var windowSize = 1
    /// Seconds to wait for an ACK before sending the window again.
    public var timeout = 1
    /// The options to acknowledge, in the client's order; empty means no OACK (a plain RFC 1350 transfer).
    public var acknowledged: [TFTPOption] = []

    public static let maximumBlockSize = 65464
    /// The window crowbard accepts at most; larger requests are answered with this.
    public static let maximumWindowSize = 64
    /// The longest retransmission timeout accepted (RFC 2349 allows 255 s; a longer one is not acknowledged, so a
    /// silent client cannot hold a transfer for half an hour).
    public static let maximumTimeout = 10

    public init() {}

    /// Negotiates `requested` for a file of `fileSize` bytes.
    public init(negotiating requested: [TFTPOption], fileSize: Int) {
        for option in requested {
            let name = option.name.lowercased()
            guard let value = Int(option.value) else { continue }
            switch name {
            case "blksize" where value >= 8:
                blockSize = min(value, Self.maximumBlockSize)
                acknowledged.append(TFTPOption(name: name, value: String(blockSize)))
            case "windowsize" where value >= 1 && value <= 65535:
                windowSize = min(value, Self.maximumWindowSize)
                acknowledged.append(TFTPOption(name: name, value: String(windowSize)))
            case "timeout" where (1...Self.maximumTimeout).contains(value):
                timeout = value
                acknowledged.append(TFTPOption(name: name, value: String(value)))
            case "tsize" where value == 0:
                acknowledged.append(TFTPOption(name: name, value: String(fileSize)))
            default:
                continue
            }
        }
    }
}
