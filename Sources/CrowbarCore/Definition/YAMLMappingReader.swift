import Yams

/// Yams' document node, named apart from our ``Node`` (a server).
typealias YAMLNode = Yams.Node

/// Reads one YAML mapping of a definition file key by key, keeping track of the keys it
/// was asked for so that any other key can be refused as unknown.
struct YAMLMappingReader {
    let mapping: YAMLNode.Mapping
    let path: String
    let file: String
    let location: SourceLocation
    private var consumed: Set<String> = []

    init(_ node: YAMLNode, path: String, file: String) throws(DefinitionError) {
        let location = node.location(in: file)
        guard let mapping = node.mapping else {
            throw DefinitionError(location: location, key: path, message: "expected a mapping")
        }
        for key in mapping.keys where key.scalar == nil {
            throw DefinitionError(location: key.location(in: file), key: path, message: "mapping keys must be plain text")
        }
        self.mapping = mapping
        self.path = path
        self.file = file
        self.location = location
    }

    /// The dotted path of a child key.
    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The node stored under `key`, marking the key as known.
    mutating func node(_ key: String) -> YAMLNode? {
        consumed.insert(key)
        return mapping[key]
    }

    mutating func requiredNode(_ key: String) throws(DefinitionError) -> YAMLNode {
        guard let node = node(key) else {
            throw DefinitionError(location: location, key: keyPath(key), message: "is required")
        }
        return node
    }

    mutating func string(_ key: String) throws(DefinitionError) -> String? {
        guard let node = node(key) else { return nil }
        return try node.plainString(file: file, key: keyPath(key))
    }

    mutating func requiredString(_ key: String) throws(DefinitionError) -> String {
        try requiredNode(key).plainString(file: file, key: keyPath(key))
    }

    mutating func integer(_ key: String) throws(DefinitionError) -> Int? {
        guard let node = node(key) else { return nil }
        guard node.isTagged(.int), let value = node.int else {
            throw DefinitionError(location: node.location(in: file), key: keyPath(key), message: "expected an integer")
        }
        return value
    }

    mutating func boolean(_ key: String) throws(DefinitionError) -> Bool? {
        guard let node = node(key) else { return nil }
        guard node.isTagged(.bool), let value = node.bool else {
            throw DefinitionError(location: node.location(in: file), key: keyPath(key), message: "expected true or false")
        }
        return value
    }

    /// A list of plain strings, each with its location.
    mutating func stringList(_ key: String) throws(DefinitionError) -> [(String, SourceLocation)] {
        guard let node = node(key) else { return [] }
        guard let sequence = node.sequence else {
            throw DefinitionError(location: node.location(in: file), key: keyPath(key), message: "expected a list")
        }
        var items: [(String, SourceLocation)] = []
        for (index, item) in sequence.enumerated() {
            items.append((try item.plainString(file: file, key: "\(keyPath(key)).\(index)"), item.location(in: file)))
        }
        return items
    }

    /// Refuses any key that was never asked for.
    func rejectUnknownKeys() throws(DefinitionError) {
        for (keyNode, _) in mapping {
            let key = keyNode.string ?? ""
            if !consumed.contains(key) {
                let known = consumed.sorted().joined(separator: ", ")
                throw DefinitionError(
                    location: keyNode.location(in: file), key: keyPath(key),
                    message: "unknown key (known keys: \(known))")
            }
        }
    }
}

extension YAMLNode {
    func isTagged(_ name: Tag.Name) -> Bool { tag.rawValue == name.rawValue }

    func location(in file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func plainString(file: String, key: String) throws(DefinitionError) -> String {
        guard let scalar, isTagged(.str) || isTagged(.int) || isTagged(.float) else {
            throw DefinitionError(location: location(in: file), key: key, message: "expected text")
        }
        return scalar.string
    }

    /// How many nodes this one holds with its aliases expanded (Yams shares an alias's node, our readers copy it),
    /// counting no further than one past `limit`.
    func expandedCount(upTo limit: Int) -> Int {
        var count = 0
        var pending = [self]
        while count <= limit, let node = pending.popLast() {
            count += 1
            switch node {
            case .sequence(let sequence): pending.append(contentsOf: sequence)
            case .mapping(let mapping): for (key, value) in mapping { pending += [key, value] }
            case .scalar, .alias: break
            }
        }
        return count
    }

    /// The node as an attribute value, by its resolved YAML tag.
    func attributeValue(file: String, key: String) throws(DefinitionError) -> AttributeValue {
        switch self {
        case .scalar(let scalar):
            switch tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: if let flag = bool { return .boolean(flag) }
            case Tag.Name.int.rawValue: if let number = int { return .integer(number) }
            case Tag.Name.float.rawValue: if let number = float { return .number(number) }
            default: return .string(scalar.string)
            }
            throw DefinitionError(location: location(in: file), key: key, message: "unreadable value '\(scalar.string)'")
        case .sequence(let sequence):
            var items: [AttributeValue] = []
            for (index, item) in sequence.enumerated() {
                items.append(try item.attributeValue(file: file, key: "\(key).\(index)"))
            }
            return .list(items)
        case .mapping(let mapping):
            var entries: [String: AttributeValue] = [:]
            for (keyNode, valueNode) in mapping {
                let name = try keyNode.plainString(file: file, key: key)
                entries[name] = try valueNode.attributeValue(file: file, key: "\(key).\(name)")
            }
            return .map(entries)
        case .alias:
            throw DefinitionError(location: location(in: file), key: key, message: "YAML aliases are not supported")
        }
    }
}

/// Turns a Yams parse error into a definition error with the file and line.
func definitionError(from error: any Error, file: String) -> DefinitionError {
    guard let yamlError = error as? YamlError else {
        return DefinitionError(location: SourceLocation(file: file, line: 1), key: "", message: "\(error)")
    }
    switch yamlError {
    case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
        .composer(_, let problem, let mark, _):
        return DefinitionError(
            location: SourceLocation(file: file, line: mark.line, column: mark.column), key: "",
            message: "malformed YAML: \(problem)")
    case .duplicatedKeysInMapping(let duplicates, let context):
        return DefinitionError(
            location: SourceLocation(file: file, line: context.mark.line, column: context.mark.column),
            key: duplicates.joined(separator: ", "), message: "duplicate key")
    default:
        return DefinitionError(location: SourceLocation(file: file, line: 1), key: "", message: "malformed YAML: \(yamlError)")
    }
}

/// The most values a definition document may hold once its aliases are expanded: shipped files hold a few hundred,
/// while a few lines of aliases nested in aliases ("billion laughs") would otherwise expand past any memory.
let maximumDocumentValues = 50_000

/// Parses a whole YAML document into its root node.
func composeDocument(_ yaml: String, file: String) throws(DefinitionError) -> YAMLNode {
    do {
        guard let node = try Yams.compose(yaml: yaml) else {
            throw DefinitionError(location: SourceLocation(file: file, line: 1), key: "", message: "the file is empty")
        }
        guard node.expandedCount(upTo: maximumDocumentValues) <= maximumDocumentValues else {
            throw DefinitionError(
                location: SourceLocation(file: file, line: 1), key: "",
                message: "the document holds more than \(maximumDocumentValues) values once its aliases are expanded")
        }
        return node
    } catch let error as DefinitionError {
        throw error
    } catch {
        throw definitionError(from: error, file: file)
    }
}
