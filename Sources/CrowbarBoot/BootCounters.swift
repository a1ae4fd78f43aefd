import Synchronization

/// Counters of what the boot services did and refused (`dhcp.malformed.truncated`, `tftp.refused.outside-root` …),
/// readable while they run.
public final class BootCounters: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    public init() {}

    public func increment(_ name: String, by amount: Int = 1) {
        counts.withLock { $0[name, default: 0] += amount }
    }

    /// The count of `name`, zero if it never happened.
    public subscript(name: String) -> Int { counts.withLock { $0[name] ?? 0 } }

    /// Every counter, by name.
    public var snapshot: [String: Int] { counts.withLock { $0 } }
}
