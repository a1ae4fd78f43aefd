import Foundation

/// Runs the real `crowbard` and `crowbar` binaries built next to the test bundle.
struct Binaries {
    let folder: URL

    /// Finds the build's products folder: the one holding the test bundle, or `CROWBAR_BIN_DIR`.
    init() throws {
        if let override = ProcessInfo.processInfo.environment["CROWBAR_BIN_DIR"] {
            folder = URL(fileURLWithPath: override)
        } else {
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            var candidate = executable.deletingLastPathComponent()
            for _ in 0..<4 where !FileManager.default.fileExists(atPath: candidate.appendingPathComponent("crowbard").path) {
                candidate = candidate.deletingLastPathComponent()
            }
            folder = candidate
        }
        guard FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("crowbard").path) else {
            throw TestFailure("crowbard is not built in \(folder.path); run swift build first")
        }
    }

    var crowbard: URL { folder.appendingPathComponent("crowbard") }
    var crowbar: URL { folder.appendingPathComponent("crowbar") }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A `crowbard` process on a free loopback port with its own data folder.
final class Daemon {
    private let child: ChildProcess
    let dataDir: URL
    let url: String
    private let logURL: URL

    /// Starts crowbard and waits (at most 20 s) for its ready file, which holds the URL it listens on; `environment`
    /// adds to the test's own (`CROWBAR_CRASH_AT` arms a crash point).
    init(
        binaries: Binaries, dataDir: URL, definitions: URL = Fixtures.repositoryRoot, listen: String = "127.0.0.1:0",
        extraArguments: [String] = [], environment: [String: String] = [:]
    ) throws {
        self.dataDir = dataDir
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        logURL = dataDir.appendingPathComponent("crowbard.out")
        let ready = dataDir.appendingPathComponent("ready")
        try? FileManager.default.removeItem(at: ready)
        child = try ChildProcess(
            binaries.crowbard.path,
            [
                "--data-dir", dataDir.path, "--listen", listen, "--ready-file", ready.path,
                "--barclamps", definitions.appendingPathComponent("barclamps").path,
                "--recipes", definitions.appendingPathComponent("recipes").path,
            ] + extraArguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, stdout: logURL.path, stderr: logURL.path)
        var found: String?
        for _ in 0..<400 where child.isRunning {
            if let text = try? String(contentsOf: ready, encoding: .utf8), text.hasSuffix("\n") {
                found = text.trimmingCharacters(in: .whitespacesAndNewlines)
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard let found else {
            child.signal(SIGKILL)
            throw TestFailure("crowbard did not start: \((try? String(contentsOf: logURL, encoding: .utf8)) ?? "")")
        }
        url = found
    }

    /// Sends SIGTERM and waits (at most 10 s) for a graceful exit; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        child.signal(SIGTERM)
        if let status = child.wait(timeout: 10) { return status }
        child.signal(SIGKILL)
        return child.wait(timeout: 5) ?? -1
    }

    /// Kills crowbard with SIGKILL, as a crash would, and waits for it to be gone.
    func crash() {
        child.signal(SIGKILL)
        _ = child.wait(timeout: 5)
    }

    /// Waits (at most `timeout` seconds) for crowbard to end by itself; its exit status, or nil while it runs.
    func waitForExit(timeout: TimeInterval) -> Int32? { child.wait(timeout: timeout) }

    /// What crowbard printed so far.
    var output: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    deinit { stop() }
}

extension Binaries {
    /// Runs `crowbar` with `arguments` against `daemon`, with a time limit (30 s unless given).
    func crowbar(_ arguments: [String], daemon: Daemon, token: String? = nil, limit: TimeInterval = 30) throws -> CommandResult {
        var environment = ProcessInfo.processInfo.environment
        environment["CROWBAR_URL"] = daemon.url
        environment["CROWBAR_DATA_DIR"] = daemon.dataDir.path
        environment["CROWBAR_TOKEN"] = token
        return try CommandResult.run(crowbar.path, arguments, environment: environment, limit: limit)
    }
}

enum Fixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
