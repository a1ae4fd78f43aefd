/// What an operator asks of a node's power: a question (`status`) or a change.
public enum PowerAction: String, Sendable, Hashable, Codable, CaseIterable {
    case status, on, off, cycle, reset

    /// The change this action makes (the change of the same name), `nil` for `status`.
    public var change: PowerChange? { PowerChange(rawValue: rawValue) }
}

/// A change of a node's power: hard on, hard off, off-then-on, and a warm reset.
public enum PowerChange: String, Sendable, Hashable, Codable, CaseIterable {
    case on, off, cycle, reset
}

/// Whether a node is powered, as its BMC says.
public enum PowerState: String, Sendable, Hashable, Codable {
    case on, off
}

/// The device a node boots from next.
public enum BootDevice: String, Sendable, Hashable, Codable, CaseIterable {
    case pxe, disk
}

/// `POST /nodes/{name}/power`: an action, optionally after setting the next boot device.
public struct PowerRequest: Sendable, Hashable, Codable {
    public var action: PowerAction
    /// Set before the action: the device the node boots from next.
    public var bootDevice: BootDevice?
    /// Whether `bootDevice` holds for every boot rather than the next one.
    public var persistent: Bool?

    public init(action: PowerAction, bootDevice: BootDevice? = nil, persistent: Bool? = nil) {
        self.action = action
        self.bootDevice = bootDevice
        self.persistent = persistent
    }
}

/// `POST /power`: one action on many nodes, by name, by state or all of them, a bounded number at a time.
public struct PowerSweepRequest: Sendable, Hashable, Codable {
    public var action: PowerAction
    /// These nodes; with neither `nodes` nor `state`, every node that has a BMC.
    public var nodes: [String]?
    /// The nodes in this state.
    public var state: NodeState?
    public var bootDevice: BootDevice?
    /// How many BMCs are talked to at once (default 8, at most 64).
    public var concurrency: Int?

    public init(action: PowerAction, nodes: [String]? = nil, state: NodeState? = nil, bootDevice: BootDevice? = nil, concurrency: Int? = nil) {
        self.action = action
        self.nodes = nodes
        self.state = state
        self.bootDevice = bootDevice
        self.concurrency = concurrency
    }
}

/// What one power action did to one node.
public struct PowerResult: Sendable, Hashable, Codable {
    public var node: String
    public var action: PowerAction
    /// The power state the BMC reported after the action (for a change: right after it, which may lag).
    public var state: PowerState?
    /// Why it failed, when it did.
    public var failure: PowerFailure?
    public var milliseconds: Int

    public init(node: String, action: PowerAction, state: PowerState? = nil, failure: PowerFailure? = nil, milliseconds: Int) {
        self.node = node
        self.action = action
        self.state = state
        self.failure = failure
        self.milliseconds = milliseconds
    }
}
