import CrowbarCore
import Foundation

/// The OS images iso/build-os-image.sh left in the boot files: `os/<name>.manifest` beside `os/<file>.tar.zst`.
public struct OSImageDirectory: Sendable {
    /// The boot files folder (crowbard's `--boot-files`).
    public let bootFiles: String

    /// The images in `bootFiles`'s `os/` folder.
    public init(bootFiles: String) { self.bootFiles = bootFiles }

    /// Image `name` (`debian-12`); `notFound` naming the images there are when it has no valid manifest.
    public func image(named name: String) throws -> OSImage {
        let manifest = "\(bootFiles)/os/\(name).manifest"
        guard Identifier.isValid(name), let text = try? String(contentsOfFile: manifest, encoding: .utf8) else {
            let known = (try? FileManager.default.contentsOfDirectory(atPath: bootFiles + "/os"))?
                .filter { $0.hasSuffix(".manifest") }.map { String($0.dropLast(".manifest".count)) }.sorted() ?? []
            throw CrowbarError(
                .notFound, "no OS image \(name) (images: \(known.isEmpty ? "none; build one with iso/build-os-image.sh" : known.joined(separator: ", ")))",
                context: ["field": "os"])
        }
        guard let image = OSImage(name: name, manifest: text), FileManager.default.fileExists(atPath: "\(bootFiles)/os/\(image.file)") else {
            throw CrowbarError(.invalid, "the manifest \(manifest) is malformed or names a missing file", context: ["field": "os"])
        }
        return image
    }
}
