/// One difference between two versions of a proposal.
public struct ProposalChange: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        case added, removed, changed
    }

    /// `attributes.<path>` or `deployment.<role>`.
    public var path: String
    public var kind: Kind
    /// The old value as text; secrets show as a mask.
    public var old: String?
    public var new: String?

    public init(path: String, kind: Kind, old: String?, new: String?) {
        self.path = path
        self.kind = kind
        self.old = old
        self.new = new
    }

    public var description: String {
        switch kind {
        case .added: "+ \(path): \(new ?? "")"
        case .removed: "- \(path): \(old ?? "")"
        case .changed: "~ \(path): \(old ?? "") → \(new ?? "")"
        }
    }
}

/// Compares two versions of a proposal leaf by leaf, with secrets masked.
public enum ProposalDiff {
    public static func changes(from old: ProposalContent, to new: ProposalContent, barclamp: Barclamp) -> [ProposalChange] {
        let secretPaths = Set(SecretPaths.of(barclamp).map { "attributes." + $0.joined(separator: ".") })
        var oldLeaves = leaves(of: old.attributes, prefix: "attributes")
        var newLeaves = leaves(of: new.attributes, prefix: "attributes")
        for (role, nodes) in old.deployment { oldLeaves["deployment.\(role)"] = nodes.joined(separator: ", ") }
        for (role, nodes) in new.deployment { newLeaves["deployment.\(role)"] = nodes.joined(separator: ", ") }
        func shown(_ path: String, _ text: String?) -> String? {
            guard let text else { return nil }
            return secretPaths.contains(path) ? SecretPaths.mask : text
        }
        var changes: [ProposalChange] = []
        for path in Set(oldLeaves.keys).union(newLeaves.keys).sorted() {
            let before = oldLeaves[path]
            let after = newLeaves[path]
            guard before != after else { continue }
            let kind: ProposalChange.Kind = before == nil ? .added : after == nil ? .removed : .changed
            changes.append(ProposalChange(path: path, kind: kind, old: shown(path, before), new: shown(path, after)))
        }
        return changes
    }

    /// Flattens maps into `path → text`; lists and scalars are leaves.
    private static func leaves(of value: AttributeValue, prefix: String) -> [String: String] {
        guard case .map(let entries) = value else { return [prefix: value.displayText] }
        var result: [String: String] = [:]
        for (key, child) in entries {
            result.merge(leaves(of: child, prefix: "\(prefix).\(key)")) { first, _ in first }
        }
        return result
    }
}
