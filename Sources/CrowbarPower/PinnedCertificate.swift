import Crypto
import CrowbarCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Fetches a BMC's TLS certificate and accepts it only if its SHA-256 fingerprint is the pinned one. The certificate
/// then becomes the single trust root of the HTTPS requests to that BMC, so a BMC that later presents another
/// certificate is refused too. (BMCs present self-signed certificates; one signed by a CA would need its chain.)
enum PinnedCertificate {
    static func fetch(host: String, port: Int, pin: CertificateFingerprint, timeout: Duration) async throws -> NIOSSLCertificate {
        let target = "BMC \(host):\(port)"
        let presented = NIOLockedValueBox<(certificate: NIOSSLCertificate, matches: Bool)?>(nil)
        var configuration = TLSConfiguration.makeClientConfiguration()
        // Not `.none`: NIOSSL calls the custom verification below only when verification is on; the callback then
        // replaces the chain check, and host names are not checked (BMCs are reached by address).
        configuration.certificateVerification = .noHostnameVerification
        let context = try NIOSSLContext(configuration: configuration)
        let group = MultiThreadedEventLoopGroup.singleton
        let handshake = group.any().makePromise(of: Void.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.milliseconds(timeout.wholeMilliseconds))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let verifier = try NIOSSLClientHandler(
                            context: context, serverHostname: nil,
                            customVerificationCallback: { certificates, promise in
                                guard let leaf = certificates.first, let der = try? leaf.toDERBytes() else { return promise.succeed(.failed) }
                                let matches = CertificateFingerprint(bytes: SHA256.hash(data: der)) == pin
                                presented.withLockedValue { $0 = (leaf, matches) }
                                promise.succeed(matches ? .certificateVerified : .failed)
                            })
                        try channel.pipeline.syncOperations.addHandlers(verifier, HandshakeWatcher(done: handshake))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            handshake.fail(error)
            throw PowerFailure(.unreachable, "\(target) does not answer: \(error)")
        }
        defer { channel.close(promise: nil) }
        let timer = channel.eventLoop.scheduleTask(in: .milliseconds(timeout.wholeMilliseconds)) {
            handshake.fail(PowerFailure(.timeout, "\(target) did not finish TLS within \(timeout)"))
        }
        defer { timer.cancel() }
        do {
            try await handshake.futureResult.get()
        } catch let failure as PowerFailure {
            throw failure
        } catch {
            if presented.withLockedValue({ $0 })?.matches == false {
                throw PowerFailure(.authRefused, "\(target) presented a certificate that does not match its pinned SHA-256 fingerprint \(pin)")
            }
            throw PowerFailure(.failed, "\(target) TLS handshake failed: \(error)")
        }
        guard let presented = presented.withLockedValue({ $0 }), presented.matches else {
            throw PowerFailure(.failed, "\(target) presented no certificate")
        }
        return presented.certificate
    }
}

/// Completes `done` when the TLS handshake completes, fails it when the channel errors or closes first.
private final class HandshakeWatcher: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let done: EventLoopPromise<Void>

    init(done: EventLoopPromise<Void>) { self.done = done }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls { done.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }
}
