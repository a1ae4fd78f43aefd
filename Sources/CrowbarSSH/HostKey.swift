/// A server's host key as OpenSSH prints it: the key type and its SHA-256 fingerprint.
public struct HostKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The key algorithm, e.g. `ssh-ed25519`.
    public var type: String
    /// `SHA256:` followed by the unpadded base64 of the key blob's digest, as `ssh-keygen -l` shows it.
    public var fingerprint: String

    public init(type: String, fingerprint: String) {
        self.type = type
        self.fingerprint = fingerprint
    }

    public var description: String { "\(type) \(fingerprint)" }
}

/// How a connection decides whether to trust the host key it is shown.
public enum HostKeyPolicy: Sendable, Hashable {
    /// Only this key is accepted; any other refuses the connection.
    case pinned(HostKey)
    /// The first key seen is accepted and reported back (`SSHConnection.hostKey`) so the caller can pin it.
    case trustOnFirstUse
}
