import CrowbarCore
import Foundation

/// A PXE-booting machine of the lab as the lab made it, with its BMC.
public struct LabMachine: Sendable, Hashable, Codable {
    public var name: String
    public var mac: String
    /// QEMU's process while the machine is powered on.
    public var pid: Int32?
    public var running: Bool
    /// The machine's serial console, where the firmware, kernel and discovery agent print.
    public var console: String
    /// Where its BMC (ipmi_sim) answers IPMI 2.0 over LAN, port 623, and as whom; the password is in
    /// ``Lab/bmcPassword(of:)`` (not here: this is printed by `--json`).
    public var bmcAddress: String
    public var bmcUsername: String
    public var bmcRunning: Bool
}

/// QEMU machines (software emulation, no KVM) with an empty disk and a virtio NIC on the lab's bridge, booting
/// from the network: firmware iPXE → crowbard's DHCP → boot.ipxe over HTTP → the discovery image. Each is owned by
/// its BMC, an `ipmi_sim` on the bmc network that starts QEMU on power-on and ends it on power-off, and that the
/// guest also sees in-band (KCS, /dev/ipmi0).
struct LabMachines {
    let layout: LabLayout

    /// Sets machine `number` up (disk, tap, BMC address, BMC) and starts its BMC, the machine powered off.
    func start(_ number: Int) async throws {
        let directory = layout.machineDirectory(number)
        await stop(number, keepFolder: true)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let disk = directory + "/disk.img"
        if !FileManager.default.fileExists(atPath: disk) { try await Command.run("truncate", ["-s", "2G", disk]) }
        let tap = layout.machineTap(number)
        let ns = layout.namespace
        try await Command.run("ip", ["-n", ns, "tuntap", "add", tap, "mode", "tap"])
        try await Command.run("ip", ["-n", ns, "link", "set", tap, "master", layout.bridge, "up"])
        try await Command.run("ip", ["-n", ns, "link", "set", "lo", "up"])
        try await Command.run("ip", ["-n", ns, "addr", "replace", "\(layout.machineBMCAddress(number))/\(layout.prefixLength)", "dev", layout.bridge])
        try? FileManager.default.removeItem(atPath: directory + "/console.log")
        let bmc = try simulator(number)
        try bmc.start(namespace: ns)
        try await configureLAN(number, password: bmc.password)
    }

    /// The BMC of machine `number`; its password is made (and kept, mode 0600) the first time.
    func simulator(_ number: Int) throws -> BMCSimulator {
        let directory = layout.machineDirectory(number)
        let arguments = [
            "-accel", "tcg", "-m", "512", "-smp", "1", "-display", "none", "-monitor", "none", "-serial", "file:\(directory)/console.log",
            "-boot", "n", "-pidfile", "\(directory)/qemu.pid",
            "-netdev", "tap,id=n0,ifname=\(layout.machineTap(number)),script=no,downscript=no",
            "-device", "virtio-net-pci,netdev=n0,mac=\(layout.machineMAC(number))",
            "-drive", "file=\(directory)/disk.img,if=virtio,format=raw",
            "-smbios", "type=1,manufacturer=crowbar-lab,product=pxe-machine,serial=\(layout.machineName(number))",
        ]
        return BMCSimulator(
            folder: directory, address: layout.machineBMCAddress(number), port: 623, username: layout.bmcUsername,
            password: try password(number), machine: .qemu(arguments: arguments, kcsPort: layout.machineKCSPort(number)))
    }

    func status(_ number: Int) -> LabMachine {
        let bmc = try? simulator(number)
        return LabMachine(
            name: layout.machineName(number), mac: layout.machineMAC(number), pid: qemuPID(number), running: Command.isRunning(qemuPID(number)),
            console: layout.machineDirectory(number) + "/console.log", bmcAddress: layout.machineBMCAddress(number),
            bmcUsername: layout.bmcUsername, bmcRunning: bmc?.pid != nil)
    }

    /// Stops the BMC and the machine, removes its tap and BMC address and, unless `keepFolder`, its folder.
    func stop(_ number: Int, keepFolder: Bool = false) async {
        let directory = layout.machineDirectory(number)
        if let bmc = try? simulator(number) { await bmc.stop() }
        if let pid = qemuPID(number) { await Command.stop(pid) }
        _ = await Command.succeeds("ip", ["-n", layout.namespace, "link", "delete", layout.machineTap(number)])
        _ = await Command.succeeds(
            "ip", ["-n", layout.namespace, "addr", "del", "\(layout.machineBMCAddress(number))/\(layout.prefixLength)", "dev", layout.bridge])
        if !keepFolder { try? FileManager.default.removeItem(atPath: directory) }
    }

    func numbers() -> [Int] { layout.numbers(of: "machines", prefix: "vm") }

    /// The BMC password of machine `number` (16 random letters and digits, made on first use, mode 0600).
    func password(_ number: Int) throws -> String {
        let file = layout.machineDirectory(number) + "/bmc-password"
        if let saved = try? String(contentsOfFile: file, encoding: .utf8), !saved.isEmpty { return saved }
        try FileManager.default.createDirectory(atPath: layout.machineDirectory(number), withIntermediateDirectories: true)
        let password = Secrets.random(length: 16)  // IPMI carries at most 20 bytes
        FileManager.default.createFile(atPath: file, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600])
        return password
    }

    /// Gives the BMC the LAN settings a factory-configured BMC has (what the discovery agent reads in-band):
    /// ipmi_sim listens where lan.conf says but reports 0.0.0.0 until told. Waits (bounded: 50 × 200 ms) for it to
    /// answer before, and again after, the settings (it may miss requests while it applies them).
    private func configureLAN(_ number: Int, password: String) async throws {
        let base = ["-I", "lanplus", "-H", layout.machineBMCAddress(number), "-U", layout.bmcUsername, "-E", "-C", "3", "-N", "1", "-R", "1"]
        let environment = ["IPMI_PASSWORD": password]
        func waitUntilAnswering() async throws {
            for _ in 0..<50 {
                if (try? await Command.run("ipmitool", base + ["power", "status"], environment: environment)) != nil { return }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw LabError(
                "\(layout.machineName(number))'s BMC did not answer at \(layout.machineBMCAddress(number)); see \(layout.machineDirectory(number))/bmc/sim.log")
        }
        try await waitUntilAnswering()
        for setting in [["ipaddr", layout.machineBMCAddress(number)], ["netmask", "255.255.255.0"], ["macaddr", layout.machineBMCMAC(number)]] {
            try await Command.run("ipmitool", base + ["lan", "set", "1"] + setting, environment: environment)
        }
        try await waitUntilAnswering()
    }

    private func qemuPID(_ number: Int) -> pid_t? {
        (try? String(contentsOfFile: layout.machineDirectory(number) + "/qemu.pid", encoding: .utf8))
            .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            .flatMap { Command.isRunning($0) ? $0 : nil }
    }
}
