import CrowbarCore
import Foundation
import GRDB

extension CrowbarDatabase {
    /// Gives `node` an address from `rangeName` of `network`: the lowest free one, or the one it
    /// already holds on that network. Unique keys on (network, address) and (network, node)
    /// make a duplicate impossible even under concurrent writers.
    public func allocateAddress(
        node: String, network: NetworkDefinition, rangeName: String, now: Date = Date()
    ) async throws -> IPv4Address {
        try await write { db in
            try Self.allocateAddress(node: node, network: network, rangeName: rangeName, now: now, in: db)
        }
    }

    /// Every allocation, optionally on one network, by network then address.
    public func addressAllocations(network: String? = nil) async throws -> [AddressAllocation] {
        try await writer.read { db in
            var request = AddressAllocationRecord.all()
            if let network { request = request.filter(Column("network") == network) }
            return try request.order(Column("network"), Column("address")).fetchAll(db).map { record in
                AddressAllocation(
                    network: record.network, address: IPv4Address(UInt32(record.address)), node: record.nodeName,
                    range: record.range, allocatedAt: record.allocatedAt)
            }
        }
    }

    static func allocateAddress(
        node: String, network: NetworkDefinition, rangeName: String, now: Date, in db: Database
    ) throws -> IPv4Address {
        guard let range = network.range(named: rangeName) else {
            throw CrowbarError(.notFound, "network \(network.name) has no range '\(rangeName)'")
        }
        guard try NodeRecord.exists(db, key: node) else { throw CrowbarError(.notFound, "no node named \(node)") }
        let mine = AddressAllocationRecord.filter(Column("network") == network.name && Column("nodeName") == node)
        if let existing = try mine.fetchOne(db) { return IPv4Address(UInt32(existing.address)) }
        let used = try Int64.fetchAll(
            db,
            AddressAllocationRecord.select(Column("address")).filter(
                Column("network") == network.name && Column("address") >= Int64(range.start.value)
                    && Column("address") <= Int64(range.end.value)))
        let address = try AddressAllocator.lowestFree(
            in: range, network: network.name, used: Set(used.map { IPv4Address(UInt32($0)) }))
        try AddressAllocationRecord(
            network: network.name, address: Int64(address.value), nodeName: node, range: rangeName, allocatedAt: now
        ).insert(db)
        if network.name == "admin" {
            try db.execute(sql: "UPDATE nodes SET adminAddress = ?, updatedAt = ? WHERE name = ?", arguments: [address.description, now, node])
        }
        try appendEvent(.addressAllocated, subject: node, message: "\(network.name) address \(address) from range \(rangeName)", at: now, in: db)
        return address
    }
}
