/// One read transfer as a state machine (RFC 1350 lock-step, RFC 7440 windows): ACKs and timeouts in, blocks to
/// send out. Blocks are numbered from 1 without limit; on the wire they roll over from 65535 to 0.
public struct TFTPReadTransfer: Sendable {
    public enum Action: Sendable, Hashable {
        /// Send the OACK (again).
        case sendOptionAcknowledgement([TFTPOption])
        /// Send these blocks, in order.
        case sendBlocks(ClosedRange<Int>)
        /// The last block was acknowledged.
        case finished
        /// Too many timeouts in a row: stop and send an error.
        case abandon(String)
        /// Nothing to do (a duplicate or stale ACK).
        case wait
    }

    public let options: TFTPTransferOptions
    public let fileSize: Int
    /// Timeouts in a row before the transfer is abandoned, once the client has answered.
    public var maximumRetries = 5
    /// The longest wait for a client's first answer (its negotiated timeout may be longer): a request whose source was
    /// spoofed never answers, and must not hold a transfer slot for long.
    public static let firstAnswerTimeout = 2
    /// The number of the last block: a short (possibly empty) block ends the file.
    public let lastBlock: Int
    public private(set) var acknowledged = 0
    private var awaitingOptionAcknowledgement: Bool
    private var retries = 0
    /// Whether the client has acknowledged anything: until then its address is unconfirmed (a read request's source
    /// can be forged), and nothing is sent to it again.
    public private(set) var heardFromClient = false

    public init(options: TFTPTransferOptions, fileSize: Int) {
        self.options = options
        self.fileSize = fileSize
        lastBlock = fileSize / options.blockSize + 1
        awaitingOptionAcknowledgement = !options.acknowledged.isEmpty
    }

    /// The byte range of `block` in the file.
    public func byteRange(of block: Int) -> Range<Int> {
        let start = (block - 1) * options.blockSize
        return start..<min(start + options.blockSize, fileSize)
    }

    public func start() -> Action {
        awaitingOptionAcknowledgement ? .sendOptionAcknowledgement(options.acknowledged) : window()
    }

    /// An ACK arrived with wire block number `number`.
    public mutating func receiveAcknowledgement(_ number: UInt16) -> Action {
        if awaitingOptionAcknowledgement {
            guard number == 0 else { return .wait }
            awaitingOptionAcknowledgement = false
            retries = 0
            heardFromClient = true
            return window()
        }
        // The ACK names a block in (acknowledged, acknowledged + window]; find it by its low 16 bits.
        let offset = (Int(number) - acknowledged) & 0xFFFF
        guard offset >= 1, offset <= options.windowSize, acknowledged + offset <= lastBlock else { return .wait }
        acknowledged += offset
        retries = 0
        heardFromClient = true
        return acknowledged == lastBlock ? .finished : window()
    }

    /// Seconds to wait for the next ACK: the negotiated timeout, at most ``firstAnswerTimeout`` before the first.
    public var currentTimeout: Int { heardFromClient ? options.timeout : min(options.timeout, Self.firstAnswerTimeout) }

    /// No ACK came within the timeout. A client that never answered is given up at once (its request may have been
    /// forged: resending would make crowbard flood whoever owns that address); an answering one gets retransmits.
    public mutating func timeout() -> Action {
        guard heardFromClient else { return .abandon("no answer to the first packet") }
        retries += 1
        guard retries <= maximumRetries else { return .abandon("no acknowledgement after \(maximumRetries) retries") }
        return start()
    }

    private func window() -> Action {
        .sendBlocks((acknowledged + 1)...min(acknowledged + options.windowSize, lastBlock))
    }
}
