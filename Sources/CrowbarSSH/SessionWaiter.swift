import CLibSSH2
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Set from a task's cancellation handler; read by the blocking loop on a pool thread.
final class CancellationFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    func raise() { raised.store(true, ordering: .relaxed) }
    var isRaised: Bool { raised.load(ordering: .relaxed) }
}

/// Drives non-blocking libssh2 calls: repeats a call that answers EAGAIN after polling the socket in the
/// direction libssh2 is blocked on, until a deadline or cancellation. Sends keepalives while it waits.
struct SessionWaiter {
    let session: OpaquePointer
    let descriptor: Int32
    let deadline: ContinuousClock.Instant
    let timeout: SSHError
    var cancellation: CancellationFlag?
    var keepalive = false

    /// Fails when the deadline has passed or the caller was cancelled.
    func check() throws(SSHError) {
        if cancellation?.isRaised == true { throw SSHError(.cancelled, "cancelled") }
        if ContinuousClock.now >= deadline { throw timeout }
    }

    /// Waits (at most 200 ms per poll) until the socket is ready in the direction libssh2 needs.
    func wait() throws(SSHError) {
        try check()
        let directions = libssh2_session_block_directions(session)
        var events: Int16 = 0
        if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
        var poller = pollfd(fd: descriptor, events: events == 0 ? Int16(POLLIN) : events, revents: 0)
        let slice = min(max(0, (deadline - .now).milliseconds), 200)
        _ = poll(&poller, 1, Int32(slice))
        if keepalive {
            var nextSeconds: Int32 = 0
            _ = libssh2_keepalive_send(session, &nextSeconds)
        }
        try check()
    }

    /// Repeats a call returning a libssh2 status while it is EAGAIN; returns the final status.
    func status(_ call: () -> Int32) throws(SSHError) -> Int32 {
        while true {
            let result = call()
            guard result == LIBSSH2_ERROR_EAGAIN else { return result }
            try wait()
        }
    }

    /// Repeats a call returning a pointer while it is nil with the session's last error EAGAIN.
    func pointer<Pointer>(_ call: () -> Pointer?) throws(SSHError) -> Pointer? {
        while true {
            if let result = call() { return result }
            guard libssh2_session_last_errno(session) == LIBSSH2_ERROR_EAGAIN else { return nil }
            try wait()
        }
    }
}

/// The session's last error message, e.g. "Unable to send FXP_OPEN*" (-31).
func lastErrorMessage(_ session: OpaquePointer) -> String {
    var message: UnsafeMutablePointer<CChar>?
    var length: Int32 = 0
    let code = libssh2_session_last_error(session, &message, &length, 0)
    let text = message.map { String(cString: $0) } ?? "unknown error"
    return "\(text) (libssh2 \(code))"
}
