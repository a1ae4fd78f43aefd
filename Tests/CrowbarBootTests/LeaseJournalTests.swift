@testable import CrowbarBoot
import CrowbarCore
import CrowbarStore
import Foundation
import Logging
import Testing

@Suite struct LeaseJournalTests {
    @Test func theBacklogCountsChangesUntilTheirCommitAndThenDrains() async throws {
        let database = try CrowbarDatabase.inMemory()
        let journal = LeaseJournal(database: database, counters: BootCounters(), logger: Logger(label: "test"), backlogLimit: 2)
        let lease = DHCPLease(mac: MACAddress("52:54:00:00:09:01")!, address: IPv4Address("10.9.0.1")!, expiresAt: Date().addingTimeInterval(60))
        journal.append(.bound(lease), reply: nil)
        #expect(!journal.isBehind, "one change waits, under the limit of two")
        journal.append(.released(MACAddress("52:54:00:00:09:02")!), reply: nil)
        #expect(journal.isBehind, "nothing commits until the journal runs")
        let writer = Task { await journal.run() }
        defer { writer.cancel() }
        for _ in 0..<100 where journal.isBehind { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!journal.isBehind, "the backlog drained within 5 s of the journal running")
        #expect(try await database.dhcpLeases().map { "\($0.mac) \($0.address)" } == ["\(lease.mac) \(lease.address)"])
    }
}
