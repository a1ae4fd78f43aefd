import CrowbarCore
import Foundation
import Hummingbird
import NIOCore

/// The request context of the Crowbar API: the stable JSON coders, and the peer's IPv4 address (the socket's,
/// never a header's), which the boot service checks install calls against.
public struct CrowbarRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The IPv4 address the request came from; nil for other peers (IPv6, tests without a socket).
    public let peerAddress: IPv4Address?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress.flatMap(IPv4Address.init)
    }

    public var requestDecoder: JSONDecoder { .crowbar }
    public var responseEncoder: JSONEncoder { .crowbar }
    public var maxUploadSize: Int { 8 * 1024 * 1024 }
}
