/// A failure of the SSH transport, with a code a caller can branch on and a message for the operator.
public struct SSHError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as an open set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The address could not be resolved or the TCP connection was refused.
        public static let unreachable = Code("unreachable")
        /// The TCP connect or the SSH handshake did not finish in time.
        public static let connectTimeout = Code("connect timeout")
        /// The SSH handshake or key exchange failed.
        public static let handshake = Code("handshake")
        /// The node has no pinned host key, so it is not connected to (no trust on first use).
        public static let noPinnedKey = Code("no pinned host key")
        /// The host presented a key other than the pinned one.
        public static let hostKeyMismatch = Code("host key mismatch")
        /// The server refused our key.
        public static let authentication = Code("authentication")
        /// A command ran longer than its timeout.
        public static let commandTimeout = Code("command timeout")
        /// Driving a channel failed, or the connection dropped.
        public static let channel = Code("channel")
        /// The server did not open a channel: nothing ran, so the command may be sent again on a new connection.
        public static let channelOpen = Code("channel open")
        /// An SFTP upload failed.
        public static let transfer = Code("transfer")
        /// The calling task was cancelled.
        public static let cancelled = Code("cancelled")
        /// Our key pair could not be read or created.
        public static let identity = Code("identity")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
