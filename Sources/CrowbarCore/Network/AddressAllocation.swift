import Foundation

/// An address given to a node on one network.
public struct AddressAllocation: Sendable, Hashable, Codable {
    public var network: String
    public var address: IPv4Address
    public var node: String
    public var range: String
    public var allocatedAt: Date

    public init(network: String, address: IPv4Address, node: String, range: String, allocatedAt: Date) {
        self.network = network
        self.address = address
        self.node = node
        self.range = range
        self.allocatedAt = allocatedAt
    }
}

/// A network in force with the addresses allocated on it: an entry of `GET /api/v1/networks`.
public struct NetworkAllocations: Sendable, Hashable, Codable {
    public var network: NetworkDefinition
    public var allocations: [AddressAllocation]

    public init(network: NetworkDefinition, allocations: [AddressAllocation]) {
        self.network = network
        self.allocations = allocations
    }
}
