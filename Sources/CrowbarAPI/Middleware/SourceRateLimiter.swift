import CrowbarCore
import Foundation
import Synchronization

/// A token bucket per source address: `burst` requests at once, then `perSecond`. Used where anything on the admin
/// network can call (the discovery report), so one sender cannot keep crowbard writing. Remembers at most
/// `maximumSources` senders; the ones idle longest are forgotten first.
final class SourceRateLimiter: Sendable {
    let perSecond: Double
    let burst: Int
    let maximumSources: Int
    private let start = ContinuousClock.now
    private let buckets = Mutex<[IPv4Address: TokenBucket]>([:])

    init(perSecond: Double, burst: Int, maximumSources: Int = 4096) {
        self.perSecond = perSecond
        self.burst = burst
        self.maximumSources = maximumSources
    }

    /// Whether `source` may make a request now (taking one token if so).
    func allow(_ source: IPv4Address, now: ContinuousClock.Instant = .now) -> Bool {
        buckets.withLock { buckets in
            var bucket = buckets[source] ?? TokenBucket(perSecond: perSecond, burst: burst)
            let allowed = bucket.take(at: (now - start).inSeconds)
            if buckets[source] == nil, buckets.count >= maximumSources {
                let idlest = buckets.min { ($0.value.lastUsed ?? 0) < ($1.value.lastUsed ?? 0) }!.key
                buckets[idlest] = nil
            }
            buckets[source] = bucket
            return allowed
        }
    }
}
