import CrowbarCore
import Foundation
import GRDB

extension CrowbarDatabase {
    /// Node `name`'s BMC settings, `nil` when it has none; a `notFound` error when there is no such node.
    public func bmc(node name: String) async throws -> BMC? {
        try await writer.read { db in
            _ = try Self.fetchNode(name, in: db)
            return try BMCRecord.fetchOne(db, key: name)?.settings
        }
    }

    /// Every node's BMC settings, by node name.
    public func bmcs() async throws -> [String: BMC] {
        try await writer.read { db in
            Dictionary(uniqueKeysWithValues: try BMCRecord.fetchAll(db).map { ($0.nodeName, $0.settings) })
        }
    }

    /// Sets (or, with `nil`, removes) node `name`'s BMC and records who did it (the event never holds the password).
    public func setBMC(node name: String, to bmc: BMC?, actor: String, now: Date = Date()) async throws {
        try await write { db in
            _ = try Self.fetchNode(name, in: db)
            guard let bmc else {
                guard try BMCRecord.deleteOne(db, key: name) else { return }
                try Self.appendEvent(.nodeBMC, subject: name, message: "BMC removed by \(actor)", at: now, in: db)
                return
            }
            try BMCRecord(nodeName: name, settings: bmc, updatedAt: now).save(db)
            try Self.appendEvent(.nodeBMC, subject: name, message: "BMC set by \(actor): \(bmc.summary)", at: now, in: db)
        }
    }

    /// Records a power action's result on its node's history.
    public func recordPower(_ result: PowerResult, actor: String, now: Date = Date()) async throws {
        let outcome = result.failure.map { "failed (\($0.kind.rawValue)): \($0.message)" } ?? result.state.map { "done, power \($0.rawValue)" } ?? "done"
        try await write { db in
            try Self.appendEvent(
                .nodePower, subject: result.node, to: result.state?.rawValue,
                message: "power \(result.action.rawValue) by \(actor): \(outcome)", at: now, in: db)
        }
    }
}
