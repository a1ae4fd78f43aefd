import CrowbarCore

/// How a connection decides whether to trust the host key it is shown (a ``HostKeyPin``: key type and
/// SHA-256 fingerprint, the same value crowbard stores on the node).
public enum HostKeyPolicy: Sendable, Hashable {
    /// Only this key is accepted; any other refuses the connection.
    case pinned(HostKeyPin)
    /// The first key seen is accepted and reported back (`SSHConnection.hostKey`) so the caller can pin it.
    case trustOnFirstUse
}
