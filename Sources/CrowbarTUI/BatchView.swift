import CrowbarCore

/// The batch screen of `crowbar tui --batch FILE`: what applying the file would do to each proposal (and the selected
/// one's changes); after `a`, what became of each and its run, which Enter opens on the runs screen.
public struct BatchView: Sendable, Hashable {
    public let file: String
    public var cursor = 0
    public var top = 0

    public init(file: String) { self.file = file }

    /// The file's name without its folder, for the header.
    var name: String { file.split(separator: "/").last.map(String.init) ?? file }

    /// What a key does: moves, asks to apply the previewed file, or opens the selected entry's run.
    public mutating func handle(_ key: Key, preview: BatchPreview?, batch: Batch?) -> TUIRequest? {
        let count = batch?.entries.count ?? preview?.entries.count ?? 0
        if let moved = ListNavigation.index(after: key, from: cursor, count: count) {
            cursor = moved
            return nil
        }
        switch key {
        case .character("a") where batch == nil && preview != nil: return .applyBatch
        case .enter:
            guard let entries = batch?.entries, entries.indices.contains(cursor), let run = entries[cursor].run else { return nil }
            return .followRun(run)
        default: break
        }
        return nil
    }

    /// Draws the entries on the upper rows and the selected entry's changes below them.
    public mutating func render(into canvas: inout Canvas, first: Int, height: Int, preview: BatchPreview?, batch: Batch?) {
        guard let preview else {
            canvas.put("Reading \(name)…", row: first, style: .dim)
            return
        }
        let lines: [String]
        if let batch {
            let done = batch.entries.filter { $0.outcome == .applied || $0.outcome == .unchanged }.count
            canvas.put("batch \(batch.id) (\(name)): \(batch.status.rawValue), \(done) of \(batch.entries.count) done · Enter opens a run".fitted(to: canvas.width), row: first, style: .header)
            lines = batch.entries.map {
                String($0.position).leftPadded(to: 3) + " " + "\($0.barclamp)/\($0.proposal)".fitted(to: 32) + " " + $0.outcome.rawValue.fitted(to: 10)
                    + ($0.run.map { " run \($0)" } ?? "")
            }
        } else {
            let counts = Dictionary(grouping: preview.entries, by: \.action).mapValues(\.count)
            let summary = [BatchPreview.Action.create, .change, .apply, .unchanged].compactMap { action in counts[action].map { "\($0) \(action.rawValue)" } }
            canvas.put("\(name): \(summary.joined(separator: ", ")) · a applies".fitted(to: canvas.width), row: first, style: .header)
            lines = preview.entries.map {
                String($0.position).leftPadded(to: 3) + " " + $0.action.rawValue.fitted(to: 10) + " " + "\($0.barclamp)/\($0.proposal)".fitted(to: 32)
                    + ($0.changes.isEmpty ? "" : " \($0.changes.count) change\($0.changes.count == 1 ? "" : "s")")
            }
        }
        cursor = min(cursor, max(lines.count - 1, 0))
        let visible = max((height - 2) / 2, 1)
        top = Scroll.top(keeping: cursor, visible: visible, top: top, count: lines.count)
        for (offset, line) in lines.dropFirst(top).prefix(visible).enumerated() {
            canvas.put(line.fitted(to: canvas.width), row: first + 1 + offset, style: top + offset == cursor ? .selected : .normal)
        }
        let separator = first + 1 + visible
        canvas.put(String(repeating: "─", count: canvas.width), row: separator, style: .dim)
        let changes = preview.entries.indices.contains(cursor) ? preview.entries[cursor].changes : []
        for (offset, change) in changes.prefix(first + height - separator - 1).enumerated() {
            canvas.put(("  " + change.description).fitted(to: canvas.width), row: separator + 1 + offset, style: change.kind == .removed ? .failed : .changed)
        }
    }
}
