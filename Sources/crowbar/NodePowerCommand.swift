import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

/// `crowbar node power`: one node's power through its BMC, or a sweep over many.
struct NodePowerCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "power", abstract: "Query or change nodes' power through their BMCs.",
        discussion: """
            `crowbar node power NODE ACTION` talks to one node's BMC; several nodes, --all (every node with a BMC) or
            --state STATE sweep them, --concurrency at a time, and print one line each. ACTION is status, on, off, cycle
            (on when off) or reset. A failure exits 10 (no BMC), 11 (unreachable), 12 (credentials refused), 13 (timeout)
            or 14 (other BMC error); a sweep exits with the code of the first node that failed.
            """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Node names, then the action (status, on, off, cycle, reset).") var words: [String]
    @Flag(help: "Every node that has a BMC.") var all = false
    @Option(help: "The nodes in this state.") var state: NodeState?
    @Option(help: "Boot from this device next (pxe or disk), set before the action.") var boot: BootDevice?
    @Flag(help: "With --boot on one node: every boot, not only the next.") var persistent = false
    @Option(help: "BMCs talked to at once in a sweep (1–64).") var concurrency = 8

    var action: PowerAction { PowerAction(rawValue: words.last ?? "") ?? .status }
    var nodes: [String] { Array(words.dropLast()) }

    func validate() throws {
        guard let last = words.last, PowerAction(rawValue: last) != nil else {
            throw ValidationError("the last argument must be an action: \(PowerAction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let selections = [!nodes.isEmpty, all, state != nil].filter { $0 }.count
        guard selections == 1 else { throw ValidationError("name the nodes, or give --all or --state (one of them)") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64") }
        if persistent, nodes.count != 1 { throw ValidationError("--persistent applies to one node's --boot only") }
    }

    func run(client: CrowbarClient) async throws {
        if nodes.count == 1 {
            let result = try await client.power(nodes[0], PowerRequest(action: action, bootDevice: boot, persistent: persistent ? true : nil))
            return try show(result) { Self.describe($0) }
        }
        let results = try await client.power(
            PowerSweepRequest(action: action, nodes: nodes.isEmpty ? nil : nodes, state: state, bootDevice: boot, concurrency: concurrency),
            timeout: .minutes(30))
        try show(results) { results in
            TextTable(
                header: ["NODE", "ACTION", "POWER", "RESULT", "TIME"],
                rows: results.map { [$0.node, $0.action.rawValue, $0.state?.rawValue ?? "-", $0.failure.map { "\($0.kind.rawValue): \($0.message)" } ?? "ok", "\($0.milliseconds) ms"] }
            ).rendered + "\n\(results.filter { $0.failure == nil }.count) of \(results.count) nodes ok"
        }
        if let failure = results.compactMap(\.failure).first { throw ExitCode(ClientError.bmcExitCodes[failure.kind.rawValue] ?? 1) }
    }

    static func describe(_ result: PowerResult) -> String {
        let power = result.state.map { "power \($0.rawValue)" } ?? "power unknown"
        return result.action == .status ? "\(result.node): \(power)" : "\(result.node): \(result.action.rawValue) done, \(power) (\(result.milliseconds) ms)"
    }
}

extension PowerAction: ExpressibleByArgument {}
extension BootDevice: ExpressibleByArgument {}
extension BMCDriver: ExpressibleByArgument {}
