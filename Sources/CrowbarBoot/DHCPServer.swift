import CrowbarCore
import CrowbarStore
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// crowbard's DHCPv4 server: port 67 on the admin interface, leases kept in the store before each ACK, static
/// reservations for allocated nodes, PXE and iPXE boot answers. Malformed packets are dropped and counted.
///
/// Packets are decided on the event loop by `DHCPServerHandler` (no hop per packet); lease changes go through the
/// `LeaseJournal`, which commits them in batches and only then sends their ACKs.
public struct DHCPServer: Service {
    public var configuration: DHCPServerConfiguration
    /// The admin interface; the socket is bound to it so broadcasts on other interfaces are never answered.
    public var interface: String
    public var port: Int
    let database: CrowbarDatabase
    let counters: BootCounters
    let logger: Logger
    let leaseBacklogLimit: Int

    /// Lease changes waiting for their commit beyond which DISCOVERs are dropped by default: about a tenth of a second
    /// of commits on this 2-core machine's disk (docs/benchmarks.md), well inside the seconds a client waits for its ACK.
    public static let defaultLeaseBacklogLimit = 1024

    /// - Parameter leaseBacklogLimit: lease changes waiting for their commit beyond which DISCOVERs are dropped
    ///   (counted `dhcp.shed.DISCOVER`) until the store catches up.
    public init(
        configuration: DHCPServerConfiguration, interface: String, port: Int = 67, database: CrowbarDatabase,
        counters: BootCounters, logger: Logger, leaseBacklogLimit: Int = defaultLeaseBacklogLimit
    ) {
        self.configuration = configuration
        self.interface = interface
        self.port = port
        self.database = database
        self.counters = counters
        self.logger = logger
        self.leaseBacklogLimit = leaseBacklogLimit
    }

    public func run() async throws {
        let reservations = Reservations(try await database.currentReservations())
        let journal = LeaseJournal(database: database, counters: counters, logger: logger, backlogLimit: leaseBacklogLimit)
        do {
            try await serveUntilShutdown(reservations: reservations, journal: journal)
        } catch is CancellationError {
            logger.debug("DHCP stopped")
        }
    }

    private func serveUntilShutdown(reservations: Reservations, journal: LeaseJournal) async throws {
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await current in database.reservations() { reservations.replace(with: current) }
                }
                group.addTask { await journal.run() }
                // The socket is tied to the interface's index: when the interface is removed and made again (the
                // lab going down and up under a running crowbard), serve again on the new one.
                while !Task.isCancelled {
                    let index = try await AfterAddressAppears.poll("DHCP waits for interface \(interface)", logger: logger) {
                        let index = if_nametoindex(interface)
                        return index == 0 ? nil : index
                    }
                    try await serve(onInterfaceIndex: index, reservations: reservations, journal: journal)
                }
                group.cancelAll()
            }
        }
    }

    /// Serves until the interface's index changes, the socket closes (a fatal send error), or the task is cancelled.
    private func serve(onInterfaceIndex index: UInt32, reservations: Reservations, journal: LeaseJournal) async throws {
        let responder = DHCPResponder(configuration: configuration, leases: try await database.dhcpLeases())
        let (counters, logger) = (self.counters, self.logger)
        let descriptor = try UDPSocket.boundToDevice(interface, port: port)
        // withBoundSocket's async variant fails with "operation unsupported" on NIO 2.101; the future one works.
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.maxMessagesPerRead, value: 64)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        DHCPServerHandler(responder: responder, reservations: reservations, journal: journal, counters: counters, logger: logger))
                }
            }
            .withBoundSocket(descriptor).get()
        counters.increment("dhcp.sockets-opened")
        logger.info("DHCP serving on \(interface) port \(port), server \(configuration.serverAddress)")
        journal.channel.withLock { $0 = channel }
        defer {
            journal.channel.withLock { $0 = nil }
            channel.close(promise: nil)
        }
        while if_nametoindex(interface) == index, channel.isActive { try await Task.sleep(for: .seconds(2)) }
        logger.notice("DHCP: \(interface) went away or was replaced, or the socket closed; serving anew")
    }
}

/// Decides each DHCP packet on the event loop: decode, respond, then send at once (OFFER, NAK, INFORM's ACK) or
/// hand the lease change and its reply to the journal.
final class DHCPServerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private var responder: DHCPResponder
    private let reservations: Reservations
    private let journal: LeaseJournal
    private let counters: BootCounters
    private let logger: Logger
    private var needsFlush = false

    init(responder: DHCPResponder, reservations: Reservations, journal: LeaseJournal, counters: BootCounters, logger: Logger) {
        self.responder = responder
        self.reservations = reservations
        self.journal = journal
        self.counters = counters
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let response = decide(envelope.data, from: envelope.remoteAddress.ipAddress.flatMap(IPv4Address.init)) else { return }
        var reply: AddressedEnvelope<ByteBuffer>?
        if let message = response.reply, let destination = response.destination, let address = try? Self.socketAddress(destination) {
            reply = AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: message.encode()))
        }
        if let change = response.change {
            journal.append(change, reply: reply)
        } else if let reply {
            context.write(wrapOutboundOut(reply), promise: nil)
            needsFlush = true
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush { context.flush() }
        needsFlush = false
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        counters.increment("dhcp.socket-errors")
        logger.warning("DHCP socket: \(error)")
    }

    /// Decodes and decides; nil for a packet dropped as malformed or relayed by no configured relay.
    private func decide(_ payload: ByteBuffer, from source: IPv4Address?) -> DHCPResponse? {
        let message: DHCPMessage
        do {
            message = try DHCPMessage.decode(Array(payload.readableBytesView))
        } catch {
            counters.increment("dhcp.malformed.\(error.code)")
            logger.debug("DHCP: dropped a malformed packet: \(error)")
            return nil
        }
        let type = message.options.messageType.map(\.description) ?? "BOOTP"
        counters.increment("dhcp.received.\(type)")
        guard responder.configuration.accepts(message, from: source) else {
            counters.increment("dhcp.refused.unknown-relay")
            logger.debug("DHCP: dropped a message relayed by \(source?.description ?? "?"), not a configured relay")
            return nil
        }
        // Beyond what the store can commit, an OFFER now would only lengthen the queue its REQUEST joins, until every
        // ACK comes too late: the exchanges in progress finish first, and the client's next DISCOVER is answered.
        if message.options.messageType == .discover, journal.isBehind {
            counters.increment("dhcp.shed.DISCOVER")
            return nil
        }
        let reservation = message.clientMAC.flatMap { reservations[$0] }
        let response = responder.respond(to: message, reservation: reservation, now: Date())
        if let reply = response.reply {
            let replyType = reply.options.messageType.map(\.description) ?? "?"
            counters.increment("dhcp.sent.\(replyType)")
            logger.debug("DHCP: \(type) from \(message.clientMAC?.description ?? "?") → \(replyType) \(reply.yourAddress)")
        } else {
            if response.overRate { counters.increment("dhcp.refused.rate") }
            logger.debug("DHCP: \(type) from \(message.clientMAC?.description ?? "?"): \(response.silentReason ?? "no reply")")
        }
        return response
    }

    static func socketAddress(_ destination: DHCPDestination) throws -> SocketAddress {
        switch destination {
        case .broadcast: try SocketAddress(ipAddress: IPv4Address.broadcast.description, port: 68)
        case .client(let address): try SocketAddress(ipAddress: address.description, port: 68)
        case .relay(let address): try SocketAddress(ipAddress: address.description, port: 67)
        }
    }
}

/// The allocated nodes' reserved addresses by MAC, kept current by a store observation.
final class Reservations: Sendable {
    private let table: Mutex<[MACAddress: IPv4Address]>

    init(_ initial: [MACAddress: IPv4Address]) { table = Mutex(initial) }

    subscript(mac: MACAddress) -> IPv4Address? { table.withLock { $0[mac] } }

    func replace(with current: [MACAddress: IPv4Address]) { table.withLock { $0 = current } }
}
