import CrowbarCore
import Foundation
import Synchronization

/// A token bucket per source address: `burst` requests at once, then `perSecond`. Used where anything on the admin
/// network can call (the discovery report), so one sender cannot keep crowbard writing. Remembers at most
/// `maximumSources` senders; the ones idle longest are forgotten first.
final class SourceRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let perSecond: Double
    let burst: Double
    let maximumSources: Int
    private let buckets = Mutex<[IPv4Address: Bucket]>([:])

    init(perSecond: Double, burst: Int, maximumSources: Int = 4096) {
        self.perSecond = perSecond
        self.burst = Double(burst)
        self.maximumSources = maximumSources
    }

    /// Whether `source` may make a request now (taking one token if so).
    func allow(_ source: IPv4Address, now: ContinuousClock.Instant = .now) -> Bool {
        buckets.withLock { buckets in
            var bucket = buckets[source] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated).inSeconds * perSecond)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            if buckets[source] == nil, buckets.count >= maximumSources {
                let idlest = buckets.min { $0.value.updated < $1.value.updated }!.key
                buckets[idlest] = nil
            }
            buckets[source] = bucket
            return allowed
        }
    }
}
