/// The typed schema of one barclamp attribute, as declared under `attributes:` in a barclamp file.
public struct AttributeSchema: Sendable, Hashable {
    /// The shape of values the attribute accepts.
    public indirect enum Kind: Sendable, Hashable {
        case string
        case integer
        case number
        case boolean
        /// A list whose items all follow one schema.
        case list(of: AttributeSchema)
        /// A record with a fixed set of named properties.
        case object(properties: [String: AttributeSchema])
        /// A map with operator-chosen keys whose values all follow one schema.
        case map(of: AttributeSchema)

        /// The name used in barclamp files and error messages.
        public var name: String {
            switch self {
            case .string: "string"
            case .integer: "integer"
            case .number: "number"
            case .boolean: "boolean"
            case .list: "list"
            case .object: "object"
            case .map: "map"
            }
        }
    }

    public var kind: Kind
    public var description: String
    /// The declared default; objects without one take their properties' defaults.
    public var defaultValue: AttributeValue?
    /// A generated secret: created once per proposal and redacted unless asked for.
    public var secret: Bool
    /// The allowed values of a string attribute; empty means any string.
    public var choices: [String]
    /// A regular expression a string attribute's whole value must match (names that reach commands, file names, SQL
    /// identifiers); nil means any string.
    public var pattern: String?
    /// Whether a proposal must give the attribute a value before it can be committed.
    public var required: Bool

    public init(
        kind: Kind,
        description: String = "",
        defaultValue: AttributeValue? = nil,
        secret: Bool = false,
        choices: [String] = [],
        pattern: String? = nil,
        required: Bool = false
    ) {
        self.kind = kind
        self.description = description
        self.defaultValue = defaultValue
        self.secret = secret
        self.choices = choices
        self.pattern = pattern
        self.required = required
    }

    /// The value a new proposal starts with: the declared default, or for an object the
    /// defaults of its properties.
    public var effectiveDefault: AttributeValue? {
        if let defaultValue { return defaultValue }
        guard case .object(let properties) = kind else { return nil }
        var entries: [String: AttributeValue] = [:]
        for (name, property) in properties {
            if let value = property.effectiveDefault { entries[name] = value }
        }
        return .map(entries)
    }

    /// The schema found by following `path` through objects and maps; a list is set as a whole,
    /// so no path leads into one.
    public func schema(at path: [String]) -> AttributeSchema? {
        guard let head = path.first else { return self }
        let rest = Array(path.dropFirst())
        switch kind {
        case .object(let properties): return properties[head]?.schema(at: rest)
        case .map(let values): return values.schema(at: rest)
        default: return nil
        }
    }
}
