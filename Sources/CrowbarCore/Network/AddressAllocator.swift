/// A range with no address left.
public struct AddressExhausted: Error, Sendable, Hashable, CustomStringConvertible {
    public var network: String
    public var range: String
    public var size: Int

    public var description: String {
        "no free address in range '\(range)' of network '\(network)' (all \(size) in use)"
    }
}

/// Picks addresses deterministically: always the lowest free address of the range, so the
/// same history of allocations gives the same addresses.
public enum AddressAllocator {
    public static func lowestFree(
        in range: AddressRange, network: String, used: Set<IPv4Address>
    ) throws(AddressExhausted) -> IPv4Address {
        var candidate = range.start.value
        while candidate <= range.end.value {
            let address = IPv4Address(candidate)
            if !used.contains(address) { return address }
            if candidate == UInt32.max { break }
            candidate += 1
        }
        throw AddressExhausted(network: network, range: range.name, size: range.size)
    }
}
