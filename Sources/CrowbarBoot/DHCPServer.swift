import CrowbarCore
import CrowbarStore
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

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
        logger.info("DHCP serving on \(interface) port \(port), server \(configuration.serverAddress)")
        try await cancelWhenGracefulShutdown {
            try await channel.executeThenClose { inbound, outbound in
                var responder = DHCPResponder(configuration: configuration, leases: leases)
                for try await envelope in inbound {
                    guard let reply = await handle(envelope.data, responder: &responder) else { continue }
                    try await outbound.write(AddressedEnvelope(remoteAddress: reply.destination, data: ByteBuffer(bytes: reply.bytes)))
                }
            }
        }
    }

    /// Decodes, decides, persists the lease change, and returns the reply to send, if any.
    private func handle(_ payload: ByteBuffer, responder: inout DHCPResponder) async -> (bytes: [UInt8], destination: SocketAddress)? {
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
        do {
            var reservation: IPv4Address?
            if let mac = message.clientMAC { reservation = try await database.reservedAddress(for: mac) }
            let response = responder.respond(to: message, reservation: reservation, now: Date())
            switch response.change {
            case .bound(let lease)?: try await database.saveLease(lease)
            case .released(let mac)?: try await database.deleteLease(mac: mac)
            case nil: break
            }
            guard let reply = response.reply, let destination = response.destination else {
                logger.debug("DHCP: \(type) from \(message.clientMAC?.description ?? "?"): \(response.silentReason ?? "no reply")")
                return nil
            }
            let replyType = reply.options.messageType.map(\.description) ?? "?"
            counters.increment("dhcp.sent.\(replyType)")
            logger.debug("DHCP: \(type) from \(message.clientMAC?.description ?? "?") → \(replyType) \(reply.yourAddress)")
            return (reply.encode(), try socketAddress(destination))
        } catch {
            counters.increment("dhcp.errors")
            logger.error("DHCP: \(type) from \(message.clientMAC?.description ?? "?") not answered: \(error)")
            return nil
        }
    }

    private func socketAddress(_ destination: DHCPDestination) throws -> SocketAddress {
        switch destination {
        case .broadcast: try SocketAddress(ipAddress: IPv4Address.broadcast.description, port: 68)
        case .client(let address): try SocketAddress(ipAddress: address.description, port: 68)
        case .relay(let address): try SocketAddress(ipAddress: address.description, port: 67)
        }
    }
}
