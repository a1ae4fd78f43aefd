import CrowbarCore
import CrowbarPower
import Foundation
import Testing

/// The IPMI driver against real `ipmi_sim` BMCs on loopback.
@Suite(.enabled(if: IPMISimulator.available, "needs ipmi_sim (openipmi) and ipmitool"))
struct IPMIToolDriverTests {
    @Test func powerRoundTripsThroughARealBMC() async throws {
        let bmc = try await IPMISimulator()
        defer { bmc.stop() }
        let driver = IPMIToolDriver(bmc: bmc.bmc, timeout: .seconds(10))
        #expect(try await driver.state() == .off)
        try await driver.perform(.on)
        #expect(try await driver.state() == .on)
        #expect(bmc.poweredOn)
        try await driver.perform(.cycle)
        // A BMC's cycle is off, a pause, then on: the machine is on again within a few seconds.
        #expect(try await Self.waitFor(.on, driver: driver))
        try await driver.perform(.reset)
        try await driver.perform(.off)
        #expect(try await driver.state() == .off)
        #expect(!bmc.poweredOn)
        // A cycle of a machine that is off powers it on.
        try await driver.perform(.cycle)
        #expect(bmc.poweredOn)
        try await driver.setBootDevice(.pxe, persistent: false)
        try await driver.setBootDevice(.disk, persistent: true)
    }

    @Test func aWrongPasswordIsRefusedAsSuch() async throws {
        let bmc = try await IPMISimulator()
        defer { bmc.stop() }
        var settings = bmc.bmc
        settings.password = "not-the-password"
        let started = ContinuousClock.now
        let failure = await #expect(throws: PowerFailure.self) { try await IPMIToolDriver(bmc: settings, timeout: .seconds(60)).perform(.on) }
        #expect(failure?.kind == .authRefused)
        #expect(failure?.message.contains("refused the credentials of user admin") == true)
        #expect(failure?.message.contains("not-the-password") == false)
        #expect(ContinuousClock.now - started < .seconds(30), "refused, not timed out (60 s) or retried (room for a loaded CI machine)")
        #expect(!bmc.poweredOn)
        // A cipher suite the BMC does not offer is not a credentials problem.
        var suite = bmc.bmc
        suite.cipherSuite = 17
        let unsupported = await #expect(throws: PowerFailure.self) { try await IPMIToolDriver(bmc: suite, timeout: .seconds(10)).perform(.on) }
        #expect(unsupported?.kind == .failed)
        #expect(unsupported?.message.hasSuffix("does not offer cipher suite 17: set another with --cipher-suite (3 and 17 are common)") == true)
    }

    @Test func aBMCThatDoesNotAnswerIsATimeoutOrUnreachable() async throws {
        let silent = BMC(driver: .ipmi, address: "127.0.0.1", port: try freeLoopbackPort(SOCK_DGRAM), username: "admin", password: "x")
        // Bounded by `timeout` (2 s, SIGKILL 2 s later): a timeout. (The service's deadline is the bound an operator
        // relies on: PowerServiceTests.aSilentBMCFailsWithinTheDeadline.)
        let timedOut = await #expect(throws: PowerFailure.self) { try await IPMIToolDriver(bmc: silent, timeout: .seconds(2)).state() }
        #expect(timedOut?.kind == .timeout)
        // Given longer than ipmitool's own retries, the same BMC is reported unreachable rather than slow.
        let unanswered = await #expect(throws: PowerFailure.self) { try await IPMIToolDriver(bmc: silent, timeout: .seconds(30)).state() }
        #expect(unanswered?.kind == .unreachable)
    }

    @Test func thePasswordIsNeverOnACommandLine() async throws {
        let password = "ps-\(UInt32.random(in: 0...UInt32.max))"
        let silent = BMC(driver: .ipmi, address: "127.0.0.1", port: try freeLoopbackPort(SOCK_DGRAM), username: "admin", password: password)
        let driver = IPMIToolDriver(bmc: silent, timeout: .seconds(12))
        #expect(!driver.arguments(["power", "status"]).joined(separator: " ").contains(password))
        let query = Task { try? await driver.state() }
        // While ipmitool waits for the silent BMC, read every process's command line (bounded: 200 × 50 ms).
        var seen: [String] = []
        for _ in 0..<200 where seen.isEmpty {
            try await Task.sleep(for: .milliseconds(50))
            seen = Self.commandLines().filter { $0.contains("ipmitool") && $0.contains(String(silent.port!)) }
        }
        #expect(!seen.isEmpty, "ipmitool was not seen running")
        #expect(seen.allSatisfy { !$0.contains(password) })
        query.cancel()
        _ = await query.value
    }

    /// Polls until the BMC reports `state` (bounded: 50 × 200 ms); whether it did.
    static func waitFor(_ state: PowerState, driver: IPMIToolDriver) async throws -> Bool {
        for _ in 0..<50 {
            if try await driver.state() == state { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    static func commandLines() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
            (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))).map { data in
                String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            }
        }
    }
}
