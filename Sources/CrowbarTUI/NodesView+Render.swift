import CrowbarCore

extension NodesView {
    /// Draws the table (a group line per state, a row per node) on rows `first..<first+height` of `canvas`, the selected
    /// node's details on the last two, and scrolls so the selection shows. From 100 columns on, roles get a column.
    public mutating func render(into canvas: inout Canvas, first: Int, height: Int, nodes: [Node], roles: [String: [String]]) {
        let list = shown(nodes, roles: roles)
        if !list.contains(where: { $0.name == selected }) { selected = list.first?.name }
        let columns = NodeColumns(width: canvas.width)
        canvas.put(columns.header, row: first, style: .header)
        var lines: [(text: String, style: CellStyle, node: String?)] = []
        let counts = Dictionary(grouping: list, by: \.state).mapValues(\.count)
        var state: NodeState?
        for node in list {
            if node.state != state {
                state = node.state
                lines.append(("── \(node.state.rawValue) (\(counts[node.state] ?? 0)) ", .dim, nil))
            }
            lines.append((columns.row(node, roles: roles[node.name] ?? []), node.name == selected ? .selected : Self.style(node.state), node.name))
        }
        if list.isEmpty {
            lines.append((nodes.isEmpty ? "No nodes yet: they appear here as they PXE-boot and are discovered." : "No node matches '\(filter)'.", .dim, nil))
        }
        if let picker, case .state(let node) = picker.target {
            lines = [("Move \(node) to (↑↓, Enter; Esc leaves it):", .header, nil)]
                + picker.lines.enumerated().map { ($1, $0 == picker.cursor ? .selected : .normal, nil) }
        }
        let visible = max(height - 4, 1)  // header, separator and two detail lines
        let selectedLine = lines.firstIndex { $0.node != nil && $0.node == selected } ?? 0
        if selectedLine < top { top = max(selectedLine - 1, 0) }
        if selectedLine >= top + visible { top = selectedLine - visible + 1 }
        top = min(top, max(lines.count - visible, 0))
        for (offset, line) in lines.dropFirst(top).prefix(visible).enumerated() {
            let row = first + 1 + offset
            canvas.put(line.text.fitted(to: canvas.width), row: row, style: line.style)
        }
        let detailRow = first + height - 2
        canvas.put(String(repeating: "─", count: canvas.width), row: detailRow - 1, style: .dim)
        if let node = list.first(where: { $0.name == selected }) {
            for (offset, text) in Self.details(node, roles: roles[node.name] ?? []).enumerated() {
                canvas.put(text.fitted(to: canvas.width), row: detailRow + offset)
            }
        }
    }

    static func style(_ state: NodeState) -> CellStyle {
        switch state {
        case .ready: .ok
        case .problem: .failed
        case .discovering, .installing, .readying, .applying: .changed
        default: .normal
        }
    }

    /// Two lines about one node: its MACs, BMC and serial; its roles and disks.
    static func details(_ node: Node, roles: [String]) -> [String] {
        let inventory = node.inventory
        let bmc = inventory.bmcAddress.map { "BMC \($0)\(inventory.bmcVendor.map { " (\($0))" } ?? "")" } ?? "no BMC read"
        let machine = [inventory.vendor, inventory.product, inventory.serial.map { "serial \($0)" }].compactMap { $0 }.joined(separator: " ")
        let disks = inventory.disks.map { "\($0.name) \(Self.size($0.sizeBytes))" }.joined(separator: ", ")
        return [
            "\(node.name): MAC \(node.macs.map(\.description).joined(separator: ", ")) · \(bmc)\(machine.isEmpty ? "" : " · \(machine)")",
            "roles: \(roles.isEmpty ? "none" : roles.joined(separator: ", ")) · disks: \(disks.isEmpty ? "none" : disks)",
        ]
    }

    /// `20G`, `512M`: a disk or memory size in the unit that keeps it short.
    static func size(_ bytes: Int64) -> String {
        let gigabytes = Double(bytes) / 1_073_741_824
        return gigabytes >= 1 ? "\(Int(gigabytes.rounded()))G" : "\(bytes / 1_048_576)M"
    }
}

/// The table's columns for a terminal width: fixed name, state, address and MAC; hardware in what is left; roles from
/// 100 columns on.
struct NodeColumns {
    let width: Int
    var showsRoles: Bool { width >= 100 }
    private var hardwareWidth: Int { showsRoles ? 16 : max(width - 67, 8) }

    var header: String {
        line(["NAME", "STATE", "ADDRESS", "BOOT MAC", "HARDWARE"] + (showsRoles ? ["ROLES"] : []))
    }

    func row(_ node: Node, roles: [String]) -> String {
        let inventory = node.inventory
        let hardware = [
            inventory.cpuCount.map { "\($0)c" }, inventory.memoryMB.map { NodesView.size(Int64($0) * 1_048_576) },
            inventory.disks.isEmpty ? nil : "\(inventory.disks.count)×\(NodesView.size(inventory.disks[0].sizeBytes))",
        ].compactMap { $0 }.joined(separator: "/")
        let address = node.adminAddress?.description ?? node.bootAddress.map { "(\($0))" } ?? "-"
        return line([node.name, node.state.rawValue, address, node.macs.first?.description ?? "-", hardware]
            + (showsRoles ? [roles.joined(separator: ",")] : []))
    }

    private func line(_ fields: [String]) -> String {
        let widths = [20, 11, 15, 17, hardwareWidth]
        return fields.enumerated().map { index, field in index < widths.count ? field.fitted(to: widths[index]) : field }
            .joined(separator: " ")
    }
}
