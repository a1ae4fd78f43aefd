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
    /// Transfers running at once for one source address: a PXE client fetches one file at a time, and one sender must
    /// not take every slot.
    static let maximumTransfersPerSource = 8

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
        // Each transfer gets a port of its own on the same address.
        guard var transferAddress = channel.channel.localAddress else { throw ChannelError.unknownLocalAddress }
        transferAddress.port = 0
        do {
            try await serveUntilShutdown(channel, files: files, transferAddress: transferAddress)
        } catch is CancellationError {
            logger.debug("TFTP stopped")
        }
    }

    private func serveUntilShutdown(
        _ channel: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>, files: TFTPFileRoot,
        transferAddress: SocketAddress
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
                        let source = envelope.remoteAddress.ipAddress ?? "?"
                        if let refusal = activeTransfers.begin(source: source, limit: Self.maximumTransfers, perSource: Self.maximumTransfersPerSource) {
                            file.close()
                            counters.increment("tftp.refused.\(refusal.counter)")
                            try await outbound.write(reply(.error(.notDefined, message: refusal.message), to: envelope.remoteAddress))
                            continue
                        }
                        let negotiated = TFTPTransferOptions(negotiating: options, fileSize: file.size)
                        for option in negotiated.acknowledged { counters.increment("tftp.options.\(option.name)") }
                        let transfer = TFTPReadTransfer(options: negotiated, fileSize: file.size)
                        let client = envelope.remoteAddress
                        group.addTask {
                            await serve(file, transfer: transfer, to: client, from: transferAddress, name: name)
                            activeTransfers.end(source: source)
                        }
                    }
                }
            }
        }
    }

    private func reply(_ packet: TFTPPacket, to address: SocketAddress) -> AddressedEnvelope<ByteBuffer> {
        AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: packet.encode()))
    }

    /// Runs one transfer from a fresh port (its transfer ID) until it finishes or is abandoned; shutdown stops it.
    private func serve(
        _ file: TFTPFileRoot.OpenFile, transfer: TFTPReadTransfer, to client: SocketAddress, from local: SocketAddress, name: String
    ) async {
        defer { file.close() }
        do {
            switch try await TFTPTransferThread(file: file, transfer: transfer, client: client, local: local).run() {
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

/// How many transfers are running, in all and by source address, so the server can refuse more than it will hold
/// open and more than one sender's share.
final class TransferCount: Sendable {
    private let running = Mutex((total: 0, bySource: [String: Int]()))

    /// Counts one more transfer from `source` if fewer than `limit` run in all and fewer than `perSource` from it;
    /// otherwise answers why not.
    func begin(source: String, limit: Int, perSource: Int) -> TFTPRefusal? {
        running.withLock { running in
            guard running.total < limit else { return TFTPRefusal(.notDefined, "too many transfers, retry later", counter: "busy") }
            guard running.bySource[source, default: 0] < perSource else {
                return TFTPRefusal(.notDefined, "too many transfers from \(source), retry later", counter: "busy-source")
            }
            running.total += 1
            running.bySource[source, default: 0] += 1
            return nil
        }
    }

    func end(source: String) {
        running.withLock { running in
            running.total -= 1
            running.bySource[source, default: 1] -= 1
            if running.bySource[source] == 0 { running.bySource[source] = nil }
        }
    }
}
