import Foundation

/// Names, addresses and folders of the virtual lab. The admin network is the network barclamp's default
/// (192.168.124.0/24): crowbard's side has the admin node's address, nodes boot with addresses from the
/// DHCP range. Everything lives in network namespaces the lab creates, plus one veth on the host.
public struct LabLayout: Sendable {
    /// Folder for the cached base root and the nodes' roots, consoles and PIDs.
    public var stateDirectory: String
    public var namespace = "crowbar-lab"
    public var bridge = "br0"
    /// The data network's bridge, the lab's trunked switch: every node's `eth1` is on it, untagged for the flat
    /// provider network and tagged for project VLANs (a Linux bridge without VLAN filtering passes tags through).
    public var dataBridge = "br1"
    /// The host end of the admin network, where crowbard listens and connects from.
    public var hostInterface = "crowbar0"
    public var prefixLength = 24
    public var adminAddress = "192.168.124.10"
    /// Node n gets `bootAddressBase + n` (192.168.124.61 for n1: the top of the DHCP range, which the DHCP server
    /// hands out from the bottom, so PXE-booted VMs and these static nodes do not meet below 40 VMs).
    public var bootAddressPrefix = "192.168.124."
    public var bootAddressBase = 60

    public init(stateDirectory: String) { self.stateDirectory = stateDirectory }

    public func nodeName(_ number: Int) -> String { "n\(number)" }
    public func nodeNamespace(_ number: Int) -> String { "crowbar-n\(number)" }
    /// The bridge-side end of node n's veth pair (the node side is `eth0` in its namespace).
    public func nodePort(_ number: Int) -> String { "cbn\(number)" }
    /// The data-bridge end of node n's second veth pair (the node side is `eth1`).
    public func nodeDataPort(_ number: Int) -> String { "cbd\(number)" }
    public func nodeAddress(_ number: Int) -> String { bootAddressPrefix + String(bootAddressBase + number) }
    /// A locally administered MAC derived from the node number.
    public func nodeMAC(_ number: Int) -> String { String(format: "52:54:00:77:00:%02x", number) }
    public func nodeDirectory(_ number: Int) -> String { "\(stateDirectory)/nodes/\(nodeName(number))" }

    /// The numbers of the folders under `<state>/<kind>` named `<prefix><number>`, in order.
    func numbers(of kind: String, prefix: String) -> [Int] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(stateDirectory)/\(kind)")) ?? [])
            .compactMap { $0.hasPrefix(prefix) ? Int($0.dropFirst(prefix.count)) : nil }.sorted()
    }

    public func machineName(_ number: Int) -> String { "vm\(number)" }
    /// The boot MAC of PXE machine n (52:54:00:77:01:nn), apart from the container nodes' MACs.
    public func machineMAC(_ number: Int) -> String { String(format: "52:54:00:77:01:%02x", number) }
    /// The tap device of PXE machine n, on the bridge in the lab's namespace.
    public func machineTap(_ number: Int) -> String { "cbvm\(number)" }
    public func machineDirectory(_ number: Int) -> String { "\(stateDirectory)/machines/\(machineName(number))" }
    /// PXE machine n's BMC (ipmi_sim) answers IPMI on the bmc network's host range: 192.168.124.162 for vm1.
    public func machineBMCAddress(_ number: Int) -> String { bootAddressPrefix + String(161 + number) }
    /// The BMC's LAN MAC, as the machine's in-band interface reports it.
    public func machineBMCMAC(_ number: Int) -> String { String(format: "52:54:00:77:02:%02x", number) }
    /// The loopback port (in the lab's namespace) where machine n's QEMU reaches its BMC's in-band KCS interface.
    public func machineKCSPort(_ number: Int) -> Int { 9100 + number }
    public var bmcUsername: String { "admin" }
}
