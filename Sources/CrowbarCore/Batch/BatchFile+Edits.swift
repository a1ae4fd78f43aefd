extension BatchFile.ProposalEntry {
    /// The entry's attributes as (dotted path, value) edits: nested values of `object` attributes become one edit
    /// per leaf, so a partial object changes only what it names; any other value replaces the attribute whole.
    public func attributeEdits(schema barclamp: Barclamp) -> [(path: String, value: AttributeValue)] {
        var edits: [(path: String, value: AttributeValue)] = []
        func walk(_ entries: [String: AttributeValue], prefix: [String]) {
            for key in entries.keys.sorted() {
                let path = prefix + [key]
                let value = entries[key]!
                if case .map(let nested) = value, case .object = barclamp.schema.schema(at: path)?.kind {
                    walk(nested, prefix: path)
                } else {
                    edits.append((path.joined(separator: "."), value))
                }
            }
        }
        walk(attributes, prefix: [])
        return edits
    }
}
