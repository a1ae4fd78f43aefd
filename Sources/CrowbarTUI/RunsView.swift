import CrowbarCore
import Foundation

/// The runs screen: recent runs, newest first; Enter opens one with its steps, each node's status and its live log.
public struct RunsView: Sendable, Hashable {
    public var selected: Int64?
    public var top = 0
    /// The run whose steps and log are shown.
    public private(set) var open: Int64?
    /// Log lines scrolled back from the end; 0 follows the log as it grows.
    public private(set) var scrollBack = 0

    public init() {}

    /// Opens `run` at the end of its log (the caller asks crowbard to follow it).
    public mutating func show(_ run: Int64) {
        selected = run
        open = run
        scrollBack = 0
    }

    /// What a key does on the list or the open run.
    public mutating func handle(_ key: Key, runs: [Int64: Run]) -> TUIRequest? {
        if let open {
            switch key {
            case .up, .character("k"): scrollBack += 1
            case .down, .character("j"): scrollBack = max(scrollBack - 1, 0)
            case .pageUp: scrollBack += 10
            case .pageDown: scrollBack = max(scrollBack - 10, 0)
            case .end: scrollBack = 0
            case .escape: self.open = nil
            case .character("x"):
                guard let run = runs[open], !run.status.isFinished else { return nil }
                return .cancelRun(open)
            default: break
            }
            return nil
        }
        let list = runs.keys.sorted(by: >)
        if let moved = ListNavigation.index(after: key, from: list.firstIndex { $0 == selected } ?? 0, count: list.count) {
            selected = list.isEmpty ? nil : list[moved]
        } else if key == .enter, let chosen = list.first(where: { $0 == selected }) ?? list.first {
            show(chosen)
            return .followRun(chosen)
        }
        return nil
    }

    /// Where each node of a step is: pending, running, ok, changed, failed or cancelled.
    public static func nodeStatuses(of step: RunStep) -> [(node: String, status: String)] {
        let results = Dictionary(step.results.map { ($0.node, $0) }, uniquingKeysWith: { _, last in last })
        return step.plan.nodes.map { node in
            if let result = results[node] { return (node, !result.succeeded ? "failed" : result.changedCount > 0 ? "changed" : "ok") }
            switch step.status {
            case .pending: return (node, "pending")
            case .running: return (node, "running")
            case .cancelled, .failed: return (node, "cancelled")
            case .succeeded: return (node, "ok")
            }
        }
    }

    /// `42s`, `3m05s`, `1h02m`.
    public static func duration(_ seconds: TimeInterval) -> String {
        let whole = max(Int(seconds), 0)
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m" + String(format: "%02ds", whole % 60) }
        return "\(whole / 3600)h" + String(format: "%02dm", whole / 60 % 60)
    }
}

extension Run {
    /// `nova/default r3`, `check nova/default r3`, or the node a transition run readies.
    var subject: String {
        let proposal = barclamp.map { "\($0)/\(self.proposal ?? "?") r\(revision ?? 0)" } ?? transitionNode.map { "node \($0)" } ?? "-"
        return (checkMode ? "check " : "") + proposal
    }

    /// How long it ran, or has been running at `now`.
    func elapsed(at now: Date) -> TimeInterval {
        guard let startedAt else { return 0 }
        return (finishedAt ?? now).timeIntervalSince(startedAt)
    }
}
