import Foundation

/// A PXE-booting machine of the lab as the lab made it.
public struct LabMachine: Sendable, Hashable, Codable {
    public var name: String
    public var mac: String
    public var pid: Int32?
    public var running: Bool
    /// The machine's serial console, where the firmware, kernel and discovery agent print.
    public var console: String
}

/// QEMU machines (software emulation, no KVM) with an empty disk and a virtio NIC on the lab's bridge, booting
/// from the network: firmware iPXE → crowbard's DHCP → boot.ipxe over HTTP → the discovery image.
struct LabMachines {
    let layout: LabLayout

    func start(_ number: Int, memoryMB: Int = 512) async throws {
        let directory = layout.machineDirectory(number)
        if let stale = pid(number) { await Command.stop(stale) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let disk = directory + "/disk.img"
        if !FileManager.default.fileExists(atPath: disk) { try await Command.run("truncate", ["-s", "2G", disk]) }
        let tap = layout.machineTap(number)
        _ = await Command.succeeds("ip", ["-n", layout.namespace, "link", "delete", tap])
        try await Command.run("ip", ["-n", layout.namespace, "tuntap", "add", tap, "mode", "tap"])
        try await Command.run("ip", ["-n", layout.namespace, "link", "set", tap, "master", layout.bridge, "up"])
        try? FileManager.default.removeItem(atPath: directory + "/console.log")
        let pid = try Command.detach(
            "ip",
            [
                "netns", "exec", layout.namespace, "qemu-system-x86_64", "-accel", "tcg", "-m", String(memoryMB), "-smp", "1",
                "-display", "none", "-monitor", "none", "-serial", "file:\(directory)/console.log", "-boot", "n",
                "-netdev", "tap,id=n0,ifname=\(tap),script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,mac=\(layout.machineMAC(number))",
                "-drive", "file=\(disk),if=virtio,format=raw",
                "-smbios", "type=1,manufacturer=crowbar-lab,product=pxe-machine,serial=\(layout.machineName(number))",
            ],
            environment: [:], logFile: directory + "/qemu.log")
        try Command.record(pid, in: directory)
    }

    func status(_ number: Int) -> LabMachine {
        LabMachine(
            name: layout.machineName(number), mac: layout.machineMAC(number), pid: pid(number),
            running: Command.isRunning(pid(number)), console: layout.machineDirectory(number) + "/console.log")
    }

    func stop(_ number: Int) async {
        if let pid = pid(number) { await Command.stop(pid) }
        _ = await Command.succeeds("ip", ["-n", layout.namespace, "link", "delete", layout.machineTap(number)])
        try? FileManager.default.removeItem(atPath: layout.machineDirectory(number))
    }

    func numbers() -> [Int] { layout.numbers(of: "machines", prefix: "vm") }

    private func pid(_ number: Int) -> pid_t? { Command.recordedPID(in: layout.machineDirectory(number)) }
}
