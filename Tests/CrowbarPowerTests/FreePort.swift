import CrowbarCore
import Foundation

/// A loopback port nothing listens on right now, for sockets of `type` (`SOCK_DGRAM` for IPMI, `SOCK_STREAM` for
/// HTTPS): the kernel's choice for a socket bound to port 0.
func freeLoopbackPort(_ type: __socket_type) throws -> Int {
    let socket = Glibc.socket(AF_INET, Int32(type.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
    }
    guard bound else { throw CrowbarError(.conflict, "no free loopback port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
