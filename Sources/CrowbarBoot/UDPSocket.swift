#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// UDP sockets set up by hand: DHCP's, prepared before NIO takes it over (options NIO's channel options cannot set: a
/// device binding takes a string), and the TFTP transfers' blocking ones (`TFTPTransferSocket`).
enum UDPSocket {
    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    /// A socket on `0.0.0.0:port` that only sees traffic of `device` (so it receives broadcasts there and nowhere
    /// else), with broadcast sending, address reuse and a large receive buffer.
    static func boundToDevice(_ device: String, port: Int) throws -> CInt {
        let descriptor = try opened(AF_INET, Int32(SOCK_NONBLOCK.rawValue))
        func check(_ result: CInt, _ what: String) throws(SetupError) { try UDPSocket.check(result, what, closing: descriptor) }
        var one: CInt = 1
        try check(setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size)), "SO_REUSEADDR")
        try check(setsockopt(descriptor, SOL_SOCKET, SO_BROADCAST, &one, socklen_t(MemoryLayout<CInt>.size)), "SO_BROADCAST")
        // Room for a burst of a rack powering on at once (the kernel caps it at net.core.rmem_max).
        var receiveBuffer: CInt = 4 << 20
        try check(setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, socklen_t(MemoryLayout<CInt>.size)), "SO_RCVBUF")
        try check(
            device.withCString { setsockopt(descriptor, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(device.utf8.count + 1)) },
            "SO_BINDTODEVICE \(device)")
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: INADDR_ANY)
        try check(
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }, "bind 0.0.0.0:\(port) on \(device)")
        return descriptor
    }

    /// A new close-on-exec UDP socket of `family`, with more socket `flags`.
    static func opened(_ family: CInt, _ flags: CInt = 0) throws(SetupError) -> CInt {
        let descriptor = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | flags, 0)
        guard descriptor >= 0 else { throw SetupError(description: "socket: \(String(cString: strerror(errno)))") }
        return descriptor
    }

    /// Throws what failed and why (errno), after closing `descriptor`, when a setup call's `result` is not 0.
    static func check(_ result: CInt, _ what: String, closing descriptor: CInt) throws(SetupError) {
        guard result != 0 else { return }
        let reason = String(cString: strerror(errno))
        close(descriptor)
        throw SetupError(description: "\(what): \(reason)")
    }
}
