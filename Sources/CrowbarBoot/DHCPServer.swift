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
public struct DHCPServer: Service {
    public var configuration: DHCPServerConfiguration
    /// The admin interface; the socket is bound to it so broadcasts on other interfaces are never answered.
    public var interface: String
    public var port: Int
    let database: CrowbarDatabase
    let counters: BootCounters
    let logger: Logger

    public init(
        configuration: DHCPServerConfiguration, interface: String, port: Int = 67, database: CrowbarDatabase,
        counters: BootCounters, logger: Logger
    ) {
        self.configuration = configuration
        self.interface = interface
        self.port = port
        self.database = database
        self.counters = counters
        self.logger = logger
    }

    public func run() async throws {
        let descriptor = try UDPSocket.boundToDevice(interface, port: port)
        let bound = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).withBoundSocket(descriptor).get()
        let channel = try await bound.eventLoop.submit {
            try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: bound)
        }.get()
        let leases = try await database.dhcpLeases()
        let reservations = Reservations(try await database.currentReservations())
        let journal = LeaseJournal(database: database, counters: counters, logger: logger)
        logger.info("DHCP serving on \(interface) port \(port), server \(configuration.serverAddress)")
        try await cancelWhenGracefulShutdown {
            try await channel.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await current in database.reservations() { reservations.replace(with: current) }
                    }
                    group.addTask { try await journal.run(sendingWith: outbound) }
                    var responder = DHCPResponder(configuration: configuration, leases: leases)
                    for try await envelope in inbound {
                        guard let (response, bytes) = decide(envelope.data, responder: &responder, reservations: reservations) else { continue }
                        let reply = try bytes.map { AddressedEnvelope(remoteAddress: try socketAddress(response.destination!), data: ByteBuffer(bytes: $0)) }
                        if let change = response.change {
                            journal.append(change, reply: reply)
                        } else if let reply {
                            try await outbound.write(reply)
                        }
                    }
                    group.cancelAll()
                }
            }
        }
    }

    /// Decodes and decides; the response and its encoded reply, or nil for a packet dropped as malformed.
    private func decide(
        _ payload: ByteBuffer, responder: inout DHCPResponder, reservations: Reservations
    ) -> (DHCPResponse, [UInt8]?)? {
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
        let reservation = message.clientMAC.flatMap { reservations[$0] }
        let response = responder.respond(to: message, reservation: reservation, now: Date())
        guard let reply = response.reply, response.destination != nil else {
            logger.debug("DHCP: \(type) from \(message.clientMAC?.description ?? "?"): \(response.silentReason ?? "no reply")")
            return (response, nil)
        }
        let replyType = reply.options.messageType.map(\.description) ?? "?"
        counters.increment("dhcp.sent.\(replyType)")
        logger.debug("DHCP: \(type) from \(message.clientMAC?.description ?? "?") → \(replyType) \(reply.yourAddress)")
        return (response, reply.encode())
    }

    private func socketAddress(_ destination: DHCPDestination) throws -> SocketAddress {
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
