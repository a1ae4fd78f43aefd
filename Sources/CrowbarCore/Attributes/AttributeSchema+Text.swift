import Foundation

extension AttributeSchema {
    /// Reads operator text as a value of this schema's type, or `nil` where it cannot be read.
    public func value(fromText text: String) -> AttributeValue? {
        switch kind {
        case .string:
            return .string(text)
        case .integer:
            return Int(text).map(AttributeValue.integer)
        case .number:
            return Double(text).map(AttributeValue.number)
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "on": return .boolean(true)
            case "false", "no", "off": return .boolean(false)
            default: return nil
            }
        case .list, .map, .object:
            return try? JSONDecoder().decode(AttributeValue.self, from: Data(text.utf8))
        }
    }
}
