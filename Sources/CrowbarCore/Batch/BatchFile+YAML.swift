import Yams

extension BatchFile {
    /// The file as YAML, keys sorted.
    public func yaml() throws -> String {
        let nodeList: [[String: Any]] = nodes.map { node in
            switch node.identity {
            case .mac(let mac): ["alias": node.alias, "mac": mac.description]
            case .name(let name): ["alias": node.alias, "name": name]
            }
        }
        let proposalList: [[String: Any]] = proposals.map { entry in
            return [
                "barclamp": entry.barclamp, "name": entry.name,
                "attributes": AttributeValue.map(entry.attributes).yamlObject,
                "deployment": ["elements": entry.elements],
            ]
        }
        var document: [String: Any] = ["proposals": proposalList]
        if !nodeList.isEmpty { document["nodes"] = nodeList }
        return try Yams.dump(object: document, width: -1, sortKeys: true)
    }
}

extension AttributeValue {
    /// The value as the plain values Yams writes (null stays null).
    var yamlObject: Any { plainValue(null: String?.none as Any) }
}
