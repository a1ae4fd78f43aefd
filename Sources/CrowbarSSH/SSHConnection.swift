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
    let pool: SSHWorkerPool
    let socket: TCPSocket
    let session: OpaquePointer
    let options: SSHOptions
    /// Serialises libssh2 calls on `session` and guards `usable`.
    let lock = NIOLock()
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

    /// Connects, refuses any host key but `pinned` (there is no trust on first use: the pin comes from a trusted
    /// channel) and authenticates with `identity`.
    public static func connect(
        to target: SSHTarget, identity: SSHIdentity, pinned: HostKeyPin, options: SSHOptions = SSHOptions(), pool: SSHWorkerPool
    ) async throws(SSHError) -> SSHConnection {
        try await pool.run {
            try establish(target: target, identity: identity, pinned: pinned, options: options, pool: pool)
        }
    }

    private static func establish(
        target: SSHTarget, identity: SSHIdentity, pinned: HostKeyPin, options: SSHOptions, pool: SSHWorkerPool
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
            if pinned != presented {
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

    /// This may run on any thread, Swift's cooperative pool included, so nothing here waits on the peer: the socket is
    /// shut down before the session is freed, or freeing a session whose channel never opened (a peer gone silent)
    /// would wait for the peer to close that channel, a second per wait, blocking whoever let go of the connection.
    deinit {
        if usable { Self.disconnect(session) }
        _ = Glibc.shutdown(socket.descriptor, Int32(SHUT_RDWR))
        _ = libssh2_session_free(session)
    }

    // MARK: - Blocking parts, run on the pool

    func onPool<Result: Sendable>(
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
    func locked<Result>(_ work: (CancellationFlag) throws -> Result, _ cancellation: CancellationFlag) throws -> Result {
        try lock.withLock {
            guard usable else { throw SSHError(.channel, "connection to \(target) is closed") }
            do {
                return try work(cancellation)
            } catch let error as SSHError {
                if [.commandTimeout, .cancelled, .channel, .channelOpen].contains(error.code) {
                    // Say goodbye now: sshd then ends the session, and with it the remote command.
                    usable = false
                    Self.disconnect(session)
                }
                throw error
            }
        }
    }

    func waiter(timeout: Duration, error: SSHError, cancellation: CancellationFlag) -> SessionWaiter {
        SessionWaiter(
            session: session, descriptor: socket.descriptor, deadline: .now + timeout, timeout: error,
            cancellation: cancellation, keepalive: options.keepaliveSeconds > 0)
    }

    // MARK: - Teardown

    /// Frees a channel, waiting at most a second for the server.
    static func release(_ channel: OpaquePointer, session: OpaquePointer) {
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
