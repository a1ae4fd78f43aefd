import CrowbarCore
import CrowbarPower
import Foundation
import Subprocess

/// A real BMC for tests: OpenIPMI's `ipmi_sim` answering IPMI 2.0 over LAN on a loopback port, its chassis power
/// kept in a file by a `chassis_control` script (LAB.md's recipe). Stopped (and its folder removed) by `stop()`.
final class IPMISimulator: Sendable {
    let port: Int
    let folder: String
    let pid: pid_t
    static let username = "admin"
    let password: String

    var bmc: BMC { BMC(driver: .ipmi, address: "127.0.0.1", port: port, username: Self.username, password: password) }

    /// The chassis power as the simulated machine has it.
    var poweredOn: Bool { ((try? String(contentsOfFile: folder + "/power", encoding: .utf8)) ?? "0").hasPrefix("1") }

    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/ipmi_sim") }

    init(password: String = "s3cret-\(UInt32.random(in: 0...UInt32.max))") async throws {
        self.password = password
        port = try Self.freeUDPPort()
        folder = NSTemporaryDirectory() + "ipmi-sim-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder + "/state", withIntermediateDirectories: true)
        try """
            name "test-bmc"
            set_working_mc 0x20
              startlan 1
                addr 127.0.0.1 \(port)
                priv_limit admin
                allowed_auths_callback none md2 md5 straight
                allowed_auths_user none md2 md5 straight
                allowed_auths_operator none md2 md5 straight
                allowed_auths_admin none md2 md5 straight
                guid a123456789abcdefa123456789abcdef
              endlan
              chassis_control "\(folder)/chassis.sh 0x20"
              user 2 true "\(Self.username)" "\(password)" admin 10 none md2 md5 straight

            """.write(toFile: folder + "/lan.conf", atomically: true, encoding: .utf8)
        try """
            mc_setbmc 0x20
            mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
            sel_enable 0x20 1000 0x0a
            mc_enable 0x20

            """.write(toFile: folder + "/bmc.emu", atomically: true, encoding: .utf8)
        try """
            #!/bin/sh
            # chassis.sh ADDR get power | set power 0|1 (and any other parameters, ignored)
            state=\(folder)/power
            case "$2" in
            get) shift 2; for p in "$@"; do [ "$p" = power ] && echo "power: $(cat "$state" 2>/dev/null || echo 0)"; done ;;
            set) shift 2; while [ $# -gt 1 ]; do [ "$1" = power ] && echo "$2" > "$state"; shift 2; done ;;
            esac

            """.write(toFile: folder + "/chassis.sh", atomically: true, encoding: .utf8)
        chmod(folder + "/chassis.sh", 0o755)
        chmod(folder + "/lan.conf", 0o600)
        pid = try Self.spawn(["/usr/bin/ipmi_sim", "-c", folder + "/lan.conf", "-f", folder + "/bmc.emu", "-n", "-s", folder + "/state"], log: folder + "/sim.log")
        // Ready when it answers a status query (bounded: 50 × 100 ms).
        for _ in 0..<50 {
            if (try? await IPMIToolDriver(bmc: bmc, timeout: .seconds(2)).state()) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        stop()
        throw CrowbarError(.conflict, "ipmi_sim on port \(port) did not answer within 5 s")
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A UDP port nothing listens on right now (the kernel's choice for a socket bound to port 0).
    static func freeUDPPort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw CrowbarError(.conflict, "no free UDP port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func spawn(_ argv: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, argv[0], &actions, nil, arguments, environ)
        guard status == 0 else { throw CrowbarError(.conflict, "cannot start \(argv[0]): \(String(cString: strerror(status)))") }
        return pid
    }
}
