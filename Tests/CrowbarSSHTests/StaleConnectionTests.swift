import CrowbarCore
import CrowbarOrchestrator
import CrowbarSSH
import Foundation
import Testing

/// A cached connection whose server side died while it sat idle is replaced, and the command runs once on the new one.
@Suite struct StaleConnectionTests {
    @Test(.enabled(if: getuid() == 0, "the nodes' user is root")) func aDeadCachedConnectionIsReplacedOnce() async throws {
        let server = try await LocalSSHServer.start()
        let pool = SSHWorkerPool(threadCount: 2)
        let cache = ConnectionCache(identity: server.client, pool: pool, port: server.port)
        let pin = HostKeyPin(type: "ssh-ed25519", fingerprint: try await server.openSSHFingerprint())
        let node = Node(
            name: "n1", state: .ready, macs: [], inventory: Inventory(), adminAddress: IPv4Address("127.0.0.1"), sshHostKey: pin,
            createdAt: Date(), updatedAt: Date())
        let marker = server.folder.appendingPathComponent("runs").path
        /// Appends a line to the marker file and prints the pid of the sshd process serving the connection.
        func run() async throws -> pid_t {
            let collected = OutputCollector()
            let exit = try await cache.execute("echo x >> \(marker); echo $PPID", stdin: [], timeout: .seconds(20), on: node) {
                collected.append($0)
            }
            #expect(exit.status == 0)
            return try #require(pid_t(collected.text(.stdout).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let first = try await run()
        #expect(try await run() == first, "the second command reuses the cached connection")
        // The session's sshd process dies, as when a node's sshd restarts while crowbard idles between steps.
        kill(first, SIGKILL)
        try await Task.sleep(for: .milliseconds(200))
        let third = try await run()
        #expect(third != first)
        #expect(try String(contentsOfFile: marker, encoding: .utf8) == "x\nx\nx\n", "each command ran exactly once")
        await cache.closeAll()
        await pool.shutdown()
    }
}

