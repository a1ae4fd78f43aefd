/// Where the API listens (`crowbard --listen HOST:PORT`), and whether only this machine can reach it there.
public struct ListenAddress: Sendable, Hashable {
    public var host: String
    public var port: Int

    /// `HOST:PORT`; nil when the text is not that or the port is out of range.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        let host = String(text[..<colon])
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }

    /// Whether the host is a loopback address or name (127.0.0.0/8, ::1, localhost): nothing off this machine can
    /// connect, so plain HTTP exposes the token to nobody. Anything else (`0.0.0.0`, an interface's address, a name)
    /// is reachable from a network.
    public var isLoopback: Bool {
        if ["localhost", "::1", "[::1]"].contains(host) { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
