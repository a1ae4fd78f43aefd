import Crypto
import Foundation
import Synchronization

/// Signs the offline repository's `Release` with crowbard's ``RepositoryKey`` as it is served: once per content, so
/// a rebuilt repository is signed at its first fetch and an unchanged one costs a hash.
public final class RepositorySigner: Sendable {
    public let key: RepositoryKey
    private let last = Mutex<(digest: Data, signature: String)?>(nil)

    public init(key: RepositoryKey) { self.key = key }

    /// The detached signature of `release`, dated an hour back so that nodes whose clock is a little behind the
    /// admin node's take it (gpgv refuses a signature from its future).
    public func signature(of release: Data, now: Date = Date()) -> String {
        let digest = Data(SHA256.hash(data: release))
        return last.withLock { last in
            if let last, last.digest == digest { return last.signature }
            let signature = key.signature(of: release, at: now.addingTimeInterval(-3600))
            last = (digest, signature)
            return signature
        }
    }
}
