/// A rate limit: `burst` at once, then `perSecond` (tokens refill continuously up to `burst`). Pure: the caller passes
/// the time, in seconds on any clock that does not go back.
public struct TokenBucket: Sendable, Hashable {
    public let perSecond: Double
    public let burst: Double
    private var tokens: Double
    private var updated: Double?

    public init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = Double(burst)
        tokens = Double(burst)
    }

    /// Takes one token at `now` if there is one; answers whether it did.
    public mutating func take(at now: Double) -> Bool {
        if let updated { tokens = min(burst, tokens + max(0, now - updated) * perSecond) }
        updated = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// When the bucket was last used (`take`), in the caller's seconds.
    public var lastUsed: Double? { updated }
}
