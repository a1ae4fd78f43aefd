import CrowbarCore
import Foundation
import Subprocess

/// IPMI 2.0 over LAN (`lanplus`) through Debian's `ipmitool`, as MAAS and Ironic drive BMCs: the protocol's RMCP+
/// session handshake, integrity and encryption stay in a tool every BMC vendor tests against. The password goes to
/// ipmitool in its environment (`-E`), never on its command line; each call is bounded by `timeout`.
public struct IPMIToolDriver: PowerDriver {
    public let bmc: BMC
    public let timeout: Duration

    public init(bmc: BMC, timeout: Duration = .seconds(15)) {
        self.bmc = bmc
        self.timeout = timeout
    }

    /// A query that fails with anything but refused credentials is asked once more after 500 ms (BMCs drop the odd
    /// RMCP+ session; Ironic retries the same way).
    public func state() async throws -> PowerState {
        let output: String
        do {
            output = try await ipmitool(["power", "status"])
        } catch let failure as PowerFailure where failure.kind == .unreachable || failure.kind == .failed {
            try await Task.sleep(for: .milliseconds(500))
            output = try await ipmitool(["power", "status"])
        }
        if output.contains("Chassis Power is on") { return .on }
        if output.contains("Chassis Power is off") { return .off }
        throw PowerFailure(.failed, "\(bmc.address) answered power status with '\(output.trimmingCharacters(in: .whitespacesAndNewlines))'")
    }

    public func perform(_ change: PowerChange) async throws {
        switch change {
        case .on: _ = try await ipmitool(["power", "on"])
        case .off: _ = try await ipmitool(["power", "off"])
        case .reset: _ = try await ipmitool(["power", "reset"])
        case .cycle:
            // A cycle of a machine that is off is refused by some BMCs: power it on instead, as Ironic's reboot does.
            if try await state() == .off { _ = try await ipmitool(["power", "on"]) } else { _ = try await ipmitool(["power", "cycle"]) }
        }
    }

    public func setBootDevice(_ device: BootDevice, persistent: Bool) async throws {
        let name = switch device {
        case .pxe: "pxe"
        case .disk: "disk"
        }
        _ = try await ipmitool(["chassis", "bootdev", name] + (persistent ? ["options=persistent"] : []))
    }

    /// The command line of `ipmitool` for `command` (no password in it): what `ps` shows.
    public func arguments(_ command: [String]) -> [String] {
        [
            "--kill-after=2", String(format: "%.3f", max(0.1, timeout.inSeconds)), "ipmitool", "-v", "-I", "lanplus", "-H", bmc.address,
            "-p", String(bmc.port ?? 623), "-U", bmc.username, "-E", "-C", String(bmc.cipherSuite ?? 3), "-N", "1", "-R", "2",
        ] + command
    }

    /// Runs ipmitool under `timeout` and answers its standard output, or throws the failure its exit and messages say.
    private func ipmitool(_ command: [String]) async throws -> String {
        let status: TerminationStatus
        let output: String
        let error: String
        // In its own session, so that a cancelled call stops ipmitool too, not only `timeout`.
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(1))]
        do {
            let result = try await Subprocess.run(
                .name("timeout"), arguments: Arguments(arguments(command)),
                environment: .inherit.updating(["IPMI_PASSWORD": bmc.password]), platformOptions: options,
                output: .string(limit: 1 << 16), error: .string(limit: 1 << 16))
            (status, output, error) = (result.terminationStatus, result.standardOutput, result.standardError)
        } catch {
            throw PowerFailure(.failed, "cannot run ipmitool (is the ipmitool package installed?): \(error)")
        }
        if case .exited(0) = status { return output }
        throw IPMIToolDriver.failure(status: status, error: error, bmc: bmc, timeout: timeout)
    }

    /// What an ipmitool exit means: `timeout`'s 124/137 is a timeout; the RAKP messages are refused credentials; no
    /// answer to the first request (authentication capabilities) is an unreachable BMC.
    static func failure(status: TerminationStatus, error: String, bmc: BMC, timeout: Duration) -> PowerFailure {
        let target = "BMC \(bmc.address):\(bmc.port ?? 623)"
        if case .exited(let code) = status, code == 124 || code == 137 {
            return PowerFailure(.timeout, "\(target) did not finish within \(timeout)")
        }
        let text = error.lowercased()
        if text.contains("invalid authentication algorithm") || text.contains("invalid integrity algorithm")
            || text.contains("invalid encryption algorithm") || text.contains("no matching cipher suite")
        {
            return PowerFailure(.failed, "\(target) does not offer cipher suite \(bmc.cipherSuite ?? 3): set another with --cipher-suite (3 and 17 are common)")
        }
        if text.contains("rakp 2 hmac is invalid") || text.contains("unauthorized name") || text.contains("rakp 4")
            || text.contains("unauthorized role") || text.contains("invalid name length") || text.contains("insufficient privilege")
        {
            return PowerFailure(.authRefused, "\(target) refused the credentials of user \(bmc.username)")
        }
        if error.contains("Get Auth Capabilities error") || error.contains("No response from remote controller")
            || error.contains("Error issuing Get Channel Authentication Capabilities")
        {
            return PowerFailure(.unreachable, "\(target) does not answer")
        }
        let lines = error.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("Loading IANA") && !$0.hasPrefix(">") }
        return PowerFailure(.failed, "\(target): \(lines.suffix(2).joined(separator: "; ").isEmpty ? "ipmitool \(status)" : lines.suffix(2).joined(separator: "; "))")
    }
}
