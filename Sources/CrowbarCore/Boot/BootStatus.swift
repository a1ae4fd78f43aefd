/// The body of `GET /api/v1/boot`: the DHCP leases on record and what the boot services counted since crowbard
/// started (received and sent DHCP message types, malformed packets by reason, TFTP transfers and refusals).
public struct BootStatus: Sendable, Hashable, Codable {
    public var leases: [DHCPLease]
    public var counters: [String: Int]

    public init(leases: [DHCPLease], counters: [String: Int]) {
        self.leases = leases
        self.counters = counters
    }
}
