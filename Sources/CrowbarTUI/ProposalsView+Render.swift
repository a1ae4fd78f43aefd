import CrowbarCore

extension ProposalsView {
    /// Draws the list, or the open proposal's form, on rows `first..<first+height`.
    public mutating func render(
        into canvas: inout Canvas, first: Int, height: Int, proposals: [ProposalRef: Proposal], barclamps: [String: Barclamp],
        revealed: [ProposalRef: ProposalContent]
    ) {
        if var form, let proposal = proposals[form.proposal], let barclamp = barclamps[form.proposal.barclamp] {
            form.render(into: &canvas, first: first, height: height, proposal: proposal, barclamp: barclamp, clear: revealed[form.proposal])
            self.form = form
            return
        }
        let list = Self.ordered(Array(proposals.values), barclamps: barclamps)
        if !list.contains(where: { ProposalRef($0) == selected }) { selected = list.first.map(ProposalRef.init) }
        let widths = [16, 16, 11, 4, 7]
        canvas.put(Self.line(["BARCLAMP", "PROPOSAL", "STATUS", "REV", "EDITS", "NODES"], widths: widths), row: first, style: .header)
        let visible = max(height - 4, 1)
        let index = list.firstIndex { ProposalRef($0) == selected } ?? 0
        top = Scroll.top(keeping: index, visible: visible, top: top, count: list.count)
        for (offset, proposal) in list.dropFirst(top).prefix(visible).enumerated() {
            let nodes = Set(proposal.content.deployment.values.joined()).count
            let text = Self.line(
                [proposal.barclamp, proposal.name, proposal.status.rawValue, String(proposal.revision),
                 proposal.hasPendingChanges ? "pending" : "-", "\(nodes)"],
                widths: widths)
            canvas.put(text.fitted(to: canvas.width), row: first + 1 + offset, style: ProposalRef(proposal) == selected ? .selected : Self.style(proposal.status))
        }
        if list.isEmpty { canvas.put("No proposals yet: create one with `crowbar proposal create` or a batch file.", row: first + 1, style: .dim) }
        canvas.put(String(repeating: "─", count: canvas.width), row: first + height - 2, style: .dim)
        if let proposal = list.first(where: { ProposalRef($0) == selected }), let barclamp = barclamps[proposal.barclamp] {
            canvas.put("\(barclamp.display): \(barclamp.description)".fitted(to: canvas.width), row: first + height - 1)
        }
    }

    static func style(_ status: ProposalStatus) -> CellStyle {
        switch status {
        case .applied: .ok
        case .failed: .failed
        case .applying, .committed: .changed
        case .draft, .deactivated: .normal
        }
    }

    static func line(_ fields: [String], widths: [Int]) -> String {
        fields.enumerated().map { index, field in index < widths.count ? field.fitted(to: widths[index]) : field }.joined(separator: " ")
    }
}

extension ProposalForm {
    /// Draws the form: a line about the proposal, its rows (or the picker, plan or diff over them), the selected row's
    /// description and what typing or the keys do.
    mutating func render(
        into canvas: inout Canvas, first: Int, height: Int, proposal: Proposal, barclamp: Barclamp, clear: ProposalContent?
    ) {
        let rows = FormRow.rows(of: barclamp)
        cursor = min(cursor, max(rows.count - 1, 0))
        let edits = proposal.hasPendingChanges ? " · uncommitted edits" : ""
        canvas.put("\(self.proposal) · \(proposal.status.rawValue), revision \(proposal.revision)\(edits)".fitted(to: canvas.width), row: first, style: .header)
        let visible = max(height - 4, 1)
        let lines: [(String, CellStyle)]
        if let panel {
            lines = Self.panelLines(panel)
        } else if let picker {
            lines = picker.lines.enumerated().map { ($1, $0 == picker.cursor ? .selected : .normal) }
        } else {
            top = Scroll.top(keeping: cursor, visible: visible, top: top, count: rows.count)
            lines = rows.enumerated().map { index, row in
                (Self.text(of: row, content: revealed ? clear ?? proposal.content : proposal.content, width: canvas.width), index == cursor ? .selected : .normal)
            }
        }
        let start = if panel != nil { 0 } else if let picker {
            Scroll.top(keeping: picker.cursor, visible: visible, top: 0, count: lines.count)
        } else { top }
        for (offset, line) in lines.dropFirst(start).prefix(visible).enumerated() {
            canvas.put(line.0.fitted(to: canvas.width), row: first + 1 + offset, style: line.1)
        }
        canvas.put(String(repeating: "─", count: canvas.width), row: first + height - 3, style: .dim)
        canvas.put(about(rows.indices.contains(cursor) ? rows[cursor] : nil).fitted(to: canvas.width), row: first + height - 2)
        let (hint, style) = footer(rows.indices.contains(cursor) ? rows[cursor] : nil)
        canvas.put(hint.fitted(to: canvas.width), row: first + height - 1, style: style)
    }

    /// A row as `path  value  type`: secrets masked unless revealed, unset values as `-`.
    static func text(of row: FormRow, content: ProposalContent, width: Int) -> String {
        let nameWidth = 30
        let typeWidth = 18
        let valueWidth = max(width - nameWidth - typeWidth - 4, 10)
        switch row {
        case .attribute(let path, let schema):
            let value = Self.value(at: path, in: content).map { $0 == .null ? "-" : Self.editableText($0) } ?? "-"
            var kind = schema.choices.isEmpty ? schema.kind.name : "choice"
            if schema.secret { kind += " secret" }
            if schema.required { kind += " required" }
            return "  " + path.fitted(to: nameWidth) + " " + value.fitted(to: valueWidth) + " " + kind
        case .role(let role):
            let nodes = content.deployment[role.name] ?? []
            let limits = "min \(role.min)" + (role.max.map { " max \($0)" } ?? "")
            return "  " + "role \(role.name)".fitted(to: nameWidth) + " " + (nodes.isEmpty ? "-" : nodes.joined(separator: ", ")).fitted(to: valueWidth) + " " + limits
        }
    }

    private func about(_ row: FormRow?) -> String {
        if let picker {
            switch picker.target {
            case .role(let role): return "Nodes of \(role): space marks, Enter assigns, Esc leaves them as they were."
            case .attribute(let path): return "\(path): Enter picks, Esc leaves it as it was."
            case .state(let node): return "\(node): Enter moves it, Esc leaves it."
            }
        }
        if panel != nil { return "Any key returns to the form." }
        switch row {
        case .attribute(let path, let schema)?:
            return schema.description.isEmpty ? path : schema.description
        case .role(let role)?:
            return "Nodes that get \(role.recipe)" + (role.conflicts.isEmpty ? "" : "; not with \(role.conflicts.joined(separator: ", "))")
        case nil:
            return ""
        }
    }

    private func footer(_ row: FormRow?) -> (String, CellStyle) {
        if let error { return ("refused: \(error)", .failed) }
        if let editing, case .attribute(let path, let schema)? = row {
            let shown = schema.secret && !revealed ? String(repeating: "*", count: editing.count) : editing
            return ("\(path) = \(shown)_   (Enter sets, Esc cancels)", .key)
        }
        return ("Enter edit · s secrets · p plan · v diff · c commit+apply · C commit · t check", .dim)
    }

    private static func panelLines(_ panel: Panel) -> [(String, CellStyle)] {
        switch panel {
        case .plan(let plan):
            guard !plan.steps.isEmpty else { return [("The plan is empty: no role of an active proposal has nodes.", .dim)] }
            return [("Plan if committed (\(plan.steps.count) steps, \(plan.nodeApplyCount) node applies):", .header)]
                + plan.table().split(separator: "\n").map { (String($0), .normal) }
        case .diff(let changes):
            guard !changes.isEmpty else { return [("No change since the last committed revision.", .dim)] }
            return [("Changes since the last committed revision:", .header)]
                + changes.map { ($0.description, $0.kind == .removed ? .failed : $0.kind == .added ? .ok : .changed) }
        }
    }
}

/// Keeping a selected line in view.
enum Scroll {
    /// The first line to show so that line `index` of `count` shows in `visible` lines, moving `top` as little as needed.
    static func top(keeping index: Int, visible: Int, top: Int, count: Int) -> Int {
        var top = top
        if index < top { top = index }
        if index >= top + visible { top = index - visible + 1 }
        return max(min(top, count - visible), 0)
    }
}
