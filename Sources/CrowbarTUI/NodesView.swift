import CrowbarCore

/// The nodes screen: every node grouped by state (in lifecycle order, then by name), narrowed by a typed filter, one
/// selected; the selected node's details below the table.
public struct NodesView: Sendable, Hashable {
    /// Text every shown node matches in its name, state, a MAC, its address or a role (case-insensitive).
    public var filter = ""
    /// Whether keys type into the filter (after `/`, until Enter or Esc).
    public var isFiltering = false
    /// The selected node's name: the selection follows the node as the list changes.
    public var selected: String?
    /// The first table line shown (the table scrolls to keep the selection visible).
    public var top = 0
    /// The states the selected node may move to, after `t`.
    public private(set) var picker: Picker?

    public init() {}

    /// The nodes shown, by state then name.
    public func shown(_ nodes: [Node], roles: [String: [String]]) -> [Node] {
        let needle = filter.lowercased()
        return nodes.filter { node in
            needle.isEmpty || Self.searchable(node, roles: roles[node.name] ?? []).contains { $0.lowercased().contains(needle) }
        }.sorted { ($0.state, $0.name) < ($1.state, $1.name) }
    }

    private static func searchable(_ node: Node, roles: [String]) -> [String] {
        [node.name, node.state.rawValue] + node.macs.map(\.description) + [node.adminAddress?.description ?? ""] + roles
    }

    /// What a key does here: moves the selection, edits the filter, or asks for an action on the selected node.
    public mutating func handle(_ key: Key, nodes: [Node], roles: [String: [String]]) -> NodeRequest? {
        let list = shown(nodes, roles: roles)
        if picker != nil { return pick(key) }
        if isFiltering {
            switch key {
            case .enter, .escape: isFiltering = false
            case .backspace: if !filter.isEmpty { filter.removeLast() }
            case .character(let character): filter.append(character)
            default: break
            }
            keepSelection(in: list)
            return nil
        }
        if let moved = ListNavigation.index(after: key, from: list.firstIndex { $0.name == selected } ?? 0, count: list.count) {
            selected = list.isEmpty ? nil : list[moved].name
            return nil
        }
        switch key {
        case .character("/"): isFiltering = true
        case .escape: filter = ""; keepSelection(in: shown(nodes, roles: roles))
        default:
            guard let node = list.first(where: { $0.name == selected }) ?? list.first else { return nil }
            if key == .character("t") {
                let targets = NodeLifecycle.allowedTargets(from: node.state).subtracting([.deleted]).sorted()
                picker = Picker(target: .state(node: node.name), options: targets.map(\.rawValue), chosen: [], multiple: false)
                return nil
            }
            return NodeRequest(key: key, node: node.name)
        }
        return nil
    }

    /// A key in the state picker: Enter asks to move the node to the chosen state.
    private mutating func pick(_ key: Key) -> NodeRequest? {
        guard let outcome = picker?.handle(key), case .state(let node)? = picker?.target else { return nil }
        picker = nil
        guard case .chosen(let values) = outcome, let state = values.first.flatMap(NodeState.init(rawValue:)) else { return nil }
        return .transition(node, state)
    }

    private mutating func keepSelection(in list: [Node]) {
        if !list.contains(where: { $0.name == selected }) { selected = list.first?.name }
    }
}

/// An action the operator asked for on one node from the nodes screen.
public enum NodeRequest: Sendable, Hashable {
    case allocate(String)
    case power(String, PowerAction)
    /// Install the node's OS again (it goes back through `reinstall`).
    case reinstall(String)
    /// Moves the node to a state by hand (`crowbar node transition`).
    case transition(String, NodeState)
    case delete(String)

    /// The action a key asks for: `a` allocate, `o` power on, `f` off, `c` cycle, `r` reinstall, `d` delete.
    init?(key: Key, node: String) {
        switch key {
        case .character("a"): self = .allocate(node)
        case .character("o"): self = .power(node, .on)
        case .character("f"): self = .power(node, .off)
        case .character("c"): self = .power(node, .cycle)
        case .character("r"): self = .reinstall(node)
        case .character("d"): self = .delete(node)
        default: return nil
        }
    }

    /// The question the operator confirms before it is sent.
    public var question: String {
        switch self {
        case .allocate(let node): "Allocate \(node) (admin address, then install)?"
        case .power(let node, let action): "Power \(action.rawValue) \(node) through its BMC?"
        case .reinstall(let node): "Reinstall \(node) (its disk is overwritten)?"
        case .transition(let node, let state): "Move \(node) to \(state.rawValue)?"
        case .delete(let node): "Delete \(node) and its addresses?"
        }
    }
}
