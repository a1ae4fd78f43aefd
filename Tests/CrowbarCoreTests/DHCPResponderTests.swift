import CrowbarCore
import Foundation
import Testing

@Suite("DHCP responder")
struct DHCPResponderTests {
    static let server = IPv4Address("192.168.124.10")!
    static let endpoints = BootEndpoints(tftpServer: server, httpBase: "http://192.168.124.10:8091")
    static let local = DHCPSubnet(
        network: IPv4Address("192.168.124.0")!, netmask: IPv4Address("255.255.255.0")!,
        range: AddressRange(name: "dhcp", start: IPv4Address("192.168.124.21")!, end: IPv4Address("192.168.124.23")!))
    static let relayed = DHCPSubnet(
        network: IPv4Address("10.20.0.0")!, netmask: IPv4Address("255.255.255.0")!,
        range: AddressRange(name: "dhcp", start: IPv4Address("10.20.0.50")!, end: IPv4Address("10.20.0.60")!))
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func responder(leases: [DHCPLease] = []) -> DHCPResponder {
        DHCPResponder(
            configuration: DHCPServerConfiguration(serverAddress: Self.server, subnets: [Self.local, Self.relayed], leaseTime: 600, endpoints: Self.endpoints),
            leases: leases)
    }

    func message(_ type: DHCPMessageType, mac: Int, requested: IPv4Address? = nil, server: IPv4Address? = nil) -> DHCPMessage {
        var message = DHCPMessage(operation: .request, transactionID: UInt32(mac), clientHardware: [0x52, 0x54, 0, 0, 0, UInt8(mac)] + Array(repeating: 0, count: 10))
        message.options.messageType = type
        message.options.setAddress(DHCPOptions.Code.requestedAddress, requested)
        message.options.setAddress(DHCPOptions.Code.serverIdentifier, server)
        return message
    }

    func mac(_ number: Int) -> MACAddress { MACAddress(bytes: [0x52, 0x54, 0, 0, 0, UInt8(number)]) }

    @Test("DISCOVER → OFFER, REQUEST → ACK binds a lease to persist; broadcast to a client without an address")
    func dora() throws {
        var responder = responder()
        let offer = responder.respond(to: message(.discover, mac: 1), reservation: nil, now: now)
        let offered = try #require(offer.reply)
        #expect(offered.options.messageType == .offer)
        #expect(offered.yourAddress == IPv4Address("192.168.124.21"))
        #expect(offered.options.address(DHCPOptions.Code.serverIdentifier) == Self.server)
        #expect(offered.options.uint32(DHCPOptions.Code.leaseTime) == 600)
        #expect(offer.destination == .broadcast)
        #expect(offer.change == nil)
        let ack = responder.respond(to: message(.request, mac: 1, requested: offered.yourAddress, server: Self.server), reservation: nil, now: now)
        #expect(ack.reply?.options.messageType == .ack)
        #expect(ack.change == .bound(DHCPLease(mac: mac(1), address: offered.yourAddress, expiresAt: now.addingTimeInterval(600))))
    }

    @Test("no address is offered twice; the pool runs out and says so")
    func exhaustion() {
        var responder = responder()
        var seen: Set<IPv4Address> = []
        for client in 1...3 {
            let address = responder.respond(to: message(.discover, mac: client), reservation: nil, now: now).reply!.yourAddress
            #expect(seen.insert(address).inserted)
        }
        let fourth = responder.respond(to: message(.discover, mac: 4), reservation: nil, now: now)
        #expect(fourth.reply == nil)
        #expect(fourth.silentReason?.contains("exhausted") == true)
        // Offers lapse after their hold time, and the address goes to the next client.
        let later = responder.respond(to: message(.discover, mac: 4), reservation: nil, now: now.addingTimeInterval(61))
        #expect(later.reply?.yourAddress != nil)
    }

    @Test("a client asking for another's leased address is NAKed; its own lease survives a restart of the pool")
    func conflictsAndRestart() throws {
        let lease = DHCPLease(mac: mac(1), address: IPv4Address("192.168.124.22")!, expiresAt: now.addingTimeInterval(300))
        var responder = responder(leases: [lease])
        let stolen = responder.respond(to: message(.request, mac: 2, requested: lease.address, server: Self.server), reservation: nil, now: now)
        #expect(stolen.reply?.options.messageType == .nak)
        #expect(stolen.change == nil)
        let offer = responder.respond(to: message(.discover, mac: 1), reservation: nil, now: now)
        #expect(offer.reply?.yourAddress == lease.address)
        let other = responder.respond(to: message(.discover, mac: 2, requested: lease.address), reservation: nil, now: now)
        #expect(other.reply?.yourAddress != lease.address)
    }

    @Test("renewal from a bound client is unicast to it; INIT-REBOOT for a foreign network is NAKed")
    func renewAndReboot() throws {
        let lease = DHCPLease(mac: mac(1), address: IPv4Address("192.168.124.21")!, expiresAt: now.addingTimeInterval(10))
        var responder = responder(leases: [lease])
        var renew = message(.request, mac: 1)
        renew.clientAddress = lease.address
        let ack = responder.respond(to: renew, reservation: nil, now: now)
        #expect(ack.reply?.options.messageType == .ack)
        #expect(ack.destination == .client(lease.address))
        #expect(ack.change == .bound(DHCPLease(mac: mac(1), address: lease.address, expiresAt: now.addingTimeInterval(600))))
        let reboot = responder.respond(to: message(.request, mac: 1, requested: IPv4Address("172.16.0.5")), reservation: nil, now: now)
        #expect(reboot.reply?.options.messageType == .nak)
        #expect(reboot.destination == .broadcast)
    }

    @Test("a lapsed lease whose address went to another client is not offered again, nor held twice")
    func lapsedLease() throws {
        let address = IPv4Address("192.168.124.21")!
        var responder = responder(leases: [DHCPLease(mac: mac(1), address: address, expiresAt: now.addingTimeInterval(-1))])
        // B asks for A's lapsed address and gets it.
        let offerB = responder.respond(to: message(.discover, mac: 2, requested: address), reservation: nil, now: now)
        #expect(offerB.reply?.yourAddress == address)
        #expect(responder.respond(to: message(.request, mac: 2, requested: address, server: Self.server), reservation: nil, now: now)
            .reply?.options.messageType == .ack)
        // A comes back: it is offered another address, which it can bind.
        let offerA = try #require(responder.respond(to: message(.discover, mac: 1), reservation: nil, now: now).reply)
        #expect(offerA.yourAddress != address)
        #expect(responder.respond(to: message(.request, mac: 1, requested: offerA.yourAddress, server: Self.server), reservation: nil, now: now)
            .reply?.options.messageType == .ack)
        let leases = responder.pools[0].leases.values
        #expect(Set(leases.map(\.address)).count == leases.count, "one address per lease")
    }

    @Test("a REQUEST for an address never offered or leased to the client is NAKed and binds nothing")
    func requestWithoutOffer() throws {
        var responder = responder()
        for client in 1...3 {
            let spoofed = responder.respond(
                to: message(.request, mac: client, requested: IPv4Address("192.168.124.2\(client)"), server: Self.server), reservation: nil, now: now)
            #expect(spoofed.reply?.options.messageType == .nak)
            #expect(spoofed.change == nil)
        }
        #expect(responder.pools[0].leases.isEmpty, "the range is still free")
        let offered = try #require(responder.respond(to: message(.discover, mac: 4), reservation: nil, now: now).reply).yourAddress
        let other = responder.respond(to: message(.request, mac: 4, requested: IPv4Address("192.168.124.23"), server: Self.server), reservation: nil, now: now)
        #expect(offered != IPv4Address("192.168.124.23") && other.reply?.options.messageType == .nak, "only the offered address")
        var renew = message(.request, mac: 5)
        renew.clientAddress = IPv4Address("192.168.124.22")!
        #expect(responder.respond(to: renew, reservation: nil, now: now).change == nil, "no renewal of a lease it never had")
    }

    @Test("INIT-REBOOT without a record of the client stays silent (it falls back to DISCOVER)")
    func initRebootWithoutRecord() {
        var responder = responder()
        let reboot = responder.respond(to: message(.request, mac: 7, requested: IPv4Address("192.168.124.22")), reservation: nil, now: now)
        #expect(reboot.reply == nil)
        #expect(reboot.change == nil)
    }

    @Test("an allocated node gets its reserved admin address, never a pool address")
    func reservation() {
        var responder = responder()
        let reserved = IPv4Address("192.168.124.81")!
        let offer = responder.respond(to: message(.discover, mac: 9), reservation: reserved, now: now)
        #expect(offer.reply?.yourAddress == reserved)
        let ack = responder.respond(to: message(.request, mac: 9, requested: reserved, server: Self.server), reservation: reserved, now: now)
        #expect(ack.reply?.options.messageType == .ack)
        let wrong = responder.respond(to: message(.request, mac: 9, requested: IPv4Address("192.168.124.21"), server: Self.server), reservation: reserved, now: now)
        #expect(wrong.reply?.options.messageType == .nak)
    }

    @Test("a relayed DISCOVER is answered from the relay's subnet, unicast to the relay at port 67")
    func relay() throws {
        var responder = responder()
        var discover = message(.discover, mac: 5)
        discover.relayAddress = IPv4Address("10.20.0.1")!
        let offer = responder.respond(to: discover, reservation: nil, now: now)
        #expect(offer.destination == .relay(IPv4Address("10.20.0.1")!))
        #expect(offer.reply?.yourAddress == IPv4Address("10.20.0.50"))
        #expect(offer.reply?.relayAddress == IPv4Address("10.20.0.1"))
        #expect(offer.reply?.options.address(DHCPOptions.Code.router) == IPv4Address("10.20.0.1"))
        var unknown = message(.discover, mac: 6)
        unknown.relayAddress = IPv4Address("172.30.0.1")!
        #expect(responder.respond(to: unknown, reservation: nil, now: now).reply == nil)
    }

    @Test("RELEASE frees the address; DECLINE quarantines it")
    func releaseAndDecline() throws {
        var responder = responder()
        let address = IPv4Address("192.168.124.21")!
        _ = responder.respond(to: message(.discover, mac: 1), reservation: nil, now: now)
        _ = responder.respond(to: message(.request, mac: 1, requested: address, server: Self.server), reservation: nil, now: now)
        var release = message(.release, mac: 1)
        release.clientAddress = address
        #expect(responder.respond(to: release, reservation: nil, now: now).change == .released(mac(1)))
        #expect(responder.respond(to: message(.discover, mac: 2, requested: address), reservation: nil, now: now).reply?.yourAddress == address)
        _ = responder.respond(to: message(.request, mac: 2, requested: address, server: Self.server), reservation: nil, now: now)
        let decline = responder.respond(to: message(.decline, mac: 2, requested: address), reservation: nil, now: now)
        #expect(decline.change == .released(mac(2)))
        #expect(responder.respond(to: message(.discover, mac: 3, requested: address), reservation: nil, now: now).reply?.yourAddress != address)
    }

    @Test("boot answers: BIOS PXE gets undionly.kpxe over TFTP, EFI gets ipxe.efi, iPXE gets its HTTP boot.ipxe")
    func pxe() throws {
        var responder = responder()
        var bios = message(.discover, mac: 1)
        bios.options.setText(DHCPOptions.Code.vendorClass, "PXEClient:Arch:00000:UNDI:002001")
        bios.options[DHCPOptions.Code.clientArchitecture] = [0, 0]
        bios.options[DHCPOptions.Code.clientMachineIdentifier] = [0] + Array(repeating: 0xab, count: 16)
        let biosReply = try #require(responder.respond(to: bios, reservation: nil, now: now).reply)
        #expect(biosReply.options[DHCPOptions.Code.clientMachineIdentifier] == [0] + Array(repeating: 0xab, count: 16))
        #expect(biosReply.serverAddress == Self.server)
        #expect(String(decoding: biosReply.bootFile, as: UTF8.self) == "undionly.kpxe")
        #expect(biosReply.options.text(DHCPOptions.Code.tftpServerName) == "192.168.124.10")
        #expect(biosReply.options.text(DHCPOptions.Code.vendorClass) == "PXEClient")
        var efi = message(.discover, mac: 2)
        efi.options.setText(DHCPOptions.Code.vendorClass, "PXEClient:Arch:00007:UNDI:003016")
        efi.options[DHCPOptions.Code.clientArchitecture] = [0, 7]
        #expect(responder.respond(to: efi, reservation: nil, now: now).reply?.options.text(DHCPOptions.Code.bootfileName) == "ipxe.efi")
        var ipxe = message(.discover, mac: 3)
        ipxe.options[DHCPOptions.Code.userClass] = Array("iPXE".utf8)
        #expect(responder.respond(to: ipxe, reservation: nil, now: now).reply?.options.text(DHCPOptions.Code.bootfileName)
            == "http://192.168.124.10:8091/boot/52-54-00-00-00-03/boot.ipxe")
        let plain = responder.respond(to: message(.discover, mac: 1), reservation: nil, now: now).reply
        #expect(plain?.bootFile.isEmpty == true)
        #expect(plain?.options[DHCPOptions.Code.bootfileName] == nil)
    }

    @Test("messages that are not client requests get no answer")
    func ignored() {
        var responder = responder()
        var reply = message(.offer, mac: 1)
        #expect(responder.respond(to: reply, reservation: nil, now: now).reply == nil)
        reply.operation = .reply
        #expect(responder.respond(to: reply, reservation: nil, now: now).reply == nil)
        var bootp = message(.discover, mac: 1)
        bootp.options.messageType = nil
        #expect(responder.respond(to: bootp, reservation: nil, now: now).reply == nil)
    }

    @Test("clients the server has no record of are offered addresses at their rate, per way in; known clients never wait")
    func newClientsAtTheirRate() throws {
        var responder = DHCPResponder(
            configuration: DHCPServerConfiguration(
                serverAddress: Self.server, subnets: [Self.local, Self.relayed], leaseTime: 600, endpoints: Self.endpoints,
                newClients: NewClientLimit(perSecond: 1, burst: 2)),
            leases: [])
        func discover(_ mac: Int, relay: String? = nil, at time: Date) -> DHCPResponse {
            var discover = message(.discover, mac: mac)
            if let relay { discover.relayAddress = IPv4Address(relay)! }
            return responder.respond(to: discover, reservation: nil, now: time)
        }
        #expect(discover(1, at: now).reply?.options.messageType == .offer)
        #expect(discover(2, at: now).reply?.options.messageType == .offer)
        let third = discover(3, at: now)
        #expect(third.reply == nil && third.overRate && third.change == nil, "the burst is spent: \(third.silentReason ?? "")")
        #expect(discover(4, relay: "10.20.0.1", at: now).reply?.yourAddress == IPv4Address("10.20.0.50"), "a relay has its own rate")
        // A client already offered an address asks again, then takes it: neither waits for the rate.
        #expect(discover(1, at: now).reply?.yourAddress == IPv4Address("192.168.124.21"))
        let ack = responder.respond(
            to: message(.request, mac: 1, requested: IPv4Address("192.168.124.21"), server: Self.server), reservation: nil, now: now)
        #expect(ack.reply?.options.messageType == .ack)
        // A reserved (allocated) node is never limited.
        #expect(responder.respond(to: message(.discover, mac: 9), reservation: IPv4Address("192.168.124.30"), now: now).reply != nil)
        #expect(discover(3, at: now.addingTimeInterval(0.5)).overRate, "half a token")
        #expect(discover(3, at: now.addingTimeInterval(1.2)).reply?.options.messageType == .offer, "the rate refilled one")
    }
}
