import Foundation

/// One attempt to install an OS onto a node, from its move to `installing` until the installer's report (or a
/// failure, or its deadline). Its one-time token is stored only as a hash, never shown.
public struct InstallAttempt: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// Waiting for the installer or running.
        case open
        /// The installer reported the new host key; the node boots its disk.
        case finished
        /// The installer reported a failure, the deadline passed, or a newer attempt superseded it.
        case failed
    }

    /// Numbered across all nodes, from 1.
    public var id: Int64
    /// The node being installed.
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
    /// When the attempt started (the node moved to `installing`).
    public var createdAt: Date
    /// When it finished or failed.
    public var finishedAt: Date?
    /// Why it failed.
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
    /// Increasing across all installs' logs.
    public var sequence: Int64
    public var at: Date
    /// `start`, `boot`, `plan`, the installer's phases (`partition`, `image`, `configure`, `bootloader`), `done`, `failed`.
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
