import CrowbarCore
import CrowbarStore
import Logging
import NIOCore
import Synchronization

/// Group commit for the DHCP server: lease changes queue here with the replies that announce them; one writer
/// makes everything queued durable in one transaction, then sends those replies. No ACK leaves before its lease is
/// in the store, and a burst of clients costs one commit rather than one each.
///
/// Its backlog (changes queued or being written) says when the store is behind the clients: the server then stops
/// starting exchanges (``isBehind``) so that the ones in progress finish while their clients still wait for them.
final class LeaseJournal: Sendable {
    typealias Reply = AddressedEnvelope<ByteBuffer>

    private let backlogLimit: Int

    private let database: CrowbarDatabase
    private let counters: BootCounters
    private let logger: Logger
    private let pending = Mutex<[(change: DHCPLeaseChange, reply: Reply?)]>([])
    private let backlog = Atomic<Int>(0)
    /// Where replies go: the DHCP socket currently open (it is replaced when the interface is).
    let channel = Mutex<(any Channel)?>(nil)
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(database: CrowbarDatabase, counters: BootCounters, logger: Logger, backlogLimit: Int) {
        self.database = database
        self.backlogLimit = backlogLimit
        self.counters = counters
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `change`; `reply` is sent once it is durable.
    func append(_ change: DHCPLeaseChange, reply: Reply?) {
        backlog.add(1, ordering: .relaxed)
        pending.withLock { $0.append((change, reply)) }
        wake.yield()
    }

    /// Whether the changes queued or being written have reached the backlog limit.
    var isBehind: Bool { backlog.load(ordering: .relaxed) >= backlogLimit }

    /// Writes batches until cancelled, sending each batch's replies on the current channel once it is stored.
    func run() async {
        for await _ in wakeups {
            let batch = pending.withLock { queued in
                defer { queued.removeAll(keepingCapacity: true) }
                return queued
            }
            guard !batch.isEmpty else { continue }
            defer { backlog.subtract(batch.count, ordering: .relaxed) }
            do {
                try await database.saveLeaseChanges(batch.map(\.change))
            } catch {
                counters.increment("dhcp.errors", by: batch.count)
                logger.error("DHCP: \(batch.count) lease changes not stored, their replies not sent: \(error)")
                continue
            }
            counters.increment("dhcp.lease-commits")
            guard let channel = channel.withLock({ $0 }) else { continue }
            for reply in batch.compactMap(\.reply) { channel.write(reply, promise: nil) }
            channel.flush()
        }
    }
}
