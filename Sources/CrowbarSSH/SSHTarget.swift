/// Where to connect and as whom.
public struct SSHTarget: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String

    public init(host: String, port: Int = 22, user: String = "root") {
        self.host = host
        self.port = port
        self.user = user
    }

    public var description: String { "\(user)@\(host):\(port)" }
}

/// Time limits of a connection.
public struct SSHOptions: Sendable, Hashable {
    /// Limit for TCP connect, handshake and authentication together.
    public var connectTimeout: Duration
    /// Seconds between keepalive messages while a command runs (0 = none).
    public var keepaliveSeconds: Int
    /// Limit for the server to open a command's channel: a connection whose peer went silent (a node powered off
    /// while its connection was kept) fails as `.channelOpen` then, not at the command's own timeout.
    public var channelOpenTimeout: Duration

    public init(connectTimeout: Duration = .seconds(10), keepaliveSeconds: Int = 15, channelOpenTimeout: Duration = .seconds(15)) {
        self.connectTimeout = connectTimeout
        self.keepaliveSeconds = keepaliveSeconds
        self.channelOpenTimeout = channelOpenTimeout
    }
}

/// A piece of a command's output as it arrives.
public struct SSHOutput: Sendable, Hashable {
    public enum Stream: Sendable, Hashable { case stdout, stderr }
    public var stream: Stream
    public var bytes: [UInt8]

    public init(stream: Stream, bytes: [UInt8]) {
        self.stream = stream
        self.bytes = bytes
    }
}

/// How a remote command ended.
public struct SSHExit: Sendable, Hashable {
    /// The exit status (meaningless when `signal` is set).
    public var status: Int32
    /// The signal that killed the command, e.g. `KILL`, if any.
    public var signal: String?

    public init(status: Int32, signal: String? = nil) {
        self.status = status
        self.signal = signal
    }

    public var succeeded: Bool { status == 0 && signal == nil }
}
