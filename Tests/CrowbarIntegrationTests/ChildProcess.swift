import Foundation

/// A child process started with posix_spawn and reaped with waitpid. Foundation's Process is not used: in this
/// test bundle it was seen to leave an exited child as a zombie and hang in waitUntilExit.
final class ChildProcess {
    let pid: pid_t
    private var status: Int32?

    /// Starts `executable` with stdout and stderr appended to the given files.
    init(_ executable: String, _ arguments: [String], environment: [String: String], stdout: String, stderr: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    var isRunning: Bool { poll() == nil }

    /// The exit status (128 + signal number when killed by a signal), or nil while it runs.
    @discardableResult
    func poll() -> Int32? {
        if status == nil {
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid {
                let signal = raw & 0x7f
                status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            }
        }
        return status
    }

    /// Waits at most `timeout` seconds for the exit; nil if it is still running.
    func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while poll() == nil, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return poll()
    }

    func signal(_ number: Int32) {
        if poll() == nil { kill(pid, number) }
    }
}

/// The result of running a program to its end.
struct CommandResult {
    var status: Int32
    var output: String
    var errors: String

    /// Runs a program with a time limit (SIGTERM, then SIGKILL, when it is exceeded).
    static func run(_ executable: String, _ arguments: [String], environment: [String: String], limit: TimeInterval) throws -> CommandResult {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out").path, err = folder.appendingPathComponent("err").path
        let child = try ChildProcess(executable, arguments, environment: environment, stdout: out, stderr: err)
        var status = child.wait(timeout: limit)
        if status == nil {
            child.signal(SIGTERM)
            status = child.wait(timeout: 5) ?? { child.signal(SIGKILL); return child.wait(timeout: 5) }()
        }
        func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return CommandResult(status: status ?? -1, output: text(out), errors: text(err))
    }
}
