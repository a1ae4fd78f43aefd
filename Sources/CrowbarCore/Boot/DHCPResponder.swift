import Foundation

/// One subnet crowbard's DHCP server hands addresses out on: the local admin network, or one behind a relay.
public struct DHCPSubnet: Sendable, Hashable {
    public var network: IPv4Address
    public var netmask: IPv4Address
    public var router: IPv4Address?
    /// The dynamic range (the network's `dhcp` range).
    public var range: AddressRange

    public init(network: IPv4Address, netmask: IPv4Address, router: IPv4Address? = nil, range: AddressRange) {
        self.network = network
        self.netmask = netmask
        self.router = router
        self.range = range
    }

    public func contains(_ address: IPv4Address) -> Bool { address.value & netmask.value == network.value }
}

/// What the DHCP server answers with, besides addresses.
public struct DHCPServerConfiguration: Sendable, Hashable {
    /// crowbard's address on the admin network (option 54, and the local subnet is the one holding it).
    public var serverAddress: IPv4Address
    public var subnets: [DHCPSubnet]
    public var leaseTime: TimeInterval
    public var dnsServers: [IPv4Address]
    public var domainName: String?
    public var endpoints: BootEndpoints
    /// The relay agents whose messages (`giaddr` set) are answered, by the address they send from. Anything on the
    /// admin network can set `giaddr` and draw addresses from another subnet's range: other relayed messages are dropped.
    public var relays: Set<IPv4Address>
    /// How fast clients the server has no record of are offered addresses, per way in (the admin interface, each
    /// relay); nil for no limit. Clients it knows (a lease, an offer, a reservation) are never limited.
    public var newClients: NewClientLimit?

    public init(
        serverAddress: IPv4Address, subnets: [DHCPSubnet], leaseTime: TimeInterval = 3600,
        dnsServers: [IPv4Address] = [], domainName: String? = nil, endpoints: BootEndpoints, relays: Set<IPv4Address> = [],
        newClients: NewClientLimit? = .standard
    ) {
        self.serverAddress = serverAddress
        self.subnets = subnets
        self.leaseTime = leaseTime
        self.dnsServers = dnsServers
        self.domainName = domainName
        self.endpoints = endpoints
        self.relays = relays
        self.newClients = newClients
    }

    /// Whether to answer `message` from `source`: a direct one always, a relayed one only from a configured relay.
    public func accepts(_ message: DHCPMessage, from source: IPv4Address?) -> Bool {
        message.relayAddress == .zero || source.map(relays.contains) == true
    }
}

/// The rate at which DHCP takes clients it has no record of, per way in: a burst (a rack powered on at once), then a
/// steady rate. Anything on the admin network can send DISCOVERs from made-up MACs; this bounds how fast they take
/// the range's addresses (it does not stop a patient sender: switch port security or DHCP snooping does).
public struct NewClientLimit: Sendable, Hashable {
    public var perSecond: Double
    public var burst: Int

    public init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// 256 new clients at once, then 50 a second: a thousand machines PXE-booting together are all offered an
    /// address within their ROMs' DISCOVER retries (about 60 s).
    public static let standard = NewClientLimit(perSecond: 50, burst: 256)
}

/// Where a reply goes (RFC 2131 §4.1).
public enum DHCPDestination: Sendable, Hashable {
    /// 255.255.255.255:68 on the serving interface.
    case broadcast
    /// A client that already has an address, at port 68.
    case client(IPv4Address)
    /// The relay agent in giaddr, at port 67.
    case relay(IPv4Address)
}

/// A lease change the server must make durable before it sends the reply.
public enum DHCPLeaseChange: Sendable, Hashable {
    case bound(DHCPLease)
    case released(MACAddress)
}

/// The responder's verdict on one message.
public struct DHCPResponse: Sendable, Hashable {
    public var reply: DHCPMessage?
    public var destination: DHCPDestination?
    public var change: DHCPLeaseChange?
    /// Why no reply is sent, when none is.
    public var silentReason: String?
    /// Whether the message was a new client's over ``DHCPServerConfiguration/newClients`` (counted `dhcp.refused.rate`).
    public var overRate = false

    static func silent(_ reason: String, change: DHCPLeaseChange? = nil) -> DHCPResponse {
        DHCPResponse(reply: nil, destination: nil, change: change, silentReason: reason)
    }
}

/// The DHCP protocol as a pure state machine over the lease pools: a message in, a reply, its destination and the
/// lease change to persist out. Static reservations (allocated nodes' admin addresses) are passed in per message.
public struct DHCPResponder: Sendable {
    public var configuration: DHCPServerConfiguration
    public private(set) var pools: [DHCPLeasePool]
    /// New clients' rate, per way in (the relay's address, or crowbard's own for the admin interface).
    private var newClients: [IPv4Address: TokenBucket] = [:]

    public init(configuration: DHCPServerConfiguration, leases: [DHCPLease]) {
        self.configuration = configuration
        pools = configuration.subnets.map { subnet in
            DHCPLeasePool(range: subnet.range, leases: leases.filter { subnet.range.contains($0.address) })
        }
    }

    public mutating func respond(to message: DHCPMessage, reservation: IPv4Address?, now: Date) -> DHCPResponse {
        guard message.operation == .request else { return .silent("not a client request") }
        guard let mac = message.clientMAC else { return .silent("not an Ethernet client") }
        guard let type = message.options.messageType else { return .silent("no message type (BOOTP is not served)") }
        let gateway = message.relayAddress == .zero ? configuration.serverAddress : message.relayAddress
        guard let poolIndex = configuration.subnets.firstIndex(where: { $0.contains(gateway) }) else {
            return .silent("no subnet for \(gateway)")
        }
        let subnet = configuration.subnets[poolIndex]
        let reserved = reservation.flatMap { subnet.contains($0) ? $0 : nil }
        switch type {
        case .discover:
            if reserved == nil, !pools[poolIndex].knows(mac), !takeNewClient(from: gateway, now: now) {
                var response = DHCPResponse.silent("new clients from \(gateway) over their rate")
                response.overRate = true
                return response
            }
            let requested = message.options.address(DHCPOptions.Code.requestedAddress)
            guard let address = reserved ?? pools[poolIndex].offer(to: mac, requested: requested, now: now) else {
                return .silent("the pool \(subnet.range.start)-\(subnet.range.end) is exhausted")
            }
            return answer(.offer, to: message, address: address, subnet: subnet)
        case .request:
            return request(message, mac: mac, poolIndex: poolIndex, reserved: reserved, now: now)
        case .release:
            let released = pools[poolIndex].release(mac, address: message.clientAddress)
            return .silent("released", change: released ? .released(mac) : nil)
        case .decline:
            guard let address = message.options.address(DHCPOptions.Code.requestedAddress),
                pools[poolIndex].decline(address, by: mac, now: now)
            else { return .silent("decline of an address the client did not hold") }
            return .silent("declined \(address)", change: .released(mac))
        case .inform:
            var response = answer(.ack, to: message, address: nil, subnet: subnet)
            response.reply?.clientAddress = message.clientAddress
            return response
        case .offer, .ack, .nak:
            return .silent("\(type) is a server message")
        }
    }

    /// Whether one more new client may come in through `gateway` now (taking its token).
    private mutating func takeNewClient(from gateway: IPv4Address, now: Date) -> Bool {
        guard let limit = configuration.newClients else { return true }
        var bucket = newClients[gateway] ?? TokenBucket(perSecond: limit.perSecond, burst: limit.burst)
        defer { newClients[gateway] = bucket }
        return bucket.take(at: now.timeIntervalSinceReferenceDate)
    }

    private mutating func request(
        _ message: DHCPMessage, mac: MACAddress, poolIndex: Int, reserved: IPv4Address?, now: Date
    ) -> DHCPResponse {
        let subnet = configuration.subnets[poolIndex]
        let serverID = message.options.address(DHCPOptions.Code.serverIdentifier)
        if let serverID, serverID != configuration.serverAddress {
            pools[poolIndex].releaseOffer(of: mac)
            return .silent("the client chose server \(serverID)")
        }
        let wanted = message.options.address(DHCPOptions.Code.requestedAddress)
            ?? (message.clientAddress == .zero ? nil : message.clientAddress)
        guard let wanted else { return nak(message, "no requested address") }
        if let reserved {
            return wanted == reserved
                ? answer(.ack, to: message, address: reserved, subnet: subnet) : nak(message, "\(mac) is reserved \(reserved)")
        }
        if serverID == nil, message.clientAddress == .zero {
            // INIT-REBOOT (RFC 2131 §4.3.2): NAK an address of another network; without a record of the client,
            // stay silent so it falls back to DISCOVER.
            guard subnet.contains(wanted) else { return nak(message, "\(wanted) is not on this network") }
            guard pools[poolIndex].knows(mac) else { return .silent("no record of \(mac)") }
        }
        // SELECTING takes the address offered, RENEWING and INIT-REBOOT the one leased: a REQUEST naming crowbard for an
        // address it never gave this client binds nothing (else spoofed REQUESTs would empty the range without an offer).
        guard pools[poolIndex].wasGiven(wanted, to: mac, now: now) else {
            return nak(message, "\(wanted) was not offered or leased to \(mac)")
        }
        let hostname = message.options.text(DHCPOptions.Code.hostName)
        guard let lease = pools[poolIndex].bind(wanted, to: mac, leaseTime: configuration.leaseTime, hostname: hostname, now: now) else {
            return nak(message, "\(wanted) is not available to \(mac)")
        }
        var response = answer(.ack, to: message, address: lease.address, subnet: subnet)
        response.change = .bound(lease)
        return response
    }

    /// A reply's header for `message`: its transaction, hardware address, flags and relay.
    private func reply(to message: DHCPMessage) -> DHCPMessage {
        var reply = DHCPMessage(operation: .reply, transactionID: message.transactionID, clientHardware: message.clientHardware)
        reply.hardwareType = message.hardwareType
        reply.hardwareLength = message.hardwareLength
        reply.flags = message.flags
        reply.relayAddress = message.relayAddress
        return reply
    }

    private func nak(_ message: DHCPMessage, _ reason: String) -> DHCPResponse {
        var reply = reply(to: message)
        reply.options.messageType = .nak
        reply.options.setAddress(DHCPOptions.Code.serverIdentifier, configuration.serverAddress)
        reply.options.setText(DHCPOptions.Code.message, reason)
        if message.relayAddress != .zero {
            reply.flags |= DHCPMessage.broadcastFlag
            return DHCPResponse(reply: reply, destination: .relay(message.relayAddress))
        }
        return DHCPResponse(reply: reply, destination: .broadcast)
    }

    private func answer(_ type: DHCPMessageType, to message: DHCPMessage, address: IPv4Address?, subnet: DHCPSubnet) -> DHCPResponse {
        var reply = reply(to: message)
        reply.yourAddress = address ?? .zero
        var options = DHCPOptions()
        options.messageType = type
        options.setAddress(DHCPOptions.Code.serverIdentifier, configuration.serverAddress)
        if address != nil {
            let lease = UInt32(configuration.leaseTime)
            options.setUInt32(DHCPOptions.Code.leaseTime, lease)
            options.setUInt32(DHCPOptions.Code.renewalTime, lease / 2)
            options.setUInt32(DHCPOptions.Code.rebindingTime, lease / 8 * 7)
        }
        options.setAddress(DHCPOptions.Code.subnetMask, subnet.netmask)
        if let router = subnet.router ?? (message.relayAddress == .zero ? nil : message.relayAddress) {
            options.setAddress(DHCPOptions.Code.router, router)
        }
        if !configuration.dnsServers.isEmpty {
            options[DHCPOptions.Code.domainNameServer] = configuration.dnsServers.flatMap(\.bytes)
        }
        options.setText(DHCPOptions.Code.domainName, configuration.domainName)
        let client = BootClient(options: message.options)
        if let mac = message.clientMAC, let file = client.bootFile(for: mac, endpoints: configuration.endpoints) {
            switch file {
            case .tftp(let server, let name):
                reply.serverAddress = server
                reply.bootFile = Array(name.utf8)
                options.setText(DHCPOptions.Code.tftpServerName, server.description)
                options.setText(DHCPOptions.Code.bootfileName, name)
            case .http(let url):
                reply.serverAddress = configuration.endpoints.tftpServer
                reply.bootFile = Array(url.utf8)
                options.setText(DHCPOptions.Code.bootfileName, url)
            }
            switch client {
            case .pxe:
                options.setText(DHCPOptions.Code.vendorClass, "PXEClient")
                options[43] = [6, 1, 8, 255]
            case .httpClient: options.setText(DHCPOptions.Code.vendorClass, "HTTPClient")
            case .plain, .iPXE: break
            }
            // PXE ROMs match replies by their machine identifier (option 97, RFC 4578): echo it.
            options[DHCPOptions.Code.clientMachineIdentifier] = message.options[DHCPOptions.Code.clientMachineIdentifier]
        }
        reply.options = options
        let destination: DHCPDestination =
            if message.relayAddress != .zero { .relay(message.relayAddress) }
            else if message.clientAddress != .zero { .client(message.clientAddress) }
            else { .broadcast }
        return DHCPResponse(reply: reply, destination: destination)
    }
}

extension DHCPSubnet {
    /// The subnet a network definition describes, serving its `dhcp` range; nil if it has none.
    public init?(network: NetworkDefinition) {
        guard let range = network.range(named: "dhcp") else { return nil }
        self.init(network: network.subnet, netmask: network.netmask, router: network.router, range: range)
    }
}
