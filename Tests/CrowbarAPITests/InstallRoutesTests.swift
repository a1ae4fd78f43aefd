import CrowbarAPI
import CrowbarControl
import CrowbarCore
import CrowbarStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The installer's calls on the open boot service, over a real socket (the peer address is checked): the token is
/// given only to the node's DHCP lease, every call needs it, from that address, before the deadline; the report pins
/// the host key; forged, replayed and late reports are refused and lose nothing.
@Suite struct InstallRoutesTests {
    static let mac = MACAddress("52:54:00:aa:10:01")!
    static let macPath = "52-54-00-aa-10-01"
    static let node = Node.defaultName(bootMAC: mac)
    /// A real ed25519 public key line (from ssh-keygen) and its fingerprint as `ssh-keygen -l -E sha256` prints it.
    static let hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINyKK4gMz+34Ln3yTjE6qGVPSXy6yOLnlOKq7vkMNATG"
    static let otherKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC2RjBQs42C+E7Mmg8IUFNsrxXztPFFx1wzef0KKdfPC"

    final class Harness: Sendable {
        let api: APIHarness
        let files: URL

        init(timeout: Duration = .seconds(600), sshAnswers: Bool = false) throws {
            files = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-install-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: files.appendingPathComponent("os"), withIntermediateDirectories: true)
            try Data("image".utf8).write(to: files.appendingPathComponent("os/debian-12-0123456789abcdef.tar.zst"))
            let manifest = "key 0123456789abcdef\nfile debian-12-0123456789abcdef.tar.zst\nsha256 \(String(repeating: "ab", count: 32))\nbytes 5\nrawBytes 600000000\n"
            try Data(manifest.utf8).write(to: files.appendingPathComponent("os/debian-12.manifest"))
            let endpoints = BootEndpoints(tftpServer: IPv4Address("127.0.0.1")!, httpBase: "http://127.0.0.1:8091")
            let settings = InstallSettings(
                images: OSImageDirectory(bootFiles: files.path), endpoints: endpoints, authorizedKey: { "ssh-ed25519 AAAAcrowbard crowbard" },
                repositoryKey: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n",
                sshAnswers: { _ in sshAnswers }, timeout: timeout, bootTimeout: .seconds(60))
            api = try APIHarness(install: settings)
        }

        deinit { try? FileManager.default.removeItem(at: files) }

        /// A discovered node with one disk of `diskBytes`, its DHCP lease at `leaseAddress`.
        func discovered(diskBytes: Int64 = 2 << 30, leaseAddress: String = "127.0.0.1") async throws {
            _ = try await api.database.register(DiscoveryReport(
                macs: [InstallRoutesTests.mac.description], inventory: Inventory(disks: [.init(name: "vda", sizeBytes: diskBytes)])))
            try await api.database.saveLeaseChanges([
                .bound(DHCPLease(mac: InstallRoutesTests.mac, address: IPv4Address(leaseAddress)!, expiresAt: Date().addingTimeInterval(600)))
            ])
        }

        func run(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
            let router = buildBootRouter(
                boot: api.control.boot, install: api.control.install, endpoints: BootEndpoints(tftpServer: IPv4Address("127.0.0.1")!, httpBase: "http://127.0.0.1:8091"),
                files: files.path, logger: Logger(label: "test"))
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Logger(label: "test"))
            try await app.test(.live) { client in try await body(client) }
        }
    }

    static func get(_ client: any TestClientProtocol, _ path: String, token: String? = nil) async throws -> (Int, String) {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: path, method: .get, headers: headers) { (Int($0.status.code), String(buffer: $0.body)) }
    }

    static func post(_ client: any TestClientProtocol, _ path: String, _ body: String, token: String?) async throws -> (Int, String) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body)) {
            (Int($0.status.code), String(buffer: $0.body))
        }
    }

    /// The token a boot script carries on its kernel line.
    static func token(in script: String) -> String? {
        script.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("crowbar.token=") }.map { String($0.dropFirst("crowbar.token=".count)) }
    }

    @Test func theInstallerIsTrustedOnlyWithItsTokenFromItsLeaseAndItsReportPinsTheKey() async throws {
        let harness = try Harness()
        try await harness.discovered()
        let node = try await harness.api.control.install.allocate(Self.node, request: AllocateRequest(os: "debian-12"), actor: "test")
        #expect(node.state == .installing)
        try await harness.run { client in
            let base = "/boot/\(Self.macPath)"
            let script = try await Self.get(client, "\(base)/boot.ipxe").1
            #expect(script.contains("crowbar.mode=install"))
            #expect(script.contains("initrd http://127.0.0.1:8091/boot/files/discovery/initrd.img\ninitrd http://127.0.0.1:8091/boot/files/discovery/install.img"))
            let first = try #require(Self.token(in: script))
            // iPXE's retry fetches the script again: a new token, and the first one stops working.
            let token = try #require(Self.token(in: try await Self.get(client, "\(base)/boot.ipxe").1))
            #expect(token != first && token.count == 43)
            #expect(try await Self.get(client, "\(base)/install/plan").0 == 403)
            #expect(try await Self.get(client, "\(base)/install/plan", token: first).0 == 403)
            // Another node's MAC path (that node has no install), and this node's token from another address.
            _ = try await harness.api.database.register(DiscoveryReport(macs: ["52:54:00:aa:10:02"], inventory: Inventory()))
            #expect(try await Self.get(client, "/boot/52-54-00-aa-10-02/install/plan", token: token).0 == 403, "another node's path")
            let elsewhere = await #expect(throws: CrowbarError.self) {
                try await harness.api.control.install.plan(mac: Self.mac, token: token, source: IPv4Address("192.168.124.99"))
            }
            #expect(elsewhere?.code == .forbidden && elsewhere?.message.contains("taken only from 127.0.0.1") == true)
            let (status, plan) = try await Self.get(client, "\(base)/install/plan", token: token)
            #expect(status == 200, "\(plan)")
            #expect(plan.contains("DISK=vda\n") && plan.contains("HOSTNAME=\(Self.node)\n") && plan.contains("BOOT_MAC=\(Self.mac)\n"))
            #expect(plan.contains("IMAGE_URL=http://127.0.0.1:8091/boot/files/os/debian-12-0123456789abcdef.tar.zst\n"))
            let address = try #require(try await harness.api.database.node(named: Self.node).adminAddress)
            #expect(plan.contains("ADDRESS=\(address)/24\n"))
            #expect(try await Self.post(client, "\(base)/install/progress", #"{"phase":"image","message":"writing"}"#, token: token).0 == 204)
            // Once the plan is out, a new boot script carries no token: only that installer speaks for the node.
            #expect(Self.token(in: try await Self.get(client, "\(base)/boot.ipxe").1) == nil)
            #expect(try await Self.post(client, "\(base)/install/done", #"{"hostKey":"not a key"}"#, token: token).0 == 422)
            #expect(try await Self.post(client, "\(base)/install/done", #"{"hostKey":"\#(Self.hostKey)"}"#, token: first).0 == 403)
            #expect(try await Self.post(client, "\(base)/install/done", #"{"hostKey":"\#(Self.hostKey)"}"#, token: token).0 == 204)
            let installed = try await harness.api.database.node(named: Self.node)
            #expect(installed.state == .installed)
            #expect(installed.sshHostKey == HostKeyPin(type: "ssh-ed25519", fingerprint: "SHA256:ibuq8zSM90vPYsbe1QbqHO+3hikGevG88mr8a/anNqc"))
            // The installer lost the answer and says it again: same node, nothing changes.
            #expect(try await Self.post(client, "\(base)/install/done", #"{"hostKey":"\#(Self.hostKey)"}"#, token: token).0 == 204)
            #expect(try await harness.api.database.node(named: Self.node).state == .installed)
            #expect(try await Self.get(client, "\(base)/boot.ipxe").1.contains("sanboot"))
            // The same token with another key: two machines answered for one node. Loud, and the pin goes.
            #expect(try await Self.post(client, "\(base)/install/done", #"{"hostKey":"\#(Self.otherKey)"}"#, token: token).0 == 409)
            let forged = try await harness.api.database.node(named: Self.node)
            #expect(forged.state == .problem && forged.sshHostKey == nil)
            let log = try await harness.api.control.install.status(of: Self.node).log.map(\.text)
            #expect(log.contains { $0.contains("the previous token no longer works") })
            #expect(log.contains { $0.contains("install token used again with another host key") })
            #expect(log.filter { $0.contains("after the plan went out") }.count == 1, "noted once")
            // Once the node has moved on, the used token is refused and changes nothing.
            #expect(try await Self.post(client, "\(base)/install/done", #"{"hostKey":"\#(Self.hostKey)"}"#, token: token).0 == 403)
            #expect(try await harness.api.database.node(named: Self.node).state == .problem)
        }
    }

    @Test func theInstallersFailureIsTheNodesProblemAndAReinstallStartsOver() async throws {
        let harness = try Harness()
        try await harness.discovered()
        _ = try await harness.api.control.install.allocate(Self.node, request: AllocateRequest(os: "debian-12", disk: "vda"), actor: "test")
        try await harness.run { client in
            let token = try #require(Self.token(in: try await Self.get(client, "/boot/\(Self.macPath)/boot.ipxe").1))
            #expect(try await Self.post(client, "/boot/\(Self.macPath)/install/failed", #"{"reason":"disk vda has 100 MiB"}"#, token: token).0 == 204)
            #expect(try await Self.post(client, "/boot/\(Self.macPath)/install/failed", #"{"reason":"again"}"#, token: token).0 == 403)
        }
        let failed = try await harness.api.database.node(named: Self.node)
        #expect(failed.state == .problem)
        #expect(try await harness.api.control.install.status(of: Self.node).attempt.failure == "installer: disk vda has 100 MiB")
        let again = try await harness.api.control.install.reinstall(Self.node, actor: "test")
        #expect(again.state == .installing && again.sshHostKey == nil)
        let attempt = try await harness.api.control.install.status(of: Self.node).attempt
        #expect(attempt.status == .open && attempt.disk == "vda" && attempt.id == 2)
    }

    @Test func anInstalledNodeMovesOnWhenSSHAnswersAndFailsWhenItStaysSilent() async throws {
        for answers in [true, false] {
            let harness = try Harness(sshAnswers: answers)
            try await harness.discovered()
            _ = try await harness.api.control.install.allocate(Self.node, request: AllocateRequest(os: "debian-12"), actor: "test")
            try await harness.run { client in
                let token = try #require(Self.token(in: try await Self.get(client, "/boot/\(Self.macPath)/boot.ipxe").1))
                #expect(try await Self.post(client, "/boot/\(Self.macPath)/install/done", #"{"hostKey":"\#(Self.hostKey)"}"#, token: token).0 == 204)
            }
            try await harness.api.control.install.sweep(now: Date().addingTimeInterval(answers ? 0 : 120))
            // This crowbard has no orchestrator: readying stays readying (with one, the barclamps would be applied).
            #expect(try await harness.api.database.node(named: Self.node).state == (answers ? .readying : .problem))
        }
    }

    @Test func aNameThatIsNoHostNameIsRefusedBeforeAnythingBoots() async throws {
        let harness = try Harness()
        _ = try await harness.api.database.register(DiscoveryReport(
            macs: ["52:54:00:aa:10:09"], name: "web_1", inventory: Inventory(disks: [.init(name: "vda", sizeBytes: 4 << 30)])))
        let error = await #expect(throws: CrowbarError.self) {
            try await harness.api.control.install.allocate("web_1", request: AllocateRequest(os: "debian-12"), actor: "test")
        }
        #expect(error?.code == .invalid && error?.message.contains("takes only a-z, 0-9 and '-'") == true)
        #expect(try await harness.api.database.node(named: "web_1").state == .discovered)
    }

    @Test func aScriptAskedForFromAnotherAddressCarriesNoToken() async throws {
        let harness = try Harness()
        try await harness.discovered(leaseAddress: "192.168.124.77")
        _ = try await harness.api.control.install.allocate(Self.node, request: AllocateRequest(os: "debian-12"), actor: "test")
        try await harness.run { client in
            let script = try await Self.get(client, "/boot/\(Self.macPath)/boot.ipxe").1
            #expect(Self.token(in: script) == nil)
            #expect(script.contains("no install token"))
        }
        let address = try #require(try await harness.api.database.node(named: Self.node).adminAddress)
        let log = try await harness.api.control.install.status(of: Self.node).log.map(\.text)
        #expect(log.contains { $0.contains("not the address \(Self.mac) gets by DHCP (\(address) or 192.168.124.77): no token given") })
    }

    @Test func aDiskTooSmallIsRefusedBeforeAnythingBootsAndTheNodeStaysDiscovered() async throws {
        let harness = try Harness()
        try await harness.discovered(diskBytes: 256 << 20)
        let error = await #expect(throws: CrowbarError.self) {
            try await harness.api.control.install.allocate(Self.node, request: AllocateRequest(os: "debian-12"), actor: "test")
        }
        #expect(error?.code == .invalid)
        #expect(error?.message.contains("no disk of at least 717 MiB (disks: vda 256 MiB)") == true, "\(error?.message ?? "")")
        #expect(try await harness.api.database.node(named: Self.node).state == .discovered)
        let unknown = await #expect(throws: CrowbarError.self) {
            try await harness.api.control.install.allocate(Self.node, request: AllocateRequest(os: "windows-95"), actor: "test")
        }
        #expect(unknown?.code == .notFound && unknown?.message.contains("images: debian-12") == true)
    }

    @Test func aCallAfterTheDeadlineIsRefusedEvenBeforeTheWatcherSeesIt() async throws {
        let harness = try Harness(timeout: .seconds(1))
        try await harness.discovered()
        _ = try await harness.api.control.install.allocate(Self.node, request: AllocateRequest(os: "debian-12"), actor: "test")
        try await harness.run { client in
            let token = try #require(Self.token(in: try await Self.get(client, "/boot/\(Self.macPath)/boot.ipxe").1))
            try await Task.sleep(for: .milliseconds(1500))
            let (status, body) = try await Self.get(client, "/boot/\(Self.macPath)/install/plan", token: token)
            #expect(status == 403 && body.contains("past its deadline"), "\(body)")
        }
        #expect(try await harness.api.database.node(named: Self.node).state == .installing, "until the watcher fails it")
    }

    @Test func anInstallPastItsDeadlineFailsWithTheReasonAndItsTokenStopsWorking() async throws {
        let harness = try Harness()
        try await harness.discovered()
        _ = try await harness.api.control.install.allocate(Self.node, request: AllocateRequest(os: "debian-12"), actor: "test")
        try await harness.run { client in
            let token = try #require(Self.token(in: try await Self.get(client, "/boot/\(Self.macPath)/boot.ipxe").1))
            #expect(try await Self.post(client, "/boot/\(Self.macPath)/install/progress", #"{"phase":"image","message":"x"}"#, token: token).0 == 204)
            // A sweep as a crowbard restarted an hour later would make it, from the database alone.
            try await harness.api.control.install.sweep(now: Date().addingTimeInterval(3600))
            let node = try await harness.api.database.node(named: Self.node)
            #expect(node.state == .problem)
            let attempt = try await harness.api.control.install.status(of: Self.node).attempt
            #expect(attempt.status == .failed && attempt.failure == "no report from the installer by the deadline (last phase image)")
            #expect(try await Self.post(client, "/boot/\(Self.macPath)/install/done", #"{"hostKey":"\#(Self.hostKey)"}"#, token: token).0 == 403)
        }
    }
}
