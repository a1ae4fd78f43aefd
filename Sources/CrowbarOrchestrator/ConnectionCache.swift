import CrowbarCore
import CrowbarSSH

/// The SSH transport: one connection per node for the length of a run, so later steps skip the handshake. A node is
/// only connected to with the host key pinned on its record (from its install report, its registration through the
/// API, or an operator); one without a pin is refused, never learned on first contact.
public actor ConnectionCache: NodeTransport {
    private let identity: SSHIdentity
    private let pool: SSHWorkerPool
    private let options: SSHOptions
    private var open: [String: SSHConnection] = [:]

    public init(identity: SSHIdentity, pool: SSHWorkerPool, options: SSHOptions = SSHOptions()) {
        self.identity = identity
        self.pool = pool
        self.options = options
    }

    func connection(to node: Node) async throws -> SSHConnection {
        if let connection = open[node.name] { return connection }
        guard let address = node.sshAddress else {
            throw SSHError(.unreachable, "node \(node.name) has no address yet (neither allocated nor reported)")
        }
        guard let pin = node.sshHostKey else {
            throw SSHError(
                .noPinnedKey,
                "node \(node.name) has no pinned SSH host key: install it (node allocate --os) or register it with its key (POST /nodes/discover with sshHostKey)")
        }
        let connection = try await SSHConnection.connect(
            to: SSHTarget(host: address.description), identity: identity, pinned: pin, options: options, pool: pool)
        open[node.name] = connection
        return connection
    }

    /// Runs the command on the node's cached connection; only the lookup is isolated to the actor, so the nodes' commands
    /// run side by side.
    public nonisolated func execute(
        _ command: String, stdin: [UInt8], timeout: Duration, on node: Node, output: @escaping @Sendable (SSHOutput) -> Void
    ) async throws -> SSHExit {
        try await connection(to: node).execute(command, stdin: stdin, timeout: timeout, output: output)
    }

    public func drop(_ node: String) async {
        await open.removeValue(forKey: node)?.close()
    }

    public func closeAll() async {
        for connection in open.values { await connection.close() }
        open = [:]
    }
}
