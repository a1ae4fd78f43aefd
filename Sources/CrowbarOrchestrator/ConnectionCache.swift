import CrowbarCore
import CrowbarSSH
import CrowbarStore

/// One SSH connection per node for the length of a run, so later steps skip the handshake. Host keys are
/// pinned from the node record, or learned on first contact and stored as the node's pin.
actor ConnectionCache {
    private let database: CrowbarDatabase
    private let identity: SSHIdentity
    private let pool: SSHWorkerPool
    private let options: SSHOptions
    private var open: [String: SSHConnection] = [:]

    init(database: CrowbarDatabase, identity: SSHIdentity, pool: SSHWorkerPool, options: SSHOptions) {
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
            to: SSHTarget(host: address), identity: identity, hostKeyPolicy: policy, options: options, pool: pool)
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

    /// Forgets a node's connection after a failure, so the next step reconnects.
    func drop(_ node: String) async {
        await open.removeValue(forKey: node)?.close()
    }

    func closeAll() async {
        for connection in open.values { await connection.close() }
        open = [:]
    }
}
