import CrowbarControl
import Hummingbird
import Logging

/// Builds the API application bound to `host:port`; `onListening` receives the bound port
/// (useful with port 0).
public func buildApplication(
    control: Control, token: String, host: String, port: Int, logger: Logger,
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(control: control, token: token),
        configuration: .init(address: .hostname(host, port: port), serverName: "crowbard"),
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
        logger: logger)
}
