extension Plan {
    /// The plan as a human table; long node lists are shortened to a count and the first names.
    public func table(maxNodesShown: Int = 4) -> String {
        let rows = steps.map { step -> [String] in
            let shown = step.nodes.prefix(maxNodesShown).joined(separator: ", ")
            let nodes = step.nodes.count > maxNodesShown ? "\(shown), … (\(step.nodes.count) nodes)" : shown
            return [String(step.index), step.barclamp, step.proposal, step.role, nodes]
        }
        return TextTable(header: ["STEP", "BARCLAMP", "PROPOSAL", "ROLE", "NODES"], rows: rows).rendered
    }
}
