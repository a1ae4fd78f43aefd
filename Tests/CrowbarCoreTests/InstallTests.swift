import CrowbarCore
import Foundation
import Testing

/// The pure parts of OS installs: what each state boots, the disk choice, the image manifest and
/// the plan's lines.
@Suite struct InstallTests {
    @Test(arguments: NodeState.allCases)
    func everyStateBootsWhatTheTableSays(state: NodeState) {
        let expected: (BootTarget, BootTarget) = switch state {
        case .discovering, .discovered, .allocated, .deleted: (.discovery, .discovery)
        case .installing, .reinstall: (.install, .install)
        case .installed, .readying, .ready, .applying: (.localDisk, .localDisk)
        case .problem: (.discovery, .localDisk)
        }
        #expect(BootTarget(state: state, hasInstalledOS: false) == expected.0)
        #expect(BootTarget(state: state, hasInstalledOS: true) == expected.1)
        #expect(BootTarget.agentInstruction(state: state) == (BootTarget(state: state) == .discovery ? "stay" : "reboot"))
    }

    @Test func theInstallScriptCarriesTheTokenOnTheKernelLineAndLoadsBothInitramfses() {
        let endpoints = BootEndpoints(tftpServer: IPv4Address("10.0.0.1")!, httpBase: "http://10.0.0.1:8091")
        let script = BootTarget.install.script(mac: MACAddress("52:54:00:00:00:01")!, endpoints: endpoints, installToken: "T0KEN")
        #expect(script.contains("crowbar.mode=install crowbar.token=T0KEN"))
        #expect(script.contains("initrd http://10.0.0.1:8091/boot/files/discovery/initrd.img\ninitrd http://10.0.0.1:8091/boot/files/discovery/install.img\n"))
        #expect(!script.contains("T0KEN/") && !script.contains("?"), "never in a URL")
    }

    let disks = [Inventory.Disk(name: "sda", sizeBytes: 512 << 20), Inventory.Disk(name: "nvme0n1", sizeBytes: 4 << 30), Inventory.Disk(name: "sdb", sizeBytes: 8 << 30)]

    @Test func theFirstDiskLargeEnoughIsChosenUnlessOneIsAskedFor() throws {
        #expect(try InstallDisk.choose(from: disks, requested: nil, minimumBytes: 1 << 30, node: "n").name == "nvme0n1")
        #expect(try InstallDisk.choose(from: disks, requested: "sdb", minimumBytes: 1 << 30, node: "n").name == "sdb")
        let small = #expect(throws: CrowbarError.self) { try InstallDisk.choose(from: disks, requested: "sda", minimumBytes: 1 << 30, node: "n") }
        #expect(small?.message == "disk sda of node n has 512 MiB, the image needs 1024 MiB")
        let missing = #expect(throws: CrowbarError.self) { try InstallDisk.choose(from: disks, requested: "vdz", minimumBytes: 1, node: "n") }
        #expect(missing?.message == "node n has no disk vdz (disks: sda 512 MiB, nvme0n1 4096 MiB, sdb 8192 MiB)")
        let none = #expect(throws: CrowbarError.self) { try InstallDisk.choose(from: [], requested: nil, minimumBytes: 1, node: "n") }
        #expect(none?.message == "node n has no disk of at least 0 MiB (disks: none reported)")
        #expect(none?.context["field"] == "disk")
    }

    @Test func theManifestIsReadStrictly() throws {
        let good = "key k\nfile debian-12-k.tar.zst\nsha256 \(String(repeating: "AB", count: 32))\nbytes 164002337\nrawBytes 583401462\n"
        let image = try #require(OSImage(name: "debian-12", manifest: good))
        #expect(image.sha256 == String(repeating: "ab", count: 32))
        #expect(image.minimumDiskBytes == 697 << 20)  // 583401462 × 1.25 + 1 MiB, rounded up to a MiB
        #expect(OSImage(name: "x", manifest: good.replacingOccurrences(of: "debian-12-k.tar.zst", with: "../etc/passwd.tar.zst")) == nil)
        #expect(OSImage(name: "x", manifest: good.replacingOccurrences(of: "sha256 ", with: "sha256 zz")) == nil)
        #expect(OSImage(name: "x", manifest: "file a.tar.zst\n") == nil)
    }

    @Test func aValueCannotForgeAnotherLineOfThePlan() {
        let plan = InstallPlan(
            disk: "vda", minimumBytes: 1, rootUUID: "u", imageURL: "http://a/i.tar.zst", imageSHA256: "s", hostname: "n\nDISK=sdb", address: "10.0.0.5/24",
            gateway: nil, dns: IPv4Address("10.0.0.1"), bootMAC: MACAddress("52:54:00:00:00:01")!, authorizedKey: "ssh-ed25519 A", repository: "http://a/debian",
            repositoryKey: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDME\n-----END PGP PUBLIC KEY BLOCK-----\n")
        let lines = plan.text.split(separator: "\n")
        #expect(lines.count == 13)
        #expect(lines.last.map { Data(base64Encoded: String($0.dropFirst("REPOSITORY_KEY=".count))) } == Data(plan.repositoryKey.utf8))
        #expect(lines.filter { $0.hasPrefix("DISK=") } == ["DISK=vda"])
        #expect(lines.contains("HOSTNAME=nDISK=sdb") && lines.contains("GATEWAY=") && lines.contains("DNS=10.0.0.1"))
    }
}
