import CrowbarCore

/// The terminal UI's whole state, without a terminal: what crowbard told it (`receive`), what the operator pressed
/// (`handle`, which answers the requests to send) and what the screen shows (`render`).
public struct TUIModel: Sendable {
    public enum Screen: Sendable, Hashable { case nodes, help }

    public enum Connection: Sendable, Hashable {
        case connecting
        case connected
        /// crowbard went away; the UI reconnects by itself.
        case disconnected(String)
    }

    /// crowbard's URL, for the status bar.
    public let url: String
    public private(set) var nodes: [String: Node] = [:]
    /// Roles by node name, from the proposals.
    public private(set) var roles: [String: [String]] = [:]
    public private(set) var runningRuns = 0
    public private(set) var connection = Connection.connecting
    public private(set) var screen = Screen.nodes
    public var nodesView = NodesView()
    /// A request waiting for the operator's `y`.
    public private(set) var confirmation: NodeRequest?
    /// The last request's result or error, until the next key.
    public private(set) var notice: String?

    public init(url: String) { self.url = url }

    /// Takes in what crowbard said.
    public mutating func receive(_ message: TUIMessage) {
        switch message {
        case .nodes(let list): nodes = Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        case .node(let node): nodes[node.name] = node
        case .nodeDeleted(let name): nodes[name] = nil
        case .roles(let byNode): roles = byNode
        case .runningRuns(let count): runningRuns = count
        case .connected:
            if connection != .connected { notice = nil }
            connection = .connected
        case .disconnected(let reason):
            if case .disconnected = connection {} else { notice = nil }  // the status bar must show it
            connection = .disconnected(reason)
        case .notice(let text): notice = text
        }
    }

    /// What a key does: answers the command for the terminal loop to carry out, if any.
    public mutating func handle(_ key: Key) -> TUICommand? {
        notice = nil
        if let request = confirmation {
            confirmation = nil
            guard key == .character("y") || key == .character("Y") else {
                notice = "cancelled"
                return nil
            }
            return .send(request)
        }
        if key == .control("c") { return .quit }
        if screen == .help {
            screen = .nodes
            return key == .character("q") ? .quit : nil
        }
        if !nodesView.isFiltering {
            switch key {
            case .character("q"): return .quit
            case .character("?"): screen = .help; return nil
            default: break
            }
        }
        if let request = nodesView.handle(key, nodes: Array(nodes.values), roles: roles) {
            confirmation = request
        }
        return nil
    }

    /// The screen at `width` × `height`: a title line, the current view, then the status bar.
    public mutating func render(width: Int, height: Int) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        guard height >= 8, width >= 40 else {
            canvas.put("crowbar tui: at least 40×8", row: 0, style: .warning)
            return canvas
        }
        canvas.put(title.fitted(to: width), row: 0, style: .title)
        switch screen {
        case .nodes: nodesView.render(into: &canvas, first: 1, height: height - 2, nodes: Array(nodes.values), roles: roles)
        case .help: Self.renderHelp(into: &canvas, first: 2)
        }
        let bottom = height - 1
        if let confirmation {
            canvas.put("\(confirmation.question) [y/N]".fitted(to: width), row: bottom, style: .warning)
        } else if let notice {
            canvas.put(notice.fitted(to: width), row: bottom, style: notice.hasPrefix("failed") ? .failed : .ok)
        } else {
            let gone = if case .disconnected = connection { true } else { false }
            canvas.put(statusLine.fitted(to: width), row: bottom, style: gone ? .warning : .bar)
        }
        return canvas
    }

    private var title: String {
        switch screen {
        case .help: return " crowbar · keys"
        case .nodes:
            let filter = nodesView.isFiltering ? "  filter: \(nodesView.filter)_" : nodesView.filter.isEmpty ? "  / filter" : "  filter: \(nodesView.filter)  (Esc clears)"
            return " crowbar · nodes\(filter)"
        }
    }

    /// crowbard's health, running work, the nodes by state and the keys that matter most (cut in that order's reverse).
    var statusLine: String {
        let health: String
        switch connection {
        case .connecting: health = "connecting to \(url)"
        case .connected: health = "connected"
        case .disconnected(let reason): health = "DISCONNECTED (\(reason)), retrying"
        }
        let counts = Dictionary(grouping: nodes.values, by: \.state).sorted { $0.key < $1.key }
            .map { "\($0.value.count) \($0.key.rawValue)" }.joined(separator: " ")
        let runs = runningRuns == 0 ? "no run" : "\(runningRuns) run\(runningRuns == 1 ? "" : "s") running"
        return " \(health) · \(runs) · \(nodes.count) nodes\(counts.isEmpty ? "" : ": \(counts)") · ? keys  q quit"
    }

    /// The help screen's lines: keys, and what they do in at most 49 columns (80 less the key column).
    static let keys: [(String, String)] = [
        ("↑ ↓ j k, PgUp PgDn, Home End", "move the selection"),
        ("/", "filter by name, state, MAC, address or role"),
        ("Enter  Esc", "keep the filter; clear it"),
        ("a", "allocate (admin address, then install)"),
        ("o  f  c", "power on, off or cycle through the BMC"),
        ("r", "reinstall the OS (overwrites the disk)"),
        ("d", "delete the node"),
        ("y", "confirm the bottom line's question"),
        ("?", "these keys (any key returns)"),
        ("q  Ctrl-C", "quit"),
    ]

    private static func renderHelp(into canvas: inout Canvas, first: Int) {
        for (offset, entry) in keys.enumerated() {
            canvas.put(entry.0, row: first + offset, column: 2, style: .key, limit: 28)
            canvas.put(entry.1, row: first + offset, column: 31)
        }
    }
}

/// What crowbard said, as the UI takes it in.
public enum TUIMessage: Sendable, Hashable {
    case nodes([Node])
    case node(Node)
    case nodeDeleted(String)
    case roles([String: [String]])
    case runningRuns(Int)
    case connected
    case disconnected(String)
    /// A request's result, or why it failed (text starting with "failed").
    case notice(String)
}

/// What the terminal loop must do after a key.
public enum TUICommand: Sendable, Hashable {
    case send(NodeRequest)
    case quit
}
