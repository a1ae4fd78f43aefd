import CrowbarCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// crowbard's read-only TFTP server (RFC 1350 with blksize, tsize, timeout and windowsize): requests arrive on
/// port 69, each transfer runs from its own port. Files are served only from inside `root`.
public struct TFTPServer: Service {
    public var root: String
    public var host: String
    public var port: Int
    let counters: BootCounters
    let logger: Logger
    /// Transfers running at once; more requests get an error until one ends (each holds a file and a socket).
    static let maximumTransfers = 256

    public init(root: String, host: String, port: Int = 69, counters: BootCounters, logger: Logger) {
        self.root = root
        self.host = host
        self.port = port
        self.counters = counters
        self.logger = logger
    }

    public func run() async throws {
        let files = try TFTPFileRoot(root)
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("TFTP serving \(root) on \(host):\(channel.channel.localAddress?.port ?? port)")
        do {
            try await serveUntilShutdown(channel, files: files)
        } catch is CancellationError {
            logger.debug("TFTP stopped")
        }
    }

    private func serveUntilShutdown(
        _ channel: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>, files: TFTPFileRoot
    ) async throws {
        let activeTransfers = TransferCount()
        try await cancelWhenGracefulShutdown {
            try await withThrowingDiscardingTaskGroup { group in
                try await channel.executeThenClose { inbound, outbound in
                    for try await envelope in inbound {
                        // Port 0 cannot be answered (sending there fails and would take the socket down).
                        guard envelope.remoteAddress.port != 0 else {
                            counters.increment("tftp.malformed.source-port-0")
                            continue
                        }
                        let request: TFTPPacket
                        do throws(BootCodecError) {
                            request = try TFTPPacket.decode(Array(envelope.data.readableBytesView))
                        } catch {
                            counters.increment("tftp.malformed.\(error.code)")
                            continue
                        }
                        guard case .readRequest(let name, let mode, let options) = request else {
                            counters.increment("tftp.refused.not-a-read")
                            try await outbound.write(reply(.error(.illegalOperation, message: "read requests only"), to: envelope.remoteAddress))
                            continue
                        }
                        let file: TFTPFileRoot.OpenFile
                        do {
                            guard mode == "octet" || mode == "netascii" else {
                                throw TFTPRefusal(.illegalOperation, "mode \(mode) is not served", counter: "bad-mode")
                            }
                            file = try files.open(name)
                        } catch let refusal as TFTPRefusal {
                            counters.increment("tftp.refused.\(refusal.counter)")
                            logger.info("TFTP: refused \(name) to \(envelope.remoteAddress): \(refusal.message)")
                            try await outbound.write(reply(.error(refusal.code, message: refusal.message), to: envelope.remoteAddress))
                            continue
                        }
                        guard activeTransfers.begin(limit: Self.maximumTransfers) else {
                            file.close()
                            counters.increment("tftp.refused.busy")
                            try await outbound.write(reply(.error(.notDefined, message: "too many transfers, retry later"), to: envelope.remoteAddress))
                            continue
                        }
                        let negotiated = TFTPTransferOptions(negotiating: options, fileSize: file.size)
                        for option in negotiated.acknowledged { counters.increment("tftp.options.\(option.name)") }
                        let transfer = TFTPReadTransfer(options: negotiated, fileSize: file.size)
                        let client = envelope.remoteAddress
                        group.addTask {
                            await serve(file, transfer: transfer, to: client, name: name)
                            activeTransfers.end()
                        }
                    }
                }
            }
        }
    }

    private func reply(_ packet: TFTPPacket, to address: SocketAddress) -> AddressedEnvelope<ByteBuffer> {
        AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: packet.encode()))
    }

    /// Runs one transfer from a fresh port (its transfer ID) until it finishes or is abandoned.
    private func serve(_ file: TFTPFileRoot.OpenFile, transfer: TFTPReadTransfer, to client: SocketAddress, name: String) async {
        defer { file.close() }
        do {
            let done = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: TFTPTransferHandler.Outcome.self)
            let channel: any Channel
            do {
                channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                TFTPTransferHandler(file: file, transfer: transfer, client: client, done: done))
                        }
                    }
                    .bind(host: host, port: 0).get()
            } catch {
                done.fail(error)
                throw error
            }
            // Shutdown closes the transfer's channel, which ends the transfer as abandoned.
            let outcome = try await withTaskCancellationHandler {
                try await done.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
            try? await channel.close()
            switch outcome {
            case .finished:
                counters.increment("tftp.transfers.finished")
                logger.debug("TFTP: sent \(name) (\(file.size) bytes) to \(client)")
            case .abandoned(let reason):
                counters.increment("tftp.transfers.abandoned")
                logger.info("TFTP: \(name) to \(client) abandoned: \(reason)")
            }
        } catch {
            counters.increment("tftp.transfers.failed")
            logger.error("TFTP: \(name) to \(client) failed: \(error)")
        }
    }
}

/// Why a request was refused, as the TFTP error sent back and the counter bumped.
struct TFTPRefusal: Error {
    var code: TFTPErrorCode
    var message: String
    var counter: String

    init(_ code: TFTPErrorCode, _ message: String, counter: String) {
        self.code = code
        self.message = message
        self.counter = counter
    }
}

/// How many transfers are running, so the server can refuse more than it will hold open.
final class TransferCount: Sendable {
    private let count = Mutex(0)

    /// Counts one more transfer if fewer than `limit` run; false otherwise.
    func begin(limit: Int) -> Bool {
        count.withLock { running in
            guard running < limit else { return false }
            running += 1
            return true
        }
    }

    func end() { count.withLock { $0 -= 1 } }
}
