import Foundation

/// An address bound to a client by an ACK, until `expiresAt`.
public struct DHCPLease: Sendable, Hashable, Codable {
    public var mac: MACAddress
    public var address: IPv4Address
    public var expiresAt: Date
    public var hostname: String?

    public init(mac: MACAddress, address: IPv4Address, expiresAt: Date, hostname: String? = nil) {
        self.mac = mac
        self.address = address
        self.expiresAt = expiresAt
        self.hostname = hostname
    }
}

/// The dynamic range's bookkeeping: bound leases, short-lived offers and declined addresses. No address is ever
/// held by two clients: leases and offers share one holder table. Pure; the server persists bound leases.
public struct DHCPLeasePool: Sendable {
    public let range: AddressRange
    /// How long an offered address is kept for the client that was offered it.
    public var offerHold: TimeInterval = 60
    /// How long a declined address (in use by someone else, RFC 2131 §3.1.5) is kept out of the pool.
    public var declineQuarantine: TimeInterval = 600

    public private(set) var leases: [MACAddress: DHCPLease] = [:]
    private var offers: [MACAddress: (address: IPv4Address, until: Date)] = [:]
    private var holders: [IPv4Address: MACAddress] = [:]
    private var declined: [IPv4Address: Date] = [:]
    private var cursor: UInt32

    public init(range: AddressRange, leases: [DHCPLease] = []) {
        self.range = range
        cursor = range.start.value
        for lease in leases where range.contains(lease.address) && holders[lease.address] == nil {
            self.leases[lease.mac] = lease
            holders[lease.address] = lease.mac
        }
    }

    /// The address to offer `mac`: its lease, its pending offer, the address it asks for if free, else the next
    /// free one after the last handed out. Nil when the pool is exhausted.
    public mutating func offer(to mac: MACAddress, requested: IPv4Address?, now: Date) -> IPv4Address? {
        if let lease = leases[mac] {
            if holders[lease.address] == mac { return lease.address }
            leases[mac] = nil  // lapsed, and its address went to someone else since
        }
        if let offer = offers[mac], offer.until > now, holders[offer.address] == mac {
            return offer.address
        }
        releaseOffer(of: mac)
        let address: IPv4Address
        if let requested, isFree(requested, now: now) {
            address = requested
        } else if let free = nextFree(now: now) {
            address = free
        } else {
            return nil
        }
        evictLapsedHolder(of: address)
        offers[mac] = (address, now.addingTimeInterval(offerHold))
        holders[address] = mac
        return address
    }

    /// Whether the pool has any record of `mac`: a lease, current or expired, or an offer.
    public func knows(_ mac: MACAddress) -> Bool { leases[mac] != nil || offers[mac] != nil }

    /// Whether `mac` may bind `address`: the pool offered it that address (and the offer stands), or `mac` holds or
    /// held a lease on it. Anything else is a REQUEST for an address nobody gave the client.
    public func wasGiven(_ address: IPv4Address, to mac: MACAddress, now: Date) -> Bool {
        if let offer = offers[mac], offer.address == address, offer.until > now { return true }
        return leases[mac]?.address == address
    }

    /// Binds `address` to `mac` if it is in the range and nobody else holds it; returns the lease to persist.
    public mutating func bind(
        _ address: IPv4Address, to mac: MACAddress, leaseTime: TimeInterval, hostname: String?, now: Date
    ) -> DHCPLease? {
        guard range.contains(address), declined[address].map({ $0 <= now }) ?? true else { return nil }
        if let holder = holders[address], holder != mac, !isExpired(address, now: now) { return nil }
        if let previous = leases[mac], previous.address != address, holders[previous.address] == mac { holders[previous.address] = nil }
        releaseOffer(of: mac)
        if holders[address] != mac { evictLapsedHolder(of: address) }
        let lease = DHCPLease(mac: mac, address: address, expiresAt: now.addingTimeInterval(leaseTime), hostname: hostname)
        leases[mac] = lease
        holders[address] = mac
        declined[address] = nil
        return lease
    }

    /// Forgets `mac`'s lease (RELEASE); returns whether there was one at `address`.
    @discardableResult
    public mutating func release(_ mac: MACAddress, address: IPv4Address) -> Bool {
        releaseOffer(of: mac)
        guard let lease = leases[mac], lease.address == address else { return false }
        leases[mac] = nil
        holders[address] = nil
        return true
    }

    /// Takes `address` out of the pool for a while (DECLINE) and forgets `mac`'s claim on it.
    public mutating func decline(_ address: IPv4Address, by mac: MACAddress, now: Date) -> Bool {
        guard range.contains(address), holders[address] == mac else { return false }
        leases[mac] = nil
        releaseOffer(of: mac)
        holders[address] = nil
        declined[address] = now.addingTimeInterval(declineQuarantine)
        return true
    }

    /// Drops an offer the client did not take (it chose another server).
    public mutating func releaseOffer(of mac: MACAddress) {
        guard let offer = offers.removeValue(forKey: mac) else { return }
        if holders[offer.address] == mac, leases[mac]?.address != offer.address { holders[offer.address] = nil }
    }

    private func isFree(_ address: IPv4Address, now: Date) -> Bool {
        guard range.contains(address) else { return false }
        if let until = declined[address], until > now { return false }
        return holders[address] == nil || isExpired(address, now: now)
    }

    /// Whether whatever holds `address` has lapsed: an expired lease or a stale offer.
    private func isExpired(_ address: IPv4Address, now: Date) -> Bool {
        guard let holder = holders[address] else { return true }
        if let lease = leases[holder], lease.address == address { return lease.expiresAt <= now }
        if let offer = offers[holder], offer.address == address { return offer.until <= now }
        return true
    }

    /// Forgets whoever held `address` before it lapsed, so no lease or offer of theirs still names it.
    private mutating func evictLapsedHolder(of address: IPv4Address) {
        guard let holder = holders[address] else { return }
        if leases[holder]?.address == address { leases[holder] = nil }
        if offers[holder]?.address == address { offers[holder] = nil }
        holders[address] = nil
    }

    /// Scans the range once from the cursor, so consecutive offers do not rescan the taken prefix.
    private mutating func nextFree(now: Date) -> IPv4Address? {
        let size = UInt32(range.size)
        for step in 0..<size {
            let candidate = IPv4Address(range.start.value + (cursor - range.start.value + step) % size)
            if isFree(candidate, now: now) {
                cursor = candidate.value == range.end.value ? range.start.value : candidate.value + 1
                return candidate
            }
        }
        return nil
    }
}
