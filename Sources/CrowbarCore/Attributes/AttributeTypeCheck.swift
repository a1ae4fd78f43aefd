/// A value that does not fit its attribute schema.
public struct AttributeTypeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The dotted path of the offending value, e.g. `networks.admin.vlan`.
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}

extension AttributeSchema {
    /// Checks `value` against this schema and returns the value in canonical form
    /// (an integer given where a number is expected becomes a number).
    public func check(_ value: AttributeValue, path: String) throws(AttributeTypeError) -> AttributeValue {
        func mismatch() -> AttributeTypeError {
            AttributeTypeError(path: path, message: "expected \(kind.name), got \(value.kindName)")
        }
        if case .null = value {
            if required { throw AttributeTypeError(path: path, message: "is required and cannot be null") }
            return .null
        }
        switch (kind, value) {
        case (.string, .string(let text)):
            if !choices.isEmpty && !choices.contains(text) {
                throw AttributeTypeError(
                    path: path, message: "must be one of \(choices.joined(separator: ", ")), got '\(text)'")
            }
            if let pattern, ((try? Regex(pattern).wholeMatch(in: text)) ?? nil) == nil {
                throw AttributeTypeError(path: path, message: "'\(text)' does not match \(pattern)")
            }
            return value
        case (.integer, .integer), (.boolean, .boolean), (.number, .number):
            return value
        case (.number, .integer(let number)):
            return .number(Double(number))
        case (.list(let items), .list(let values)):
            var checked: [AttributeValue] = []
            for (index, item) in values.enumerated() {
                checked.append(try items.check(item, path: "\(path).\(index)"))
            }
            return .list(checked)
        case (.map(let valueSchema), .map(let entries)):
            var checked: [String: AttributeValue] = [:]
            for (key, item) in entries {
                checked[key] = try valueSchema.check(item, path: "\(path).\(key)")
            }
            return .map(checked)
        case (.object(let properties), .map(let entries)):
            var checked: [String: AttributeValue] = [:]
            for key in entries.keys.sorted() {
                guard let property = properties[key] else {
                    throw AttributeTypeError(path: "\(path).\(key)", message: "is not an attribute of this barclamp")
                }
                checked[key] = try property.check(entries[key]!, path: "\(path).\(key)")
            }
            return .map(checked)
        default:
            throw mismatch()
        }
    }
}
