import CrowbarCore
import CrowbarSSH

/// How the orchestrator runs a compiled recipe's command on a node: over SSH with pinned host keys in crowbard
/// (``ConnectionCache``), a local shell in the orchestrator's tests.
public protocol NodeTransport: Sendable {
    /// Runs `command` on `node` with `stdin`, handing its output to `output` as it arrives; answers how it ended.
    /// Cancelling the calling task stops the command.
    func execute(
        _ command: String, stdin: [UInt8], timeout: Duration, on node: Node, output: @escaping @Sendable (SSHOutput) -> Void
    ) async throws -> SSHExit

    /// Forgets `node`'s connection after a failure, so the next command reconnects.
    func drop(_ node: String) async

    /// The run ended: the transport may keep its connections a while for the next one.
    func runEnded() async
}
