import CrowbarCore
import Foundation

extension RunsView {
    /// Draws the list of runs, or the open run, on rows `first..<first+height`; `now` times running runs.
    public mutating func render(into canvas: inout Canvas, first: Int, height: Int, runs: [Int64: Run], logs: [Int64: [RunLogLine]], now: Date) {
        if let open, let run = runs[open] {
            renderRun(run, log: logs[open] ?? [], into: &canvas, first: first, height: height, now: now)
            return
        }
        let list = runs.values.sorted { $0.id > $1.id }
        if !list.contains(where: { $0.id == selected }) { selected = list.first?.id }
        let widths = [5, 30, 10, 7, 8, 8]
        canvas.put(ProposalsView.line(["RUN", "APPLIES", "STATUS", "STEPS", "CHANGED", "TIME"], widths: widths), row: first, style: .header)
        let visible = max(height - 2, 1)
        let index = list.firstIndex { $0.id == selected } ?? 0
        top = Scroll.top(keeping: index, visible: visible, top: top, count: list.count)
        for (offset, run) in list.dropFirst(top).prefix(visible).enumerated() {
            let done = run.steps.filter { $0.status == .succeeded }.count
            let text = ProposalsView.line(
                [String(run.id), run.subject, run.status.rawValue, "\(done)/\(run.steps.count)", String(run.changedCount), Self.duration(run.elapsed(at: now))],
                widths: widths)
            canvas.put(text.fitted(to: canvas.width), row: first + 1 + offset, style: run.id == selected ? .selected : Self.style(run.status))
        }
        if list.isEmpty { canvas.put("No runs yet: committing a proposal with apply starts one.", row: first + 1, style: .dim) }
        canvas.put("Enter shows a run's steps and live log.".fitted(to: canvas.width), row: first + height - 1, style: .dim)
    }

    /// The run's summary, a window of its steps (each node's status), then its log's end (or where it was scrolled to)
    /// with the failing node's lines and the failure's output in the failed style.
    private func renderRun(_ run: Run, log: [RunLogLine], into canvas: inout Canvas, first: Int, height: Int, now: Date) {
        let counts = Dictionary(grouping: run.steps, by: \.status).mapValues(\.count)
        let steps = [StepStatus.succeeded, .running, .failed, .cancelled, .pending].compactMap { status in
            counts[status].map { "\($0) \(status == .succeeded ? "ok" : status.rawValue)" }
        }.joined(separator: ", ")
        let summary = "run \(run.id) · \(run.subject) · \(run.status.rawValue) · \(Self.duration(run.elapsed(at: now))) · steps: \(steps) · \(run.changedCount) changed"
        canvas.put(summary.fitted(to: canvas.width), row: first, style: Self.style(run.status) == .normal ? .header : Self.style(run.status))
        let stepRows = min(run.steps.count, max(3, (height - 3) / 3))
        let current = run.steps.firstIndex { $0.status == .running || $0.status == .failed } ?? run.steps.lastIndex { $0.status != .pending } ?? 0
        let start = Scroll.top(keeping: current, visible: stepRows, top: max(current - stepRows / 2, 0), count: run.steps.count)
        for (offset, step) in run.steps.dropFirst(start).prefix(stepRows).enumerated() {
            let text = String(step.plan.index).leftPadded(to: 3) + " " + "\(step.plan.barclamp)/\(step.plan.role)".fitted(to: 28) + " "
                + step.status.rawValue.fitted(to: 9) + " "
            let nodes = Self.nodeSummary(of: step, width: canvas.width - text.count)
            canvas.put((text + nodes).fitted(to: canvas.width), row: first + 1 + offset, style: Self.style(step.status))
        }
        let logTop = first + 1 + stepRows
        let scrolled = scrollBack > 0 ? " (scrolled back \(scrollBack) lines; End follows)" : ""
        let keys = run.status.isFinished ? "Esc runs" : "x cancel · Esc runs"
        canvas.put("── log\(scrolled) · ↑↓ scroll · \(keys) ".padded(with: "─", to: canvas.width), row: logTop, style: .dim)
        // Only the lines on screen are formatted: a long log costs nothing per repaint.
        let failure = Self.failureLines(run)
        let total = log.count + failure.count
        let visible = max(first + height - logTop - 1, 1)
        let end = max(total - min(scrollBack, max(total - visible, 0)), 0)
        for (offset, index) in (max(end - visible, 0)..<end).enumerated() {
            let line = index < log.count ? Self.logLine(log[index], of: run) : failure[index - log.count]
            canvas.put(line.text.fitted(to: canvas.width), row: logTop + 1 + offset, style: line.style)
        }
    }

    /// Each node and its status when they fit in `width`; else the count of nodes by status, failed ones named.
    static func nodeSummary(of step: RunStep, width: Int) -> String {
        let statuses = Self.nodeStatuses(of: step)
        let full = statuses.map { "\($0.node) \($0.status)" }.joined(separator: ", ")
        guard full.count > width else { return full }
        let counts = Dictionary(grouping: statuses, by: \.status).mapValues(\.count)
        let summary = ["ok", "changed", "running", "pending", "failed", "cancelled"].compactMap { status in counts[status].map { "\($0) \(status)" } }
        let failed = statuses.filter { $0.status == "failed" }.map(\.node)
        return summary.joined(separator: ", ") + (failed.isEmpty ? "" : ": " + failed.joined(separator: ", "))
    }

    /// A log line as shown: `+m:ss node: text` from the run's start; the failing node's lines of the failed step in the
    /// failed style.
    static func logLine(_ line: RunLogLine, of run: Run) -> (text: String, style: CellStyle) {
        let seconds = max(Int(line.at.timeIntervalSince(run.startedAt ?? run.createdAt)), 0)
        let text = "+\(seconds / 60):" + String(format: "%02d", seconds % 60) + " " + (line.node.map { "\($0): " } ?? "") + line.text
        let failing = run.failure.map { $0.step == line.step && $0.node != nil && $0.node == line.node } ?? false
        return (text, failing ? .failed : .normal)
    }

    /// The failure and the last 20 lines of its output, after the log.
    static func failureLines(_ run: Run) -> [(text: String, style: CellStyle)] {
        guard let failure = run.failure else { return [] }
        return [("FAILED \(failure)", .failed)]
            + failure.output.split(separator: "\n", omittingEmptySubsequences: false).suffix(20).map { ("  " + $0, .failed) }
    }

    static func style(_ status: RunStatus) -> CellStyle {
        switch status {
        case .succeeded: .ok
        case .failed: .failed
        case .running: .changed
        case .queued: .normal
        case .cancelled: .warning
        }
    }

    static func style(_ status: StepStatus) -> CellStyle {
        switch status {
        case .succeeded: .ok
        case .failed: .failed
        case .running: .changed
        case .pending: .dim
        case .cancelled: .warning
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }

    func padded(with filler: Character, to width: Int) -> String {
        count >= width ? self : self + String(repeating: filler, count: width - count)
    }
}
