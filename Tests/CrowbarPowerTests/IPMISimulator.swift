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
            folder: NSTemporaryDirectory() + "ipmi-sim-\(UUID().uuidString.prefix(8))", address: "127.0.0.1", port: try freeLoopbackPort(SOCK_DGRAM),
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
}
