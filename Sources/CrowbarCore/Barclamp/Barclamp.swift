/// A deployable service: its roles, run order, dependencies and typed attributes.
public struct Barclamp: Sendable, Hashable {
    public var name: String
    public var display: String
    public var description: String
    /// Run order among barclamps; lower runs first, after every barclamp it requires.
    public var order: Int
    /// Barclamps that must have an active proposal before this one can be committed.
    public var requires: [String]
    public var roles: [Role]
    /// The attribute schema, by top-level attribute name.
    public var attributes: [String: AttributeSchema]
    /// Node states at which this barclamp's roles are applied to a node automatically.
    public var transitions: [NodeState]
    /// Where each key was defined, by dotted key path, for errors found after parsing.
    public var locations: [String: SourceLocation]

    public init(
        name: String, display: String, description: String, order: Int, requires: [String] = [],
        roles: [Role], attributes: [String: AttributeSchema] = [:], transitions: [NodeState] = [],
        locations: [String: SourceLocation] = [:]
    ) {
        self.name = name
        self.display = display
        self.description = description
        self.order = order
        self.requires = requires
        self.roles = roles
        self.attributes = attributes
        self.transitions = transitions
        self.locations = locations
    }

    /// The whole attribute tree as one object schema.
    public var schema: AttributeSchema { AttributeSchema(kind: .object(properties: attributes)) }

    /// The role named `name`, if the barclamp has one.
    public func role(named name: String) -> Role? { roles.first { $0.name == name } }

    /// The location of a key, falling back to the top of the barclamp's file.
    public func location(of key: String) -> SourceLocation {
        locations[key] ?? locations[""] ?? SourceLocation(file: "\(name).yml", line: 1)
    }
}

extension Barclamp: Codable {
    private enum CodingKeys: String, CodingKey {
        case name, display, description, order, requires, roles, attributes, transitions
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name),
            display: try container.decode(String.self, forKey: .display),
            description: try container.decode(String.self, forKey: .description),
            order: try container.decode(Int.self, forKey: .order),
            requires: try container.decode([String].self, forKey: .requires),
            roles: try container.decode([Role].self, forKey: .roles),
            attributes: try container.decode([String: AttributeSchema].self, forKey: .attributes),
            transitions: try container.decode([NodeState].self, forKey: .transitions))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(display, forKey: .display)
        try container.encode(description, forKey: .description)
        try container.encode(order, forKey: .order)
        try container.encode(requires, forKey: .requires)
        try container.encode(roles, forKey: .roles)
        try container.encode(attributes, forKey: .attributes)
        try container.encode(transitions, forKey: .transitions)
    }
}
