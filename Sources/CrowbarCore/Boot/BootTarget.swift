/// What a node boots next, from its state (Crowbar's provisioner table): unknown, discovered and allocated machines
/// run the discovery image (an allocated one waits there for its install), installing ones the installer (the
/// discovery image with install.img on top), installed ones their own disk. A node in `problem` boots its disk if
/// an OS was installed on it, else the discovery image.
public enum BootTarget: String, Sendable, Hashable {
    case discovery
    case install
    case localDisk = "local-disk"

    /// - Parameter hasInstalledOS: whether an install finished on the node (or it came with an OS and a pinned key).
    public init(state: NodeState?, hasInstalledOS: Bool = false) {
        switch state {
        case nil, .discovering?, .discovered?, .deleted?, .allocated?: self = .discovery
        case .installing?, .reinstall?: self = .install
        case .installed?, .readying?, .ready?, .applying?: self = .localDisk
        case .problem?: self = hasInstalledOS ? .localDisk : .discovery
        }
    }

    /// The iPXE script for a machine with boot MAC `mac`. An install script carries the node's one-time install
    /// token on the kernel command line (never in a URL, so no access log holds it).
    public func script(mac: MACAddress, endpoints: BootEndpoints, kernelArguments: String = "", installToken: String? = nil) -> String {
        switch self {
        case .discovery:
            return Self.imageScript(mac: mac, endpoints: endpoints, label: "discovery image", initrds: ["initrd.img"], arguments: [kernelArguments])
        case .install:
            guard let installToken else {
                return """
                    #!ipxe
                    :retry
                    echo crowbar: no install token for \(mac) (the request did not come from its DHCP address); retrying in 10 s
                    sleep 10
                    chain \(endpoints.bootScriptURL(for: mac)) || goto retry

                    """
            }
            return Self.imageScript(
                mac: mac, endpoints: endpoints, label: "installer", initrds: ["initrd.img", "install.img"],
                arguments: ["crowbar.mode=install", "crowbar.token=\(installToken)", kernelArguments])
        case .localDisk:
            return """
                #!ipxe
                echo crowbar: \(mac) boots from its local disk
                sanboot --no-describe --drive 0x80 || exit

                """
        }
    }

    private static func imageScript(mac: MACAddress, endpoints: BootEndpoints, label: String, initrds: [String], arguments: [String]) -> String {
        let files = endpoints.httpBase + "/boot/files/discovery"
        let command = (["console=ttyS0", "quiet", "crowbar.url=\(endpoints.httpBase)", "crowbar.mac=\(mac)"] + arguments)
            .filter { !$0.isEmpty }.joined(separator: " ")
        return """
            #!ipxe
            echo crowbar: \(label) for \(mac)
            kernel \(files)/vmlinuz \(command)
            \(initrds.map { "initrd \(files)/\($0)" }.joined(separator: "\n"))
            boot || goto retry
            :retry
            echo crowbar: \(label) not available, retrying in 10 s
            sleep 10
            chain \(endpoints.bootScriptURL(for: mac)) || goto retry

            """
    }

    /// What the discovery agent on a node in `state` should do next: stay up for inventory, or reboot into its
    /// next target.
    public static func agentInstruction(state: NodeState?) -> String {
        BootTarget(state: state) == .discovery ? "stay" : "reboot"
    }
}
