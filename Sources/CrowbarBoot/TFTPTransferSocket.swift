import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A transfer's own blocking UDP socket, bound to an ephemeral port (the transfer's ID). A receive waits at most
/// `waitSlice`, so the thread that owns it notices a stop and its retransmission deadline.
struct TFTPTransferSocket: ~Copyable {
    /// A datagram's source address, as the kernel wrote it.
    struct Source {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)

        var port: UInt16 {
            withUnsafeBytes(of: storage) { bytes in
                switch Int32(storage.ss_family) {
                case AF_INET: UInt16(bigEndian: bytes.load(fromByteOffset: MemoryLayout<sockaddr_in>.offset(of: \.sin_port)!, as: UInt16.self))
                case AF_INET6: UInt16(bigEndian: bytes.load(fromByteOffset: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_port)!, as: UInt16.self))
                default: 0
                }
            }
        }

        /// Whether this is `other`'s family, port and address (and IPv6 scope; flow labels and zero padding aside).
        func isSame(as other: Source) -> Bool {
            guard storage.ss_family == other.storage.ss_family else { return false }
            return withUnsafeBytes(of: storage) { mine in
                withUnsafeBytes(of: other.storage) { theirs in
                    switch Int32(storage.ss_family) {
                    case AF_INET:
                        let port = MemoryLayout<sockaddr_in>.offset(of: \.sin_port)!
                        let address = MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)!
                        return mine[port..<port + 2].elementsEqual(theirs[port..<port + 2])
                            && mine[address..<address + 4].elementsEqual(theirs[address..<address + 4])
                    case AF_INET6:
                        let port = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_port)!
                        let address = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!
                        let scope = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_scope_id)!
                        return mine[port..<port + 2].elementsEqual(theirs[port..<port + 2])
                            && mine[address..<address + 16].elementsEqual(theirs[address..<address + 16])
                            && mine[scope..<scope + 4].elementsEqual(theirs[scope..<scope + 4])
                    default:
                        return false
                    }
                }
            }
        }
    }

    let descriptor: CInt

    /// A socket bound to `local` (port 0: the kernel picks one).
    init(local: SocketAddress, waitSlice: Duration) throws(UDPSocket.SetupError) {
        let descriptor = try UDPSocket.opened(local.protocol.rawValue)
        let seconds = waitSlice.components.seconds
        var wait = timeval(tv_sec: Int(seconds), tv_usec: Int(waitSlice.components.attoseconds / 1_000_000_000_000))
        try UDPSocket.check(
            local.withSockAddr { address, length in bind(descriptor, address, socklen_t(length)) }, "bind \(local)", closing: descriptor)
        try UDPSocket.check(
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size)), "SO_RCVTIMEO", closing: descriptor)
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Sends one datagram; a failed send is left to the retransmission timer, as a lost packet is.
    func send(_ bytes: UnsafeRawBufferPointer, to destination: Source) {
        withUnsafePointer(to: destination.storage) { storage in
            storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                _ = sendto(descriptor, bytes.baseAddress, bytes.count, 0, address, destination.length)
            }
        }
    }

    /// Waits up to the wait slice for a datagram: its length and source, or nil when none came.
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> (count: Int, source: Source)? {
        var source = Source()
        let count = withUnsafeMutablePointer(to: &source.storage) { storage in
            storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                recvfrom(descriptor, buffer.baseAddress, buffer.count, 0, address, &source.length)
            }
        }
        return count >= 0 ? (count, source) : nil
    }
}

extension TFTPTransferSocket.Source {
    /// The raw form of an address NIO received.
    init(_ address: SocketAddress) {
        address.withSockAddr { pointer, length in
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: length)) }
            self.length = socklen_t(length)
        }
    }
}
