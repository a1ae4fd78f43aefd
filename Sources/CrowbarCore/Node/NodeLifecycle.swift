/// An attempt to move a node between two states that the lifecycle table does not allow.
public struct IllegalTransition: Error, Sendable, Hashable, CustomStringConvertible {
    public var node: String
    public var from: NodeState
    public var to: NodeState

    public var description: String {
        let allowed = NodeLifecycle.allowedTargets(from: from).map(\.rawValue).sorted().joined(separator: ", ")
        return "node \(node) cannot go from \(from.rawValue) to \(to.rawValue) (allowed: \(allowed.isEmpty ? "none" : allowed))"
    }
}

/// The one table of legal node state transitions.
public enum NodeLifecycle {
    /// Every legal move, by source state. `deleted` is final.
    public static let table: [NodeState: Set<NodeState>] = [
        .discovering: [.discovered, .problem, .deleted],
        .discovered: [.discovering, .allocated, .problem, .deleted],
        .allocated: [.discovered, .installing, .problem, .deleted],
        .installing: [.installed, .problem, .reinstall, .deleted],
        .installed: [.readying, .problem, .reinstall, .deleted],
        .readying: [.ready, .problem, .reinstall, .deleted],
        .ready: [.applying, .readying, .problem, .reinstall, .deleted],
        .applying: [.ready, .problem, .deleted],
        .problem: [.discovering, .readying, .reinstall, .deleted],
        .reinstall: [.installing, .problem, .deleted],
        .deleted: [],
    ]

    /// The states `state` may move to.
    public static func allowedTargets(from state: NodeState) -> Set<NodeState> {
        table[state] ?? []
    }

    /// Checks a move of `node` from `from` to `to`, throwing a typed error when it is illegal.
    public static func validate(node: String, from: NodeState, to: NodeState) throws(IllegalTransition) {
        guard allowedTargets(from: from).contains(to) else {
            throw IllegalTransition(node: node, from: from, to: to)
        }
    }
}
