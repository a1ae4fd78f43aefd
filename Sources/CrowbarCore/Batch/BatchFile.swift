/// A whole cloud in one YAML file, in Crowbar's batch format: node aliases and proposals with their attributes
/// and role assignments. Nodes are named in `elements` by name or as `@@alias@@`.
///
/// ```yaml
/// nodes:
///   - alias: controller
///     mac: "52:54:00:77:00:01"      # or name: n1
/// proposals:
///   - barclamp: keystone
///     name: default                 # optional
///     attributes: {token_expiration: 7200}
///     deployment:
///       elements:
///         keystone-server: ["@@controller@@"]
/// ```
public struct BatchFile: Sendable, Hashable {
    /// How the file names one node.
    public struct NodeAlias: Sendable, Hashable {
        public enum Identity: Sendable, Hashable {
            case mac(MACAddress)
            case name(String)
        }

        public var alias: String
        public var identity: Identity
        public var location: SourceLocation

        public init(alias: String, identity: Identity, location: SourceLocation) {
            self.alias = alias
            self.identity = identity
            self.location = location
        }
    }

    /// One proposal: attribute values to set (a partial tree over the barclamp's defaults) and the nodes of each
    /// listed role, as written (names or `@@alias@@`).
    public struct ProposalEntry: Sendable, Hashable {
        public var barclamp: String
        public var name: String
        public var attributes: [String: AttributeValue]
        public var elements: [String: [String]]
        public var location: SourceLocation

        public init(
            barclamp: String, name: String = "default", attributes: [String: AttributeValue] = [:],
            elements: [String: [String]] = [:], location: SourceLocation
        ) {
            self.barclamp = barclamp
            self.name = name
            self.attributes = attributes
            self.elements = elements
            self.location = location
        }
    }

    public var nodes: [NodeAlias]
    public var proposals: [ProposalEntry]

    public init(nodes: [NodeAlias] = [], proposals: [ProposalEntry]) {
        self.nodes = nodes
        self.proposals = proposals
    }

    /// The node names of `elements`, with every `@@alias@@` replaced by the node `resolve` finds for its alias.
    /// Throws at the proposal's location when an alias is not declared or names no node.
    public func resolvedElements(
        of entry: ProposalEntry, resolve: (NodeAlias) -> String?
    ) throws(DefinitionError) -> [String: [String]] {
        let aliases = Dictionary(nodes.map { ($0.alias, $0) }, uniquingKeysWith: { first, _ in first })
        var resolved: [String: [String]] = [:]
        for (role, names) in entry.elements {
            resolved[role] = try names.map { name throws(DefinitionError) -> String in
                guard let alias = Self.alias(in: name) else { return name }
                guard let declared = aliases[alias] else {
                    throw DefinitionError(
                        location: entry.location, key: "deployment.elements.\(role)", message: "unknown node alias '\(alias)'")
                }
                guard let node = resolve(declared) else {
                    throw DefinitionError(
                        location: declared.location, key: "nodes", message: "no node matches alias '\(alias)'")
                }
                return node
            }
        }
        return resolved
    }

    /// `controller` for `@@controller@@`, nil for a plain node name.
    public static func alias(in element: String) -> String? {
        guard element.hasPrefix("@@"), element.hasSuffix("@@"), element.count > 4 else { return nil }
        return String(element.dropFirst(2).dropLast(2))
    }
}
