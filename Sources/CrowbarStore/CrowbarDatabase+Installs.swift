import CrowbarCore
import Foundation
import GRDB

/// An open install attempt with what its calls are checked against (the token's hash); for the install service only.
public struct InstallClaim: Sendable, Hashable {
    /// The node's latest attempt.
    public var attempt: InstallAttempt
    /// The SHA-256 (hex) of the attempt's current token; nil until the boot script minted one.
    public var tokenHash: String?
}

extension CrowbarDatabase {
    /// Starts an install attempt: the node moves to `installing`, any attempt still open is closed as superseded, and
    /// the new one is open until `deadline`, in one transaction. With `reinstallReason`, the node first moves to
    /// `reinstall` and its pinned host key is dropped (the new OS makes a new one), in the same transaction.
    public func startInstall(
        node name: String, os: String, disk: String, deadline: Date, reinstallReason: String? = nil, now: Date = Date()
    ) async throws -> InstallAttempt {
        try await write { db in
            if let reinstallReason {
                try Self.transition(name, to: .reinstall, reason: reinstallReason, now: now, in: db)
                if var node = try NodeRecord.fetchOne(db, key: name), node.sshHostKey != nil {
                    node.sshHostKey = nil
                    try node.update(db)
                    try Self.appendEvent(.nodeHostKeyPinned, subject: name, message: "SSH host key pin removed for the reinstall", at: now, in: db)
                }
            }
            try Self.transition(name, to: .installing, reason: "install of \(os) onto \(disk)", now: now, in: db)
            try Self.closeOpenInstalls(of: name, reason: "superseded by a new install", now: now, in: db)
            var record = InstallRecord(
                id: nil, nodeName: name, os: os, disk: disk, status: .open, phase: nil, tokenHash: nil, claimedFrom: nil, deadline: deadline,
                createdAt: now, finishedAt: nil, failure: nil)
            try record.insert(db)
            try Self.appendInstallLog(record.id!, phase: "start", text: "install of \(os) onto \(disk), deadline \(deadline)", now: now, in: db)
            try Self.appendEvent(.nodeInstall, subject: name, message: "install \(record.id!) of \(os) onto \(disk) started", at: now, in: db)
            return record.attempt
        }
    }

    /// Node `name`'s latest install attempt with its log, nil if it never had one.
    public func latestInstall(node name: String) async throws -> InstallStatus? {
        try await writer.read { db in
            _ = try Self.fetchNode(name, in: db)
            guard let record = try Self.latestInstallRecord(of: name, in: db) else { return nil }
            let log = try InstallLogRecord.filter(Column("installId") == record.id!).order(Column("sequence")).fetchAll(db).map(\.line)
            return InstallStatus(attempt: record.attempt, log: log)
        }
    }

    /// The latest install attempt of the node that owns `mac`, with its token hash, and the node.
    public func installClaim(mac: MACAddress) async throws -> (claim: InstallClaim, node: Node)? {
        try await writer.read { db in
            guard let owner = try NodeMACRecord.fetchOne(db, key: mac.description),
                  let record = try Self.latestInstallRecord(of: owner.nodeName, in: db)
            else { return nil }
            return (InstallClaim(attempt: record.attempt, tokenHash: record.tokenHash), try Self.fetchNode(owner.nodeName, in: db))
        }
    }

    /// Gives an open attempt a new token (its hash) for the installer at `address`; the previous one stops working.
    public func issueInstallToken(attempt id: Int64, tokenHash: String, to address: String, now: Date = Date()) async throws {
        try await write { db in
            var record = try Self.fetchInstall(id, in: db)
            guard record.status == .open else { throw CrowbarError(.conflict, "install \(id) of \(record.nodeName) is \(record.status.rawValue)") }
            let replaced = record.tokenHash != nil
            record.tokenHash = tokenHash
            record.claimedFrom = address
            try record.update(db)
            let text = "install token issued to \(address)" + (replaced ? "; the previous token no longer works" : "")
            try Self.appendInstallLog(id, phase: "boot", text: text, now: now, in: db)
        }
    }

    /// Records `text` on attempt `id`'s log under `phase` without making it the attempt's phase, once: the same line
    /// again adds nothing (what the open boot network can cause must not flood the log).
    public func noteInstall(attempt id: Int64, phase: String, text: String, now: Date = Date()) async throws {
        try await write { db in
            let seen = try InstallLogRecord.filter(Column("installId") == id && Column("text") == text).fetchCount(db) > 0
            if !seen { try Self.appendInstallLog(id, phase: phase, text: text, now: now, in: db) }
        }
    }

    /// Records a line the installer reported (its phase becomes the attempt's).
    public func appendInstallProgress(attempt id: Int64, phase: String, text: String, now: Date = Date()) async throws {
        try await write { db in
            var record = try Self.fetchInstall(id, in: db)
            record.phase = phase
            try record.update(db)
            try Self.appendInstallLog(id, phase: phase, text: text, now: now, in: db)
        }
    }

    /// Finishes an open attempt with the host key the installer reported: the key is pinned and the node moves to
    /// `installed`, in one transaction.
    public func completeInstall(attempt id: Int64, hostKey: HostKeyPin, now: Date = Date()) async throws -> Node {
        try await write { db in
            var record = try Self.fetchInstall(id, in: db)
            guard record.status == .open else { throw CrowbarError(.conflict, "install \(id) of \(record.nodeName) is \(record.status.rawValue)") }
            record.status = .finished
            record.phase = "done"
            record.finishedAt = now
            try record.update(db)
            guard var node = try NodeRecord.fetchOne(db, key: record.nodeName) else { throw CrowbarError(.notFound, "no node named \(record.nodeName)") }
            node.sshHostKey = hostKey
            node.updatedAt = now
            try node.update(db)
            try Self.appendInstallLog(id, phase: "done", text: "installed; host key \(hostKey) pinned", now: now, in: db)
            try Self.appendEvent(.nodeHostKeyPinned, subject: node.name, message: "SSH host key pinned from install \(id): \(hostKey)", at: now, in: db)
            try Self.transition(node.name, to: .installed, reason: "install \(id) finished", now: now, in: db)
            return try Self.fetchNode(node.name, in: db)
        }
    }

    /// Fails attempt `id` with `reason` if it is still open, and then moves its node to `problem` with that reason when
    /// this is the node's latest attempt and the node is still in its install (a sweep that read the attempt before a
    /// report or a reinstall changes nothing). With `clearPin` (two installers answered for one node), the attempt is
    /// failed, the node's pinned host key dropped and the node sent to `problem` whatever its state.
    @discardableResult
    public func failInstall(attempt id: Int64, reason: String, clearPin: Bool = false, now: Date = Date()) async throws -> Node {
        try await write { db in
            var record = try Self.fetchInstall(id, in: db)
            let wasOpen = record.status == .open
            if wasOpen || clearPin { try Self.markFailed(&record, reason: reason, now: now, in: db) }
            guard var node = try NodeRecord.fetchOne(db, key: record.nodeName) else { throw CrowbarError(.notFound, "no node named \(record.nodeName)") }
            if clearPin, node.sshHostKey != nil {
                node.sshHostKey = nil
                try node.update(db)
                try Self.appendEvent(.nodeHostKeyPinned, subject: node.name, message: "SSH host key pin removed: \(reason)", at: now, in: db)
            }
            let latest = try Self.latestInstallRecord(of: node.name, in: db)?.id == id
            let installing = wasOpen && latest && [.installing, .reinstall].contains(node.state)
            if (installing || clearPin), node.state != .problem, NodeLifecycle.allowedTargets(from: node.state).contains(.problem) {
                try Self.transition(node.name, to: .problem, reason: "install \(id): \(reason)", now: now, in: db)
            }
            return try Self.fetchNode(node.name, in: db)
        }
    }

    /// Moves a node that is still `installed` by attempt `id` (its latest) to `problem`: it did not come up in time.
    public func failBoot(attempt id: Int64, reason: String, now: Date = Date()) async throws {
        try await write { db in
            let record = try Self.fetchInstall(id, in: db)
            guard let node = try NodeRecord.fetchOne(db, key: record.nodeName), node.state == .installed,
                  try Self.latestInstallRecord(of: node.name, in: db)?.id == id
            else { return }
            try Self.appendInstallLog(id, phase: "boot", text: reason, now: now, in: db)
            try Self.transition(node.name, to: .problem, reason: reason, now: now, in: db)
        }
    }

    /// Gives every open attempt at least until `until` (crowbard was down: installers retrying their report must not
    /// find their attempt expired the moment it is back), noting it on their logs.
    public func extendOpenInstalls(until: Date, now: Date = Date()) async throws {
        try await write { db in
            for var record in try InstallRecord.filter(Column("status") == InstallAttempt.Status.open.rawValue && Column("deadline") < until).fetchAll(db) {
                record.deadline = until
                try record.update(db)
                try Self.appendInstallLog(record.id!, phase: "start", text: "crowbard started: deadline extended to \(until)", now: now, in: db)
            }
        }
    }

    /// Open attempts whose deadline has passed at `now`.
    public func expiredInstalls(now: Date = Date()) async throws -> [InstallAttempt] {
        try await writer.read { db in
            try InstallRecord.filter(Column("status") == InstallAttempt.Status.open.rawValue && Column("deadline") < now).fetchAll(db).map(\.attempt)
        }
    }

    /// Nodes in `installed` (rebooting into their new OS) with the attempt that installed them.
    public func installedNodes() async throws -> [(node: Node, attempt: InstallAttempt)] {
        try await writer.read { db in
            try NodeRecord.filter(Column("state") == NodeState.installed.rawValue).fetchAll(db).compactMap { record in
                guard let install = try InstallRecord.filter(Column("nodeName") == record.name && Column("status") == InstallAttempt.Status.finished.rawValue)
                    .order(Column("id").desc).fetchOne(db)
                else { return nil }
                return (try Self.fetchNode(record.name, in: db), install.attempt)
            }
        }
    }

    /// Whether an install ever finished on node `name`.
    public func hasInstalledOS(node name: String) async throws -> Bool {
        try await writer.read { db in
            try InstallRecord.filter(Column("nodeName") == name && Column("status") == InstallAttempt.Status.finished.rawValue).fetchCount(db) > 0
        }
    }

    static func fetchInstall(_ id: Int64, in db: Database) throws -> InstallRecord {
        guard let record = try InstallRecord.fetchOne(db, key: id) else { throw CrowbarError(.notFound, "no install \(id)") }
        return record
    }

    static func closeOpenInstalls(of node: String, reason: String, now: Date, in db: Database) throws {
        for var record in try InstallRecord.filter(Column("nodeName") == node && Column("status") == InstallAttempt.Status.open.rawValue).fetchAll(db) {
            try markFailed(&record, reason: reason, now: now, in: db)
        }
    }

    /// Fails `record` with `reason`, on its log too.
    static func markFailed(_ record: inout InstallRecord, reason: String, now: Date, in db: Database) throws {
        record.status = .failed
        record.failure = reason
        record.finishedAt = now
        try record.update(db)
        try appendInstallLog(record.id!, phase: "failed", text: reason, now: now, in: db)
    }

    /// Node `node`'s latest attempt, if it ever had one.
    static func latestInstallRecord(of node: String, in db: Database) throws -> InstallRecord? {
        try InstallRecord.filter(Column("nodeName") == node).order(Column("id").desc).fetchOne(db)
    }

    static func appendInstallLog(_ id: Int64, phase: String, text: String, now: Date, in db: Database) throws {
        var line = InstallLogRecord(sequence: nil, installId: id, at: now, phase: phase, text: text)
        try line.insert(db)
    }
}
