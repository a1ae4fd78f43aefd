import CrowbarSSH
import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A real OpenSSH server on a free loopback port, with its own host key and an authorized client key,
/// in a temporary folder. It runs as the current user, so it accepts that user only.
final class LocalSSHServer: Sendable {
    let folder: URL
    let port: Int
    let user: String
    let client: SSHIdentity
    let hostKeyPublicPath: String
    private let pid: pid_t

    static func start() async throws -> LocalSSHServer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-sshd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let hostKey = folder.appendingPathComponent("host_ed25519").path
        try await command("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey])
        let client = try await SSHIdentity.loadOrCreate(in: folder.appendingPathComponent("client").path)
        let authorized = folder.appendingPathComponent("authorized_keys")
        try (try client.publicKey() + "\n").write(to: authorized, atomically: true, encoding: .utf8)
        let port = try freePort()
        let config = folder.appendingPathComponent("sshd_config")
        try """
        ListenAddress 127.0.0.1:\(port)
        HostKey \(hostKey)
        AuthorizedKeysFile \(authorized.path)
        PidFile none
        StrictModes no
        UsePAM no
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin prohibit-password
        Subsystem sftp internal-sftp
        LogLevel ERROR
        """.write(to: config, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let pid = try spawn("/usr/sbin/sshd", ["-D", "-f", config.path])
        let server = LocalSSHServer(folder: folder, port: port, client: client, hostKey: hostKey, pid: pid)
        try await server.waitUntilListening()
        return server
    }

    private init(folder: URL, port: Int, client: SSHIdentity, hostKey: String, pid: pid_t) {
        self.folder = folder
        self.port = port
        self.client = client
        self.hostKeyPublicPath = hostKey + ".pub"
        self.pid = pid
        user = String(cString: getpwuid(getuid()).pointee.pw_name)
    }

    var target: SSHTarget { SSHTarget(host: "127.0.0.1", port: port, user: user) }

    /// The host key's fingerprint as `ssh-keygen -l` prints it: the reference our own computation must match.
    func openSSHFingerprint() async throws -> String {
        let output = try await Self.command("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", hostKeyPublicPath])
        return output.split(separator: " ")[1].description
    }

    private func waitUntilListening() async throws {
        for _ in 0..<100 {
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == 0 else { throw TestFailure("sshd exited with status \(status)") }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: port)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            close(fd)
            if connected == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("sshd did not listen on \(port) within 5 s")
    }

    deinit {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs a short command to completion and returns its standard output.
    @discardableResult
    static func command(_ executable: String, _ arguments: [String]) async throws -> String {
        let result = try await run(.path(FilePath(executable)), arguments: Arguments(arguments), output: .string(limit: 65536))
        guard result.terminationStatus.isSuccess else {
            throw TestFailure("\(executable) \(arguments) ended \(result.terminationStatus)")
        }
        return result.standardOutput ?? ""
    }

    /// Starts a long-running process whose stdio goes to /dev/null; the caller reaps it.
    private static func spawn(_ executable: String, _ arguments: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard status == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(status)))") }
        return pid
    }

    /// A port nobody listens on right now (bound and released; sshd takes it a moment later).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                guard bind(fd, $0, length) == 0, getsockname(fd, $0, &length) == 0 else {
                    throw TestFailure("cannot bind a loopback port")
                }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
