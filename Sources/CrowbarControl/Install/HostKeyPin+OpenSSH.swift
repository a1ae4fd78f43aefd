import CrowbarCore
import Crypto
import Foundation

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
