import CrowbarControl
import CrowbarCore
import CrowbarPower
import CrowbarStore
import Foundation
import Synchronization
import Testing

/// The power service over a real SQLite store and real `ipmi_sim` BMCs: sweeps, failures per node, secrets.
@Suite(.enabled(if: IPMISimulator.available, "needs ipmi_sim (openipmi) and ipmitool"))
struct PowerServiceTests {
    static let barclamps = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("barclamps").path

    let database: CrowbarDatabase
    let control: Control

    init() throws {
        database = try CrowbarDatabase.inMemory()
        control = Control(
            catalog: try BarclampDirectory.load(Self.barclamps), database: database, powerDrivers: CrowbarPowerDrivers(timeout: .seconds(10)))
    }

    func node(_ number: Int) async throws -> String {
        try await control.nodes.register(DiscoveryReport(macs: [String(format: "52:54:00:aa:00:%02x", number)], inventory: Inventory())).node.name
    }

    @Test func sixteenBMCsAreSweptAFewAtATime() async throws {
        var simulators: [IPMISimulator] = []
        defer { simulators.forEach { $0.stop() } }
        for number in 1...16 {
            let simulator = try await IPMISimulator()
            simulators.append(simulator)
            _ = try await control.power.setBMC(simulator.bmc, on: try await node(number), actor: "tester")
        }
        let started = ContinuousClock.now
        let results = try await control.power.sweep(PowerSweepRequest(action: .on, concurrency: 4), actor: "tester")
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0.failure == nil && $0.state == .on })
        #expect(simulators.allSatisfy { $0.poweredOn })
        #expect(ContinuousClock.now - started < .seconds(30))
        let status = try await control.power.sweep(PowerSweepRequest(action: .status, state: .discovered, concurrency: 16), actor: "tester")
        #expect(status.map(\.state) == Array(repeating: .on, count: 16))
        let events = try await control.events.list(limit: 1000).filter { $0.kind == .nodePower }
        #expect(events.count == 16, "each change is an event; a status query that succeeds is not")
        #expect(events.allSatisfy { $0.message.hasPrefix("power on by tester: done, power on") })
        #expect(await #expect(throws: CrowbarError.self) {
            try await control.power.sweep(PowerSweepRequest(action: .status, concurrency: 65), actor: "tester")
        }?.context["field"] == "concurrency")
    }

    @Test func eachNodeOfASweepSaysWhyItFailed() async throws {
        let good = try await IPMISimulator()
        let refusing = try await IPMISimulator()
        defer { good.stop(); refusing.stop() }
        let (first, second, third) = (try await node(1), try await node(2), try await node(3))
        _ = try await control.power.setBMC(good.bmc, on: first, actor: "tester")
        var wrong = refusing.bmc
        wrong.password = "wrong-password-123"
        _ = try await control.power.setBMC(wrong, on: second, actor: "tester")
        let results = try await control.power.sweep(PowerSweepRequest(action: .off, nodes: [third, second, first]), actor: "tester")
        #expect(results.map(\.node) == [first, second, third])
        #expect(results.map { $0.failure?.kind } == [nil, .authRefused, .noBMC])
        #expect(results[0].state == .off)
        let history = try await control.events.list(subject: second).filter { $0.kind == .nodePower }
        #expect(history.map(\.message) == ["power off by tester: failed (bmc_auth_refused): BMC 127.0.0.1:\(refusing.port) refused the credentials of user admin"])
        await #expect(throws: CrowbarError.self) {
            try await control.power.sweep(PowerSweepRequest(action: .off, nodes: ["no-such-node"]), actor: "tester")
        }
    }

    @Test func withoutAnAddressTheOneReadInBandIsTaken() async throws {
        let plain = try await node(1)
        let bmc = BMC(driver: .ipmi, address: "", username: "admin", password: "pw-1")
        #expect(await #expect(throws: CrowbarError.self) { try await control.power.setBMC(bmc, on: plain, actor: "tester") }?.context["field"] == "address")
        let found = try await control.nodes.register(
            DiscoveryReport(macs: ["52:54:00:aa:01:02"], inventory: Inventory(bmcAddress: "192.168.124.170", bmcMAC: "52:54:00:aa:02:02"))).node.name
        let set = try await control.power.setBMC(bmc, on: found, actor: "tester")
        #expect(set.address == "192.168.124.170")
        #expect(set.source == .discovery)
        // A reported address outside the bmc network's host range is not trusted: the boot network is open.
        let elsewhere = try await control.nodes.register(
            DiscoveryReport(macs: ["52:54:00:aa:01:03"], inventory: Inventory(bmcAddress: "192.0.2.44"))).node.name
        let refused = await #expect(throws: CrowbarError.self) { try await control.power.setBMC(bmc, on: elsewhere, actor: "tester") }
        #expect(refused?.message == "the BMC address the agent reported (192.0.2.44) is not in the bmc network's host range: give the address")
    }

    /// Counts the calls in flight; each takes `delay`.
    final class CountingDrivers: PowerDrivers {
        let inFlight = Mutex((now: 0, most: 0))
        let delay: Duration
        let deadline: Duration
        init(delay: Duration, deadline: Duration = .seconds(30)) {
            self.delay = delay
            self.deadline = deadline
        }
        struct Driver: PowerDriver {
            let owner: CountingDrivers
            func state() async throws -> PowerState {
                owner.inFlight.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                defer { owner.inFlight.withLock { $0.now -= 1 } }
                try await Task.sleep(for: owner.delay)
                return .on
            }
            func perform(_ change: PowerChange) async throws {}
            func setBootDevice(_ device: BootDevice, persistent: Bool) async throws {}
        }
        func driver(for bmc: BMC) -> any PowerDriver { Driver(owner: self) }
    }

    /// The sweep's bound and the per-action deadline are the service's logic: checked with a counting driver (the real
    /// BMCs are above).
    @Test func aSweepKeepsToItsConcurrencyAndEachActionToItsDeadline() async throws {
        let drivers = CountingDrivers(delay: .milliseconds(50))
        let counted = Control(catalog: control.barclamps.catalog, database: database, powerDrivers: drivers)
        for number in 1...12 {
            _ = try await counted.power.setBMC(BMC(driver: .ipmi, address: "192.0.2.\(number)", username: "a", password: "b"), on: try await node(number), actor: "t")
        }
        let results = try await counted.power.sweep(PowerSweepRequest(action: .status, concurrency: 4), actor: "t")
        #expect(results.count == 12 && results.allSatisfy { $0.state == .on })
        #expect(drivers.inFlight.withLock { $0.most } == 4)
        let slow = Control(catalog: control.barclamps.catalog, database: database, powerDrivers: CountingDrivers(delay: .seconds(20), deadline: .milliseconds(300)))
        let started = ContinuousClock.now
        let late = try await slow.power.power(try await node(1), PowerRequest(action: .status), actor: "t")
        #expect(late.failure?.kind == .timeout)
        #expect(late.failure?.message == "BMC 192.0.2.1 did not finish status within 0.3 seconds")
        #expect(ContinuousClock.now - started < .seconds(15), "0.3 s deadline, not the driver's 20 s; margin for a loaded CI machine (7 s was seen)")
    }

    @Test func aSilentBMCFailsWithinTheDeadline() async throws {
        let bounded = Control(catalog: control.barclamps.catalog, database: database, powerDrivers: CrowbarPowerDrivers(timeout: .seconds(1)))
        let name = try await node(1)
        let silent = BMC(driver: .ipmi, address: "127.0.0.1", port: try freeLoopbackPort(SOCK_DGRAM), username: "admin", password: "x")
        _ = try await bounded.power.setBMC(silent, on: name, actor: "tester")
        let started = ContinuousClock.now
        let result = try await bounded.power.power(name, PowerRequest(action: .cycle, bootDevice: .pxe), actor: "tester")
        #expect(result.failure.map { [.timeout, .unreachable].contains($0.kind) } == true, "\(String(describing: result.failure))")
        // The deadline is three calls' worth (3 s), and the answer does not wait for ipmitool to wind down; the margin
        // is for a loaded CI machine (QEMU lab tests run beside this one; 12 s was seen with a stray container beside).
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test func theBMCPasswordIsMaskedAndNeverInTheHistory() async throws {
        let name = try await node(1)
        let password = "pw-\(UInt32.random(in: 0...UInt32.max))"
        let bmc = BMC(driver: .ipmi, address: "192.0.2.7", username: "crowbar", password: password)
        #expect(try await control.power.setBMC(bmc, on: name, actor: "tester").password == SecretPaths.mask)
        #expect(try await control.power.bmc(of: name, showSecrets: false).password == SecretPaths.mask)
        #expect(try await control.power.bmc(of: name, showSecrets: true).password == password)
        let events = try await control.events.list(limit: 1000)
        #expect(events.contains { $0.message == "BMC set by tester: ipmi 192.0.2.7 as crowbar" })
        #expect(!events.contains { $0.message.contains(password) })
        // Sending back what was shown (the mask) is refused rather than stored as the password.
        var shown = bmc.masked
        shown.address = "192.0.2.8"
        #expect(await #expect(throws: CrowbarError.self) { try await control.power.setBMC(shown, on: name, actor: "tester") }?.context["field"] == "password")
        #expect(try await control.power.bmc(of: name, showSecrets: true) == bmc)
        // IPMI 2.0 carries at most 20 bytes of password: refused when set, not at the first power action.
        var long = bmc
        long.password = String(repeating: "x", count: 21)
        #expect(await #expect(throws: CrowbarError.self) { try await control.power.setBMC(long, on: name, actor: "tester") }?.message
            == "an IPMI password is at most 20 bytes")
        try await control.power.removeBMC(of: name, actor: "tester")
        await #expect(throws: CrowbarError.self) { try await control.power.bmc(of: name, showSecrets: false) }
        let result = try await control.power.power(name, PowerRequest(action: .on), actor: "tester")
        #expect(result.failure?.kind == .noBMC)
    }
}
