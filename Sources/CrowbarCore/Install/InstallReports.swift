/// `POST /nodes/{node}/allocate`: allocation, and with `os` an install of that image (onto `disk`, or the first disk
/// large enough).
public struct AllocateRequest: Sendable, Hashable, Codable {
    /// The OS image to install (`debian-12`); nil allocates only.
    public var os: String?
    /// The disk to install onto (`vda`); nil takes the first disk large enough.
    public var disk: String?

    public init(os: String? = nil, disk: String? = nil) {
        self.os = os
        self.disk = disk
    }
}

/// What the installer posts to `/boot/{mac}/install/progress`.
public struct InstallProgressReport: Sendable, Hashable, Codable {
    /// The installer's phase (`partition`, `image`, `configure`, `bootloader`); at most 32 printable characters are kept.
    public var phase: String
    /// At most 500 printable characters are kept.
    public var message: String

    public init(phase: String, message: String) {
        self.phase = phase
        self.message = message
    }
}

/// What the installer posts to `/boot/{mac}/install/done`: the public half of the host key it generated.
public struct InstallDoneReport: Sendable, Hashable, Codable {
    /// An OpenSSH public key line (`ssh-ed25519 AAAA…`).
    public var hostKey: String

    public init(hostKey: String) { self.hostKey = hostKey }
}

/// What the installer posts to `/boot/{mac}/install/failed`.
public struct InstallFailureReport: Sendable, Hashable, Codable {
    /// What went wrong, for the node's `problem` (at most 500 printable characters are kept).
    public var reason: String

    public init(reason: String) { self.reason = reason }
}
