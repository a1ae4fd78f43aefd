import CrowbarCore
import CrowbarSSH
import Metrics

/// The SSH transport: one connection per node, kept from step to step and from run to run (a batch's runs follow each
/// other), so only the first command pays the handshake; closed once no run has used them for `keepIdle`. A node is
/// only connected to with the host key pinned on its record (from its install report, its registration through the
/// API, or an operator); one without a pin is refused, never learned on first contact, and a kept connection is
/// replaced when the node's address or pin changed since.
public actor ConnectionCache: NodeTransport {
    private let identity: SSHIdentity
    private let pool: SSHWorkerPool
    private let options: SSHOptions
    private let port: Int
    private let keepIdle: Duration
    /// What its connections serve ("steps", "staging"): the `purpose` of its connection gauge.
    private let purpose: String
    private var open: [String: SSHConnection] = [:] {
        didSet { Gauge(label: "crowbar_ssh_connections", dimensions: [("purpose", purpose)]).record(open.count) }
    }
    /// Counts uses and run ends, so the closing that a run's end schedules is skipped when a later run came.
    private var generation = 0

    /// Connects to the nodes' sshd on `port`; connections no run used for `keepIdle` are closed.
    public init(
        identity: SSHIdentity, pool: SSHWorkerPool, options: SSHOptions = SSHOptions(), port: Int = 22,
        keepIdle: Duration = .seconds(60), purpose: String = "steps"
    ) {
        self.identity = identity
        self.pool = pool
        self.options = options
        self.port = port
        self.keepIdle = keepIdle
        self.purpose = purpose
    }

    /// The node's cached connection, or a new one; the flag says whether it came from the cache.
    func connection(to node: Node) async throws(SSHError) -> (connection: SSHConnection, cached: Bool) {
        generation += 1
        if let connection = open[node.name] {
            if connection.target.host == node.sshAddress?.description && connection.hostKey == node.sshHostKey {
                return (connection, true)
            }
            await forget(connection, of: node.name)
        }
        guard let address = node.sshAddress else {
            throw SSHError(.unreachable, "node \(node.name) has no address yet (neither allocated nor reported)")
        }
        guard let pin = node.sshHostKey else {
            throw SSHError(
                .noPinnedKey,
                "node \(node.name) has no pinned SSH host key: install it (node allocate --os) or register it with its key (POST /nodes/discover with sshHostKey)")
        }
        let connection = try await SSHConnection.connect(
            to: SSHTarget(host: address.description, port: port), identity: identity, pinned: pin, options: options, pool: pool)
        open[node.name] = connection
        return (connection, false)
    }

    /// Runs the command on the node's cached connection; only the lookup is isolated to the actor, so the nodes' commands
    /// run side by side. A cached connection on which the server opens no channel (it went stale while idle) is
    /// replaced once: nothing ran on it, so sending the command again runs it once.
    public nonisolated func execute(
        _ command: String, stdin: [UInt8], timeout: Duration, on node: Node, output: @escaping @Sendable (SSHOutput) -> Void
    ) async throws -> SSHExit {
        let found = try await connection(to: node)
        do {
            return try await found.connection.execute(command, stdin: stdin, timeout: timeout, output: output)
        } catch {
            guard found.cached, error.code == .channelOpen else { throw error }
            await forget(found.connection, of: node.name)
            return try await connection(to: node).connection.execute(command, stdin: stdin, timeout: timeout, output: output)
        }
    }

    /// Closes `connection` and removes it from the cache if it is still the node's.
    private func forget(_ connection: SSHConnection, of node: String) async {
        if open[node] === connection { open[node] = nil }
        await connection.close()
    }

    public func drop(_ node: String) async {
        await open.removeValue(forKey: node)?.close()
    }

    /// Keeps the connections for the next run, closing them after `keepIdle` unless a command used them meanwhile. (The
    /// orchestrator runs one run at a time, so nothing is using a connection when this closes it.)
    public func runEnded() async {
        generation += 1
        let ended = generation, keepIdle = keepIdle
        Task { [weak self] in
            try? await Task.sleep(for: keepIdle)
            await self?.closeAll(ifIdleSince: ended)
        }
    }

    private func closeAll(ifIdleSince ended: Int) async {
        if generation == ended { await closeAll() }
    }

    /// Closes every connection.
    public func closeAll() async {
        let closing = open.values
        open = [:]
        for connection in closing { await connection.close() }
    }
}
