import CrowbarCore
import CrowbarSSH
import CrowbarStore

/// The SSH transport: one connection per node for the length of a run, so later steps skip the handshake. Host keys
/// are pinned from the node record, or learned on first contact and stored as the node's pin.
public actor ConnectionCache: NodeTransport {
    private let database: CrowbarDatabase
    private let identity: SSHIdentity
    private let pool: SSHWorkerPool
    private let options: SSHOptions
    private var open: [String: SSHConnection] = [:]

    public init(database: CrowbarDatabase, identity: SSHIdentity, pool: SSHWorkerPool, options: SSHOptions = SSHOptions()) {
        self.database = database
        self.identity = identity
        self.pool = pool
        self.options = options
    }

    func connection(to node: Node) async throws -> SSHConnection {
        if let connection = open[node.name] { return connection }
        guard let address = node.sshAddress else {
            throw SSHError(.unreachable, "node \(node.name) has no address yet (neither allocated nor reported)")
        }
        let policy: HostKeyPolicy = node.sshHostKey.map { .pinned($0) } ?? .trustOnFirstUse
        let connection = try await SSHConnection.connect(
            to: SSHTarget(host: address.description), identity: identity, hostKeyPolicy: policy, options: options, pool: pool)
        if node.sshHostKey == nil {
            let seen = connection.hostKey
            let pinned = try await database.pinHostKey(node: node.name, key: seen)
            guard pinned == seen else {
                await connection.close()
                throw SSHError(.hostKeyMismatch, "host key of \(node.name) changed: pinned \(pinned), presented \(seen)")
            }
        }
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
