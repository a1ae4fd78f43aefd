import CrowbarCore
import Foundation

/// The terminal UI's whole state, without a terminal: what crowbard told it (`receive`), what the operator pressed
/// (`handle`, which answers the requests to send) and what the screen shows (`render`).
public struct TUIModel: Sendable {
    public enum Screen: Sendable, Hashable { case nodes, proposals, runs, batch, help }

    public enum Connection: Sendable, Hashable {
        case connecting
        case connected
        /// crowbard went away; the UI reconnects by itself.
        case disconnected(String)
    }

    /// crowbard's URL, for the status bar.
    public let url: String
    public private(set) var nodes: [String: Node] = [:]
    public private(set) var proposals: [ProposalRef: Proposal] = [:]
    /// Proposals as read with their secrets, for the forms where the operator revealed them.
    public private(set) var revealed: [ProposalRef: ProposalContent] = [:]
    public private(set) var barclamps: [String: Barclamp] = [:]
    /// Roles of the active proposals, by node name.
    public private(set) var roles: [String: [String]] = [:]
    /// Recent runs, and every run the UI has shown.
    public private(set) var runs: [Int64: Run] = [:]
    /// The log lines read so far of each followed run (the last ``logLimit``).
    public private(set) var logs: [Int64: [RunLogLine]] = [:]
    public private(set) var batchPreview: BatchPreview?
    public private(set) var batch: Batch?
    public private(set) var connection = Connection.connecting
    public private(set) var screen = Screen.nodes
    private var screenBeforeHelp = Screen.nodes
    public var nodesView = NodesView()
    public var proposalsView = ProposalsView()
    public var runsView = RunsView()
    public var batchView: BatchView?
    /// A request waiting for the operator's `y`.
    public private(set) var confirmation: TUIRequest?
    /// The last request's result or error, until the next key.
    public private(set) var notice: String?
    /// The most log lines kept per run.
    public static let logLimit = 5_000

    /// A UI on crowbard at `url`; with `batchFile`, it opens on the batch screen for that file.
    public init(url: String, batchFile: String? = nil) {
        self.url = url
        if let batchFile {
            batchView = BatchView(file: batchFile)
            screen = .batch
        }
    }

    /// Takes in what crowbard said.
    public mutating func receive(_ message: TUIMessage) {
        switch message {
        case .nodes(let list): nodes = Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        case .node(let node): nodes[node.name] = node
        case .nodeDeleted(let name): nodes[name] = nil
        case .proposals(let list):
            proposals = Dictionary(list.map { (ProposalRef($0), $0) }, uniquingKeysWith: { _, last in last })
            updateRoles()
        case .proposal(let proposal):
            proposals[ProposalRef(proposal)] = proposal
            updateRoles()
        case .revealed(let proposal): revealed[ProposalRef(proposal)] = proposal.content
        case .barclamps(let list): barclamps = Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        case .runs(let list):
            let shown = Set([runsView.open].compactMap { $0 } + logs.keys)
            runs = runs.filter { shown.contains($0.key) }.merging(list.map { ($0.id, $0) }) { _, new in new }
        case .run(let run): runs[run.id] = run
        case .runLog(let id, let lines):
            logs[id, default: []].append(contentsOf: lines)
            // Trimmed a thousand lines at a time, not on every line.
            if let count = logs[id]?.count, count > Self.logLimit + 1_000 { logs[id]?.removeFirst(count - Self.logLimit) }
        case .plan(let proposal, let plan): show(.plan(plan), for: proposal)
        case .diff(let proposal, let changes): show(.diff(changes), for: proposal)
        case .watch(let run):
            screen = .runs
            runsView.show(run)
        case .batchPreview(let preview): batchPreview = preview
        case .batch(let batch): self.batch = batch
        case .connected:
            if connection != .connected { notice = nil }
            connection = .connected
        case .disconnected(let reason):
            if case .disconnected = connection {} else { notice = nil }  // the status bar must show it
            connection = .disconnected(reason)
        case .notice(let text): notice = text
        }
    }

    private mutating func updateRoles() {
        var byNode: [String: [String]] = [:]
        for proposal in proposals.values.sorted(by: { ProposalRef($0) < ProposalRef($1) }) where proposal.status.isActive {
            for (role, names) in proposal.content.deployment.sorted(by: { $0.key < $1.key }) {
                for node in names { byNode[node, default: []].append(role) }
            }
        }
        roles = byNode
    }

    private mutating func show(_ panel: ProposalForm.Panel, for proposal: ProposalRef) {
        guard proposalsView.form?.proposal == proposal else { return }
        proposalsView.form?.panel = panel
    }

    /// Whether keys are typed into a filter or a value, or pick from a list (so `q`, digits and `?` are not commands).
    var isTyping: Bool {
        nodesView.isFiltering || nodesView.picker != nil || proposalsView.form?.editing != nil || proposalsView.form?.picker != nil
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
            screen = screenBeforeHelp
            return key == .character("q") ? .quit : nil
        }
        if !isTyping, let command = handleGlobal(key) { return command }
        let request: TUIRequest?
        switch screen {
        case .nodes: request = nodesView.handle(key, nodes: Array(nodes.values), roles: roles).map(TUIRequest.node)
        case .proposals: request = proposalsView.handle(key, proposals: proposals, barclamps: barclamps, nodes: nodes.keys.sorted())
        case .runs: request = runsView.handle(key, runs: runs)
        case .batch: request = batchView?.handle(key, preview: batchPreview, batch: batch)
        case .help: request = nil
        }
        guard let request else { return nil }
        if case .followRun(let run) = request {
            screen = .runs
            runsView.show(run)
        }
        if request.question != nil {
            confirmation = request
            return nil
        }
        return .send(request)
    }

    /// Keys that work on every screen: quit, help, and switching screens (Tab, or a screen's number).
    private mutating func handleGlobal(_ key: Key) -> TUICommand?? {
        let screens: [Screen] = [.nodes, .proposals, .runs] + (batchView == nil ? [] : [.batch])
        switch key {
        case .character("q"): return .some(.quit)
        case .character("?"):
            screenBeforeHelp = screen
            screen = .help
        case .tab: screen = screens[((screens.firstIndex(of: screen) ?? 0) + 1) % screens.count]
        case .character(let digit) where digit.wholeNumberValue.map { (1...screens.count).contains($0) } ?? false:
            screen = screens[digit.wholeNumberValue! - 1]
        default: return nil
        }
        return .some(nil)
    }

    /// The screen at `width` × `height` at `now`: a title line, the current view, then the status bar.
    public mutating func render(width: Int, height: Int, now: Date = Date()) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        guard height >= 8, width >= 40 else {
            canvas.put("crowbar tui: at least 40×8", row: 0, style: .warning)
            return canvas
        }
        canvas.put(title.fitted(to: width), row: 0, style: .title)
        let body = height - 2
        switch screen {
        case .nodes: nodesView.render(into: &canvas, first: 1, height: body, nodes: Array(nodes.values), roles: roles)
        case .proposals:
            proposalsView.render(into: &canvas, first: 1, height: body, proposals: proposals, barclamps: barclamps, revealed: revealed)
        case .runs: runsView.render(into: &canvas, first: 1, height: body, runs: runs, logs: logs, now: now)
        case .batch: batchView?.render(into: &canvas, first: 1, height: body, preview: batchPreview, batch: batch)
        case .help: Self.renderHelp(into: &canvas, first: 1)
        }
        let bottom = height - 1
        if let question = confirmation?.question {
            canvas.put("\(question) [y/N]".fitted(to: width), row: bottom, style: .warning)
        } else if let notice {
            canvas.put(notice.fitted(to: width), row: bottom, style: notice.hasPrefix("failed") ? .failed : .ok)
        } else {
            let gone = if case .disconnected = connection { true } else { false }
            canvas.put(statusLine.fitted(to: width), row: bottom, style: gone ? .warning : .bar)
        }
        return canvas
    }

    /// The screens by number, the current one marked, and the nodes filter.
    private var title: String {
        if screen == .help { return " crowbar · keys (any key returns)" }
        let names = ["nodes", "proposals", "runs"] + (batchView == nil ? [] : ["batch"])
        let current: Int = switch screen {
        case .nodes, .help: 0
        case .proposals: 1
        case .runs: 2
        case .batch: 3
        }
        let tabs = names.enumerated().map { $0 == current ? "[\($0 + 1) \($1)]" : " \($0 + 1) \($1) " }.joined(separator: " ")
        guard screen == .nodes else { return " crowbar  \(tabs)" }
        let filter = nodesView.isFiltering ? "  filter: \(nodesView.filter)_" : nodesView.filter.isEmpty ? "  / filter" : "  filter: \(nodesView.filter)  (Esc clears)"
        return " crowbar  \(tabs)\(filter)"
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
        let running = runs.values.filter { !$0.status.isFinished }.count
        let work = running == 0 ? "no run" : "\(running) run\(running == 1 ? "" : "s") running"
        return " \(health) · \(work) · \(nodes.count) nodes\(counts.isEmpty ? "" : ": \(counts)") · ? keys  q quit"
    }

    /// The help screen's lines: keys, and what they do in at most 49 columns (80 less the key column).
    static let keys: [(String, String)] = [
        ("Tab  1 2 3 4", "nodes, proposals, runs, batch screens"),
        ("↑ ↓ j k, PgUp PgDn, Home End", "move the selection (in a run: scroll its log)"),
        ("/  Esc", "nodes: filter by name, state, MAC, address, role"),
        ("a  r  t  d", "nodes: allocate, reinstall, transition, delete"),
        ("o  f  c", "nodes: power on, off or cycle through the BMC"),
        ("Enter", "open a proposal or run; edit a form's row"),
        ("s  p  v", "proposal: reveal secrets, show plan, show diff"),
        ("c  C  t", "proposal: commit+apply, commit only, check run"),
        ("x", "run: cancel"),
        ("a", "batch: apply the previewed file"),
        ("y", "confirm the bottom line's question"),
        ("Esc", "back (from a form or a run), cancel typing"),
        ("q  Ctrl-C", "quit"),
    ]

    private static func renderHelp(into canvas: inout Canvas, first: Int) {
        for (offset, entry) in keys.enumerated() {
            canvas.put(entry.0, row: first + 1 + offset, column: 2, style: .key, limit: 28)
            canvas.put(entry.1, row: first + 1 + offset, column: 31)
        }
    }
}

/// What crowbard said, as the UI takes it in.
public enum TUIMessage: Sendable, Hashable {
    case nodes([Node])
    case node(Node)
    case nodeDeleted(String)
    case proposals([Proposal])
    case proposal(Proposal)
    /// A proposal read with its secrets, for a form that reveals them.
    case revealed(Proposal)
    case barclamps([Barclamp])
    /// The recent runs.
    case runs([Run])
    case run(Run)
    /// New lines of a followed run's log.
    case runLog(Int64, [RunLogLine])
    case plan(ProposalRef, Plan)
    case diff(ProposalRef, [ProposalChange])
    /// A run the operator started: shown on the runs screen.
    case watch(Int64)
    case batchPreview(BatchPreview)
    case batch(Batch)
    case connected
    case disconnected(String)
    /// A request's result, or why it failed (text starting with "failed").
    case notice(String)
}

/// What the terminal loop must do after a key.
public enum TUICommand: Sendable, Hashable {
    case send(TUIRequest)
    case quit
}
