/// What recipes share, from `recipes/_shared/<name>.yml`: INI sections (`settings:`), which an `ini` resource takes
/// with `include: [name]`, and resource lists (`resources:`), which a recipe takes in place with `- include: name`.
public struct SharedRecipeParts: Sendable {
    public var settings: [String: [IniSetting]]
    public var resources: [String: [Resource]]

    public init(settings: [String: [IniSetting]] = [:], resources: [String: [Resource]] = [:]) {
        self.settings = settings
        self.resources = resources
    }
}

/// Reads a recipe file (`recipes/<barclamp>/<role>.yml`). Every problem names file, line and key.
public enum RecipeParser {
    /// Parses the text of one recipe; `name` is `barclamp/role` and `file` the name used in errors. `shared` holds
    /// what its resources may include (``parseShared(_:)``).
    public static func parse(
        _ yaml: String, name: String, file: String, shared: SharedRecipeParts = SharedRecipeParts()
    ) throws(DefinitionError) -> Recipe {
        let root = try composeDocument(yaml, file: file)
        var reader = try YAMLMappingReader(root, path: "", file: file)
        let timeout = try reader.integer("timeout") ?? 1800
        let list = try reader.requiredNode("resources")
        try reader.rejectUnknownKeys()
        let resources = try parseResources(list, file: file, shared: shared)
        return Recipe(name: name, resources: resources, timeoutSeconds: timeout)
    }

    private static let keywords = ["package", "file", "template", "ini", "service", "user", "command", "wait_for"]
        + RecipeShorthands.keywords

    /// The files of `recipes/_shared/` (name without `.yml`, file for errors, text), each with `settings:` or
    /// `resources:`. A shared resource list may include shared settings but not another list.
    public static func parseShared(_ files: [(name: String, file: String, text: String)]) throws(DefinitionError) -> SharedRecipeParts {
        var parts = SharedRecipeParts()
        var lists: [(name: String, file: String, node: YAMLNode)] = []
        for (name, file, text) in files {
            var reader = try YAMLMappingReader(try composeDocument(text, file: file), path: "", file: file)
            if let list = reader.node("resources") {
                lists.append((name, file, list))
            } else {
                parts.settings[name] = try iniSettings(reader.requiredNode("settings"), path: "settings", file: file)
            }
            try reader.rejectUnknownKeys()
        }
        let settingsOnly = SharedRecipeParts(settings: parts.settings)
        for (name, file, node) in lists {
            parts.resources[name] = try parseResources(node, file: file, shared: settingsOnly)
        }
        return parts
    }

    /// A `resources:` list; an entry `include: name` (with an optional `when:`, added to each) is a shared list.
    private static func parseResources(
        _ list: YAMLNode, file: String, shared: SharedRecipeParts
    ) throws(DefinitionError) -> [Resource] {
        guard let sequence = list.sequence else {
            throw DefinitionError(location: list.location(in: file), key: "resources", message: "expected a list of resources")
        }
        var resources: [Resource] = []
        for (index, node) in sequence.enumerated() {
            let path = "resources.\(index)"
            var reader = try YAMLMappingReader(node, path: path, file: file)
            guard reader.mapping["include"] != nil, !keywords.contains(where: { reader.mapping[$0] != nil }) else {
                resources.append(try parseResource(node, path: path, file: file, shared: shared.settings))
                continue
            }
            let condition = try reader.string("when")
            let name = try reader.requiredString("include")
            try reader.rejectUnknownKeys()
            guard let included = shared.resources[name] else {
                throw DefinitionError(
                    location: reader.location, key: reader.keyPath("include"),
                    message: "no shared resources '\(name)' (known: \(shared.resources.keys.sorted().joined(separator: ", ")))")
            }
            resources += included.map { resource in
                var resource = resource
                if let condition { resource.conditions.insert(condition, at: 0) }
                return resource
            }
        }
        return resources
    }

    private static func parseResource(
        _ node: YAMLNode, path: String, file: String, shared: [String: [IniSetting]]
    ) throws(DefinitionError) -> Resource {
        var reader = try YAMLMappingReader(node, path: path, file: file)
        let condition = try reader.string("when")
        var present = keywords.filter { reader.mapping[$0] != nil }
        // A shorthand's `user:` names its account: it does not make the resource a `user` resource.
        if present.contains(where: RecipeShorthands.keywords.contains) { present.removeAll { $0 == "user" } }
        guard present.count == 1, let keyword = present.first else {
            throw DefinitionError(
                location: reader.location, key: path,
                message: "a resource has exactly one of \(keywords.joined(separator: ", "))"
                    + (present.isEmpty ? "" : " (found \(present.joined(separator: ", ")))"))
        }
        let kind: ResourceKind
        switch keyword {
        case "package":
            let names = reader.node("package")!
            if names.sequence != nil {
                kind = .package(names: try reader.stringList("package").map(\.0))
            } else {
                kind = .package(names: [try names.plainString(file: file, key: reader.keyPath("package"))])
            }
        case "file":
            kind = .file(
                path: try reader.requiredString("file"), content: try reader.requiredString("content"),
                attributes: try fileAttributes(&reader))
        case "template":
            kind = .template(
                path: try reader.requiredString("template"), source: try reader.requiredString("source"),
                attributes: try fileAttributes(&reader))
        case "ini":
            var settings: [IniSetting] = []
            for (name, location) in try reader.stringList("include") {
                guard let included = shared[name] else {
                    throw DefinitionError(
                        location: location, key: reader.keyPath("include"),
                        message: "no shared settings '\(name)' (known: \(shared.keys.sorted().joined(separator: ", ")))")
                }
                settings += included
            }
            if reader.node("settings") != nil || settings.isEmpty {
                settings += try iniSettings(reader.requiredNode("settings"), path: reader.keyPath("settings"), file: file)
            }
            kind = .ini(path: try reader.requiredString("ini"), settings: settings, attributes: try fileAttributes(&reader))
        case "service":
            kind = .service(
                name: try reader.requiredString("service"), running: try reader.boolean("running"),
                enabled: try reader.boolean("enabled"), subscribes: try reader.stringList("subscribes").map(\.0))
        case "user":
            kind = .user(
                name: try reader.requiredString("user"), home: try reader.string("home"), shell: try reader.string("shell"),
                system: try reader.boolean("system") ?? false)
        case "command":
            kind = .command(run: try reader.requiredString("command"), creates: try reader.string("creates"), unless: try reader.string("unless"))
        case "wait_for":
            kind = .waitFor(try waitTarget(&reader), timeoutSeconds: try reader.integer("timeout") ?? 120)
        default:
            let (expanded, label) = try RecipeShorthands.expand(keyword, &reader)
            try reader.rejectUnknownKeys()
            return Resource(kind: expanded, location: reader.location, label: label, conditions: condition.map { [$0] } ?? [])
        }
        try reader.rejectUnknownKeys()
        return Resource(kind: kind, location: reader.location, conditions: condition.map { [$0] } ?? [])
    }

    private static func fileAttributes(_ reader: inout YAMLMappingReader) throws(DefinitionError) -> FileAttributes {
        let mode = try reader.string("mode")
        if let mode, mode.wholeMatch(of: /0?[0-7]{3,4}/) == nil {
            throw DefinitionError(
                location: reader.node("mode")!.location(in: reader.file), key: reader.keyPath("mode"),
                message: "'\(mode)' is not an octal mode such as \"0644\"")
        }
        return FileAttributes(owner: try reader.string("owner"), group: try reader.string("group"), mode: mode)
    }

    /// `settings: {section: {key: value}}`, in file order.
    private static func iniSettings(_ node: YAMLNode, path: String, file: String) throws(DefinitionError) -> [IniSetting] {
        guard let sections = node.mapping, !sections.isEmpty else {
            throw DefinitionError(location: node.location(in: file), key: path, message: "expected sections of key: value")
        }
        var settings: [IniSetting] = []
        for (sectionNode, keysNode) in sections {
            let section = try sectionNode.plainString(file: file, key: path)
            // A section named "" is the lines before the first header (a file without sections).
            guard !section.contains("]"), !section.contains(where: \.isNewline) else {
                throw DefinitionError(location: sectionNode.location(in: file), key: path, message: "a section name cannot hold ']' or a line break")
            }
            guard let keys = keysNode.mapping else {
                throw DefinitionError(location: keysNode.location(in: file), key: "\(path).\(section)", message: "expected key: value")
            }
            for (keyNode, valueNode) in keys {
                let key = try keyNode.plainString(file: file, key: "\(path).\(section)")
                // What a written `key = value` line could be mistaken for when read back: another key, a header.
                guard let first = key.first, !first.isWhitespace, key.last?.isWhitespace == false, !key.contains("="), first != "[",
                    !key.contains(where: \.isNewline)
                else {
                    throw DefinitionError(
                        location: keyNode.location(in: file), key: "\(path).\(section)",
                        message: "'\(key)' is not an ini key (empty, spaces at an end, '=', a leading '[' or a line break)")
                }
                guard let value = valueNode.scalar?.string else {
                    throw DefinitionError(
                        location: valueNode.location(in: file), key: "\(path).\(section).\(key)", message: "expected a value")
                }
                settings.append(IniSetting(section: section, key: key, value: value))
            }
        }
        return settings
    }

    /// `wait_for: host:port` or `wait_for: http(s)://…`.
    private static func waitTarget(_ reader: inout YAMLMappingReader) throws(DefinitionError) -> WaitTarget {
        let text = try reader.requiredString("wait_for")
        if text.hasPrefix("http://") || text.hasPrefix("https://") { return .url(text) }
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex else {
            throw DefinitionError(
                location: reader.node("wait_for")!.location(in: reader.file), key: reader.keyPath("wait_for"),
                message: "expected host:port or an http(s) URL")
        }
        return .port(host: String(text[..<colon]), port: String(text[text.index(after: colon)...]))
    }
}
