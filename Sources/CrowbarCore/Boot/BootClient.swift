/// What kind of firmware sent a DHCP request, read from options 60, 77, 93 and 175, and where it should boot from.
public enum BootClient: Sendable, Hashable {
    /// An ordinary DHCP client: an address, no boot file.
    case plain
    /// A PXE ROM (option 60 `PXEClient…`) with its client architecture (option 93: 0 BIOS, 7/9 EFI x64).
    case pxe(architecture: UInt16)
    /// A UEFI HTTP boot client (option 60 `HTTPClient…`).
    case httpClient(architecture: UInt16)
    /// iPXE itself (user class `iPXE`, option 77, or its encapsulated option 175): it can fetch boot.ipxe over HTTP.
    case iPXE

    public init(options: DHCPOptions) {
        let vendorClass = options.text(DHCPOptions.Code.vendorClass) ?? ""
        let architecture = options[DHCPOptions.Code.clientArchitecture].flatMap { $0.count >= 2 ? UInt16($0[0]) << 8 | UInt16($0[1]) : nil } ?? 0
        if options[DHCPOptions.Code.iPXEEncapsulated] != nil || Self.userClasses(options).contains("iPXE") {
            self = .iPXE
        } else if vendorClass.hasPrefix("HTTPClient") {
            self = .httpClient(architecture: architecture)
        } else if vendorClass.hasPrefix("PXEClient") {
            self = .pxe(architecture: architecture)
        } else {
            self = .plain
        }
    }

    /// Option 77 holds either one bare string (as iPXE and ISC dhclient send it) or RFC 3004 length-prefixed strings.
    static func userClasses(_ options: DHCPOptions) -> [String] {
        guard let value = options[DHCPOptions.Code.userClass], !value.isEmpty else { return [] }
        var classes: [String] = []
        var index = 0
        while index < value.count {
            let length = Int(value[index])
            guard length > 0, index + 1 + length <= value.count else { return [String(decoding: value, as: UTF8.self)] }
            classes.append(String(decoding: value[index + 1..<index + 1 + length], as: UTF8.self))
            index += 1 + length
        }
        return classes
    }

    /// The boot file this client gets, given crowbard's TFTP and HTTP boot endpoints.
    public func bootFile(for mac: MACAddress, endpoints: BootEndpoints) -> BootFile? {
        switch self {
        case .plain: nil
        case .iPXE: .http(url: endpoints.bootScriptURL(for: mac))
        case .httpClient: .http(url: endpoints.httpBase + "/boot/files/ipxe.efi")
        case .pxe(let architecture): .tftp(server: endpoints.tftpServer, file: architecture == 0 ? "undionly.kpxe" : "ipxe.efi")
        }
    }
}

/// A boot file named in a DHCP reply.
public enum BootFile: Sendable, Hashable {
    /// Fetched by TFTP from `server` (siaddr, option 66) as `file` (file field, option 67).
    case tftp(server: IPv4Address, file: String)
    /// Fetched by HTTP from `url` (file field and option 67).
    case http(url: String)
}

/// Where crowbard's boot services answer on the admin network.
public struct BootEndpoints: Sendable, Hashable {
    /// The TFTP server's address (siaddr, next-server).
    public var tftpServer: IPv4Address
    /// The base URL of the HTTP boot service, e.g. `http://192.168.124.10:8091`.
    public var httpBase: String

    public init(tftpServer: IPv4Address, httpBase: String) {
        self.tftpServer = tftpServer
        self.httpBase = httpBase
    }

    /// The node's iPXE script: `…/boot/52-54-00-12-34-56/boot.ipxe`.
    public func bootScriptURL(for mac: MACAddress) -> String {
        httpBase + "/boot/" + mac.dashed + "/boot.ipxe"
    }
}
