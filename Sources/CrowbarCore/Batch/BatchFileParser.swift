/// Reads a batch file; every error names the file, line and key.
public enum BatchFileParser {
    public static func parse(_ yaml: String, file: String) throws(DefinitionError) -> BatchFile {
        var root = try YAMLMappingReader(try composeDocument(yaml, file: file), path: "", file: file)
        var nodes: [BatchFile.NodeAlias] = []
        if let sequence = root.node("nodes") {
            guard let items = sequence.sequence else {
                throw DefinitionError(location: sequence.location(in: file), key: "nodes", message: "expected a list")
            }
            for (index, item) in items.enumerated() {
                nodes.append(try node(item, path: "nodes.\(index)", file: file))
            }
        }
        var seen: Set<String> = []
        for node in nodes where !seen.insert(node.alias).inserted {
            throw DefinitionError(location: node.location, key: "nodes", message: "alias '\(node.alias)' is declared twice")
        }
        let list = try root.requiredNode("proposals")
        guard let items = list.sequence else {
            throw DefinitionError(location: list.location(in: file), key: "proposals", message: "expected a list")
        }
        var proposals: [BatchFile.ProposalEntry] = []
        for (index, item) in items.enumerated() {
            proposals.append(try proposal(item, path: "proposals.\(index)", file: file))
        }
        var names: Set<String> = []
        for entry in proposals where !names.insert("\(entry.barclamp)/\(entry.name)").inserted {
            throw DefinitionError(
                location: entry.location, key: "proposals", message: "proposal \(entry.barclamp)/\(entry.name) is listed twice")
        }
        try root.rejectUnknownKeys()
        return BatchFile(nodes: nodes, proposals: proposals)
    }

    private static func node(_ item: YAMLNode, path: String, file: String) throws(DefinitionError) -> BatchFile.NodeAlias {
        var reader = try YAMLMappingReader(item, path: path, file: file)
        let alias = try reader.requiredString("alias")
        let mac = try reader.string("mac")
        let name = try reader.string("name")
        try reader.rejectUnknownKeys()
        let identity: BatchFile.NodeAlias.Identity
        switch (mac, name) {
        case (let mac?, nil):
            guard let address = MACAddress(mac) else {
                throw DefinitionError(location: reader.location, key: "\(path).mac", message: "'\(mac)' is not a MAC address")
            }
            identity = .mac(address)
        case (nil, let name?): identity = .name(name)
        default: throw DefinitionError(location: reader.location, key: path, message: "give exactly one of mac or name")
        }
        return BatchFile.NodeAlias(alias: alias, identity: identity, location: reader.location)
    }

    private static func proposal(_ item: YAMLNode, path: String, file: String) throws(DefinitionError) -> BatchFile.ProposalEntry {
        var reader = try YAMLMappingReader(item, path: path, file: file)
        let barclamp = try reader.requiredString("barclamp")
        let name = try reader.string("name") ?? "default"
        var attributes: [String: AttributeValue] = [:]
        if let node = reader.node("attributes") {
            guard case .map(let entries) = try node.attributeValue(file: file, key: "\(path).attributes") else {
                throw DefinitionError(location: node.location(in: file), key: "\(path).attributes", message: "expected a mapping")
            }
            attributes = entries
        }
        var elements: [String: [String]] = [:]
        if let node = reader.node("deployment") {
            var deployment = try YAMLMappingReader(node, path: "\(path).deployment", file: file)
            if let elementsNode = deployment.node("elements") {
                let roles = try YAMLMappingReader(elementsNode, path: "\(path).deployment.elements", file: file)
                for (keyNode, valueNode) in roles.mapping {
                    let role = try keyNode.plainString(file: file, key: "\(path).deployment.elements")
                    let key = "\(path).deployment.elements.\(role)"
                    guard let names = valueNode.sequence else {
                        throw DefinitionError(location: valueNode.location(in: file), key: key, message: "expected a list of nodes")
                    }
                    elements[role] = try names.map { name throws(DefinitionError) in try name.plainString(file: file, key: key) }
                }
            }
            try deployment.rejectUnknownKeys()
        }
        try reader.rejectUnknownKeys()
        return BatchFile.ProposalEntry(
            barclamp: barclamp, name: name, attributes: attributes, elements: elements, location: reader.location)
    }
}
