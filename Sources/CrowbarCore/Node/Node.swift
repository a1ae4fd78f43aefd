import Foundation

/// A server the admin node knows, from its first discovery on.
public struct Node: Sendable, Hashable, Codable {
    /// Unique name, `d` plus the boot MAC with dashes unless the operator chose one.
    public var name: String
    public var state: NodeState
    /// MAC addresses, the boot MAC first (JSON: `aa:bb:cc:dd:ee:ff` text).
    public var macs: [MACAddress]
    public var inventory: Inventory
    /// The address on the admin network, once allocated.
    public var adminAddress: IPv4Address?
    /// The address the node had when it last reported (from the DHCP pool), until it has an admin address.
    public var bootAddress: IPv4Address?
    /// The SSH host key crowbard trusts for this node: reported at discovery or learned at first contact.
    public var sshHostKey: HostKeyPin?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        name: String, state: NodeState, macs: [MACAddress], inventory: Inventory, adminAddress: IPv4Address? = nil,
        bootAddress: IPv4Address? = nil, sshHostKey: HostKeyPin? = nil, createdAt: Date, updatedAt: Date
    ) {
        self.name = name
        self.state = state
        self.macs = macs
        self.inventory = inventory
        self.adminAddress = adminAddress
        self.bootAddress = bootAddress
        self.sshHostKey = sshHostKey
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Where crowbard reaches the node over SSH.
    public var sshAddress: IPv4Address? { adminAddress ?? bootAddress }

    /// The name a node gets from its boot MAC: `d52-54-00-12-34-56`.
    public static func defaultName(bootMAC: MACAddress) -> String {
        "d" + bootMAC.dashed
    }
}

/// What the discovery agent found on a node.
public struct Inventory: Sendable, Hashable, Codable {
    public var cpuModel: String?
    public var cpuCount: Int?
    public var memoryMB: Int?
    public var disks: [Disk]
    public var vendor: String?
    public var product: String?
    public var serial: String?
    /// The BMC's LAN address, MAC and maker, as the agent read them in-band (`ipmitool lan print`, `mc info`).
    public var bmcAddress: String?
    public var bmcMAC: String?
    public var bmcVendor: String?

    public init(
        cpuModel: String? = nil, cpuCount: Int? = nil, memoryMB: Int? = nil, disks: [Disk] = [],
        vendor: String? = nil, product: String? = nil, serial: String? = nil, bmcAddress: String? = nil, bmcMAC: String? = nil,
        bmcVendor: String? = nil
    ) {
        self.cpuModel = cpuModel
        self.cpuCount = cpuCount
        self.memoryMB = memoryMB
        self.disks = disks
        self.vendor = vendor
        self.product = product
        self.serial = serial
        self.bmcAddress = bmcAddress
        self.bmcMAC = bmcMAC
        self.bmcVendor = bmcVendor
    }

    public struct Disk: Sendable, Hashable, Codable {
        public var name: String
        public var sizeBytes: Int64

        public init(name: String, sizeBytes: Int64) {
            self.name = name
            self.sizeBytes = sizeBytes
        }
    }
}

/// What the discovery agent posts to `POST /api/v1/nodes/discover`.
public struct DiscoveryReport: Sendable, Hashable, Codable {
    /// The most MACs a report may list (a machine with more NICs than that is not a server we know).
    public static let maxMACs = 64
    /// The largest report body the open boot service reads (an inventory of hundreds of disks fits).
    public static let maxBytes = 256 * 1024

    /// MAC addresses in any common notation; the first is the boot MAC.
    public var macs: [String]
    /// A name to use instead of the one derived from the boot MAC.
    public var name: String?
    public var inventory: Inventory
    /// The IPv4 address the agent has on the admin network.
    public var address: String?
    /// The node's SSH host key, when the agent runs on the installed system and can read it.
    public var sshHostKey: HostKeyPin?

    public init(macs: [String], name: String? = nil, inventory: Inventory, address: String? = nil, sshHostKey: HostKeyPin? = nil) {
        self.macs = macs
        self.name = name
        self.inventory = inventory
        self.address = address
        self.sshHostKey = sshHostKey
    }

    /// Refuses a report listing more than ``maxMACs`` MACs.
    public func checkSize() throws(CrowbarError) {
        guard macs.count <= Self.maxMACs else {
            throw CrowbarError(.invalid, "a discovery report lists at most \(Self.maxMACs) MAC addresses, not \(macs.count)")
        }
    }
}

/// An SSH host key by type and SHA-256 fingerprint (`SHA256:…`, as `ssh-keygen -l` prints it).
public struct HostKeyPin: Sendable, Hashable, Codable, CustomStringConvertible {
    public var type: String
    public var fingerprint: String

    public init(type: String, fingerprint: String) {
        self.type = type
        self.fingerprint = fingerprint
    }

    public var description: String { "\(type) \(fingerprint)" }
}
