import Foundation

/// One attempt to install an OS onto a node, from its move to `installing` until the installer's report (or a
/// failure, or its deadline). Its one-time token is stored only as a hash, never shown.
public struct InstallAttempt: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// Waiting for the installer or running.
        case open
        /// The installer reported the new host key; the node boots its disk.
        case finished
        case failed
    }

    public var id: Int64
    public var node: String
    /// The OS image's name (`debian-12`).
    public var os: String
    /// The disk the plan writes to (`vda`).
    public var disk: String
    public var status: Status
    /// The installer's last reported phase (`partition`, `image`, `configure`, `bootloader`), once it reported.
    public var phase: String?
    /// The address the installer's boot script was fetched from: the only one its calls are taken from.
    public var claimedFrom: String?
    /// When an open attempt is given up (the node goes to `problem`).
    public var deadline: Date
    public var createdAt: Date
    public var finishedAt: Date?
    public var failure: String?

    public init(
        id: Int64, node: String, os: String, disk: String, status: Status, phase: String? = nil, claimedFrom: String? = nil,
        deadline: Date, createdAt: Date, finishedAt: Date? = nil, failure: String? = nil
    ) {
        self.id = id
        self.node = node
        self.os = os
        self.disk = disk
        self.status = status
        self.phase = phase
        self.claimedFrom = claimedFrom
        self.deadline = deadline
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.failure = failure
    }
}

/// A line of an install's log: what the installer reported, and what crowbard decided.
public struct InstallLogLine: Sendable, Hashable, Codable {
    public var sequence: Int64
    public var at: Date
    public var phase: String
    public var text: String

    public init(sequence: Int64, at: Date, phase: String, text: String) {
        self.sequence = sequence
        self.at = at
        self.phase = phase
        self.text = text
    }
}

/// A node's latest install attempt with its log (`GET /nodes/{node}/install`).
public struct InstallStatus: Sendable, Hashable, Codable {
    public var attempt: InstallAttempt
    public var log: [InstallLogLine]

    public init(attempt: InstallAttempt, log: [InstallLogLine]) {
        self.attempt = attempt
        self.log = log
    }
}
