import Yams

/// Reads a barclamp definition (`barclamps/<name>.yml`) into a typed ``Barclamp``.
///
/// Every problem is a ``DefinitionError`` naming the file, line and key: malformed YAML,
/// unknown keys, wrong types, missing keys, duplicate roles and defaults that do not fit
/// their declared type.
public enum BarclampParser {
    /// Parses the text of one barclamp file; `file` is the name used in errors.
    public static func parse(_ yaml: String, file: String) throws(DefinitionError) -> Barclamp {
        let root = try composeDocument(yaml, file: file)
        var reader = try YAMLMappingReader(root, path: "", file: file)
        var locations: [String: SourceLocation] = ["": reader.location]

        let name = try reader.requiredString("name")
        try checkIdentifier(name, node: reader.node("name")!, key: "name", file: file)
        let display = try reader.string("display") ?? name
        let description = try reader.string("description") ?? ""
        let order = try reader.integer("order") ?? 1000
        var requires: [String] = []
        for (index, (required, location)) in try reader.stringList("requires").enumerated() {
            requires.append(required)
            locations["requires.\(index)"] = location
        }
        var transitions: [NodeState] = []
        for (index, (state, location)) in try reader.stringList("transitions").enumerated() {
            guard let nodeState = NodeState(rawValue: state) else {
                throw DefinitionError(
                    location: location, key: "transitions.\(index)",
                    message: "'\(state)' is not a node state (one of \(NodeState.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            transitions.append(nodeState)
        }
        let roles = try parseRoles(reader.requiredNode("roles"), barclamp: name, file: file, locations: &locations)
        var attributes: [String: AttributeSchema] = [:]
        if let attributesNode = reader.node("attributes") {
            var attributeReader = try YAMLMappingReader(attributesNode, path: "attributes", file: file)
            for (keyNode, valueNode) in attributesNode.mapping! {
                let key = keyNode.string!
                _ = attributeReader.node(key)
                attributes[key] = try parseSchema(valueNode, path: "attributes.\(key)", file: file)
            }
            try attributeReader.rejectUnknownKeys()
        }
        try reader.rejectUnknownKeys()
        return Barclamp(
            name: name, display: display, description: description, order: order, requires: requires,
            roles: roles, attributes: attributes, transitions: transitions, locations: locations)
    }

    private static func parseRoles(
        _ node: YAMLNode, barclamp: String, file: String, locations: inout [String: SourceLocation]
    ) throws(DefinitionError) -> [Role] {
        guard let sequence = node.sequence, !sequence.isEmpty else {
            throw DefinitionError(location: node.location(in: file), key: "roles", message: "expected a non-empty list of roles")
        }
        var roles: [Role] = []
        for (index, roleNode) in sequence.enumerated() {
            let path = "roles.\(index)"
            var reader = try YAMLMappingReader(roleNode, path: path, file: file)
            let name = try reader.requiredString("name")
            try checkIdentifier(name, node: reader.node("name")!, key: "\(path).name", file: file)
            if roles.contains(where: { $0.name == name }) {
                throw DefinitionError(
                    location: reader.node("name")!.location(in: file), key: "\(path).name",
                    message: "duplicate role '\(name)'")
            }
            let priority = try reader.integer("priority") ?? (index + 1) * 10
            let minimum = try reader.integer("min") ?? 0
            let maximum = try reader.integer("max")
            if minimum < 0 || (maximum.map { $0 < max(minimum, 1) } ?? false) {
                throw DefinitionError(
                    location: reader.location, key: path, message: "min must be ≥ 0 and max ≥ max(min, 1)")
            }
            let conflicts = try reader.stringList("conflicts")
            for (conflictIndex, (_, location)) in conflicts.enumerated() {
                locations["\(path).conflicts.\(conflictIndex)"] = location
            }
            let recipe = try reader.string("recipe") ?? "\(barclamp)/\(name)"
            try reader.rejectUnknownKeys()
            locations[path] = reader.location
            roles.append(
                Role(name: name, priority: priority, min: minimum, max: maximum, conflicts: conflicts.map(\.0), recipe: recipe))
        }
        return roles
    }

    private static func parseSchema(_ node: YAMLNode, path: String, file: String) throws(DefinitionError) -> AttributeSchema {
        var reader = try YAMLMappingReader(node, path: path, file: file)
        let typeName = try reader.requiredString("type")
        let kind: AttributeSchema.Kind
        switch typeName {
        case "string": kind = .string
        case "integer": kind = .integer
        case "number": kind = .number
        case "boolean": kind = .boolean
        case "list":
            kind = .list(of: try parseSchema(reader.requiredNode("items"), path: "\(path).items", file: file))
        case "map":
            kind = .map(of: try parseSchema(reader.requiredNode("values"), path: "\(path).values", file: file))
        case "object":
            let propertiesNode = try reader.requiredNode("properties")
            var propertyReader = try YAMLMappingReader(propertiesNode, path: "\(path).properties", file: file)
            var properties: [String: AttributeSchema] = [:]
            for (keyNode, valueNode) in propertiesNode.mapping! {
                let key = keyNode.string!
                _ = propertyReader.node(key)
                properties[key] = try parseSchema(valueNode, path: "\(path).properties.\(key)", file: file)
            }
            try propertyReader.rejectUnknownKeys()
            kind = .object(properties: properties)
        default:
            throw DefinitionError(
                location: reader.node("type")!.location(in: file), key: "\(path).type",
                message: "unknown type '\(typeName)' (one of string, integer, number, boolean, list, map, object)")
        }
        var schema = AttributeSchema(
            kind: kind,
            description: try reader.string("description") ?? "",
            secret: try reader.boolean("secret") ?? false,
            choices: try reader.stringList("choices").map(\.0),
            pattern: try reader.string("pattern"),
            required: try reader.boolean("required") ?? false)
        if let pattern = schema.pattern {
            guard schema.kind == .string else {
                throw DefinitionError(
                    location: reader.node("pattern")!.location(in: file), key: "\(path).pattern", message: "only string attributes can have a pattern")
            }
            do {
                _ = try Regex(pattern)
            } catch {
                throw DefinitionError(
                    location: reader.node("pattern")!.location(in: file), key: "\(path).pattern", message: "not a regular expression: \(error)")
            }
        }
        if schema.secret, schema.kind != .string {
            throw DefinitionError(
                location: reader.node("secret")!.location(in: file), key: "\(path).secret", message: "only string attributes can be secret")
        }
        if let defaultNode = reader.node("default") {
            let value = try defaultNode.attributeValue(file: file, key: "\(path).default")
            do {
                schema.defaultValue = try schema.check(value, path: "\(path).default")
            } catch {
                throw DefinitionError(location: defaultNode.location(in: file), key: error.path, message: error.message)
            }
        }
        try reader.rejectUnknownKeys()
        return schema
    }

    private static func checkIdentifier(_ name: String, node: YAMLNode, key: String, file: String) throws(DefinitionError) {
        guard Identifier.isValid(name) else {
            throw DefinitionError(location: node.location(in: file), key: key, message: Identifier.rule)
        }
    }
}
