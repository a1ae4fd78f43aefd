/// Creates proposal content from a barclamp and edits it, type-checking against the schema.
public enum ProposalEditor {
    /// A new proposal's content: the barclamp's defaults, a freshly generated value for
    /// every secret, and every role with no nodes.
    public static func initialContent(for barclamp: Barclamp, generateSecret: () -> String) -> ProposalContent {
        var attributes = barclamp.schema.effectiveDefault ?? .map([:])
        for path in SecretPaths.of(barclamp) where attributes.value(at: path) == nil {
            attributes = attributes.setting(.string(generateSecret()), at: path)
        }
        let deployment = Dictionary(uniqueKeysWithValues: barclamp.roles.map { ($0.name, [String]()) })
        return ProposalContent(attributes: attributes, deployment: deployment)
    }

    /// Sets the attribute at a dotted `path` to `value`, checked against its schema.
    public static func set(
        _ path: String, to value: AttributeValue, in content: ProposalContent, barclamp: Barclamp
    ) throws(ProposalIssue) -> ProposalContent {
        let components = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !path.isEmpty, !components.contains(""), let schema = barclamp.schema.schema(at: components) else {
            throw ProposalIssue(field: path, message: "is not an attribute of barclamp \(barclamp.name)")
        }
        let checked: AttributeValue
        do {
            checked = try schema.check(value, path: path)
        } catch {
            throw ProposalIssue(field: error.path, message: error.message)
        }
        var updated = content
        updated.attributes = content.attributes.setting(checked, at: components)
        return updated
    }

    /// Sets the attribute at `path` from operator text, read according to the attribute's type
    /// (`3306` for an integer, `true` for a boolean, JSON for lists, maps and objects).
    public static func set(
        _ path: String, text: String, in content: ProposalContent, barclamp: Barclamp
    ) throws(ProposalIssue) -> ProposalContent {
        let components = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !path.isEmpty, let schema = barclamp.schema.schema(at: components) else {
            throw ProposalIssue(field: path, message: "is not an attribute of barclamp \(barclamp.name)")
        }
        guard let value = schema.value(fromText: text) else {
            throw ProposalIssue(field: path, message: "'\(text)' is not a valid \(schema.kind.name)")
        }
        return try set(path, to: value, in: content, barclamp: barclamp)
    }

    /// Assigns exactly `nodes` to `role`; the node list is kept sorted and unique.
    public static func assign(
        _ nodes: [String], to role: String, in content: ProposalContent, barclamp: Barclamp
    ) throws(ProposalIssue) -> ProposalContent {
        guard barclamp.role(named: role) != nil else {
            let known = barclamp.roles.map(\.name).joined(separator: ", ")
            throw ProposalIssue(field: "deployment.\(role)", message: "barclamp \(barclamp.name) has no role '\(role)' (roles: \(known))")
        }
        for node in nodes where !Identifier.isValid(node) {
            throw ProposalIssue(field: "deployment.\(role)", message: "'\(node)' is not a node name: \(Identifier.rule)")
        }
        var updated = content
        updated.deployment[role] = Array(Set(nodes)).sorted()
        return updated
    }
}
