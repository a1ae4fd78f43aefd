/// Finds and hides the secret attributes of a barclamp.
public enum SecretPaths {
    /// The text shown in place of a secret value.
    public static let mask = "********"

    /// The paths of every secret attribute reachable through objects.
    public static func of(_ barclamp: Barclamp) -> [[String]] {
        paths(in: barclamp.schema, prefix: [])
    }

    private static func paths(in schema: AttributeSchema, prefix: [String]) -> [[String]] {
        if schema.secret { return [prefix] }
        guard case .object(let properties) = schema.kind else { return [] }
        return properties.keys.sorted().flatMap { paths(in: properties[$0]!, prefix: prefix + [$0]) }
    }

    /// A copy of `attributes` with every secret that has a value replaced by ``mask``.
    public static func redact(_ attributes: AttributeValue, for barclamp: Barclamp) -> AttributeValue {
        var redacted = attributes
        for path in of(barclamp) {
            if let value = attributes.value(at: path), value != .null {
                redacted = redacted.setting(.string(mask), at: path)
            }
        }
        return redacted
    }

    /// A copy of `attributes` with secrets masked: those `barclamp` declares, or every string when there is no barclamp
    /// (its file was removed, and nothing says which values are secrets).
    public static func redact(_ attributes: AttributeValue, for barclamp: Barclamp?) -> AttributeValue {
        if let barclamp { return redact(attributes, for: barclamp) }
        switch attributes {
        case .string: return .string(mask)
        case .list(let items): return .list(items.map { redact($0, for: nil) })
        case .map(let entries): return .map(entries.mapValues { redact($0, for: nil) })
        case .integer, .number, .boolean, .null: return attributes
        }
    }

    /// The secret values set in `attributes`, for scrubbing them out of logs.
    public static func values(in attributes: AttributeValue, for barclamp: Barclamp) -> [String] {
        of(barclamp).compactMap {
            if case .string(let text) = attributes.value(at: $0), !text.isEmpty { return text }
            return nil
        }
    }
}
