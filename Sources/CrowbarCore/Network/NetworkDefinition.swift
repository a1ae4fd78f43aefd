/// A named slice of a network's addresses (`dhcp`, `host`, `admin`, `switch` …).
public struct AddressRange: Sendable, Hashable, Codable {
    public var name: String
    public var start: IPv4Address
    public var end: IPv4Address

    public init(name: String, start: IPv4Address, end: IPv4Address) {
        self.name = name
        self.start = start
        self.end = end
    }

    /// How many addresses the range holds.
    public var size: Int { Int(end.value) - Int(start.value) + 1 }

    public func contains(_ address: IPv4Address) -> Bool { start <= address && address <= end }
}

/// One logical network of the network barclamp (admin, bmc, public, storage, nova_fixed …).
public struct NetworkDefinition: Sendable, Hashable, Codable {
    public var name: String
    public var subnet: IPv4Address
    public var netmask: IPv4Address
    public var router: IPv4Address?
    public var vlan: Int
    public var useVLAN: Bool
    public var conduit: String
    public var ranges: [AddressRange]

    public init(
        name: String, subnet: IPv4Address, netmask: IPv4Address, router: IPv4Address? = nil, vlan: Int = 0,
        useVLAN: Bool = false, conduit: String, ranges: [AddressRange]
    ) {
        self.name = name
        self.subnet = subnet
        self.netmask = netmask
        self.router = router
        self.vlan = vlan
        self.useVLAN = useVLAN
        self.conduit = conduit
        self.ranges = ranges
    }

    /// The range called `name`, if the network has one.
    public func range(named name: String) -> AddressRange? { ranges.first { $0.name == name } }

    /// The prefix length of the netmask (24 for 255.255.255.0).
    public var prefixLength: Int { netmask.value.nonzeroBitCount }
}

/// Network attributes that do not describe usable networks.
public struct NetworkModelError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String
    public var description: String { "\(field): \(message)" }
}

/// Reads the `networks` attribute of a network proposal into typed definitions.
public enum NetworkModel {
    public static func networks(from attributes: AttributeValue) throws(NetworkModelError) -> [NetworkDefinition] {
        guard case .map(let networks)? = attributes.value(at: ["networks"]) else {
            throw NetworkModelError(field: "networks", message: "is missing")
        }
        var result: [NetworkDefinition] = []
        for name in networks.keys.sorted() {
            let network = networks[name]!
            let field = "networks.\(name)"
            func address(_ key: String) throws(NetworkModelError) -> IPv4Address {
                guard case .string(let text)? = network.value(at: [key]), let address = IPv4Address(text) else {
                    throw NetworkModelError(field: "\(field).\(key)", message: "is not an IPv4 address")
                }
                return address
            }
            var ranges: [AddressRange] = []
            if case .map(let rangeEntries)? = network.value(at: ["ranges"]) {
                for rangeName in rangeEntries.keys.sorted() {
                    let entry = rangeEntries[rangeName]!
                    guard case .string(let startText)? = entry.value(at: ["start"]), let start = IPv4Address(startText),
                        case .string(let endText)? = entry.value(at: ["end"]), let end = IPv4Address(endText), start <= end
                    else {
                        throw NetworkModelError(field: "\(field).ranges.\(rangeName)", message: "needs start ≤ end, both IPv4 addresses")
                    }
                    ranges.append(AddressRange(name: rangeName, start: start, end: end))
                }
            }
            var router: IPv4Address?
            if case .string(let text)? = network.value(at: ["router"]), !text.isEmpty { router = try address("router") }
            var vlan = 0
            if case .integer(let number)? = network.value(at: ["vlan"]) { vlan = number }
            var useVLAN = false
            if case .boolean(let flag)? = network.value(at: ["use_vlan"]) { useVLAN = flag }
            var conduit = "intf0"
            if case .string(let text)? = network.value(at: ["conduit"]) { conduit = text }
            let definition = NetworkDefinition(
                name: name, subnet: try address("subnet"), netmask: try address("netmask"), router: router, vlan: vlan,
                useVLAN: useVLAN, conduit: conduit, ranges: ranges)
            let mask = definition.netmask.value
            for range in ranges where range.start.value & mask != definition.subnet.value || range.end.value & mask != definition.subnet.value {
                throw NetworkModelError(field: "\(field).ranges.\(range.name)", message: "lies outside \(definition.subnet)/\(definition.prefixLength)")
            }
            result.append(definition)
        }
        return result
    }
}
