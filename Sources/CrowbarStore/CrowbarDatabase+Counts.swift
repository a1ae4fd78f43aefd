import CrowbarCore
import GRDB

extension CrowbarDatabase {
    /// How many nodes are in each state and runs in each status (for the metrics).
    public func counts() async throws -> (nodes: [String: Int], runs: [String: Int]) {
        try await writer.read { db in
            func grouped(_ sql: String) throws -> [String: Int] {
                Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: sql).map { ($0[0] as String, $0[1] as Int) })
            }
            return (
                try grouped("SELECT state, count(*) FROM nodes GROUP BY state"),
                try grouped("SELECT status, count(*) FROM runs GROUP BY status")
            )
        }
    }
}
