/// What a node boots next, from its state (Crowbar's provisioner table): unknown and discovered machines run the
/// discovery image, installed ones boot their own disk. OS installation is not built yet, so allocated nodes also
/// boot their disk (the lab's SSH nodes are containers with Debian already on them).
public enum BootTarget: String, Sendable, Hashable {
    case discovery
    case localDisk = "local-disk"

    public init(state: NodeState?) {
        switch state {
        case nil, .discovering?, .discovered?, .deleted?: self = .discovery
        case .allocated?, .installing?, .installed?, .readying?, .ready?, .applying?, .problem?, .reinstall?: self = .localDisk
        }
    }

    /// The iPXE script for a machine with boot MAC `mac`.
    public func script(mac: MACAddress, endpoints: BootEndpoints, kernelArguments: String = "") -> String {
        switch self {
        case .discovery:
            let files = endpoints.httpBase + "/boot/files/discovery"
            let arguments = ["console=ttyS0", "quiet", "crowbar.url=\(endpoints.httpBase)", "crowbar.mac=\(mac)", kernelArguments]
                .filter { !$0.isEmpty }.joined(separator: " ")
            return """
                #!ipxe
                echo crowbar: discovery image for \(mac)
                kernel \(files)/vmlinuz \(arguments)
                initrd \(files)/initrd.img
                boot || goto retry
                :retry
                echo crowbar: discovery image not available, retrying in 10 s
                sleep 10
                chain \(endpoints.bootScriptURL(for: mac))

                """
        case .localDisk:
            return """
                #!ipxe
                echo crowbar: \(mac) boots from its local disk
                sanboot --no-describe --drive 0x80 || exit

                """
        }
    }

    /// What the discovery agent on a node in `state` should do next: stay up for inventory, or reboot into its
    /// next target.
    public static func agentInstruction(state: NodeState?) -> String {
        BootTarget(state: state) == .discovery ? "stay" : "reboot"
    }
}
