import Foundation

/// What the installer on a node is told to do (`GET /boot/{mac}/install/plan`), sent as `KEY=VALUE` lines that
/// the installer checks against strict patterns before use (iso/discovery/install).
public struct InstallPlan: Sendable, Hashable {
    /// The disk to partition (`vda`, `nvme0n1`).
    public var disk: String
    /// The installer refuses a disk smaller than this (``OSImage/minimumDiskBytes``).
    public var minimumBytes: Int64
    /// The root filesystem's UUID (crowbard's choice, so fstab and grub need no probing tool in the installer).
    public var rootUUID: String
    /// Where the image is, on crowbard's HTTP boot service.
    public var imageURL: String
    /// The image's SHA-256, hex: checked before anything from it runs.
    public var imageSHA256: String
    /// The node's name.
    public var hostname: String
    /// The node's static admin address with its prefix length (`192.168.124.81/24`).
    public var address: String
    /// The admin network's router, if it has one.
    public var gateway: IPv4Address?
    /// A name server, if one is known at install time.
    public var dns: IPv4Address?
    /// The MAC the installed system's admin interface is matched by.
    public var bootMAC: MACAddress
    /// crowbard's public key, for root's authorized_keys.
    public var authorizedKey: String
    /// The offline Debian repository the node's apt uses.
    public var repository: String
    /// The OpenPGP public key (armored) the repository is signed with, the only one the node's apt trusts for it;
    /// base64 in the plan, which holds one line per value.
    public var repositoryKey: String

    public init(
        disk: String, minimumBytes: Int64, rootUUID: String, imageURL: String, imageSHA256: String, hostname: String, address: String,
        gateway: IPv4Address?, dns: IPv4Address?, bootMAC: MACAddress, authorizedKey: String, repository: String,
        repositoryKey: String
    ) {
        self.disk = disk
        self.minimumBytes = minimumBytes
        self.rootUUID = rootUUID
        self.imageURL = imageURL
        self.imageSHA256 = imageSHA256
        self.hostname = hostname
        self.address = address
        self.gateway = gateway
        self.dns = dns
        self.bootMAC = bootMAC
        self.authorizedKey = authorizedKey
        self.repository = repository
        self.repositoryKey = repositoryKey
    }

    /// The plan as the installer reads it; every value on one line (newlines in a value would forge a key).
    public var text: String {
        let fields: [(String, String)] = [
            ("DISK", disk), ("MIN_BYTES", String(minimumBytes)), ("ROOT_UUID", rootUUID), ("IMAGE_URL", imageURL),
            ("IMAGE_SHA256", imageSHA256), ("HOSTNAME", hostname), ("ADDRESS", address), ("GATEWAY", gateway?.description ?? ""),
            ("DNS", dns?.description ?? ""), ("BOOT_MAC", bootMAC.description), ("AUTHORIZED_KEY", authorizedKey),
            ("REPOSITORY", repository), ("REPOSITORY_KEY", Data(repositoryKey.utf8).base64EncodedString()),
        ]
        return fields.map { "\($0.0)=\($0.1.filter { !$0.isNewline })\n" }.joined()
    }
}
