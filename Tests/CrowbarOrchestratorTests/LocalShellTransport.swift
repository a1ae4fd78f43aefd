import CrowbarCore
import CrowbarOrchestrator
import CrowbarSSH
import Foundation
import Synchronization

/// Runs each node's compiled recipe with this machine's `sh` (in its own session, so a cancel stops the script and
/// everything it started), as if every node were here: the orchestrator's real scripts and markers, no SSH, no root.
/// It records what ran and how many ran at once, and can stop the calling run when a given apply starts.
final class LocalShellTransport: NodeTransport {
    /// One apply as the transport saw it: the recipe and node from the script's first line.
    struct Apply: Hashable, CustomStringConvertible {
        var recipe: String
        var node: String
        var description: String { "\(recipe)@\(node)" }
    }

    private struct State {
        var started: [Apply] = []
        var finished: [Apply] = []
        /// Starts and ends in the order they happened: "start recipe@node", "end recipe@node".
        var timeline: [String] = []
        /// Each finished apply's exit status (its last, when it ran more than once).
        var exits: [Apply: Int32] = [:]
        var running = 0
        var mostAtOnce = 0
    }

    private let state = Mutex(State())
    /// Called as an apply starts; a test cancels its run from here to stop it mid-step.
    let onStart: @Sendable (Apply) -> Void
    /// Awaited before an apply's script starts (a slow node, or one held until another apply started).
    let hold: @Sendable (Apply) async -> Void

    init(onStart: @escaping @Sendable (Apply) -> Void = { _ in }, hold: @escaping @Sendable (Apply) async -> Void = { _ in }) {
        self.onStart = onStart
        self.hold = hold
        // A script killed by a cancel before its stdin is written must fail that write, not end the test process.
        signal(SIGPIPE, SIG_IGN)
    }

    var started: [Apply] { state.withLock { $0.started } }
    var finished: [Apply] { state.withLock { $0.finished } }
    var timeline: [String] { state.withLock { $0.timeline } }
    var exits: [Apply: Int32] { state.withLock { $0.exits } }
    var mostAtOnce: Int { state.withLock { $0.mostAtOnce } }

    func execute(
        _ command: String, stdin: [UInt8], timeout: Duration, on node: Node, output: @escaping @Sendable (SSHOutput) -> Void
    ) async throws -> SSHExit {
        let script = String(decoding: stdin, as: UTF8.self)
        let header = script.prefix { $0 != "\n" }  // "# crowbar recipe steps/steps-one for node n1"
        let words = header.split(separator: " ")
        let apply = Apply(recipe: words.count > 3 ? String(words[3]) : "?", node: node.name)
        state.withLock {
            $0.started.append(apply)
            $0.timeline.append("start \(apply)")
            $0.running += 1
            $0.mostAtOnce = max($0.mostAtOnce, $0.running)
        }
        defer {
            state.withLock {
                $0.running -= 1
                $0.timeline.append("end \(apply)")
            }
        }
        onStart(apply)
        await hold(apply)
        try Task.checkCancellation()

        let pid = try Self.spawn(["/bin/sh", "-c", command])
        let (status, stderr) = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Blocking reads and waitpid on a thread of their own (Foundation's Process reports an exit only once
                // every descendant is gone, and the script's watcher lingers for up to a second).
                Thread.detachNewThread {
                    let input = pid.stdin, out = pid.stdout, err = pid.stderr
                    _ = stdin.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
                    close(input)
                    // Standard output streams as it is written, as over SSH (a step's progress is heard mid-step).
                    Self.readChunks(out) { output(SSHOutput(stream: .stdout, bytes: $0)) }
                    var stderr: [UInt8] = []
                    Self.readChunks(err) { stderr += $0 }
                    var status: Int32 = 0
                    while waitpid(pid.id, &status, 0) == -1 && errno == EINTR {}
                    continuation.resume(returning: (status, stderr))
                }
            }
        } onCancel: {
            kill(-pid.id, SIGKILL)  // the script's session: the script and whatever it started
        }
        output(SSHOutput(stream: .stderr, bytes: stderr))
        try Task.checkCancellation()
        let signal = status & 0x7f
        state.withLock {
            $0.finished.append(apply)
            $0.exits[apply] = signal == 0 ? (status >> 8) & 0xff : -1
        }
        return signal == 0 ? SSHExit(status: (status >> 8) & 0xff) : SSHExit(status: -1, signal: String(signal))
    }

    /// A started child in its own session and the parent's ends of its three pipes.
    struct Child: Sendable {
        var id: pid_t
        var stdin: Int32
        var stdout: Int32
        var stderr: Int32
    }

    /// One spawn at a time: a child started for another node must not inherit these pipes before they are
    /// close-on-exec (pipe2 is not visible from Swift here).
    private static let spawning = Mutex(())

    private static func spawn(_ arguments: [String]) throws -> Child {
        try spawning.withLock { _ in try spawnAlone(arguments) }
    }

    private static func spawnAlone(_ arguments: [String]) throws -> Child {
        var fds: [[Int32]] = [[0, 0], [0, 0], [0, 0]]
        for index in 0..<3 {
            guard pipe(&fds[index]) == 0 else { throw POSIXError(.EMFILE) }
            for fd in fds[index] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0][0], 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1][1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[2][1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, 0x80)  // POSIX_SPAWN_SETSID
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        close(fds[0][0])
        close(fds[1][1])
        close(fds[2][1])
        guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EINVAL) }
        return Child(id: pid, stdin: fds[0][1], stdout: fds[1][0], stderr: fds[2][0])
    }

    /// Reads `fd` to its end, handing each chunk to `chunk`, and closes it.
    private static func readChunks(_ fd: Int32, _ chunk: ([UInt8]) -> Void) {
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count > 0 { chunk(Array(buffer[0..<count])) } else if count == 0 || errno != EINTR { return }
        }
    }

    func drop(_ node: String) async {}
    func runEnded() async {}
}
