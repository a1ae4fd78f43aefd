import CrowbarAPI
import CrowbarCore
import CrowbarStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The open boot service: per-node iPXE scripts from the node's state, the agent's instruction, registration limits,
/// and boot files confined to their folder.
@Suite struct BootRoutesTests {
    let endpoints = BootEndpoints(tftpServer: IPv4Address("192.168.124.10")!, httpBase: "http://192.168.124.10:8091")

    func run(_ body: @Sendable (any TestClientProtocol, APIHarness) async throws -> Void) async throws {
        let harness = try APIHarness()
        let files = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-boot-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: files.appendingPathComponent("discovery"), withIntermediateDirectories: true)
        try Data("kernel".utf8).write(to: files.appendingPathComponent("discovery/vmlinuz"))
        defer { try? FileManager.default.removeItem(at: files) }
        let router = buildBootRouter(boot: harness.control.boot, install: harness.control.install, endpoints: endpoints, files: files.path, logger: Logger(label: "test"))
        try await Application(router: router, logger: Logger(label: "test")).test(.router) { client in try await body(client, harness) }
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
            // The address is the boot MAC's lease, not what the report claims.
            try await harness.database.saveLeaseChanges([
                .bound(DHCPLease(mac: MACAddress("52:54:00:aa:00:01")!, address: IPv4Address("192.168.124.23")!, expiresAt: Date().addingTimeInterval(60)))
            ])
            let registered = try await post(client, "/boot/discover", #"{"macs":["52:54:00:aa:00:01"],"address":"10.9.9.9","inventory":{"disks":[]}}"#)
            #expect(registered.0 == 201, "\(registered.1)")
            let name = Node.defaultName(bootMAC: MACAddress("52:54:00:aa:00:01")!)
            #expect(try await harness.database.node(named: name).bootAddress?.description == "192.168.124.23")
            let unleased = try await post(client, "/boot/discover", #"{"macs":["52:54:00:aa:00:02"],"address":"10.9.9.9","inventory":{"disks":[]}}"#)
            #expect(unleased.0 == 201)
            #expect(try await harness.database.node(named: "d52-54-00-aa-00-02").bootAddress == nil)
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
