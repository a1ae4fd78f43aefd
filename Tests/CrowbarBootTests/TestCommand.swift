import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs a command to completion; the result carries its exit status and its output and error text together.
@discardableResult
func command(_ executable: String, _ arguments: [String], check: Bool = true) async throws -> (succeeded: Bool, output: String) {
    let result = try await run(
        .name(executable), arguments: Arguments(arguments), output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
    let text = result.standardOutput + result.standardError
    if check, !result.terminationStatus.isSuccess {
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) ended \(result.terminationStatus): \(text)")
    }
    return (result.terminationStatus.isSuccess, text)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Whether `name` is an executable on PATH (or in /usr/sbin, /sbin).
func installed(_ name: String) -> Bool {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin"
    return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
}

/// A veth pair made by a test: `hostSide` in the test's own namespace with `hostAddress`, its peer `client` inside a
/// new network namespace with `clientAddress` (or none, for DHCP clients). Removed by `destroy()`.
struct TestNetwork {
    let namespace: String
    let hostSide: String
    let hostAddress: String
    let client = "eth0"

    static func create(tag: String, subnet: Int, clientAddress: String? = nil) async throws -> TestNetwork {
        let suffix = String(getpid() % 10000)
        let network = TestNetwork(namespace: "crowbar-test-\(tag)-\(suffix)", hostSide: "cb\(tag)\(suffix)", hostAddress: "10.\(subnet).0.1")
        await network.destroy()
        try await command("ip", ["netns", "add", network.namespace])
        try await command("ip", ["link", "add", network.hostSide, "type", "veth", "peer", "name", network.client, "netns", network.namespace])
        try await command("ip", ["addr", "add", "\(network.hostAddress)/24", "dev", network.hostSide])
        try await command("ip", ["link", "set", network.hostSide, "up"])
        try await network.exec(["ip", "link", "set", "lo", "up"])
        try await network.exec(["ip", "link", "set", network.client, "up"])
        if let clientAddress { try await network.exec(["ip", "addr", "add", "\(clientAddress)/24", "dev", network.client]) }
        return network
    }

    /// Runs `arguments` inside the namespace.
    @discardableResult
    func exec(_ arguments: [String], check: Bool = true) async throws -> (succeeded: Bool, output: String) {
        try await command("ip", ["netns", "exec", namespace] + arguments, check: check)
    }

    func destroy() async {
        _ = try? await command("ip", ["link", "del", hostSide], check: false)
        _ = try? await command("ip", ["netns", "del", namespace], check: false)
    }
}
