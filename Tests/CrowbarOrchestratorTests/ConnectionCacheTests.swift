import CrowbarCore
import CrowbarSSH
import Foundation
import Testing

@testable import CrowbarOrchestrator

/// No trust on first use: a node without a pinned host key is refused before any connection is made.
@Suite struct ConnectionCacheTests {
    @Test func aNodeWithoutAPinnedKeyIsNeverConnectedTo() async throws {
        let pool = SSHWorkerPool(threadCount: 1)
        let cache = ConnectionCache(identity: SSHIdentity(privateKeyPath: "/nonexistent", publicKeyPath: "/nonexistent.pub"), pool: pool)
        let node = Node(
            name: "n1", state: .ready, macs: [], inventory: Inventory(), adminAddress: IPv4Address("127.0.0.1"), createdAt: Date(), updatedAt: Date())
        let error = await #expect(throws: SSHError.self) {
            try await cache.execute("true", stdin: [], timeout: .seconds(5), on: node) { _ in }
        }
        #expect(error?.code == .noPinnedKey)
        #expect(error?.message.contains("node n1 has no pinned SSH host key") == true)
        await pool.shutdown()
    }
}
