import Mustache

/// A node as recipe templates see it.
public struct RecipeNode: Sendable, Hashable {
    public var name: String
    public var address: String

    public init(name: String, address: String) {
        self.name = name
        self.address = address
    }
}

/// What a recipe's templates can refer to when compiled for one node:
/// `{{barclamp}}`, `{{proposal}}`, `{{attributes.<path>}}` (secrets in clear), `{{node.name}}`,
/// `{{node.address}}`, `{{#roles.<role>}}{{name}} {{address}}{{/roles.<role>}}` (nodes by role, of this proposal
/// and of every other active one: role names are unique across barclamps), `{{server.<role>.name|address}}` (the
/// first of those nodes by name, for the one-node roles other services connect to; naming a role without nodes
/// fails the compile) and `{{barclamps.<barclamp>.<path>}}` (attributes of other barclamps' active proposals).
public struct RecipeContext: Sendable, Hashable {
    public var barclamp: String
    public var proposal: String
    public var attributes: AttributeValue
    public var node: RecipeNode
    public var roles: [String: [RecipeNode]]
    public var barclamps: [String: AttributeValue]

    public init(
        barclamp: String, proposal: String, attributes: AttributeValue, node: RecipeNode,
        roles: [String: [RecipeNode]] = [:], barclamps: [String: AttributeValue] = [:]
    ) {
        self.barclamp = barclamp
        self.proposal = proposal
        self.attributes = attributes
        self.node = node
        self.roles = roles
        self.barclamps = barclamps
    }

    /// The context as mustache's dictionaries and arrays.
    var mustacheObject: [String: Any] {
        [
            "barclamp": barclamp, "proposal": proposal, "attributes": attributes.mustacheValue,
            "node": node.mustacheValue,
            "roles": roles.mapValues { $0.map(\.mustacheValue) },
            "server": roles.compactMapValues { $0.first?.mustacheValue },
            "barclamps": barclamps.mapValues(\.mustacheValue),
        ]
    }

    /// Whether a dotted name that starts at the context root resolves; names outside the checked roots pass.
    func resolves(_ name: String) -> Bool {
        let parts = name.split(separator: ".").map(String.init)
        guard let root = parts.first else { return true }
        switch root {
        case "attributes": return attributes.value(at: Array(parts.dropFirst())) != nil
        case "barclamps":
            guard parts.count > 1, let values = barclamps[parts[1]] else { return false }
            return values.value(at: Array(parts.dropFirst(2))) != nil
        case "node": return parts.count == 2 && ["name", "address"].contains(parts[1])
        case "server":
            return parts.count == 3 && roles[parts[1]]?.isEmpty == false && ["name", "address"].contains(parts[2])
        default: return true
        }
    }

    /// Renders one template text. Unknown names under `attributes.`, `barclamps.`, `node.` and `server.` are errors
    /// rather than mustache's silent empty string, so a typo fails the compile instead of a config file.
    func render(_ text: String, location: SourceLocation, key: String) throws(DefinitionError) -> String {
        guard text.contains("{{") else { return text }
        for match in text.matches(of: /\{\{[{&#^\/]?\s*([A-Za-z0-9_.\-]+)\s*\}?\}\}/) {
            let name = String(match.output.1)
            if !resolves(name) {
                throw DefinitionError(location: location, key: key, message: "template refers to '\(name)', which is not defined")
            }
        }
        do {
            return try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text).render(mustacheObject)
        } catch {
            throw DefinitionError(location: location, key: key, message: "malformed template: \(error)")
        }
    }
}

extension RecipeNode {
    var mustacheValue: [String: Any] { ["name": name, "address": address] }
}

extension AttributeValue {
    /// The value as the plain Swift values mustache walks (null renders as nothing).
    var mustacheValue: Any { plainValue(null: "") }
}
