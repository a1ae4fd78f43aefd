import CLibSSH2
import CrowbarCore
import Foundation
import NIOConcurrencyHelpers

private let libraryInitialised: Int32 = libssh2_init(0)

/// One authenticated SSH connection to a node (libssh2, non-blocking socket, run on an `SSHWorkerPool`).
/// Operations on one connection run one at a time; use several connections for parallelism.
public final class SSHConnection: @unchecked Sendable {
    public let target: SSHTarget
    /// The key the host presented (and that matched the pin, if one was given).
    public let hostKey: HostKeyPin
    private let pool: SSHWorkerPool
    private let socket: TCPSocket
    private let session: OpaquePointer
    private let options: SSHOptions
    /// Serialises libssh2 calls on `session` and guards `usable`.
    private let lock = NIOLock()
    private var usable = true

    private init(
        target: SSHTarget, hostKey: HostKeyPin, pool: SSHWorkerPool, socket: consuming TCPSocket,
        session: OpaquePointer, options: SSHOptions
    ) {
        self.target = target
        self.hostKey = hostKey
        self.pool = pool
        self.socket = socket
        self.session = session
        self.options = options
    }

    /// Connects, checks the host key against `policy` and authenticates with `identity`.
    public static func connect(
        to target: SSHTarget, identity: SSHIdentity, hostKeyPolicy policy: HostKeyPolicy,
        options: SSHOptions = SSHOptions(), pool: SSHWorkerPool
    ) async throws(SSHError) -> SSHConnection {
        try await pool.run {
            try establish(target: target, identity: identity, policy: policy, options: options, pool: pool)
        }
    }

    private static func establish(
        target: SSHTarget, identity: SSHIdentity, policy: HostKeyPolicy, options: SSHOptions, pool: SSHWorkerPool
    ) throws(SSHError) -> SSHConnection {
        guard libraryInitialised == 0 else { throw SSHError(.handshake, "libssh2_init failed") }
        let deadline = ContinuousClock.now + options.connectTimeout
        let socket = try TCPSocket(host: target.host, port: target.port, deadline: deadline)
        guard let session = libssh2_session_init_ex(nil, nil, nil, nil) else {
            throw SSHError(.handshake, "libssh2 could not allocate a session")
        }
        let waiter = SessionWaiter(
            session: session, descriptor: socket.descriptor, deadline: deadline,
            timeout: SSHError(.connectTimeout, "SSH handshake with \(target) timed out"))
        do throws(SSHError) {
            libssh2_session_set_blocking(session, 0)
            _ = libssh2_session_method_pref(session, LIBSSH2_METHOD_HOSTKEY, preferredHostKeyTypes)
            let handshake = try waiter.status { libssh2_session_handshake(session, socket.descriptor) }
            guard handshake == 0 else {
                throw SSHError(.handshake, "SSH handshake with \(target) failed: \(lastErrorMessage(session))")
            }
            let presented = try presentedHostKey(session)
            if case .pinned(let pinned) = policy, pinned != presented {
                throw SSHError(
                    .hostKeyMismatch,
                    "host key of \(target) changed: pinned \(pinned), presented \(presented); refusing to connect")
            }
            let authenticated = try waiter.status {
                libssh2_userauth_publickey_fromfile_ex(
                    session, target.user, UInt32(target.user.utf8.count), identity.publicKeyPath,
                    identity.privateKeyPath, nil)
            }
            guard authenticated == 0 else {
                throw SSHError(.authentication, "\(target) refused key \(identity.publicKeyPath): \(lastErrorMessage(session))")
            }
            if options.keepaliveSeconds > 0 { libssh2_keepalive_config(session, 1, UInt32(options.keepaliveSeconds)) }
            return SSHConnection(
                target: target, hostKey: presented, pool: pool, socket: socket, session: session, options: options)
        } catch {
            disconnect(session)
            _ = libssh2_session_free(session)
            throw error
        }
    }

    /// Runs `command` through the user's shell, sending `stdin` first, streaming output to `output` as it
    /// arrives (on a pool thread). Throws `.commandTimeout` after `timeout` and `.cancelled` when the calling
    /// task is cancelled; the connection is then disconnected, so sshd ends the session.
    public func execute(
        _ command: String, stdin: [UInt8] = [], timeout: Duration,
        output: @escaping @Sendable (SSHOutput) -> Void = { _ in }
    ) async throws(SSHError) -> SSHExit {
        try await onPool { cancellation in
            try self.blockingExecute(command, stdin: stdin, timeout: timeout, cancellation: cancellation, output: output)
        }
    }

    /// Writes `bytes` to `path` on the node over SFTP (created or truncated, with `mode`).
    public func upload(_ bytes: [UInt8], to path: String, mode: Int32 = 0o600, timeout: Duration = .seconds(60))
        async throws(SSHError)
    {
        try await onPool { cancellation in
            try self.blockingUpload(bytes, to: path, mode: mode, timeout: timeout, cancellation: cancellation)
        }
    }

    /// Says goodbye to the server. Further operations fail; the session is freed with the connection.
    public func close() async {
        _ = try? await pool.run {
            self.lock.withLock {
                if self.usable { Self.disconnect(self.session) }
                self.usable = false
            }
        }
    }

    deinit {
        if usable { Self.disconnect(session) }
        _ = libssh2_session_free(session)
    }

    // MARK: - Blocking parts, run on the pool

    private func onPool<Result: Sendable>(
        _ work: @escaping @Sendable (CancellationFlag) throws -> Result
    ) async throws(SSHError) -> Result {
        let cancellation = CancellationFlag()
        // withTaskCancellationHandler rethrows untyped errors: carry the typed one out as a value.
        let outcome: Swift.Result<Result, SSHError> = await withTaskCancellationHandler {
            do throws(SSHError) {
                return .success(try await pool.run { try self.locked(work, cancellation) })
            } catch {
                return .failure(error)
            }
        } onCancel: {
            cancellation.raise()
        }
        return try outcome.get()
    }

    /// Runs `work` holding the session lock; a timeout, cancellation or broken channel ends the session.
    private func locked<Result>(_ work: (CancellationFlag) throws -> Result, _ cancellation: CancellationFlag) throws -> Result {
        try lock.withLock {
            guard usable else { throw SSHError(.channel, "connection to \(target) is closed") }
            do {
                return try work(cancellation)
            } catch let error as SSHError {
                if error.code == .commandTimeout || error.code == .cancelled || error.code == .channel {
                    // Say goodbye now: sshd then ends the session, and with it the remote command.
                    usable = false
                    Self.disconnect(session)
                }
                throw error
            }
        }
    }

    private func waiter(timeout: Duration, error: SSHError, cancellation: CancellationFlag) -> SessionWaiter {
        SessionWaiter(
            session: session, descriptor: socket.descriptor, deadline: .now + timeout, timeout: error,
            cancellation: cancellation, keepalive: options.keepaliveSeconds > 0)
    }

    private func blockingExecute(
        _ command: String, stdin: [UInt8], timeout: Duration, cancellation: CancellationFlag,
        output: @Sendable (SSHOutput) -> Void
    ) throws(SSHError) -> SSHExit {
        let waiter = waiter(
            timeout: timeout, error: SSHError(.commandTimeout, "command on \(target) timed out after \(timeout)"),
            cancellation: cancellation)
        guard let channel = try waiter.pointer({
            libssh2_channel_open_ex(session, "session", 7, 2 * 1024 * 1024, 32768, nil, 0)
        }) else {
            throw SSHError(.channel, "cannot open a channel to \(target): \(lastErrorMessage(session))")
        }
        defer { Self.release(channel, session: session) }
        let started = try waiter.status {
            libssh2_channel_process_startup(channel, "exec", 4, command, UInt32(command.utf8.count))
        }
        guard started == 0 else { throw SSHError(.channel, "exec refused by \(target): \(lastErrorMessage(session))") }
        try write(stdin, to: channel, waiter: waiter)
        try readUntilEOF(channel, waiter: waiter, output: output)
        _ = try waiter.status { libssh2_channel_close(channel) }
        _ = try waiter.status { libssh2_channel_wait_closed(channel) }
        return SSHExit(status: libssh2_channel_get_exit_status(channel), signal: exitSignal(channel))
    }

    private func write(_ bytes: [UInt8], to channel: OpaquePointer, waiter: SessionWaiter) throws(SSHError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { buffer in
                libssh2_channel_write_ex(channel, 0, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count)
            }
            if written == Int(LIBSSH2_ERROR_EAGAIN) { try waiter.wait(); continue }
            guard written >= 0 else { throw SSHError(.channel, "writing stdin to \(target): \(lastErrorMessage(session))") }
            offset += written
        }
        let eof = try waiter.status { libssh2_channel_send_eof(channel) }
        guard eof == 0 else { throw SSHError(.channel, "closing stdin on \(target): \(lastErrorMessage(session))") }
    }

    private func readUntilEOF(
        _ channel: OpaquePointer, waiter: SessionWaiter, output: @Sendable (SSHOutput) -> Void
    ) throws(SSHError) {
        var buffer = [CChar](repeating: 0, count: 32768)
        let streams: [(Int32, SSHOutput.Stream)] = [(0, .stdout), (SSH_EXTENDED_DATA_STDERR, .stderr)]
        while true {
            try waiter.check()
            var progressed = false
            for (streamID, stream) in streams {
                while true {
                    let count = libssh2_channel_read_ex(channel, streamID, &buffer, buffer.count)
                    if count > 0 {
                        output(SSHOutput(stream: stream, bytes: buffer[..<count].map { UInt8(bitPattern: $0) }))
                        progressed = true
                        continue
                    }
                    if count == 0 || count == Int(LIBSSH2_ERROR_EAGAIN) { break }
                    throw SSHError(.channel, "reading from \(target): \(lastErrorMessage(session))")
                }
            }
            if libssh2_channel_eof(channel) != 0 { return }
            if !progressed { try waiter.wait() }
        }
    }

    private func exitSignal(_ channel: OpaquePointer) -> String? {
        var name: UnsafeMutablePointer<CChar>?
        var length = 0
        guard libssh2_channel_get_exit_signal(channel, &name, &length, nil, nil, nil, nil) == 0, let name else {
            return nil
        }
        defer { free(name) }
        return length > 0 ? String(cString: name) : nil
    }

    private func blockingUpload(
        _ bytes: [UInt8], to path: String, mode: Int32, timeout: Duration, cancellation: CancellationFlag
    ) throws(SSHError) {
        let waiter = waiter(
            timeout: timeout, error: SSHError(.commandTimeout, "upload of \(path) to \(target) timed out"),
            cancellation: cancellation)
        guard let sftp = try waiter.pointer({ libssh2_sftp_init(session) }) else {
            throw SSHError(.transfer, "cannot start SFTP on \(target): \(lastErrorMessage(session))")
        }
        defer { _ = try? waiter.status { libssh2_sftp_shutdown(sftp) } }
        let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC)
        guard let handle = try waiter.pointer({
            libssh2_sftp_open_ex(sftp, path, UInt32(path.utf8.count), flags, Int(mode), LIBSSH2_SFTP_OPENFILE)
        }) else {
            throw SSHError(.transfer, "cannot open \(path) on \(target): SFTP status \(libssh2_sftp_last_error(sftp))")
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { buffer in
                libssh2_sftp_write(handle, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count)
            }
            if written == Int(LIBSSH2_ERROR_EAGAIN) { try waiter.wait(); continue }
            guard written >= 0 else {
                _ = libssh2_sftp_close_handle(handle)
                throw SSHError(.transfer, "writing \(path) on \(target): \(lastErrorMessage(session))")
            }
            offset += written
        }
        let closed = try waiter.status { libssh2_sftp_close_handle(handle) }
        guard closed == 0 else { throw SSHError(.transfer, "closing \(path) on \(target): \(lastErrorMessage(session))") }
    }

    // MARK: - Teardown

    /// Frees a channel, waiting at most a second for the server.
    private static func release(_ channel: OpaquePointer, session: OpaquePointer) {
        libssh2_session_set_blocking(session, 1)
        libssh2_session_set_timeout(session, 1000)
        _ = libssh2_channel_free(channel)
        libssh2_session_set_timeout(session, 0)
        libssh2_session_set_blocking(session, 0)
    }

    /// Says goodbye to the server, waiting at most a second for it.
    private static func disconnect(_ session: OpaquePointer) {
        libssh2_session_set_blocking(session, 1)
        libssh2_session_set_timeout(session, 1000)
        _ = libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "crowbar closing", "")
    }
}

/// Host key algorithms in order of preference: ed25519 first, so a node is pinned by the same key type each time.
private let preferredHostKeyTypes =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa"

/// The key the server presented in the handshake, with OpenSSH's fingerprint format.
private func presentedHostKey(_ session: OpaquePointer) throws(SSHError) -> HostKeyPin {
    var length = 0
    var type: Int32 = 0
    guard libssh2_session_hostkey(session, &length, &type) != nil,
          let digest = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256)
    else { throw SSHError(.handshake, "server presented no host key") }
    let bytes = Data(bytes: digest, count: 32).base64EncodedString()
    return HostKeyPin(type: hostKeyTypeName(type), fingerprint: "SHA256:" + bytes.trimmingCharacters(in: ["="]))
}

private func hostKeyTypeName(_ type: Int32) -> String {
    switch type {
    case LIBSSH2_HOSTKEY_TYPE_RSA: "ssh-rsa"
    case LIBSSH2_HOSTKEY_TYPE_DSS: "ssh-dss"
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: "ecdsa-sha2-nistp256"
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: "ecdsa-sha2-nistp384"
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: "ecdsa-sha2-nistp521"
    case LIBSSH2_HOSTKEY_TYPE_ED25519: "ssh-ed25519"
    default: "unknown-\(type)"
    }
}
