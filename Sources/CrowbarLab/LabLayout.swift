/// Names, addresses and folders of the virtual lab. The admin network is the network barclamp's default
/// (192.168.124.0/24): crowbard's side has the admin node's address, nodes boot with addresses from the
/// DHCP range. Everything lives in network namespaces the lab creates, plus one veth on the host.
public struct LabLayout: Sendable {
    /// Folder for the cached base root and the nodes' roots, consoles and PIDs.
    public var stateDirectory: String
    public var namespace = "crowbar-lab"
    public var bridge = "br0"
    /// The host end of the admin network, where crowbard listens and connects from.
    public var hostInterface = "crowbar0"
    public var prefixLength = 24
    public var adminAddress = "192.168.124.10"
    /// Node n gets `bootAddressBase + n` (192.168.124.21 for n1: the start of the DHCP range).
    public var bootAddressPrefix = "192.168.124."
    public var bootAddressBase = 20

    public init(stateDirectory: String) { self.stateDirectory = stateDirectory }

    public func nodeName(_ number: Int) -> String { "n\(number)" }
    public func nodeNamespace(_ number: Int) -> String { "crowbar-n\(number)" }
    /// The bridge-side end of node n's veth pair (the node side is `eth0` in its namespace).
    public func nodePort(_ number: Int) -> String { "cbn\(number)" }
    public func nodeAddress(_ number: Int) -> String { bootAddressPrefix + String(bootAddressBase + number) }
    /// A locally administered MAC derived from the node number.
    public func nodeMAC(_ number: Int) -> String { String(format: "52:54:00:77:00:%02x", number) }
    public func nodeDirectory(_ number: Int) -> String { "\(stateDirectory)/nodes/\(nodeName(number))" }
}
