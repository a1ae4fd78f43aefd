/// An OS image that nodes can be installed with, as iso/build-os-image.sh describes it in `os/<name>.manifest`
/// (`key value` lines) beside the image file in the boot files.
public struct OSImage: Sendable, Hashable, Codable {
    /// The name operators allocate with (`debian-12`).
    public var name: String
    /// The image file under the boot files' `os/` folder (a zstd-compressed tarball of the root filesystem).
    public var file: String
    /// The image file's SHA-256, hex.
    public var sha256: String
    /// The image file's size.
    public var bytes: Int64
    /// What the unpacked root filesystem takes.
    public var rawBytes: Int64

    public init(name: String, file: String, sha256: String, bytes: Int64, rawBytes: Int64) {
        self.name = name
        self.file = file
        self.sha256 = sha256
        self.bytes = bytes
        self.rawBytes = rawBytes
    }

    /// Parses a manifest; nil when a field is missing or malformed (the file name must be a plain `.tar.zst` name,
    /// the checksum 64 hex digits).
    public init?(name: String, manifest: String) {
        var fields: [Substring: Substring] = [:]
        for line in manifest.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            fields[line[..<space]] = line[line.index(after: space)...]
        }
        guard let file = fields["file"].map(String.init), file.hasSuffix(".tar.zst"), !file.contains("/"),
              let sha256 = fields["sha256"].map(String.init), sha256.count == 64, sha256.allSatisfy(\.isHexDigit),
              let bytes = fields["bytes"].flatMap({ Int64($0) }), let rawBytes = fields["rawBytes"].flatMap({ Int64($0) })
        else { return nil }
        self.init(name: name, file: file, sha256: sha256.lowercased(), bytes: bytes, rawBytes: rawBytes)
    }

    /// The smallest root disk the image is installed onto: its files plus a quarter for ext4's metadata, logs and the
    /// packages a role installs, plus 1 MiB of BIOS boot partition, rounded up to a MiB.
    public var minimumDiskBytes: Int64 {
        let mebibyte: Int64 = 1 << 20
        let needed = rawBytes + rawBytes / 4 + mebibyte
        return (needed + mebibyte - 1) / mebibyte * mebibyte
    }
}
