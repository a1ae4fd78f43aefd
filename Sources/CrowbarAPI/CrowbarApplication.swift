import CrowbarControl
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL
import Logging

/// Builds the API application bound to `host:port`, over HTTPS when given `tls`; `onListening` receives the bound port
/// (useful with port 0). A connection idle for `idleTimeout` is closed (a streamed answer, such as a followed log,
/// is not idle).
public func buildApplication(
    control: Control, token: String, host: String, port: Int, tls: TLSConfiguration? = nil, idleTimeout: Duration = .seconds(60),
    metrics: MetricsEndpoint? = nil, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let http = HTTPServerBuilder.http1(configuration: .init(idleTimeout: TimeAmount(idleTimeout)))
    return Application(
        router: buildRouter(control: control, token: token, metrics: metrics),
        server: try tls.map { try .tls(http, tlsConfiguration: $0) } ?? http,
        configuration: .init(address: .hostname(host, port: port), serverName: "crowbard"),
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
        logger: logger)
}
