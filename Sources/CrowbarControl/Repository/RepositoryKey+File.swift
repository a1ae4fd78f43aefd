import CrowbarCore
import Crypto
import Foundation

extension RepositoryKey {
    /// The key kept at `path` (mode 0600: `created <seconds>` and `seed <base64>` lines), made there first when the
    /// file is not there. A new key says it was made a day ago, so a node whose clock is behind the admin node's
    /// still takes it (gpgv refuses keys and signatures from its future).
    public static func loadOrCreate(at path: String, now: Date = Date()) throws -> RepositoryKey {
        let text = try SecretFile.loadOrCreate(at: path) {
            let created = Int64(now.timeIntervalSince1970) - 86_400
            return "created \(created)\nseed \(Curve25519.Signing.PrivateKey().rawRepresentation.base64EncodedString())"
        }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let created = fields["created"].flatMap(UInt32.init), let seed = fields["seed"].flatMap({ Data(base64Encoded: $0) }),
            let key = RepositoryKey(seed: seed, created: created)
        else {
            throw CrowbarError(
                .invalid, "the repository key file \(path) is malformed (remove it to make a new key; nodes then need the new one)")
        }
        return key
    }
}
