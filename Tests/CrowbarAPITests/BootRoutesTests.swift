import CrowbarAPI
import CrowbarCore
import CrowbarStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The open boot service: per-node iPXE scripts from the node's state, the agent's instruction, registration limits,
/// and boot files confined to their folder.
@Suite struct BootRoutesTests {
    let endpoints = BootEndpoints(tftpServer: IPv4Address("192.168.124.10")!, httpBase: "http://192.168.124.10:8091")

    /// The boot router over a fresh harness, live on loopback; `reportsPerSecond` as in `buildBootRouter`.
    func run(reportsPerSecond: Double = 1, _ body: @Sendable (any TestClientProtocol, APIHarness) async throws -> Void) async throws {
        let harness = try APIHarness()
        let files = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-boot-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: files.appendingPathComponent("discovery"), withIntermediateDirectories: true)
        try Data("kernel".utf8).write(to: files.appendingPathComponent("discovery/vmlinuz"))
        defer { try? FileManager.default.removeItem(at: files) }
        let router = buildBootRouter(
            boot: harness.control.boot, install: harness.control.install, endpoints: endpoints, files: files.path, reportsPerSecond: reportsPerSecond,
            logger: Logger(label: "test"))
        // Live, over loopback: reports are judged by their sender's address (127.0.0.1).
        try await Application(router: router, logger: Logger(label: "test")).test(.live) { client in try await body(client, harness) }
    }

    func get(_ client: any TestClientProtocol, _ path: String) async throws -> (Int, String) {
        try await client.execute(uri: path, method: .get) { (Int($0.status.code), String(buffer: $0.body)) }
    }

    func post(_ client: any TestClientProtocol, _ path: String, _ body: String) async throws -> (Int, String) {
        try await client.execute(uri: path, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) {
            (Int($0.status.code), String(buffer: $0.body))
        }
    }

    @Test func scriptsFollowTheNodeState() async throws {
        try await run { client, harness in
            let (status, unknown) = try await get(client, "/boot/52-54-00-aa-00-01/boot.ipxe")
            #expect(status == 200)
            #expect(unknown.hasPrefix("#!ipxe"))
            #expect(unknown.contains("kernel http://192.168.124.10:8091/boot/files/discovery/vmlinuz"))
            #expect(unknown.contains("crowbar.mac=52:54:00:aa:00:01"))
            let stay = try await get(client, "/boot/52-54-00-aa-00-01/instruction")
            #expect(stay.1 == "stay\n")
            // Only a sender holding a lease reports; the address is that lease, not what the report claims.
            let unleased = try await post(client, "/boot/discover", #"{"macs":["52:54:00:aa:00:01"],"inventory":{"disks":[]}}"#)
            #expect(unleased.0 == 403 && unleased.1.contains("no current DHCP lease for 127.0.0.1"), "\(unleased)")
            try await lease("52:54:00:aa:00:01", harness)
            let registered = try await post(client, "/boot/discover", #"{"macs":["52:54:00:aa:00:01"],"address":"10.9.9.9","inventory":{"disks":[]}}"#)
            #expect(registered.0 == 201, "\(registered.1)")
            let name = Node.defaultName(bootMAC: MACAddress("52:54:00:aa:00:01")!)
            #expect(try await harness.database.node(named: name).bootAddress?.description == "127.0.0.1")
            // Allocated: it waits in the discovery image for its install; installing: the installer (no token without an
            // open attempt); installed: its disk.
            _ = try await harness.control.nodes.allocate(name)
            #expect(try await get(client, "/boot/52-54-00-aa-00-01/boot.ipxe").1.contains("initrd.img\nboot"))
            #expect(try await get(client, "/boot/52-54-00-aa-00-01/instruction").1 == "stay\n")
            try await harness.database.transition(node: name, to: .installing, reason: "test")
            #expect(try await get(client, "/boot/52-54-00-aa-00-01/boot.ipxe").1.contains("no install token"))
            #expect(try await get(client, "/boot/52-54-00-aa-00-01/instruction").1 == "reboot\n")
            try await harness.database.transition(node: name, to: .installed, reason: "test")
            let localDisk = try await get(client, "/boot/52-54-00-aa-00-01/boot.ipxe")
            #expect(localDisk.1.contains("sanboot"))
            // An allocated node cannot be re-reported through the open service.
            let again = try await post(client, "/boot/discover", #"{"macs":["52:54:00:aa:00:01"],"inventory":{"disks":[]}}"#)
            #expect(again.0 == 409, "\(again.1)")
        }
    }

    /// crowbard's DHCP leased `mac` the test client's address.
    func lease(_ mac: String, _ harness: APIHarness) async throws {
        try await harness.database.saveLeaseChanges([
            .bound(DHCPLease(mac: MACAddress(mac)!, address: IPv4Address("127.0.0.1")!, expiresAt: Date().addingTimeInterval(60)))
        ])
    }

    /// A stranger on the admin network, as tried: a report listing its own MAC and a real server's does not reach the
    /// server's node, claim its MAC or lock it out; a report about a MAC the sender was not leased is refused.
    @Test func aStrangerCannotClaimOrReachAnotherMachinesNode() async throws {
        try await run { client, harness in
            let victim = try await harness.control.nodes.register(
                DiscoveryReport(macs: ["52:54:00:99:00:01"], inventory: Inventory(cpuCount: 8))).node
            try await lease("02:aa:00:00:00:01", harness)
            let claim = try await post(
                client, "/boot/discover", #"{"macs":["02:aa:00:00:00:01","52:54:00:99:00:01"],"inventory":{"cpuCount":1,"disks":[]}}"#)
            #expect(claim.0 == 201, "\(claim.1)")
            let stranger = try await harness.database.node(named: "d02-aa-00-00-00-01")
            #expect(stranger.macs.map(\.description) == ["02:aa:00:00:00:01"], "the other machine's MAC is not taken")
            #expect(try await harness.database.node(named: victim.name).inventory.cpuCount == 8, "the real node is untouched")
            let impersonation = try await post(client, "/boot/discover", #"{"macs":["52:54:00:99:00:01"],"inventory":{"cpuCount":1,"disks":[]}}"#)
            #expect(impersonation.0 == 403 && impersonation.1.contains("does not name 02:aa:00:00:00:01"), "\(impersonation)")
            #expect(try await harness.database.node(named: victim.name).inventory.cpuCount == 8)
            // The real machine, leased the address, reports and is its own node, as before.
            try await lease("52:54:00:99:00:01", harness)
            let real = try await post(client, "/boot/discover", #"{"macs":["52:54:00:99:00:01"],"inventory":{"cpuCount":16,"disks":[]}}"#)
            #expect(real.0 == 200, "\(real.1)")
            #expect(try await harness.database.node(named: victim.name).inventory.cpuCount == 16)
            // Bounded: a body over 256 KiB is not read; more than 64 MACs are refused before anything is stored.
            let padding = String(repeating: "x", count: 300_000)
            let huge = try await post(client, "/boot/discover", #"{"macs":["52:54:00:99:00:01"],"inventory":{"disks":[],"vendor":""# + "\"\(padding)\"}}")
            #expect(huge.0 == 413, "\(huge.0)")
            let macs = (["\"52:54:00:99:00:01\""] + (0..<64).map { String(format: "\"52:54:00:99:01:%02x\"", $0) }).joined(separator: ",")
            let many = try await post(client, "/boot/discover", #"{"macs":["# + macs + #"],"inventory":{"disks":[]}}"#)
            #expect((400..<500).contains(many.0) && many.1.contains("at most 64 MAC addresses"), "\(many)")
        }
    }

    @Test func oneSenderCannotKeepCrowbardWriting() async throws {
        try await run(reportsPerSecond: 0.001) { client, harness in
            try await lease("52:54:00:aa:00:05", harness)
            var statuses: [Int] = []
            for _ in 0..<8 {
                statuses.append(try await post(client, "/boot/discover", #"{"macs":["52:54:00:aa:00:05"],"inventory":{"disks":[]}}"#).0)
            }
            #expect(statuses.prefix(5).allSatisfy { $0 == 200 || $0 == 201 }, "\(statuses)")
            #expect(statuses.suffix(3) == [429, 429, 429], "a burst of 5, then the sender waits for its rate")
        }
    }

    /// A connection that never sends a whole request (slowloris) is closed after the idle timeout.
    @Test func anIdleConnectionIsClosed() async throws {
        let harness = try APIHarness()
        let app = buildBootApplication(
            boot: harness.control.boot, install: harness.control.install, endpoints: endpoints, files: NSTemporaryDirectory(), repository: nil,
            host: "127.0.0.1", port: 0, idleTimeout: .seconds(1), logger: Logger(label: "test"))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(socket) }
            var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: in_port_t(UInt16(port).bigEndian), sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            #expect(connected == 0)
            _ = "GET /boot/52-54-00-aa-00-01/instruction HTTP/1.1\r\nHost: x".withCString { send(socket, $0, strlen($0), 0) }
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let started = ContinuousClock.now
            var buffer = [UInt8](repeating: 0, count: 512)
            let read = recv(socket, &buffer, buffer.count, 0)
            #expect(read == 0, "closed by crowbard, not answered or left open")
            // Well before the 30 s receive timeout; a loaded machine (CI builds beside the tests) is slower than 1 s.
            #expect(ContinuousClock.now - started < .seconds(15))
        }
    }

    @Test func badInputAndFilesOutsideTheFolderAreRefused() async throws {
        try await run { client, _ in
            let badMAC = try await get(client, "/boot/not-a-mac/boot.ipxe")
            #expect(badMAC.0 == 400)
            let broken = try await post(client, "/boot/discover", "{broken")
            #expect(broken.0 == 400)
            let kernel = try await get(client, "/boot/files/discovery/vmlinuz")
            #expect(kernel.0 == 200 && kernel.1 == "kernel")
            for path in ["/boot/files/../../etc/passwd", "/boot/files/%2e%2e/%2e%2e/etc/passwd"] {
                let escape = try await get(client, path)
                #expect(escape.0 == 404 || escape.0 == 400, "\(path): \(escape.0)")
                #expect(!escape.1.contains("root:"), "\(path) served a file outside the folder")
            }
        }
    }
}
