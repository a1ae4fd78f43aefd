import CrowbarCore
import CrowbarLab
import CrowbarPower
import Foundation

/// A real BMC for tests: the lab's ``BMCSimulator`` (`ipmi_sim`) on a free loopback port, power kept in a file.
final class IPMISimulator: Sendable {
    let simulator: BMCSimulator
    var port: Int { simulator.port }
    var bmc: BMC { BMC(driver: .ipmi, address: "127.0.0.1", port: port, username: simulator.username, password: simulator.password) }
    var poweredOn: Bool { simulator.poweredOn }

    static var available: Bool { BMCSimulator.isInstalled }

    init(password: String = "s3cret-\(UInt32.random(in: 0...UInt32.max))") async throws {
        simulator = BMCSimulator(
            folder: NSTemporaryDirectory() + "ipmi-sim-\(UUID().uuidString.prefix(8))", address: "127.0.0.1", port: try Self.freeUDPPort(),
            password: password, machine: .powerFile)
        try simulator.start()
        // Ready when it answers a status query (bounded: 50 × 100 ms).
        for _ in 0..<50 {
            if (try? await IPMIToolDriver(bmc: bmc, timeout: .seconds(2)).state()) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        stop()
        throw CrowbarError(.conflict, "ipmi_sim on port \(simulator.port) did not answer within 5 s; see \(simulator.folder)/bmc/sim.log")
    }

    func stop() {
        if let pid = simulator.pid {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        try? FileManager.default.removeItem(atPath: simulator.folder)
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
}
