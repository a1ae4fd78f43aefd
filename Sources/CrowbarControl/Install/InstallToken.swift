import CrowbarCore
import Crypto
import Foundation

/// The one-time token an installing node's boot script carries: 32 random bytes, base64url. crowbard keeps only
/// its SHA-256, so a copy of the database cannot act as the installer.
struct InstallToken: Sendable, Hashable {
    let value: String

    /// A fresh token from the system's cryptographic generator.
    static func mint() -> InstallToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return InstallToken(value: text.trimmingCharacters(in: ["="]))
    }

    /// What the database keeps: the SHA-256 of the token's text, hex.
    var hash: String { Self.hash(value) }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether the token presented hashes to `storedHash`, compared without an early exit.
    static func matches(_ presented: String, storedHash: String?) -> Bool {
        guard let storedHash else { return false }
        let computed = Array(hash(presented).utf8)
        let stored = Array(storedHash.utf8)
        guard computed.count == stored.count else { return false }
        return zip(computed, stored).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension HostKeyPin {
    /// The pin of an OpenSSH public key line (`ssh-ed25519 AAAA… [comment]`): its type and the SHA-256 of the key
    /// blob, as `ssh-keygen -l` prints it. Nil when the line is not a public key whose blob names the same type.
    init?(publicKeyLine line: String) {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2, let blob = Data(base64Encoded: String(parts[1])), blob.count > 4 else { return nil }
        let type = String(parts[0])
        let length = blob.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        guard blob.count >= 4 + length, String(decoding: blob.dropFirst(4).prefix(length), as: UTF8.self) == type else { return nil }
        let digest = Data(SHA256.hash(data: blob)).base64EncodedString().trimmingCharacters(in: ["="])
        self.init(type: type, fingerprint: "SHA256:" + digest)
    }
}
