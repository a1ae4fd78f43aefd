@testable import CrowbarCore
import Testing

@Suite struct NetworkTests {
    @Test func parsesAddresses() {
        #expect(IPv4Address("192.168.124.81")?.value == 0xC0A8_7C51)
        #expect(IPv4Address("192.168.124.81")?.description == "192.168.124.81")
        #expect(IPv4Address("192.168.124") == nil)
        #expect(IPv4Address("192.168.124.256") == nil)
        #expect(MACAddress("52-54-00-AB-CD-EF")?.description == "52:54:00:ab:cd:ef")
        #expect(MACAddress("525400abcdef")?.description == "52:54:00:ab:cd:ef")
        #expect(MACAddress("52:54:00:ab:cd") == nil)
        #expect(MACAddress("52:54:00:ab:cd:zz") == nil)
    }

    @Test func networkBarclampDefaultsFollowCrowbar() throws {
        let network = try Fixtures.shippedCatalog()["network"]!
        let networks = try NetworkModel.networks(from: network.schema.effectiveDefault!)
        let admin = try #require(networks.first { $0.name == "admin" })
        #expect(admin.subnet.description == "192.168.124.0")
        #expect(admin.prefixLength == 24)
        #expect(admin.range(named: "admin").map { "\($0.start)-\($0.end)" } == "192.168.124.10-192.168.124.11")
        #expect(admin.range(named: "dhcp").map { "\($0.start)-\($0.end)" } == "192.168.124.21-192.168.124.80")
        #expect(admin.range(named: "host").map { "\($0.start)-\($0.end)" } == "192.168.124.81-192.168.124.160")
        #expect(admin.range(named: "switch").map { "\($0.start)-\($0.end)" } == "192.168.124.241-192.168.124.250")
        #expect(Set(networks.map(\.name)).isSuperset(of: ["admin", "bmc", "public", "storage", "nova_fixed", "nova_floating"]))
        #expect(networks.first { $0.name == "storage" }?.useVLAN == true)
    }

    @Test func rangeOutsideTheSubnetIsRefused() {
        let attributes = AttributeValue.map([
            "networks": .map([
                "admin": .map([
                    "subnet": .string("10.0.0.0"), "netmask": .string("255.255.255.0"),
                    "ranges": .map(["host": .map(["start": .string("10.0.1.1"), "end": .string("10.0.1.9")])]),
                ])
            ])
        ])
        #expect(throws: NetworkModelError.self) { try NetworkModel.networks(from: attributes) }
    }

    @Test func allocatorPicksTheLowestFreeAddressAndReportsExhaustion() throws {
        let range = AddressRange(name: "host", start: IPv4Address("10.0.0.10")!, end: IPv4Address("10.0.0.12")!)
        let first = try AddressAllocator.lowestFree(in: range, network: "admin", used: [])
        #expect(first.description == "10.0.0.10")
        let next = try AddressAllocator.lowestFree(in: range, network: "admin", used: [first, IPv4Address("10.0.0.12")!])
        #expect(next.description == "10.0.0.11")
        let all: Set = [IPv4Address("10.0.0.10")!, IPv4Address("10.0.0.11")!, IPv4Address("10.0.0.12")!]
        #expect(throws: AddressExhausted(network: "admin", range: "host", size: 3)) {
            try AddressAllocator.lowestFree(in: range, network: "admin", used: all)
        }
    }
}
