import CrowbarCore
import Foundation
import GRDB

/// One row of `dhcpLeases`: the address bound to a MAC by the DHCP server.
struct DHCPLeaseRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "dhcpLeases"
    var mac: String
    var address: Int64
    var expiresAt: Date
    var hostname: String?

    init(_ lease: DHCPLease) {
        mac = lease.mac.description
        address = Int64(lease.address.value)
        expiresAt = lease.expiresAt
        hostname = lease.hostname
    }

    var lease: DHCPLease? {
        MACAddress(mac).map { DHCPLease(mac: $0, address: IPv4Address(UInt32(address)), expiresAt: expiresAt, hostname: hostname) }
    }
}

extension CrowbarDatabase {
    /// Every DHCP lease on record, expired ones included (the server skips those).
    public func dhcpLeases() async throws -> [DHCPLease] {
        try await writer.read { db in try DHCPLeaseRecord.order(Column("address")).fetchAll(db).compactMap(\.lease) }
    }

    /// Records a bound lease before its ACK is sent; whoever held the address before (an expired lease) loses it.
    public func saveLease(_ lease: DHCPLease) async throws {
        try await writer.write { db in
            try DHCPLeaseRecord.filter(Column("address") == Int64(lease.address.value) && Column("mac") != lease.mac.description)
                .deleteAll(db)
            try DHCPLeaseRecord(lease).upsert(db)
        }
    }

    /// Forgets `mac`'s lease (released or declined).
    public func deleteLease(mac: MACAddress) async throws {
        _ = try await writer.write { db in try DHCPLeaseRecord.deleteOne(db, key: mac.description) }
    }

    /// The node whose MACs include `mac`, if any: its boot target and its reserved admin address come from it.
    public func node(withMAC mac: MACAddress) async throws -> Node? {
        try await writer.read { db in
            guard let owner = try NodeMACRecord.fetchOne(db, key: mac.description) else { return nil }
            return try Self.fetchNode(owner.nodeName, in: db)
        }
    }

    /// The admin address reserved for the node owning `mac` (set when it was allocated), if any.
    public func reservedAddress(for mac: MACAddress) async throws -> IPv4Address? {
        try await writer.read { db in
            let text = try String.fetchOne(
                db,
                sql: "SELECT nodes.adminAddress FROM nodeMacs JOIN nodes ON nodes.name = nodeMacs.nodeName WHERE nodeMacs.mac = ?",
                arguments: [mac.description])
            return text.flatMap(IPv4Address.init)
        }
    }
}
