import Crypto
import Foundation

/// A bearer secret crowbard hands out and keeps only the SHA-256 of, so a copy of the database cannot act as its
/// holder: an installing node's one-time install token, a named API token. 32 random bytes, base64url.
public struct BearerToken: Sendable, Hashable {
    public let value: String

    /// A fresh token from the system's cryptographic generator.
    public static func mint() -> BearerToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return BearerToken(value: text.trimmingCharacters(in: ["="]))
    }

    /// What the database keeps: the SHA-256 of the token's text, hex.
    public var hash: String { Self.hash(value) }

    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether the token presented hashes to `storedHash`, compared without an early exit.
    public static func matches(_ presented: String, storedHash: String?) -> Bool {
        guard let storedHash else { return false }
        return constantTimeEqual(hash(presented), storedHash)
    }

    /// Whether two secrets are equal, compared without an early exit, so timing does not reveal how much matched.
    public static func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let (lhs, rhs) = (Array(left.utf8), Array(right.utf8))
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
