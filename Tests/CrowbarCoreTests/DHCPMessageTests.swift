import CrowbarCore
import Foundation
import Testing

@Suite("DHCP message codec")
struct DHCPMessageTests {
    static func captured(_ name: String) throws -> [UInt8] {
        let hex = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/packets/\(name).hex"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    @Test("a DISCOVER captured from ISC dhclient decodes and re-encodes to the same bytes")
    func dhclientDiscover() throws {
        let bytes = try Self.captured("dhclient-discover")
        let message = try DHCPMessage.decode(bytes)
        #expect(message.operation == .request)
        #expect(message.options.messageType == .discover)
        #expect(message.clientMAC != nil)
        #expect(message.options[DHCPOptions.Code.parameterRequestList]?.contains(DHCPOptions.Code.subnetMask) == true)
        #expect(BootClient(options: message.options) == .plain)
        #expect(message.encode() == bytes)
    }

    @Test("a DISCOVER captured from busybox udhcpc decodes with its vendor class")
    func udhcpcDiscover() throws {
        let message = try DHCPMessage.decode(try Self.captured("udhcpc-discover"))
        #expect(message.options.messageType == .discover)
        #expect(message.options.text(DHCPOptions.Code.vendorClass)?.hasPrefix("udhcp") == true)
        #expect(BootClient(options: message.options) == .plain)
    }

    @Test("an iPXE DISCOVER (user class iPXE, option 175) is recognised as iPXE and gets the node's boot.ipxe URL")
    func iPXEDiscover() throws {
        let bytes = try Self.captured("ipxe-discover")
        let message = try DHCPMessage.decode(bytes)
        #expect(BootClient(options: message.options) == .iPXE)
        let endpoints = BootEndpoints(tftpServer: IPv4Address("10.0.0.1")!, httpBase: "http://10.0.0.1:8091")
        let mac = try #require(message.clientMAC)
        #expect(BootClient.iPXE.bootFile(for: mac, endpoints: endpoints)
            == .http(url: "http://10.0.0.1:8091/boot/\(mac.description.replacingOccurrences(of: ":", with: "-"))/boot.ipxe"))
    }

    @Test("malformed packets are refused with a reason, never a crash")
    func malformed() throws {
        let good = try Self.captured("dhclient-discover")
        func code(_ bytes: [UInt8]) -> BootCodecError.Code? {
            do { _ = try DHCPMessage.decode(bytes); return nil } catch { return error.code }
        }
        #expect(code(Array(good.prefix(100))) == .truncated)
        #expect(code([]) == .truncated)
        var cookie = good
        cookie[236] = 0
        #expect(code(cookie) == .badMagicCookie)
        var opcode = good
        opcode[0] = 7
        #expect(code(opcode) == .unknownOpcode)
        var hlen = good
        hlen[2] = 200
        #expect(code(hlen) == .badField)
        let overrun = Array(good.prefix(240)) + [53, 40, 1]
        #expect(code(overrun) == .badOption)
        let noLength = Array(good.prefix(240)) + [53]
        #expect(code(noLength) == .badOption)
        let badOverload = Array(good.prefix(240)) + [52, 1, 9, 255]
        #expect(code(badOverload) == .badOption)
    }

    @Test("options in the file field (overload 52 = 1) and repeated options (RFC 3396) are read")
    func overloadAndConcatenation() throws {
        var message = DHCPMessage(operation: .request, transactionID: 0x1234_5678, clientHardware: [2, 0, 0, 0, 0, 1] + Array(repeating: 0, count: 10))
        message.options.messageType = .discover
        var bytes = message.encode()
        // Move the end option: overload into the file field, which carries hostname "ab" split over two options.
        bytes = Array(bytes.prefix(243)) + [52, 1, 1, 255]
        bytes.replaceSubrange(108..<118, with: [12, 1, 97, 12, 1, 98, 255, 0, 0, 0])
        let decoded = try DHCPMessage.decode(bytes)
        #expect(decoded.options.text(DHCPOptions.Code.hostName) == "ab")
        #expect(decoded.bootFile.isEmpty)
    }

    @Test("a reply encodes header fields, long options in 255-byte pieces, and pads to 300 bytes")
    func encode() throws {
        var reply = DHCPMessage(operation: .reply, transactionID: 0xdead_beef, clientHardware: [0x52, 0x54, 0, 0x77, 0, 1])
        reply.yourAddress = IPv4Address("192.168.124.21")!
        reply.options.messageType = .offer
        reply.options.setText(DHCPOptions.Code.bootfileName, String(repeating: "x", count: 300))
        let bytes = reply.encode()
        #expect(bytes.count >= 300)
        let decoded = try DHCPMessage.decode(bytes)
        #expect(decoded.transactionID == 0xdead_beef)
        #expect(decoded.yourAddress == IPv4Address("192.168.124.21"))
        #expect(decoded.clientMAC == MACAddress("52:54:00:77:00:01"))
        #expect(decoded.options.text(DHCPOptions.Code.bootfileName)?.count == 300)
    }
}
