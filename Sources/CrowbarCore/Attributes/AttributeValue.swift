/// A JSON-like value held by a proposal attribute.
///
/// Maps encode with sorted keys wherever the encoder allows it, so revisions, diffs and
/// API output are deterministic.
public enum AttributeValue: Sendable, Hashable {
    case string(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case list([AttributeValue])
    case map([String: AttributeValue])
    case null

    /// A short name of the value's kind, used in error messages.
    public var kindName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .number: "number"
        case .boolean: "boolean"
        case .list: "list"
        case .map: "map"
        case .null: "null"
        }
    }

    /// The value at a dotted path below this one, or `nil` where the path leads nowhere.
    public func value(at path: [String]) -> AttributeValue? {
        guard let head = path.first else { return self }
        guard case .map(let entries) = self, let child = entries[head] else { return nil }
        return child.value(at: Array(path.dropFirst()))
    }

    /// A copy with `newValue` stored at `path`, creating intermediate maps as needed.
    public func setting(_ newValue: AttributeValue, at path: [String]) -> AttributeValue {
        guard let head = path.first else { return newValue }
        var entries: [String: AttributeValue] = [:]
        if case .map(let existing) = self { entries = existing }
        let child = entries[head] ?? .map([:])
        entries[head] = child.setting(newValue, at: Array(path.dropFirst()))
        return .map(entries)
    }

    /// A copy without the value at `path` (unchanged where the path leads nowhere).
    public func removing(at path: [String]) -> AttributeValue {
        guard let head = path.first, case .map(var entries) = self, let child = entries[head] else { return self }
        entries[head] = path.count == 1 ? nil : child.removing(at: Array(path.dropFirst()))
        return .map(entries)
    }

    /// The value as plain Swift strings, numbers, booleans, arrays and dictionaries (for template and YAML
    /// libraries), with `null` standing for `.null`.
    func plainValue(null: Any) -> Any {
        switch self {
        case .null: return null
        case .string(let text): return text
        case .integer(let number): return number
        case .number(let number): return number
        case .boolean(let flag): return flag
        case .list(let items): return items.map { $0.plainValue(null: null) }
        case .map(let entries): return entries.mapValues { $0.plainValue(null: null) }
        }
    }

    /// The value as plain text, for tables and `crowbar proposal show`.
    public var displayText: String {
        switch self {
        case .string(let text): text
        case .integer(let number): String(number)
        case .number(let number): String(number)
        case .boolean(let flag): String(flag)
        case .null: "null"
        case .list(let items): "[" + items.map(\.displayText).joined(separator: ", ") + "]"
        case .map(let entries):
            "{" + entries.keys.sorted().map { "\($0): \(entries[$0]!.displayText)" }.joined(separator: ", ") + "}"
        }
    }
}

extension AttributeValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .boolean(flag)
        } else if let number = try? container.decode(Int.self) {
            self = .integer(number)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let items = try? container.decode([AttributeValue].self) {
            self = .list(items)
        } else if let entries = try? container.decode([String: AttributeValue].self) {
            self = .map(entries)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .integer(let number): try container.encode(number)
        case .number(let number): try container.encode(number)
        case .boolean(let flag): try container.encode(flag)
        case .list(let items): try container.encode(items)
        case .map(let entries): try container.encode(entries)
        case .null: try container.encodeNil()
        }
    }
}
