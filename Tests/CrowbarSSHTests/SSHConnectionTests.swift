import CrowbarCore
import CrowbarSSH
import Foundation
import Synchronization
import Testing

/// Collects streamed output from the pool threads.
final class OutputCollector: Sendable {
    private let chunks = Mutex<[SSHOutput]>([])
    func append(_ output: SSHOutput) { chunks.withLock { $0.append(output) } }
    func text(_ stream: SSHOutput.Stream) -> String {
        String(decoding: chunks.withLock { $0.filter { $0.stream == stream }.flatMap(\.bytes) }, as: UTF8.self)
    }
    func byteCount(_ stream: SSHOutput.Stream) -> Int {
        chunks.withLock { $0.filter { $0.stream == stream }.reduce(0) { $0 + $1.bytes.count } }
    }
}

@Suite("SSH against a real OpenSSH server", .serialized)
struct SSHConnectionTests {
    let server: LocalSSHServer
    /// One pool for the suite, as crowbard has one for all nodes.
    static let sharedPool = SSHWorkerPool(threadCount: 4)
    var pool: SSHWorkerPool { Self.sharedPool }

    let serverKey: HostKeyPin

    init() async throws {
        server = try await LocalSSHServer.start()
        serverKey = HostKeyPin(type: "ssh-ed25519", fingerprint: try await server.openSSHFingerprint())
    }

    /// Connects with the server's key pinned, as ssh-keygen computes its fingerprint (or with `pinned`).
    private func connect(pinned: HostKeyPin? = nil) async throws -> SSHConnection {
        try await SSHConnection.connect(to: server.target, identity: server.client, pinned: pinned ?? serverKey, pool: pool)
    }

    @Test func executesWithSeparateStreamsAndExitStatus() async throws {
        let connection = try await connect()
        let collector = OutputCollector()
        let exit = try await connection.execute("echo out; echo err >&2; exit 3", timeout: .seconds(10), output: collector.append)
        #expect(exit == SSHExit(status: 3))
        #expect(collector.text(.stdout) == "out\n")
        #expect(collector.text(.stderr) == "err\n")
        let second = try await connection.execute("true", timeout: .seconds(10))
        #expect(second.succeeded)
    }

    @Test func sendsStdinAndStreamsLargeOutput() async throws {
        let connection = try await connect()
        let echoed = OutputCollector()
        _ = try await connection.execute("cat", stdin: Array("line 1\nline 2\n".utf8), timeout: .seconds(10), output: echoed.append)
        #expect(echoed.text(.stdout) == "line 1\nline 2\n")
        let large = OutputCollector()
        let exit = try await connection.execute(
            "head -c 3000000 /dev/zero; head -c 500000 /dev/zero >&2", timeout: .seconds(30), output: large.append)
        #expect(exit.succeeded)
        #expect(large.byteCount(.stdout) == 3_000_000)
        #expect(large.byteCount(.stderr) == 500_000)
    }

    @Test func reportsTheSignalThatKilledACommand() async throws {
        let connection = try await connect()
        let exit = try await connection.execute("kill -KILL $$", timeout: .seconds(10))
        #expect(exit.signal == "KILL")
        #expect(!exit.succeeded)
    }

    @Test func uploadsOverSFTPWithTheGivenMode() async throws {
        let connection = try await connect()
        let path = server.folder.appendingPathComponent("uploaded.conf").path
        let content = Array((0..<200_000).map { UInt8($0 % 251) })
        try await connection.upload(content, to: path, mode: 0o640)
        #expect(FileManager.default.contents(atPath: path) == Data(content))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o640)
        await #expect(throws: SSHError.self) {
            try await connection.upload([1], to: "/nonexistent-dir/file")
        }
    }

    @Test func fingerprintMatchesOpenSSHAndOnlyThePinnedKeyIsAccepted() async throws {
        let connection = try await connect()
        #expect(connection.hostKey == serverKey)
        let impostor = HostKeyPin(type: "ssh-ed25519", fingerprint: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        let error = await #expect(throws: SSHError.self) { try await connect(pinned: impostor) }
        #expect(error?.code == .hostKeyMismatch)
        #expect(error?.message.contains(serverKey.fingerprint) == true)
    }

    @Test func refusesAKeyTheServerDoesNotKnow() async throws {
        let stranger = try await SSHIdentity.loadOrCreate(in: server.folder.appendingPathComponent("stranger").path)
        let error = await #expect(throws: SSHError.self) {
            try await SSHConnection.connect(to: server.target, identity: stranger, pinned: serverKey, pool: pool)
        }
        #expect(error?.code == .authentication)
    }

    @Test func aHungCommandTimesOutAndTheConnectionIsRetired() async throws {
        let connection = try await connect()
        let started = ContinuousClock.now
        let error = await #expect(throws: SSHError.self) { try await connection.execute("sleep 30", timeout: .seconds(1)) }
        #expect(error?.code == .commandTimeout)
        #expect(ContinuousClock.now - started < .seconds(5))
        let after = await #expect(throws: SSHError.self) { try await connection.execute("true", timeout: .seconds(5)) }
        #expect(after?.code == .channel)
    }

    @Test func cancellingTheTaskStopsTheCommand() async throws {
        let connection = try await connect()
        let started = ContinuousClock.now
        let task = Task { try await connection.execute("sleep 30", timeout: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let error = await #expect(throws: SSHError.self) { try await task.value }
        #expect(error?.code == .cancelled)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func manyConnectionsShareASmallPool() async throws {
        let (target, identity, pool, serverKey) = (server.target, server.client, pool, serverKey)
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<16 {
                group.addTask {
                    let connection = try await SSHConnection.connect(
                        to: target, identity: identity, pinned: serverKey, pool: pool)
                    let collector = OutputCollector()
                    _ = try await connection.execute("echo \(index)", timeout: .seconds(30), output: collector.append)
                    await connection.close()
                    return collector.text(.stdout)
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(results == Set((0..<16).map { "\($0)\n" }))
    }

    @Test func aClosedPortIsUnreachable() async throws {
        let target = SSHTarget(host: "127.0.0.1", port: try LocalSSHServer.freePort(), user: server.user)
        let error = await #expect(throws: SSHError.self) {
            try await SSHConnection.connect(to: target, identity: server.client, pinned: serverKey, pool: pool)
        }
        #expect(error?.code == .unreachable)
    }
}
