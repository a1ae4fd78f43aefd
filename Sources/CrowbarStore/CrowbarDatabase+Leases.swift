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

    /// The unexpired lease of `address`, if any: who crowbard's DHCP gave that address.
    public func currentLease(of address: IPv4Address, now: Date = Date()) async throws -> DHCPLease? {
        try await writer.read { db in
            try DHCPLeaseRecord.filter(Column("address") == Int64(address.value) && Column("expiresAt") > now).fetchOne(db)?.lease
        }
    }

    /// Makes lease changes durable in one transaction, before their replies are sent; whoever held a bound address
    /// before (an expired lease) loses it.
    public func saveLeaseChanges(_ changes: [DHCPLeaseChange]) async throws {
        try await write { db in
            // Statements compiled once per connection: a batch under load holds thousands of changes, and building
            // the SQL for each took most of the commit's time.
            let evict = try db.cachedStatement(sql: "DELETE FROM dhcpLeases WHERE address = ? AND mac != ?")
            let bind = try db.cachedStatement(sql: """
                INSERT INTO dhcpLeases (mac, address, expiresAt, hostname) VALUES (?, ?, ?, ?)
                ON CONFLICT(mac) DO UPDATE SET address = excluded.address, expiresAt = excluded.expiresAt, hostname = excluded.hostname
                """)
            let release = try db.cachedStatement(sql: "DELETE FROM dhcpLeases WHERE mac = ?")
            for change in changes {
                switch change {
                case .bound(let lease):
                    let record = DHCPLeaseRecord(lease)
                    try evict.execute(arguments: [record.address, record.mac])
                    try bind.execute(arguments: [record.mac, record.address, record.expiresAt, record.hostname])
                case .released(let mac):
                    try release.execute(arguments: [mac.description])
                }
            }
        }
    }

    /// The node whose MACs include `mac`, if any: its boot target and its reserved admin address come from it.
    public func node(withMAC mac: MACAddress) async throws -> Node? {
        try await writer.read { db in
            guard let owner = try NodeMACRecord.fetchOne(db, key: mac.description) else { return nil }
            return try Self.fetchNode(owner.nodeName, in: db)
        }
    }

    /// The admin addresses reserved for allocated nodes, by each of their MACs, as they change: the current value
    /// first, then a new one after every commit that touches nodes or their MACs.
    public func reservations() -> AsyncValueObservation<[MACAddress: IPv4Address]> {
        ValueObservation.tracking(Self.fetchReservations).values(in: writer)
    }

    /// The reservations as they are now.
    public func currentReservations() async throws -> [MACAddress: IPv4Address] {
        try await writer.read(Self.fetchReservations)
    }

    static func fetchReservations(_ db: Database) throws -> [MACAddress: IPv4Address] {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT nodeMacs.mac, nodes.adminAddress FROM nodeMacs JOIN nodes ON nodes.name = nodeMacs.nodeName WHERE nodes.adminAddress IS NOT NULL")
        var reservations: [MACAddress: IPv4Address] = [:]
        for row in rows {
            if let mac = MACAddress(row[0] as String), let address = IPv4Address(row[1] as String) { reservations[mac] = address }
        }
        return reservations
    }
}
