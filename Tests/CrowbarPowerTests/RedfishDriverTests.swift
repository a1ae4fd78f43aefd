import CrowbarCore
import CrowbarPower
import Foundation
import Subprocess
import Testing

/// The Redfish driver against a real Redfish service: sushy-emulator (sushy-tools, fake driver) over HTTPS with basic
/// authentication and a self-signed certificate, on loopback.
@Suite(.enabled(if: SushyEmulator.available, "needs the sushy-tools venv (scripts/lib/sushy-venv.sh, run by scripts/install-deps.sh)"))
struct RedfishDriverTests {
    @Test func resetTypesAndBootOverrideReachTheSystem() async throws {
        let sushy = try await SushyEmulator()
        defer { sushy.stop() }
        let driver = RedfishDriver(bmc: sushy.bmc, timeout: .seconds(10))
        #expect(try await driver.state() == .off)
        try await driver.perform(.on)
        #expect(try await driver.state() == .on)
        try await driver.perform(.reset)
        #expect(try await driver.state() == .on)
        try await driver.perform(.cycle)
        #expect(try await driver.state() == .on)
        try await driver.perform(.off)
        #expect(try await driver.state() == .off)
        // A cycle of a machine that is off powers it on.
        try await driver.perform(.cycle)
        #expect(try await driver.state() == .on)
        try await driver.setBootDevice(.pxe, persistent: false)
        #expect(try await sushy.system()["Boot"]?["BootSourceOverrideTarget"] as? String == "Pxe")
        try await driver.setBootDevice(.disk, persistent: true)
        #expect(try await sushy.system()["Boot"]?["BootSourceOverrideTarget"] as? String == "Hdd")
    }

    @Test func wrongCredentialsAreRefusedAsSuch() async throws {
        let sushy = try await SushyEmulator()
        defer { sushy.stop() }
        var settings = sushy.bmc
        settings.password = "not-the-password"
        let failure = await #expect(throws: PowerFailure.self) { try await RedfishDriver(bmc: settings, timeout: .seconds(10)).perform(.on) }
        #expect(failure?.kind == .authRefused)
        #expect(failure?.message.contains("refused the credentials of user admin (401)") == true)
        #expect(try await RedfishDriver(bmc: sushy.bmc, timeout: .seconds(10)).state() == .off)
    }

    @Test func aCertificateThatIsNotThePinnedOneIsRefused() async throws {
        let sushy = try await SushyEmulator()
        defer { sushy.stop() }
        var settings = sushy.bmc
        settings.certificateFingerprint = String(repeating: "ab", count: 32)
        let failure = await #expect(throws: PowerFailure.self) { try await RedfishDriver(bmc: settings, timeout: .seconds(10)).perform(.on) }
        #expect(failure?.kind == .authRefused)
        #expect(failure?.message.contains("does not match its pinned SHA-256 fingerprint") == true)
        #expect(try await RedfishDriver(bmc: sushy.bmc, timeout: .seconds(10)).state() == .off, "nothing was powered on")
        settings.certificateFingerprint = nil
        #expect(await #expect(throws: PowerFailure.self) { try await RedfishDriver(bmc: settings).state() }?.kind == .failed)
    }

    @Test func aServiceThatIsNotThereIsUnreachable() async throws {
        let nothing = BMC(
            driver: .redfish, address: "127.0.0.1", port: try freeLoopbackPort(SOCK_STREAM), username: "admin", password: "x",
            certificateFingerprint: String(repeating: "00", count: 32))
        let started = ContinuousClock.now
        #expect(await #expect(throws: PowerFailure.self) { try await RedfishDriver(bmc: nothing, timeout: .seconds(60)).state() }?.kind == .unreachable)
        // Refused, not timed out: well within the 60 s bound even on a loaded machine (a lab beside it took 6.8 s).
        #expect(ContinuousClock.now - started < .seconds(30), "refused at once, well within the 60 s bound")
    }
}

/// sushy-emulator started by Tests/Fixtures/redfish/start-sushy.sh on a free loopback port; `stop()` ends it.
final class SushyEmulator: Sendable {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/redfish/start-sushy.sh").path
    static let venv = ProcessInfo.processInfo.environment["CROWBAR_SUSHY_VENV"] ?? "/var/cache/crowbar/sushy-venv"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: venv + "/bin/sushy-emulator") }

    let folder = NSTemporaryDirectory() + "sushy-\(UUID().uuidString.prefix(8))"
    let port: Int
    let password = "pw-\(UInt32.random(in: 0...UInt32.max))"
    let fingerprint: String

    var bmc: BMC {
        BMC(driver: .redfish, address: "127.0.0.1", port: port, username: "admin", password: password, certificateFingerprint: fingerprint)
    }

    /// Starts the emulator on a free port; a port another test took between the check and sushy's bind is replaced
    /// (at most three tries).
    init() async throws {
        var attempt = 0
        while true {
            attempt += 1
            let port = try freeLoopbackPort(SOCK_STREAM)
            let result = try await Subprocess.run(
                .path("/bin/bash"), arguments: [Self.script, folder, String(port), "admin"],
                environment: .inherit.updating(["SUSHY_PASSWORD": password]),
                output: .string(limit: 4096), error: .string(limit: 1 << 16))
            if result.terminationStatus.isSuccess {
                self.port = port
                fingerprint = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
                return
            }
            let error = result.standardError
            guard error.contains("in use"), attempt < 3 else {
                throw CrowbarError(.conflict, "sushy-emulator did not start: \(error)")
            }
        }
    }

    func stop() {
        if let text = try? String(contentsOfFile: folder + "/pid", encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, SIGKILL)
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The only system's JSON, read with curl (credentials on its standard input, the certificate trusted).
    func system() async throws -> [String: [String: Any]] {
        let config = "user = \"admin:\(password)\"\n"
        let systems = try await get("/redfish/v1/Systems", config: config)
        let path = ((systems["Members"] as? [[String: Any]])?.first?["@odata.id"] as? String) ?? ""
        return try await get(path, config: config).compactMapValues { $0 as? [String: Any] }
    }

    private func get(_ path: String, config: String) async throws -> [String: Any] {
        let result = try await Subprocess.run(
            .name("curl"), arguments: ["-sf", "-K", "-", "--cacert", folder + "/cert.pem", "https://127.0.0.1:\(port)\(path)"],
            input: .string(config), output: .string(limit: 1 << 20), error: .discarded)
        return (try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8))) as? [String: Any] ?? [:]
    }
}
