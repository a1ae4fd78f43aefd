import CrowbarCore
import Foundation

/// What installs need from the crowbard they run in.
public struct InstallSettings: Sendable {
    /// Where the OS images are.
    public var images: OSImageDirectory
    /// Where installers fetch the image and the repository (crowbard's HTTP boot service).
    public var endpoints: BootEndpoints
    /// crowbard's public key line, for the installed root's authorized_keys.
    public var authorizedKey: @Sendable () throws -> String
    /// The OpenPGP key (armored) crowbard signs its offline repository with: the installed apt trusts it alone.
    public var repositoryKey: String
    /// Whether a node's SSH port answers at an address (the installed OS is up).
    public var sshAnswers: @Sendable (IPv4Address) async -> Bool
    /// How long an install may take from its start to the installer's report.
    public var timeout: Duration
    /// How long an installed node may take to boot its disk until SSH answers.
    public var bootTimeout: Duration

    /// Defaults: 30 minutes for an install, 10 for the installed system's first boot.
    public init(
        images: OSImageDirectory, endpoints: BootEndpoints, authorizedKey: @escaping @Sendable () throws -> String,
        repositoryKey: String, sshAnswers: @escaping @Sendable (IPv4Address) async -> Bool, timeout: Duration = .seconds(30 * 60), bootTimeout: Duration = .seconds(10 * 60)
    ) {
        self.images = images
        self.endpoints = endpoints
        self.authorizedKey = authorizedKey
        self.repositoryKey = repositoryKey
        self.sshAnswers = sshAnswers
        self.timeout = timeout
        self.bootTimeout = bootTimeout
    }
}
