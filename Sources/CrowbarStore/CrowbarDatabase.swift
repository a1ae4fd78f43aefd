import CrowbarCore
import Foundation
import GRDB

/// The admin node's SQLite database: nodes, proposals and their revisions, address
/// allocations and events. Opening it runs every pending migration.
public struct CrowbarDatabase: Sendable {
    /// The GRDB writer; a `DatabasePool` (WAL) for files, a queue in memory.
    public let writer: any DatabaseWriter
    /// Revision contents already decoded (``committedProposals(pinning:)``).
    let revisionContents = RevisionContentCache()

    /// Opens (creating if needed) the database file at `path` in WAL mode with foreign keys on. Every commit is
    /// synced to disk before it returns (`synchronous = FULL`; GRDB's WAL default is NORMAL, which a power loss can
    /// undo): an ACKed DHCP lease, a committed revision or a finished run step survives the admin node losing power.
    public static func open(path: String) throws -> CrowbarDatabase {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: configuration)
        // After the pool's own WAL setup, on its one writer connection.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        return try CrowbarDatabase(writer: pool)
    }

    /// An empty database in memory, for tests and benchmarks.
    public static func inMemory() throws -> CrowbarDatabase {
        try CrowbarDatabase(writer: DatabaseQueue())
    }

    public init(writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// A write transaction in which the events appended record ``Audit/actor`` as the calling task had it (GRDB runs
    /// the transaction on its own queue, where the caller's task-local is not visible).
    func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        let actor = Audit.actor
        return try await writer.write { db in try Audit.$actor.withValue(actor) { try updates(db) } }
    }

    /// Named, append-only migrations: never edit one that has shipped, add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-foundation") { db in
            try db.create(table: "nodes") { table in
                table.primaryKey("name", .text)
                table.column("state", .text).notNull()
                table.column("inventory", .jsonText).notNull()
                table.column("adminAddress", .text)
                table.column("createdAt", .datetime).notNull()
                table.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "nodeMacs") { table in
                table.primaryKey("mac", .text)
                table.column("nodeName", .text).notNull().indexed()
                    .references("nodes", onDelete: .cascade, onUpdate: .cascade)
                table.column("position", .integer).notNull()
            }
            try db.create(table: "events") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("at", .datetime).notNull()
                table.column("kind", .text).notNull()
                table.column("subject", .text).notNull().indexed()
                table.column("fromState", .text)
                table.column("toState", .text)
                table.column("message", .text).notNull()
            }
            try db.create(table: "proposals") { table in
                table.column("barclamp", .text).notNull()
                table.column("name", .text).notNull()
                table.column("status", .text).notNull()
                table.column("content", .jsonText).notNull()
                table.column("revision", .integer).notNull().defaults(to: 0)
                table.column("hasPendingChanges", .boolean).notNull()
                table.column("createdAt", .datetime).notNull()
                table.column("updatedAt", .datetime).notNull()
                table.primaryKey(["barclamp", "name"])
            }
            try db.create(table: "proposalRevisions") { table in
                table.column("barclamp", .text).notNull()
                table.column("proposal", .text).notNull()
                table.column("revision", .integer).notNull()
                table.column("content", .jsonText).notNull()
                table.column("committedAt", .datetime).notNull()
                table.primaryKey(["barclamp", "proposal", "revision"])
                table.foreignKey(["barclamp", "proposal"], references: "proposals", columns: ["barclamp", "name"], onDelete: .cascade)
            }
            try db.create(table: "addressAllocations") { table in
                table.column("network", .text).notNull()
                table.column("address", .integer).notNull()
                table.column("nodeName", .text).notNull().references("nodes", onDelete: .cascade, onUpdate: .cascade)
                table.column("range", .text).notNull()
                table.column("allocatedAt", .datetime).notNull()
                table.primaryKey(["network", "address"])
                table.uniqueKey(["network", "nodeName"])
            }
        }
        migrator.registerMigration("v2-apply") { db in
            try db.alter(table: "nodes") { table in
                table.add(column: "bootAddress", .text)
                table.add(column: "sshHostKey", .jsonText)
            }
            try db.create(table: "runs") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("barclamp", .text)
                table.column("proposal", .text)
                table.column("revision", .integer)
                table.column("checkMode", .boolean).notNull()
                table.column("transitionNode", .text)
                table.column("status", .text).notNull().indexed()
                table.column("createdAt", .datetime).notNull()
                table.column("startedAt", .datetime)
                table.column("finishedAt", .datetime)
                table.column("failure", .jsonText)
            }
            try db.create(table: "runSteps") { table in
                table.column("runId", .integer).notNull().references("runs", onDelete: .cascade)
                table.column("position", .integer).notNull()
                table.column("plan", .jsonText).notNull()
                table.column("status", .text).notNull()
                table.column("startedAt", .datetime)
                table.column("finishedAt", .datetime)
                table.primaryKey(["runId", "position"])
            }
            try db.create(table: "runNodeResults") { table in
                table.column("runId", .integer).notNull()
                table.column("position", .integer).notNull()
                table.column("node", .text).notNull()
                table.column("result", .jsonText).notNull()
                table.primaryKey(["runId", "position", "node"])
                table.foreignKey(["runId", "position"], references: "runSteps", onDelete: .cascade)
            }
            try db.create(table: "runLog") { table in
                table.autoIncrementedPrimaryKey("sequence")
                table.column("runId", .integer).notNull().indexed().references("runs", onDelete: .cascade)
                table.column("at", .datetime).notNull()
                table.column("step", .integer)
                table.column("node", .text)
                table.column("text", .text).notNull()
            }
        }
        migrator.registerMigration("v3-boot") { db in
            try db.create(table: "dhcpLeases") { table in
                table.primaryKey("mac", .text)
                table.column("address", .integer).notNull().unique()
                table.column("expiresAt", .datetime).notNull()
                table.column("hostname", .text)
            }
        }
        migrator.registerMigration("v4-batches") { db in
            try db.create(table: "batches") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("file", .text).notNull()
                table.column("force", .boolean).notNull()
                table.column("status", .text).notNull().indexed()
                table.column("createdAt", .datetime).notNull()
                table.column("finishedAt", .datetime)
                table.column("failure", .text)
            }
            try db.create(table: "batchEntries") { table in
                table.column("batchId", .integer).notNull().references("batches", onDelete: .cascade)
                table.column("position", .integer).notNull()
                table.column("barclamp", .text).notNull()
                table.column("proposal", .text).notNull()
                table.column("revision", .integer).notNull()
                table.column("outcome", .text).notNull()
                table.column("runId", .integer).references("runs", onDelete: .setNull)
                table.column("startedAt", .datetime)
                table.column("finishedAt", .datetime)
                table.primaryKey(["batchId", "position"])
            }
        }
        migrator.registerMigration("v5-bmcs") { db in
            try db.create(table: "bmcs") { table in
                table.primaryKey("nodeName", .text).references("nodes", onDelete: .cascade)
                table.column("settings", .jsonText).notNull()
                table.column("updatedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v6-installs") { db in
            try db.create(table: "installs") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("nodeName", .text).notNull().indexed().references("nodes", onDelete: .cascade, onUpdate: .cascade)
                table.column("os", .text).notNull()
                table.column("disk", .text).notNull()
                table.column("status", .text).notNull().indexed()
                table.column("phase", .text)
                table.column("tokenHash", .text)
                table.column("claimedFrom", .text)
                table.column("deadline", .datetime).notNull()
                table.column("createdAt", .datetime).notNull()
                table.column("finishedAt", .datetime)
                table.column("failure", .text)
            }
            try db.create(table: "installLog") { table in
                table.autoIncrementedPrimaryKey("sequence")
                table.column("installId", .integer).notNull().indexed().references("installs", onDelete: .cascade)
                table.column("at", .datetime).notNull()
                table.column("phase", .text).notNull()
                table.column("text", .text).notNull()
            }
        }
        migrator.registerMigration("v7-proposal-versions") { db in
            try db.alter(table: "proposals") { table in table.add(column: "version", .integer).notNull().defaults(to: 1) }
        }
        migrator.registerMigration("v8-api-tokens") { db in
            try db.create(table: "apiTokens") { table in
                table.primaryKey("name", .text)
                table.column("role", .text).notNull()
                table.column("tokenHash", .text).notNull().unique()
                table.column("createdAt", .datetime).notNull()
                table.column("revokedAt", .datetime)
            }
            try db.alter(table: "events") { table in table.add(column: "actor", .text) }
        }
        migrator.registerMigration("v9-persisted-cancel") { db in
            try db.alter(table: "runs") { table in table.add(column: "cancelRequestedAt", .datetime) }
        }
        return migrator
    }
}

extension CrowbarDatabase {
    /// Reads the schema: fails when the database cannot be read (for the health check).
    public func check() async throws {
        _ = try await writer.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") }
    }
}
