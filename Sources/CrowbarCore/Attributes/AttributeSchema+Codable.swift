/// The JSON form of a schema mirrors its YAML form in barclamp files.
extension AttributeSchema: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, description, `default`, secret, choices, pattern, required, items, properties, values
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        let kind: Kind
        switch type {
        case "string": kind = .string
        case "integer": kind = .integer
        case "number": kind = .number
        case "boolean": kind = .boolean
        case "list": kind = .list(of: try container.decode(AttributeSchema.self, forKey: .items))
        case "map": kind = .map(of: try container.decode(AttributeSchema.self, forKey: .values))
        case "object":
            kind = .object(properties: try container.decode([String: AttributeSchema].self, forKey: .properties))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown type \(type)")
        }
        self.init(
            kind: kind,
            description: try container.decodeIfPresent(String.self, forKey: .description) ?? "",
            defaultValue: try container.decodeIfPresent(AttributeValue.self, forKey: .default),
            secret: try container.decodeIfPresent(Bool.self, forKey: .secret) ?? false,
            choices: try container.decodeIfPresent([String].self, forKey: .choices) ?? [],
            pattern: try container.decodeIfPresent(String.self, forKey: .pattern),
            required: try container.decodeIfPresent(Bool.self, forKey: .required) ?? false)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind.name, forKey: .type)
        if !description.isEmpty { try container.encode(description, forKey: .description) }
        if let defaultValue { try container.encode(defaultValue, forKey: .default) }
        if secret { try container.encode(true, forKey: .secret) }
        if !choices.isEmpty { try container.encode(choices, forKey: .choices) }
        if let pattern { try container.encode(pattern, forKey: .pattern) }
        if required { try container.encode(true, forKey: .required) }
        switch kind {
        case .list(let items): try container.encode(items, forKey: .items)
        case .map(let values): try container.encode(values, forKey: .values)
        case .object(let properties): try container.encode(properties, forKey: .properties)
        default: break
        }
    }
}
