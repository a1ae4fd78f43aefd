import CrowbarControl
import Hummingbird
import NIOCore
import Logging

/// Builds the API application bound to `host:port`; `onListening` receives the bound port
/// (useful with port 0). A connection idle for `idleTimeout` is closed (a streamed answer, such as a followed log,
/// is not idle).
public func buildApplication(
    control: Control, token: String, host: String, port: Int, idleTimeout: Duration = .seconds(60), logger: Logger,
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(control: control, token: token),
        server: .http1(configuration: .init(idleTimeout: TimeAmount(idleTimeout))),
        configuration: .init(address: .hostname(host, port: port), serverName: "crowbard"),
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
        logger: logger)
}
