#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-blocking TCP socket connected with a deadline; libssh2 drives it afterwards.
struct TCPSocket: ~Copyable {
    let descriptor: Int32

    /// Resolves `host` and connects to the first address that answers before `deadline`.
    init(host: String, port: Int, deadline: ContinuousClock.Instant) throws(SSHError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw SSHError(.unreachable, "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            cursor = entry.pointee.ai_next
            let fd = socket(entry.pointee.ai_family, entry.pointee.ai_socktype, entry.pointee.ai_protocol)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if connect(fd, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0 || errno == EINPROGRESS {
                do {
                    try Self.waitConnected(fd, deadline: deadline)
                    descriptor = fd
                    return
                } catch {
                    close(fd)
                    if error.code == .connectTimeout { throw error }
                    lastError = error.message
                }
            } else {
                lastError = String(cString: strerror(errno))
                close(fd)
            }
        }
        throw SSHError(.unreachable, "cannot connect to \(host):\(port): \(lastError)")
    }

    private static func waitConnected(_ fd: Int32, deadline: ContinuousClock.Instant) throws(SSHError) {
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let remaining = deadline - .now
        let ready = poll(&poller, 1, Int32(max(0, remaining.milliseconds)))
        guard ready > 0 else { throw SSHError(.connectTimeout, "connect timed out") }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        guard error == 0 else { throw SSHError(.unreachable, String(cString: strerror(error))) }
    }

    deinit { close(descriptor) }
}

extension Duration {
    /// Whole milliseconds, rounded up so a short positive wait never becomes a busy loop.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}

/// Whether something accepts TCP connections at `host:port` within `timeout` (a node's sshd, after its reboot).
public func tcpPortAnswers(host: String, port: Int = 22, timeout: Duration = .seconds(2)) -> Bool {
    (try? TCPSocket(host: host, port: port, deadline: .now + timeout)) != nil
}
