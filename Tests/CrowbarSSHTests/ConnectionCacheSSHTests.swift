import CrowbarCore
import CrowbarOrchestrator
import CrowbarSSH
import Foundation
import Testing

/// The orchestrator's connection cache against a real sshd: connections kept between commands and between runs, a dead
/// one replaced, an idle one closed, a node whose record changed reconnected to.
@Suite(.enabled(if: getuid() == 0, "the nodes' user is root")) struct ConnectionCacheSSHTests {
    /// A cache of connections to a local sshd, its node, and a marker file each command appends a line to.
    struct Fixture {
        let server: LocalSSHServer
        let pool = SSHWorkerPool(threadCount: 2)
        let cache: ConnectionCache
        var node: Node
        var marker: String { server.folder.appendingPathComponent("runs").path }

        init(keepIdle: Duration = .seconds(60), options: SSHOptions = SSHOptions()) async throws {
            server = try await LocalSSHServer.start()
            cache = ConnectionCache(identity: server.client, pool: pool, options: options, port: server.port, keepIdle: keepIdle)
            node = Node(
                name: "n1", state: .ready, macs: [], inventory: Inventory(), adminAddress: IPv4Address("127.0.0.1"),
                sshHostKey: HostKeyPin(type: "ssh-ed25519", fingerprint: try await server.openSSHFingerprint()),
                createdAt: Date(), updatedAt: Date())
        }

        /// Runs a command that appends a line to the marker file; answers the pid of the sshd process serving the
        /// connection it ran on (one per connection).
        func run() async throws -> pid_t {
            let collected = OutputCollector()
            let exit = try await cache.execute("echo x >> \(marker); echo $PPID", stdin: [], timeout: .seconds(20), on: node) {
                collected.append($0)
            }
            #expect(exit.status == 0)
            return try #require(pid_t(collected.text(.stdout).trimmingCharacters(in: .whitespacesAndNewlines)))
        }

        func shutdown() async {
            await cache.closeAll()
            await pool.shutdown()
        }
    }

    /// Whether `pid` ends within 5 s.
    static func ends(_ pid: pid_t) async throws -> Bool {
        for _ in 0..<50 {
            if kill(pid, 0) != 0 { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// A cached connection whose server side died while it sat idle is replaced, and the command runs once on the new one.
    @Test func aDeadCachedConnectionIsReplacedOnce() async throws {
        let fixture = try await Fixture()
        let first = try await fixture.run()
        #expect(try await fixture.run() == first, "the second command reuses the cached connection")
        // The session's sshd process dies, as when a node's sshd restarts while crowbard idles between steps.
        kill(first, SIGKILL)
        try await Task.sleep(for: .milliseconds(200))
        let third = try await fixture.run()
        #expect(third != first)
        #expect(try String(contentsOfFile: fixture.marker, encoding: .utf8) == "x\nx\nx\n", "each command ran exactly once")
        await fixture.shutdown()
    }

    /// A kept connection whose peer went silent (its sshd process stopped, as a node powered off) opens no channel
    /// within `channelOpenTimeout`; it is replaced, and the command runs once on the new one.
    @Test func aSilentCachedConnectionIsReplacedAfterTheChannelOpenTimeout() async throws {
        let fixture = try await Fixture(options: SSHOptions(channelOpenTimeout: .seconds(1)))
        let first = try await fixture.run()
        kill(first, SIGSTOP)
        defer { kill(first, SIGKILL) }
        let started = ContinuousClock.now
        let second = try await fixture.run()
        #expect(second != first)
        #expect(ContinuousClock.now - started < .seconds(10), "replaced after the channel-open timeout, not the command's")
        #expect(try String(contentsOfFile: fixture.marker, encoding: .utf8) == "x\nx\n", "each command ran exactly once")
        await fixture.shutdown()
    }

    /// The next run of a batch skips the handshake; once no run came for `keepIdle`, the connection is closed.
    @Test func aConnectionIsKeptForTheNextRunThenClosedWhenIdle() async throws {
        let fixture = try await Fixture(keepIdle: .milliseconds(600))
        let first = try await fixture.run()
        await fixture.cache.runEnded()
        #expect(try await fixture.run() == first, "the next run reuses the connection")
        await fixture.cache.runEnded()
        #expect(try await Self.ends(first), "the idle connection is closed (its sshd process ends)")
        #expect(try await fixture.run() != first)
        await fixture.shutdown()
    }

    /// A node whose pinned key changed since (re-installed, re-registered) is connected to again, under the new pin: here
    /// one the server does not have, so the connection is refused rather than the kept one used.
    @Test func aKeptConnectionIsNotUsedOnceTheNodesPinChanged() async throws {
        var fixture = try await Fixture()
        let first = try await fixture.run()
        fixture.node.sshHostKey = HostKeyPin(type: "ssh-ed25519", fingerprint: "SHA256:" + String(repeating: "A", count: 43))
        let error = await #expect(throws: SSHError.self) { try await fixture.run() }
        #expect(error?.code == .hostKeyMismatch)
        #expect(try await Self.ends(first), "the connection made under the old pin is closed")
        await fixture.shutdown()
    }
}
