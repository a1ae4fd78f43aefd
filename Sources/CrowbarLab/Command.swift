import Foundation
import Subprocess

/// A command that failed, with what it printed.
public struct CommandFailure: Error, CustomStringConvertible {
    public var command: String
    public var status: String
    public var output: String
    public var description: String { "`\(command)` \(status): \(output.trimmingCharacters(in: .whitespacesAndNewlines))" }
}

/// Runs system commands for the lab and reports failures with their output.
enum Command {
    /// Runs `executable arguments…` to completion; throws with its output unless it exits 0.
    /// `environment` adds to the inherited one (for secrets, which must not be in arguments).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> String {
        let variables = Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), Optional($0.value)) })
        let result = try await Subprocess.run(
            .name(executable), arguments: Arguments(arguments), environment: .inherit.updating(variables),
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        guard result.terminationStatus.isSuccess else {
            throw CommandFailure(
                command: ([executable] + arguments).joined(separator: " "), status: "\(result.terminationStatus)",
                output: (result.standardOutput ?? "") + (result.standardError ?? ""))
        }
        return result.standardOutput ?? ""
    }

    /// Whether a command exits 0 (its output is discarded).
    static func succeeds(_ executable: String, _ arguments: [String]) async -> Bool {
        (try? await run(executable, arguments)) != nil
    }

    /// Starts a long-running process in its own session (it outlives the CLI), output to `logFile`.
    static func detach(_ executable: String, _ arguments: [String], environment: [String: String], logFile: String) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A fresh signal state: the caller's threads block most signals, and a child that inherits a blocked SIGCHLD never
        // reaps its own children (ipmi_sim would leave its powered-off QEMU a zombie and never power it on again).
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        // POSIX_SPAWN_SETSID (hidden from Swift behind _GNU_SOURCE) | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF.
        posix_spawnattr_setflags(&attributes, Int16(0x80 | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let path = ["/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"].map { $0 + executable }
            .first { FileManager.default.isExecutableFile(atPath: $0) } ?? executable
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { $1 }
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw CommandFailure(command: path, status: "could not start", output: String(cString: strerror(status)))
        }
        return pid
    }

    /// Writes `pid` to `folder`/pid, where `recordedPID(in:)` finds it again.
    static func record(_ pid: pid_t, in folder: String) throws {
        try String(pid).write(toFile: folder + "/pid", atomically: true, encoding: .utf8)
    }

    /// The process recorded in `folder`, if any.
    static func recordedPID(in folder: String) -> pid_t? {
        (try? String(contentsOfFile: folder + "/pid", encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Whether `pid` names a live process.
    static func isRunning(_ pid: pid_t?) -> Bool { pid.map { kill($0, 0) == 0 } ?? false }

    /// Stops a container's systemd-nspawn like `stop`, then kills the container's init if it outlived nspawn (it does
    /// when nspawn is killed after the 20 s): killing the init of a PID namespace ends every process in it. The init is
    /// told by its start time, so a reused PID is never hit.
    static func stopContainer(_ pid: pid_t) async {
        let inits = ((try? await run("pgrep", ["-P", String(pid)])) ?? "").split(separator: "\n").compactMap { pid_t($0) }
            .map { ($0, startTime(of: $0)) }
        await stop(pid)
        for (child, started) in inits where started != nil && startTime(of: child) == started {
            kill(child, SIGKILL)
        }
    }

    /// Field 22 of /proc/PID/stat (start time in clock ticks), nil when there is no such process.
    static func startTime(of pid: pid_t) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.range(of: ")", options: .backwards) else { return nil }
        let fields = stat[end.upperBound...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }

    /// Stops `pid`: SIGTERM, then SIGKILL if it is still there after 20 s.
    static func stop(_ pid: pid_t) async {
        guard kill(pid, SIGTERM) == 0 else { return }
        for _ in 0..<100 {
            if kill(pid, 0) != 0 { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return }
            try? await Task.sleep(for: .milliseconds(200))
        }
        kill(pid, SIGKILL)
    }
}
