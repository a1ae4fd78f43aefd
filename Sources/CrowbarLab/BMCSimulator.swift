import Foundation

/// OpenIPMI's `ipmi_sim` as a machine's BMC (LAB.md's recipe): IPMI 2.0 over LAN at `address:port` with one admin
/// user, owning either a power file (a chassis script keeps the power in `<folder>/power`: tests) or a QEMU machine
/// that it starts on power-on and stops on power-off, with an in-band KCS interface the guest sees as /dev/ipmi0.
public struct BMCSimulator: Sendable {
    public enum Machine: Sendable {
        /// Power is a file; nothing runs.
        case powerFile
        /// `qemu-system-x86_64 arguments…`, given the KCS device that connects to this BMC on loopback `kcsPort`.
        case qemu(arguments: [String], kcsPort: Int)
    }

    public var folder: String
    public var address: String
    public var port: Int
    public var username: String
    public var password: String
    public var machine: Machine

    public init(folder: String, address: String, port: Int, username: String = "admin", password: String, machine: Machine) {
        self.folder = folder
        self.address = address
        self.port = port
        self.username = username
        self.password = password
        self.machine = machine
    }

    /// Whether ipmi_sim is installed.
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/ipmi_sim") }

    /// With ``Machine/powerFile``: whether the simulated machine is on.
    public var poweredOn: Bool { ((try? String(contentsOfFile: folder + "/power", encoding: .utf8)) ?? "0").hasPrefix("1") }

    /// The simulator's process, while it runs.
    public var pid: pid_t? { Command.recordedPID(in: folder + "/bmc").flatMap { Command.isRunning($0) ? $0 : nil } }

    /// Writes the configuration (lan.conf holds the password: mode 0600) and starts ipmi_sim, in network namespace
    /// `namespace` if given, with SIGPIPE ignored (it writes to the KCS socket of a QEMU that power-off just killed).
    /// The machine is off until powered on.
    public func start(namespace: String? = nil) throws {
        try FileManager.default.createDirectory(atPath: folder + "/bmc/state", withIntermediateDirectories: true)
        try writeConfiguration()
        let simulator = "trap '' PIPE; exec /usr/bin/ipmi_sim -c \(folder)/bmc/lan.conf -f \(folder)/bmc/bmc.emu -n -s \(folder)/bmc/state"
        let command = (namespace.map { ["ip", "netns", "exec", $0] } ?? []) + ["sh", "-c", simulator]
        let pid = try Command.detach(command[0], Array(command.dropFirst()), environment: [:], logFile: folder + "/bmc/sim.log")
        try Command.record(pid, in: folder + "/bmc")
    }

    /// Stops ipmi_sim (SIGTERM, then SIGKILL after 20 s).
    public func stop() async {
        if let pid = Command.recordedPID(in: folder + "/bmc") { await Command.stop(pid) }
    }

    private func writeConfiguration() throws {
        let directory = folder + "/bmc"
        var lan = """
            name "\(URL(fileURLWithPath: folder).lastPathComponent)"
            set_working_mc 0x20
              startlan 1
                addr \(address) \(port)
                priv_limit admin
                allowed_auths_callback none md2 md5 straight
                allowed_auths_user none md2 md5 straight
                allowed_auths_operator none md2 md5 straight
                allowed_auths_admin none md2 md5 straight
                guid \(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())
              endlan
              user 2 true "\(username)" "\(password)" admin 10 none md2 md5 straight

            """
        switch machine {
        case .powerFile:
            lan += "  chassis_control \"\(directory)/chassis.sh 0x20\"\n"
            try Self.chassisScript(powerFile: folder + "/power").write(toFile: directory + "/chassis.sh", atomically: true, encoding: .utf8)
            chmod(directory + "/chassis.sh", 0o755)
        case .qemu(let arguments, let kcsPort):
            let kcs = [
                "-chardev", "socket,id=ipmi0,host=127.0.0.1,port=\(kcsPort),reconnect=10", "-device", "ipmi-bmc-extern,chardev=ipmi0,id=bmc0",
                "-device", "isa-ipmi-kcs,bmc=bmc0",
            ]
            lan += """
                  serial kcs 127.0.0.1 \(kcsPort) codec VM
                  startcmd "\((["/usr/bin/qemu-system-x86_64"] + arguments + kcs).joined(separator: " "))"
                  startnow false
                  poweroff_wait 5
                  kill_wait 5

                """
        }
        FileManager.default.createFile(atPath: directory + "/lan.conf", contents: nil, attributes: [.posixPermissions: 0o600])
        try lan.write(toFile: directory + "/lan.conf", atomically: false, encoding: .utf8)
        try """
            mc_setbmc 0x20
            mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
            sel_enable 0x20 1000 0x0a
            mc_enable 0x20

            """.write(toFile: directory + "/bmc.emu", atomically: true, encoding: .utf8)
    }

    /// `chassis.sh ADDR get power` prints `power: 0|1`; `set power 0|1` writes it (other parameters are ignored).
    private static func chassisScript(powerFile: String) -> String {
        """
        #!/bin/sh
        state=\(powerFile)
        case "$2" in
        get) shift 2; for p in "$@"; do [ "$p" = power ] && echo "power: $(cat "$state" 2>/dev/null || echo 0)"; done ;;
        set) shift 2; while [ $# -gt 1 ]; do [ "$1" = power ] && echo "$2" > "$state"; shift 2; done ;;
        esac

        """
    }
}
