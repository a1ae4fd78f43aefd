import CrowbarCore
import Foundation
import GRDB

/// A row of `nodes`; inventory is stored as JSON.
struct NodeRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "nodes"
    var name: String
    var state: NodeState
    var inventory: Inventory
    var adminAddress: String?
    var bootAddress: String?
    var sshHostKey: HostKeyPin?
    var createdAt: Date
    var updatedAt: Date

    /// The node, its MACs and addresses typed (the columns hold their normalised text, written from typed values).
    func node(macs: [String]) -> Node {
        Node(
            name: name, state: state, macs: macs.compactMap(MACAddress.init), inventory: inventory,
            adminAddress: adminAddress.flatMap(IPv4Address.init), bootAddress: bootAddress.flatMap(IPv4Address.init),
            sshHostKey: sshHostKey, createdAt: createdAt, updatedAt: updatedAt)
    }
}

/// A row of `nodeMacs`: each MAC belongs to exactly one node.
struct NodeMACRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "nodeMacs"
    var mac: String
    var nodeName: String
    var position: Int
}

/// A row of `addressAllocations`; the address is stored as its 32-bit value.
struct AddressAllocationRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "addressAllocations"
    var network: String
    var address: Int64
    var nodeName: String
    var range: String
    var allocatedAt: Date
}

/// A row of `events`.
struct EventRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "events"
    var id: Int64?
    var at: Date
    var kind: String
    var subject: String
    var fromState: String?
    var toState: String?
    var message: String
    var actor: String?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A row of `proposals`.
struct ProposalRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "proposals"
    var barclamp: String
    var name: String
    var status: ProposalStatus
    var content: ProposalContent
    var revision: Int
    var hasPendingChanges: Bool
    var createdAt: Date
    var updatedAt: Date
    var version: Int

    init(_ proposal: Proposal) {
        barclamp = proposal.barclamp
        name = proposal.name
        status = proposal.status
        content = proposal.content
        revision = proposal.revision
        hasPendingChanges = proposal.hasPendingChanges
        createdAt = proposal.createdAt
        updatedAt = proposal.updatedAt
        version = proposal.version
    }

    var proposal: Proposal {
        Proposal(
            barclamp: barclamp, name: name, status: status, content: content, revision: revision,
            hasPendingChanges: hasPendingChanges, createdAt: createdAt, updatedAt: updatedAt, version: version)
    }
}

/// A row of `proposalRevisions`.
struct ProposalRevisionRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "proposalRevisions"
    var barclamp: String
    var proposal: String
    var revision: Int
    var content: ProposalContent
    var committedAt: Date

    var proposalRevision: ProposalRevision {
        ProposalRevision(barclamp: barclamp, proposal: proposal, revision: revision, content: content, committedAt: committedAt)
    }
}

/// A row of `installs`: one install attempt; the token is kept only as its SHA-256 (hex).
struct InstallRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "installs"
    var id: Int64?
    var nodeName: String
    var os: String
    var disk: String
    var status: InstallAttempt.Status
    var phase: String?
    var tokenHash: String?
    var claimedFrom: String?
    var deadline: Date
    var createdAt: Date
    var finishedAt: Date?
    var failure: String?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    var attempt: InstallAttempt {
        InstallAttempt(
            id: id ?? 0, node: nodeName, os: os, disk: disk, status: status, phase: phase, claimedFrom: claimedFrom, deadline: deadline,
            createdAt: createdAt, finishedAt: finishedAt, failure: failure)
    }
}

/// A row of `installLog`.
struct InstallLogRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "installLog"
    var sequence: Int64?
    var installId: Int64
    var at: Date
    var phase: String
    var text: String

    mutating func didInsert(_ inserted: InsertionSuccess) { sequence = inserted.rowID }

    var line: InstallLogLine { InstallLogLine(sequence: sequence ?? 0, at: at, phase: phase, text: text) }
}
