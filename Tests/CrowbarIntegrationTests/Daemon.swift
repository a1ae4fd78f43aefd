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
    let process = Process()
    let dataDir: URL
    let url: String
    private let logURL: URL

    /// Starts crowbard and waits (at most 20 s) until it prints the URL it listens on.
    init(binaries: Binaries, dataDir: URL) throws {
        self.dataDir = dataDir
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        logURL = dataDir.appendingPathComponent("crowbard.out")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.executableURL = binaries.crowbard
        process.arguments = [
            "--data-dir", dataDir.path, "--listen", "127.0.0.1:0",
            "--barclamps", Fixtures.repositoryRoot.appendingPathComponent("barclamps").path,
            "--recipes", Fixtures.repositoryRoot.appendingPathComponent("recipes").path,
        ]
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        var found: String?
        while found == nil, Date() < deadline, process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
            let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on (http://[0-9.:]+)"#, options: .regularExpression) {
                found = String(text[range].dropFirst("listening on ".count))
            }
        }
        guard let found else {
            process.terminate()
            throw TestFailure("crowbard did not start: \((try? String(contentsOf: logURL, encoding: .utf8)) ?? "")")
        }
        url = found
    }

    /// Sends SIGTERM and waits (at most 10 s) for a graceful exit; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        return process.terminationStatus
    }

    deinit { stop() }
}

/// The result of one `crowbar` run.
struct CommandResult {
    var status: Int32
    var output: String
    var errors: String
}

extension Binaries {
    /// Runs `crowbar` with `arguments` against `daemon`, with a 30 s limit.
    func crowbar(_ arguments: [String], daemon: Daemon, token: String? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = crowbar
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["CROWBAR_URL"] = daemon.url
        environment["CROWBAR_DATA_DIR"] = daemon.dataDir.path
        environment["CROWBAR_TOKEN"] = token
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let timer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: timer)
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timer.cancel()
        return CommandResult(
            status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self),
            errors: String(decoding: errData, as: UTF8.self))
    }
}

enum Fixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
